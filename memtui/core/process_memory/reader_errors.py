"""Errors of the process memory reader, each a one-line message a user can act on.

The CLI prints ``memtui: {error}`` and exits 1 for any :class:`ReaderError`, so the
message must stand alone: which process, what went wrong, what to do about it.
"""

from __future__ import annotations


class ReaderError(Exception):
    """Base of every error the memory reader raises about its target."""

    def __init__(self, pid: int, message: str) -> None:
        super().__init__(message)
        self.pid = pid


class ProcessGone(ReaderError):
    """No process with this pid exists (it never did, or it exited before we began)."""

    def __init__(self, pid: int) -> None:
        super().__init__(pid, f"no process {pid} (it has exited, or the pid is wrong)")


class KernelThread(ReaderError):
    """The pid is a kernel thread, which has no user address space to read."""

    def __init__(self, pid: int, name: str) -> None:
        super().__init__(
            pid, f"process {pid} ({name}) is a kernel thread: it has no user memory to read"
        )
        self.name = name


class PermissionDenied(ReaderError):
    """The kernel refused access; ``reason`` says which rule refused it."""

    def __init__(self, pid: int, reason: str) -> None:
        super().__init__(pid, f"may not read process {pid}: {reason}")
        self.reason = reason


class ProcessExitedDuringRead(ReaderError):
    """The target exited after the reader had started on it."""

    def __init__(self, pid: int) -> None:
        super().__init__(pid, f"process {pid} exited while its memory was being read")


class FreezeThreadError(ReaderError):
    """A ptrace request of a freeze came from a thread other than the one that froze.

    Linux accepts ptrace requests only from the tracing thread, so such a call would
    fail with ESRCH and could leave the target stopped; we refuse it up front.
    """

    def __init__(self, pid: int, owner: int, caller: int) -> None:
        super().__init__(
            pid,
            f"the freeze of process {pid} belongs to thread {owner} but thread {caller} "
            "used it: run every read of a freeze on the thread that created it",
        )


class ZombieProcess(ProcessGone):
    """The process has exited but its parent has not reaped it: a zombie, without memory."""

    def __init__(self, pid: int, name: str, parent: str) -> None:
        ReaderError.__init__(
            self,
            pid,
            f"process {pid} ({name}) has exited but its parent {parent} has not reaped it "
            "yet (a zombie): it has no memory left to read",
        )
        self.name = name


class ProcessExeced(ReaderError):
    """The process exec'd another program: the memory it had is gone.

    The reader that raises it has moved on to the new program already: the next read
    reads that, so a view can go on while a dump stops rather than mix two programs.
    """

    def __init__(self, pid: int, name: str | None) -> None:
        super().__init__(
            pid, f"process {pid} exec'd {name or 'another program'}: the memory it had is gone"
        )
        self.name = name


class CannotFreezeItself(ReaderError):
    """The pid is memtui's own process: no process can ptrace itself, so no freeze."""

    def __init__(self, pid: int) -> None:
        super().__init__(
            pid,
            f"process {pid} is memtui itself, and a process cannot freeze (ptrace) itself: "
            "add --no-freeze to read it without stopping it",
        )


class FreezeTimedOut(ReaderError):
    """A thread did not enter its ptrace-stop in time, so the freeze was let go again.

    PTRACE_INTERRUPT wakes only an interruptible sleep: a thread in uninterruptible
    sleep (state D: a vfork parent, a stuck disk or network file system) stops only
    when it leaves it, and every other thread would stay stopped meanwhile.
    """

    def __init__(self, pid: int, tid: int, state: str, seconds: float) -> None:
        what = f"state {state}, uninterruptible sleep" if state == "D" else f"state {state}"
        super().__init__(
            pid,
            f"could not freeze process {pid}: thread {tid} did not stop within "
            f"{seconds:g} s ({what}); it runs on: try again, or read with --no-freeze",
        )
        self.tid = tid
