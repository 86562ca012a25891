"""Freezing every thread of a process with PTRACE_SEIZE + PTRACE_INTERRUPT.

SEIZE, unlike ATTACH, sends no SIGSTOP: if memtui dies mid-freeze (even by kill -9)
the kernel detaches its tracees and they simply run on. Linux accepts ptrace
requests only from the thread that attached, so a freeze remembers the thread that
created it and refuses to be used from any other.

Nothing here waits for a report that may never come. Stops are collected with
``waitpid(WNOHANG)`` polls under a deadline, and the release asks each task where it
is rather than trusting what the freeze saw: a task that stopped is detached, one
that exited is done, one still running is interrupted and polled. SIGINT and
SIGTERM are held while ptrace state changes hands, so a handler cannot raise
between a report and its bookkeeping; they are delivered the moment it is done,
and a freeze under way gives up as soon as one is pending.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import time
from collections.abc import Iterator
from types import TracebackType

from memtui.core.process_memory import libc_ptrace
from memtui.core.process_memory.process_facts import (
    already_traced,
    explain_permission_denied,
    is_memtui,
    task_tracer,
)
from memtui.core.process_memory.reader_errors import (
    FreezeThreadError,
    FreezeTimedOut,
    PermissionDenied,
    ProcessGone,
)

# Held on the freezing thread while ptrace state changes hands (see _signals_held).
HELD_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
# Every thread stops within microseconds unless it sleeps uninterruptibly; then the
# others must not wait on it for long.
STOP_TIMEOUT = 2.0
# A release only waits for threads seized but not yet seen stopped: they stop at
# once unless they sleep uninterruptibly, and then the kernel or a later freeze
# lets them go (see _left_seized).
RELEASE_TIMEOUT = 0.5
# Another memtui's freeze lasts about a millisecond: wait this long for it to end.
MEMTUI_RETRY = 1.5
_FIRST_PAUSE = 20e-6
_LAST_PAUSE = 2e-3
# While it polls, the freezing thread's sleeps end within a microsecond of when they
# were asked to: the default slack of 50 us made the first 20 us pause last 70-100,
# which every freeze of a sleeping target waits once (docs/performance.md).
_POLL_SLACK_NS = 1000
_WAIT_OPTIONS = libc_ptrace.WALL | libc_ptrace.WNOTHREAD | os.WNOHANG

# Tasks a release had to leave seized (interrupted, but they never stopped before
# its deadline), as {tracing thread: {tid: pid}}: only the thread that seized a task
# can detach it. The next freeze of that pid on that thread takes them over and lets
# them go; the kernel detaches whatever is left when the thread exits.
_left_seized: dict[int, dict[int, int]] = {}


class _Pauses:
    """The growing sleeps between polls, with the thread's timer slack cut while they last.

    The slack is only changed once a poll must sleep (most stops come at the first
    poll), and put back by :meth:`close`.
    """

    def __init__(self) -> None:
        self._pause = _FIRST_PAUSE
        self._slack: int | None = None

    def sleep(self) -> None:
        if self._slack is None:
            # Only a matter of speed: a prctl refused (a seccomp filter) leaves it be.
            try:
                self._slack = libc_ptrace.timer_slack()
                if self._slack > _POLL_SLACK_NS:
                    libc_ptrace.set_timer_slack(_POLL_SLACK_NS)
            except OSError:
                self._slack = 0
        time.sleep(self._pause)
        self._pause = min(self._pause * 2, _LAST_PAUSE)

    def close(self) -> None:
        if self._slack is not None and self._slack > _POLL_SLACK_NS:
            with contextlib.suppress(OSError):
                libc_ptrace.set_timer_slack(self._slack)
        self._slack = None


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


@contextlib.contextmanager
def _signals_held() -> Iterator[frozenset[int]]:
    """Block SIGINT and SIGTERM inside; yield those of them that were not blocked before.

    Leaving delivers what arrived meanwhile, so its handler raises on the way out.
    """
    try:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    except BaseException:
        # pthread_sigmask runs handlers that were already due after it changed the
        # mask: one raised with the signals blocked. Unblock them before leaving.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)
        raise
    try:
        yield HELD_SIGNALS - before
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _owed_signal(status: int) -> int:
    """The signal a stopped tracee must get back on detach.

    An interrupt or group stop (PTRACE_EVENT_STOP) owes it none; a
    signal-delivery-stop swallowed the signal that stopped it.
    """
    return 0 if status >> 16 == libc_ptrace.PTRACE_EVENT_STOP else os.WSTOPSIG(status)


class _HeldByMemtui(Exception):
    """Another memtui's freeze holds a thread; let go of ours and try again shortly."""

    def __init__(self, tracer: int) -> None:
        super().__init__(tracer)
        self.tracer = tracer


class ProcessFreeze:
    """Context manager: every thread of ``pid`` is in a ptrace-stop inside the ``with``.

    On exit (normal, exception, KeyboardInterrupt, or SystemExit raised by a SIGTERM
    handler) every thread is detached; threads that exited meanwhile are skipped.
    Entering raises FreezeTimedOut if a thread does not stop within ``stop_timeout``,
    and PermissionDenied if a debugger (or, for longer than :data:`MEMTUI_RETRY`,
    another memtui) traces a thread.
    """

    def __init__(self, pid: int, stop_timeout: float = STOP_TIMEOUT) -> None:
        self.pid = pid
        self._stop_timeout = stop_timeout
        self._owner = _thread.get_ident()
        # Tasks this thread traces now: seized here, or left seized by an earlier freeze.
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
        give_up = time.monotonic() + MEMTUI_RETRY
        while True:
            try:
                if self._try_freeze():
                    return self
                # A held signal came whose handler did not raise: freeze afresh.
            except _HeldByMemtui as held:
                if time.monotonic() > give_up:
                    raise PermissionDenied(self.pid, already_traced(held.tracer)) from None
                # Random, so that two memtuis meeting each other fall out of step;
                # imported here, where it is needed: that is rare, and a start-up is not.
                import random

                time.sleep(random.uniform(0.001, 0.005))

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

    # -- freezing ---------------------------------------------------------------------

    def _try_freeze(self) -> bool:
        """Freeze; False (everything let go again) if SIGINT or SIGTERM came first."""
        try:
            with _signals_held() as watched:
                self._take_over_left_seized()
                try:
                    frozen = self._freeze(watched)
                except BaseException:
                    self._release_held()
                    raise
                if not frozen:
                    self._release_held()
        except BaseException:
            # Unblocking delivered a signal whose handler raised: the freeze is done,
            # but nobody will leave the ``with`` that never began.
            self._release()
            raise
        return frozen

    def _take_over_left_seized(self) -> None:
        left = _left_seized.get(self._owner, {})
        for tid in [tid for tid, pid in left.items() if pid == self.pid]:
            del left[tid]
            self._seized.add(tid)

    def _freeze(self, watched: frozenset[int]) -> bool:
        deadline = time.monotonic() + self._stop_timeout
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
            if not self._await_stops(deadline, watched):
                return False
        if not self._stopped:
            raise ProcessGone(self.pid)
        return True

    def _seize(self, tid: int) -> None:
        if tid in self._seized:
            # Left seized by an earlier freeze; ask again, unless it is no longer ours.
            try:
                libc_ptrace.interrupt(tid)
                return
            except ProcessLookupError:
                self._seized.discard(tid)
        for attempt in range(2):
            try:
                libc_ptrace.seize(tid)
                break
            except ProcessLookupError:
                return  # it exited after the listing
            except PermissionError:
                if _task_state(self.pid, tid) in (None, "Z", "X"):
                    return  # a zombie (seizing one fails with EPERM), or it exited
                tracer = task_tracer(self.pid, tid)
                if tracer and (tracer == os.getpid() or is_memtui(tracer)):
                    raise _HeldByMemtui(tracer) from None
                if tracer or attempt:
                    raise PermissionDenied(self.pid, explain_permission_denied(self.pid)) from None
                # No tracer by now: perhaps another memtui's freeze just ended.
        self._seized.add(tid)
        with contextlib.suppress(ProcessLookupError):
            libc_ptrace.interrupt(tid)  # if it is exiting, _await_stops sees its exit

    def _await_stops(self, deadline: float, watched: frozenset[int]) -> bool:
        """Poll until every seized thread has stopped or gone; False if a held signal came."""
        waiting = [tid for tid in self._seized if tid not in self._stopped]
        pauses = _Pauses()
        try:
            while True:
                waiting = [tid for tid in waiting if not self._collect(tid)]
                if not waiting:
                    return True
                if watched and not watched.isdisjoint(signal.sigpending()):
                    return False
                if time.monotonic() > deadline:
                    tid = waiting[0]
                    state = _task_state(self.pid, tid) or "?"
                    raise FreezeTimedOut(self.pid, tid, state, self._stop_timeout)
                pauses.sleep()
        finally:
            pauses.close()

    def _collect(self, tid: int) -> bool:
        """Take ``tid``'s report if it has one; True once it is stopped or gone."""
        try:
            reported, status = libc_ptrace.waitpid(tid, _WAIT_OPTIONS)
        except ChildProcessError:
            self._seized.discard(tid)  # no longer ours: it exited and was reaped
            return True
        if not reported:
            return False
        if os.WIFSTOPPED(status):
            self._stopped[tid] = _owed_signal(status)
            return True
        self._seized.discard(tid)  # it exited or was killed
        return True

    # -- letting go --------------------------------------------------------------------

    def _release(self) -> None:
        with _signals_held():
            self._release_held()

    def _release_held(self) -> None:
        """Detach every task this freeze traces, whatever state each one is in."""
        pending = set(self._seized)
        interrupted: set[int] = set()
        deadline = time.monotonic() + RELEASE_TIMEOUT
        pauses = _Pauses()
        try:
            while True:
                pending = {tid for tid in pending if not self._let_go(tid, interrupted)}
                if not pending or time.monotonic() > deadline:
                    break
                pauses.sleep()
        finally:
            if pending:
                _left_seized.setdefault(self._owner, {}).update(dict.fromkeys(pending, self.pid))
            self._seized.clear()
            self._stopped.clear()
            pauses.close()

    def _let_go(self, tid: int, interrupted: set[int]) -> bool:
        """One step of releasing ``tid``; True once it is no longer ours."""
        if tid not in self._stopped:
            try:
                reported, status = libc_ptrace.waitpid(tid, _WAIT_OPTIONS)
            except ChildProcessError:
                return True  # not traced by this thread: gone, or never seized
            if reported and not os.WIFSTOPPED(status):
                return True  # it exited
            if reported:
                self._stopped[tid] = _owed_signal(status)
        try:
            libc_ptrace.detach(tid, self._stopped.get(tid, 0))
            return True
        except OSError:
            pass  # ESRCH: not in a ptrace-stop (still running, or dying)
        self._stopped.pop(tid, None)
        if tid not in interrupted:
            interrupted.add(tid)
            try:
                # DETACH needs a stopped tracee; INTERRUPT brings it to a stop.
                libc_ptrace.interrupt(tid)
            except ProcessLookupError:
                return True  # not ours at all
        return False
