"""Freezing every thread of a process with PTRACE_SEIZE + PTRACE_INTERRUPT.

SEIZE, unlike ATTACH, sends no SIGSTOP: if memtui dies mid-freeze (even by kill -9)
the kernel detaches its tracees and they simply run on. Linux accepts ptrace
requests only from the thread that attached, so a freeze remembers the thread that
created it and refuses to be used from any other.
"""

from __future__ import annotations

import _thread
import contextlib
import errno
import os
import signal
from types import TracebackType

from memtui.core.process_memory import libc_ptrace
from memtui.core.process_memory.process_facts import explain_permission_denied
from memtui.core.process_memory.reader_errors import (
    FreezeThreadError,
    PermissionDenied,
    ProcessGone,
)

# Signals that would otherwise raise out of the middle of a release and leave
# threads stopped; they are held until every thread is detached.
_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def list_tids(pid: int) -> list[int]:
    """The thread ids of ``pid``; raises ProcessGone if it has no task directory."""
    try:
        return [int(name) for name in os.listdir(f"/proc/{pid}/task") if name.isdigit()]
    except (FileNotFoundError, ProcessLookupError):
        raise ProcessGone(pid) from None


def _task_state(pid: int, tid: int) -> str | None:
    """The one-letter state of a task, or None if it has gone."""
    try:
        with open(f"/proc/{pid}/task/{tid}/stat", "rb") as file:
            raw = file.read()
    except OSError:
        return None
    fields = raw.rpartition(b")")[2].split()
    return fields[0].decode("ascii", "replace") if fields else None


class ProcessFreeze:
    """Context manager: every thread of ``pid`` is in a ptrace-stop inside the ``with``.

    On exit (normal, exception, KeyboardInterrupt, or SystemExit raised by a SIGTERM
    handler) every thread is detached; threads that exited meanwhile are skipped.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._owner = _thread.get_ident()
        self._seized: set[int] = set()
        # tid -> the signal to hand back on detach (the one that stopped it, if any).
        self._stopped: dict[int, int] = {}

    @property
    def tids(self) -> frozenset[int]:
        """The threads currently held in a ptrace-stop."""
        return frozenset(self._stopped)

    def check_thread(self) -> None:
        """Raise FreezeThreadError unless called on the thread that created the freeze."""
        caller = _thread.get_ident()
        if caller != self._owner:
            raise FreezeThreadError(self.pid, self._owner, caller)

    def __enter__(self) -> ProcessFreeze:
        self.check_thread()
        try:
            self._freeze()
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.check_thread()
        self._release()

    def stopped_tid(self) -> int:
        """A thread in a ptrace-stop, for requests such as PEEKDATA (prefers the leader)."""
        self.check_thread()
        if self.pid in self._stopped:
            return self.pid
        if not self._stopped:
            raise ProcessGone(self.pid)
        return min(self._stopped)

    def peek(self, address: int) -> int:
        """One word at ``address`` via PTRACE_PEEKDATA on a stopped thread."""
        return libc_ptrace.peekdata(self.stopped_tid(), address)

    def _freeze(self) -> None:
        seen: set[int] = set()
        # A thread created between listing and stopping is missed by one scan; scan
        # again until a scan finds nothing new. Stopped threads cannot clone, so
        # this ends.
        while True:
            new = [tid for tid in list_tids(self.pid) if tid not in seen]
            if not new:
                break
            seen.update(new)
            for tid in new:
                self._seize(tid)
            for tid in new:
                if tid in self._seized:
                    self._wait_for_stop(tid)
        if not self._stopped:
            raise ProcessGone(self.pid)

    def _seize(self, tid: int) -> None:
        self.check_thread()
        if _task_state(self.pid, tid) in (None, "Z", "X"):
            return  # exited or a zombie (seizing one fails with EPERM); nothing to stop
        try:
            libc_ptrace.seize(tid)
        except ProcessLookupError:
            return
        except PermissionError:
            if _task_state(self.pid, tid) in (None, "Z", "X"):
                return  # it exited between the check and the seize
            raise PermissionDenied(self.pid, explain_permission_denied(self.pid)) from None
        self._seized.add(tid)
        with contextlib.suppress(ProcessLookupError):
            libc_ptrace.interrupt(tid)  # if it is exiting, _wait_for_stop sees its exit

    def _wait_for_stop(self, tid: int) -> None:
        self.check_thread()
        while True:
            try:
                _, status = libc_ptrace.waitpid(tid)
            except ChildProcessError:
                self._seized.discard(tid)  # gone and already reaped by someone else
                return
            if os.WIFSTOPPED(status):
                stop_signal = os.WSTOPSIG(status)
                event = status >> 16
                # An interrupt or group stop (PTRACE_EVENT_STOP) owes the thread no
                # signal; a signal-delivery-stop swallowed a signal we must give back.
                self._stopped[tid] = 0 if event == libc_ptrace.PTRACE_EVENT_STOP else stop_signal
                return
            if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                self._seized.discard(tid)
                return

    def _release(self) -> None:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
        first_error: OSError | None = None
        try:
            for tid in sorted(self._seized):
                # One thread failing to detach must not keep the others stopped.
                try:
                    self._detach(tid)
                except OSError as error:
                    first_error = first_error or error
            if first_error is not None:
                raise first_error
        finally:
            self._seized.clear()
            self._stopped.clear()
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def _detach(self, tid: int) -> None:
        if tid not in self._stopped:
            # Seized but its stop not yet collected (we were interrupted while
            # freezing): DETACH needs a stopped tracee, so collect the stop first.
            with contextlib.suppress(ProcessLookupError):
                libc_ptrace.interrupt(tid)
            self._wait_for_stop(tid)
            if tid not in self._stopped:
                return
        try:
            libc_ptrace.detach(tid, self._stopped[tid])
        except OSError as error:
            # ESRCH: it was killed while stopped; nothing left to release.
            if error.errno != errno.ESRCH:
                raise
