"""A ctypes binding to the libc calls the reader needs: ptrace, waitpid, process_vm_readv,
and prctl for the freezing thread's timer slack.

Errors come back as ``OSError`` subclasses chosen by errno (``ProcessLookupError`` for
ESRCH, ``PermissionError`` for EPERM, ``ChildProcessError`` for ECHILD), with the call
and the task named in the message, so callers can catch by meaning.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys

if not sys.platform.startswith("linux"):  # pragma: no cover - the reader is Linux-only
    raise ImportError("memtui's process reader needs Linux")

PTRACE_PEEKDATA = 2
PTRACE_ATTACH = 16
PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_EVENT_STOP = 128
# Without __WALL, waitpid ignores tracees that are not our children (other threads).
WALL = 0x40000000
# Only this thread's tracees: a freeze must never collect another thread's reports.
WNOTHREAD = 0x20000000

WORD_SIZE = ctypes.sizeof(ctypes.c_long)

_libc = ctypes.CDLL(None, use_errno=True)

_ptrace = _libc.ptrace
_ptrace.restype = ctypes.c_long
_ptrace.argtypes = (ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)

_waitpid = _libc.waitpid
_waitpid.restype = ctypes.c_int
_waitpid.argtypes = (ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int)


PR_SET_TIMERSLACK = 29
PR_GET_TIMERSLACK = 30

_prctl = _libc.prctl
_prctl.restype = ctypes.c_int
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)


class IoVec(ctypes.Structure):
    """``struct iovec`` from <sys/uio.h>."""

    _fields_ = (("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t))


_process_vm_readv = _libc.process_vm_readv
_process_vm_readv.restype = ctypes.c_ssize_t
_process_vm_readv.argtypes = (
    ctypes.c_int,
    ctypes.POINTER(IoVec),
    ctypes.c_ulong,
    ctypes.POINTER(IoVec),
    ctypes.c_ulong,
    ctypes.c_ulong,
)


def _raise_errno(call: str, tid: int) -> None:
    err = ctypes.get_errno()
    # OSError(errno, ...) picks the matching subclass (ProcessLookupError for ESRCH, ...).
    raise OSError(err, f"{call}({tid}): {os.strerror(err)}")


def _request(request: int, name: str, tid: int, data: int = 0) -> None:
    if _ptrace(request, tid, None, data or None) == -1:
        _raise_errno(name, tid)


def seize(tid: int) -> None:
    """PTRACE_SEIZE: become the tracer of ``tid`` without stopping it or sending a signal."""
    _request(PTRACE_SEIZE, "PTRACE_SEIZE", tid)


def interrupt(tid: int) -> None:
    """PTRACE_INTERRUPT: ask a seized task to enter a ptrace-stop (report it with waitpid)."""
    _request(PTRACE_INTERRUPT, "PTRACE_INTERRUPT", tid)


def attach(tid: int) -> None:
    """PTRACE_ATTACH: the old way, which sends SIGSTOP; kept for comparison in benchmarks."""
    _request(PTRACE_ATTACH, "PTRACE_ATTACH", tid)


def detach(tid: int, signal: int = 0) -> None:
    """PTRACE_DETACH a stopped tracee, delivering ``signal`` if it was stopped by one."""
    _request(PTRACE_DETACH, "PTRACE_DETACH", tid, signal)


def peekdata(tid: int, address: int) -> int:
    """PTRACE_PEEKDATA: one word of the stopped tracee ``tid`` at ``address``, as a signed long.

    The call returns the word itself, so -1 is both a valid word and the error marker;
    only a reset errno tells them apart.
    """
    ctypes.set_errno(0)
    value: int = _ptrace(PTRACE_PEEKDATA, tid, address, None)
    if value == -1 and ctypes.get_errno() != 0:
        _raise_errno("PTRACE_PEEKDATA", tid)
    return value


def peekdata_into(tid: int, address: int, words: memoryview) -> tuple[int, int]:
    """Fill ``words`` (a memoryview of format 'l') from ``address`` upward, word by word.

    Returns ``(count, err)``: how many words were read, and the errno that stopped the
    loop (0 when all were read). A loop here, not in the caller, because at millions
    of words the per-call overhead of anything else dominates.
    """
    call = _ptrace
    get_errno = ctypes.get_errno
    set_errno = ctypes.set_errno
    step = WORD_SIZE
    for index in range(len(words)):
        value = call(PTRACE_PEEKDATA, tid, address, None)
        if value == -1:
            # Re-ask with errno cleared rather than clearing it before every call:
            # -1 words are rare, and clearing costs a second ctypes call each time.
            set_errno(0)
            value = call(PTRACE_PEEKDATA, tid, address, None)
            if value == -1 and get_errno() != 0:
                return index, get_errno()
        words[index] = value
        address += step
    return len(words), 0


def waitpid(tid: int, options: int = WALL) -> tuple[int, int]:
    """waitpid(2) with ``__WALL`` by default; retries EINTR after letting signal handlers run.

    With ``os.WNOHANG`` in ``options`` it returns ``(0, 0)`` when ``tid`` has nothing
    to report yet.
    """
    status = ctypes.c_int(0)
    while True:
        result = _waitpid(tid, ctypes.byref(status), options)
        if result != -1:
            return result, status.value
        if ctypes.get_errno() != errno.EINTR:
            _raise_errno("waitpid", tid)
        # Returning to the interpreter loop here runs Python signal handlers, so a
        # SIGINT/SIGTERM handler can raise out of a wait that would otherwise block.


def timer_slack() -> int:
    """The calling thread's timer slack in nanoseconds: how late its sleeps may end.

    prctl returns it as an int: a slack of 2 s or more (which /proc/PID/timerslack_ns
    allows) reads as a negative number, which is refused here as an OSError.
    """
    result: int = _prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)
    if result == -1:
        _raise_errno("prctl(PR_GET_TIMERSLACK)", 0)
    if result < 0:
        raise OSError(errno.ERANGE, f"prctl(PR_GET_TIMERSLACK): {result} is not a slack")
    return result


def set_timer_slack(nanoseconds: int) -> None:
    """Set the calling thread's timer slack (0 restores the thread's default)."""
    if _prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0) == -1:
        _raise_errno("prctl(PR_SET_TIMERSLACK)", 0)


def vm_readv(pid: int, local_address: int, remote_address: int, length: int) -> int:
    """process_vm_readv of one range into local memory; returns bytes copied (may be short)."""
    local = IoVec(local_address, length)
    remote = IoVec(remote_address, length)
    result: int = _process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if result == -1:
        _raise_errno("process_vm_readv", pid)
    return result


def vm_readv_spans(
    pid: int, local_address: int, local_length: int, iovecs_address: int, count: int
) -> int:
    """process_vm_readv of ``count`` remote spans into one local range, end to end.

    ``iovecs_address`` is the address of ``count`` ``struct iovec`` (an ``array('Q')``
    of address, length pairs). Returns the bytes copied: short when a span could not
    be read, at the first such span (the kernel stops there).
    """
    local = IoVec(local_address, local_length)
    remote = ctypes.cast(iovecs_address, ctypes.POINTER(IoVec))
    result: int = _process_vm_readv(pid, ctypes.byref(local), 1, remote, count, 0)
    if result == -1:
        _raise_errno("process_vm_readv", pid)
    return result


def buffer_address(buffer: memoryview) -> int:
    """The address of a writable, contiguous buffer's first byte (for vm_readv)."""
    if len(buffer) == 0:
        return 0
    holder = (ctypes.c_char * len(buffer)).from_buffer(buffer)
    address = ctypes.addressof(holder)
    # Drop the ctypes view now: it holds a buffer export that would stop the owner
    # (an mmap, a bytearray) from being closed or resized later.
    del holder
    return address
