"""Reading a live process's memory: /proc/PID/mem, process_vm_readv, or PTRACE_PEEKDATA.

Reads never lie. A range that crosses unmapped or unreadable (PROT_NONE) memory
comes back with every readable byte and a list of the spans that could not be read;
their bytes are zero in the buffer and must not be shown as data.

/proc/PID/mem and PEEKDATA read *through* PROT_NONE (the kernel forces access for
a debugger), so for those methods the mappings decide what counts as readable; all
three methods then agree. process_vm_readv honours protections by itself, so it
consults the mappings only after a fault, to skip a hole in one step. (A large
procmem read under a freeze copies its readable spans with process_vm_readv first,
which copies each page once instead of twice, and reads with /proc/PID/mem whatever
that did not.)

A :class:`MemoryReader` is a session: it checks the pid and opens /proc/PID/mem and
/proc/PID/maps once, so that the many small reads of a hex view stay cheap.

Those files hold the address space they were opened on. When it goes (the process
exec'd, or exited), they read empty; the reader then looks which: after an exec it
opens them again on the new program and says so (:class:`ProcessExeced`). A process
whose main thread has exited while others run is read through a live thread.
"""

from __future__ import annotations

import _thread
import contextlib
import ctypes
import errno
import mmap
import os
import signal
from bisect import bisect_right
from collections.abc import Callable, Iterator
from types import TracebackType

from memtui.core.process_memory import libc_ptrace
from memtui.core.process_memory.process_facts import (
    PF_KTHREAD,
    explain_permission_denied,
    is_memtui_itself,
    memory_task,
    parse_stat,
    process_name,
    task_path,
)
from memtui.core.process_memory.process_freeze import HELD_SIGNALS, ProcessFreeze
from memtui.core.process_memory.reader_errors import (
    CannotFreezeItself,
    KernelThread,
    PermissionDenied,
    ProcessExeced,
    ProcessExitedDuringRead,
    ProcessGone,
)

# Not typing.TYPE_CHECKING: importing typing costs a headless start-up 6-7 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from array import array

    from memtui.core.process_memory.read_result import ReadResult as ReadResult
    from memtui.core.process_memory.value_gather import GatherPlan

METHODS = ("procmem", "vm_readv", "peek")
PEEK_NEEDS_FREEZE = (
    "--method peek reads with PTRACE_PEEKDATA, which works only on a stopped process: "
    "drop --no-freeze, or use --method procmem or vm_readv"
)
# /proc/PID/mem offsets are a signed off_t: higher addresses go through vm_readv.
_OFFSET_LIMIT = 1 << 63
_ADDRESS_LIMIT = 1 << 64
# Large enough that syscall overhead vanishes, small enough that a fatal signal
# is not kept waiting long behind one uninterruptible read.
_SYSCALL_CHUNK = 64 << 20
# Each chunk of a stream is read under a freeze of its own: 8 MiB holds the target
# stopped about 1.0 ms (median; 4 MiB: 0.7-0.8 ms), and reads 64 MiB in 9.5 ms rather
# than 12.6 (docs/performance.md): each freeze costs a fixed 0.3 ms or so.
STREAM_CHUNK = 8 << 20
# A /proc/PID/mem read this large is split between two threads when the machine has
# two CPUs for memtui: the kernel copies each page twice, and one core copies
# 64 MiB in 19 ms, two in 12 (docs/performance.md). A frozen target waits half as long.
SPLIT_AT = 2 << 20
# A procmem read this large, under a freeze, is copied with process_vm_readv first.
COPY_ONCE_AT = 256 << 10
_PEEK_CHUNK_WORDS = 1 << 17
_FAULTS = (errno.EIO, errno.EFAULT)
PAGE_SIZE = mmap.PAGESIZE

Span = tuple[int, int]
if TYPE_CHECKING:
    # Copies [start, end) into a buffer that holds ``base``; returns where it stopped.
    _Copier = Callable[[memoryview, int, int, int], int]


def __getattr__(name: str) -> object:
    # `from memtui.core.process_memory.memory_reader import ReadResult` works, but the dataclass
    # (and the import of dataclasses/inspect it needs) loads only when asked for.
    if name == "ReadResult":
        return _read_result_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _read_result_class() -> type[ReadResult]:
    from memtui.core.process_memory.read_result import ReadResult

    return ReadResult


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sort spans and merge the ones that touch or overlap."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class MemoryReader:
    """A reading session on one process. Use as a context manager, or call close().

    ``freeze`` (the default) stops every thread around each read (each read_many,
    each chunk of a stream), so what one read returns is a consistent snapshot; all
    ptrace work of a freeze runs on the thread that called the read.

    ``task`` is the thread whose /proc files are read: the process itself, or a live
    thread once its main thread has exited.
    """

    def __init__(self, pid: int, method: str = "procmem", freeze: bool = True) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown read method {method!r}; choose one of {', '.join(METHODS)}")
        if method == "peek" and not freeze:
            raise ValueError(PEEK_NEEDS_FREEZE)
        self.pid = pid
        self.method = method
        self.freeze = freeze
        self._mem_fd = -1
        self._maps_fd = -1
        self._maps: _Regions | None = None
        # The last maps text parsed, and what it parsed to: a stream re-reads the maps
        # at each chunk's freeze, and they rarely change between two.
        self._last_maps: tuple[bytes, _Regions] | None = None
        self._maps_refreshed = False
        self._frozen: ProcessFreeze | None = None
        self._second_thread: _SecondThread | None = None
        self._peek_words = bytearray(0)
        self._vm_readv_works = True
        try:
            with open(f"/proc/{pid}/stat", "rb") as file:
                name, state, flags = parse_stat(file.read())
        except (FileNotFoundError, ProcessLookupError):
            raise ProcessGone(pid) from None
        if flags & PF_KTHREAD:
            raise KernelThread(pid, name)
        # Said before trying: the seize would fail with a bare EPERM.
        self._itself = is_memtui_itself(pid)
        if freeze and self._itself:
            raise CannotFreezeItself(pid)
        self.task = memory_task(pid, state)
        self._open_files()

    def _open_files(self) -> None:
        """Open mem and maps of ``self.task``, in place of any opened before."""
        mem_fd = self._open_proc_file("mem")
        try:
            maps_fd = self._open_proc_file("maps")
        except BaseException:
            os.close(mem_fd)
            raise
        self.close()
        self._mem_fd, self._maps_fd = mem_fd, maps_fd

    def _open_proc_file(self, name: str) -> int:
        try:
            return os.open(f"{task_path(self.pid, self.task)}/{name}", os.O_RDONLY | os.O_CLOEXEC)
        except PermissionError:
            raise PermissionDenied(self.pid, explain_permission_denied(self.pid)) from None
        except (FileNotFoundError, ProcessLookupError):
            raise ProcessGone(self.pid) from None

    def __enter__(self) -> MemoryReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the session's files and end its copying thread. Safe to call twice."""
        try:
            if self._second_thread is not None:
                self._second_thread.close()
                self._second_thread = None
        finally:
            for fd in (self._mem_fd, self._maps_fd):
                if fd >= 0:
                    os.close(fd)
            self._mem_fd = self._maps_fd = -1

    # -- public reads -------------------------------------------------------------

    def read(self, address: int, length: int) -> ReadResult:
        """Read ``length`` bytes at ``address`` (freezing around this read if enabled)."""
        data = bytearray(length)
        unreadable = self.read_into(address, memoryview(data))
        return _read_result_class()(address, data, unreadable)

    def read_many(self, ranges: list[tuple[int, int]]) -> list[ReadResult]:
        """Read several (address, length) ranges under one freeze."""
        result_class = _read_result_class()
        results = []
        with self._session():
            for address, length in ranges:
                data = bytearray(length)
                unreadable = self._read(address, memoryview(data))
                results.append(result_class(address, data, unreadable))
        return results

    @contextlib.contextmanager
    def one_moment(
        self, freeze: bool | None = None
    ) -> Iterator[Callable[[list[tuple[int, int]]], list[ReadResult]]]:
        """One freeze (if on) over reads that depend on each other, such as a pointer
        chain: yields a function that reads (address, length) ranges, as read_many.

        ``freeze`` overrides the reader's mode for this moment: a write freezes always.
        """
        result_class = _read_result_class()

        def read_ranges(ranges: list[tuple[int, int]]) -> list[ReadResult]:
            results = []
            for address, length in ranges:
                data = bytearray(length)
                results.append(result_class(address, data, self._read(address, memoryview(data))))
            return results

        with self._session(freeze):
            yield read_ranges

    def read_values(
        self, addresses: array[int], width: int, overlapping: bool = True, pages: bool = True
    ) -> tuple[bytes, list[int]]:
        """``width`` bytes at each of ``addresses`` (``array('Q')``, ascending), under one
        freeze (if on): the values end to end, and the indices of those that could not
        be read (their bytes are zero where they could not).

        The reads go to process_vm_readv a thousand iovecs at a time, contiguous
        candidates merged, dense ones read as whole pages unless ``pages`` is False
        (:mod:`value_gather`, which says what ``overlapping`` means); where that call
        is not allowed (a seccomp filter), or a read faults, that read is done as
        :meth:`read` does it.
        """
        # Imported here: a headless command that never narrows need not load it.
        from memtui.core.process_memory.value_gather import plan_gather

        plan = plan_gather(addresses, width, overlapping, pages)
        buffer = bytearray(plan.size)
        with self._session():
            unreadable = self._read_plan(plan, buffer)
        return plan.values(buffer, addresses), sorted(plan.unreadable_values(unreadable, addresses))

    def _read_plan(self, plan: GatherPlan, buffer: bytearray) -> list[Span]:
        """Fill ``buffer`` with the plan's reads, end to end; returns the unreadable
        parts as [start, end) offsets in the buffer."""
        view = memoryview(buffer)
        local = libc_ptrace.buffer_address(view)
        iovecs, iovecs_address = plan.iovecs, plan.iovecs.buffer_info()[0]
        unreadable: list[Span] = []
        position = 0
        for first, count, size in plan.batches():
            while count:
                got = self._vm_readv_batch(local + position, size, iovecs_address, first, count)
                if got >= size:
                    position += size
                    break
                # The kernel stops at the read that failed: the ones before it are in,
                # that one is done the careful way, which says what is not readable.
                while iovecs[2 * first + 1] <= got:
                    length = iovecs[2 * first + 1]
                    got, size, position = got - length, size - length, position + length
                    first, count = first + 1, count - 1
                address, length = iovecs[2 * first], iovecs[2 * first + 1]
                for start, stop in self._read(address, view[position : position + length]):
                    unreadable.append((start - address + position, stop - address + position))
                first, count = first + 1, count - 1
                size, position = size - length, position + length
        return unreadable

    def _vm_readv_batch(
        self, local: int, size: int, iovecs_address: int, first: int, count: int
    ) -> int:
        """Bytes that process_vm_readv copied of ``count`` iovecs from ``first``; 0 if
        the first faulted, or if the call is not allowed here."""
        while self._vm_readv_works:
            try:
                return libc_ptrace.vm_readv_spans(
                    self.task, local, size, iovecs_address + 16 * first, count
                )
            except OSError as error:
                if error.errno == errno.ESRCH:
                    self._reopen()  # the thread read through exited, or the process
                    continue
                if error.errno in (errno.EPERM, errno.ENOSYS):
                    self._vm_readv_works = False
                elif error.errno not in _FAULTS:
                    raise self._translate(error) from None
                return 0
        return 0

    def read_into(self, address: int, buffer: memoryview) -> list[Span]:
        """Fill a writable caller-owned buffer from ``address``; returns the unreadable spans.

        The fast path: reusing one page-aligned buffer (e.g. an anonymous mmap)
        avoids both allocation and page faults on every read.
        """
        with self._session():
            return self._read(address, buffer)

    def stream(
        self, address: int, length: int, chunk_size: int = STREAM_CHUNK
    ) -> Iterator[tuple[int, memoryview, list[Span]]]:
        """Yield (address, bytes, unreadable spans) chunk by chunk, each under its own freeze.

        The target runs between chunks and while the caller consumes one, so a
        consumer that blocks (a full pipe) never keeps it stopped; each chunk is one
        consistent moment, the whole range is not. The yielded view is a reused
        buffer: consume it before asking for the next.
        """
        _check_range(address, length)
        buffer = _chunk_buffer(max(min(chunk_size, length), 1))
        view = memoryview(buffer)
        try:
            position, end = address, address + length
            while position < end:
                part = view[: min(chunk_size, end - position)]
                yield position, part, self.read_into(position, part)
                position += len(part)
        finally:
            view.release()
            with contextlib.suppress(BufferError):
                buffer.close()  # a caller still holding a chunk keeps it alive instead

    def check_address_space(self) -> None:
        """Say whether the process is still the one read, without reading its memory.

        Raises ProcessExeced if it exec'd since (the next read reads the new program),
        ProcessExitedDuringRead if it has exited; otherwise returns.
        """
        if self._mem_fd < 0:
            raise ValueError("check a closed MemoryReader")
        if not self._holds_address_space():
            self._reopen()

    def _holds_address_space(self) -> bool:
        """Whether the address space mem was opened on is still there.

        Once it is gone, /proc/PID/mem reads 0 bytes anywhere; while it lives, a read
        at address 0 (never mapped, in practice) fails with EIO instead.
        """
        try:
            return bool(os.pread(self._mem_fd, 1, 0))
        except OSError:
            return True

    def _reopen(self) -> None:
        """The files opened no longer show the process's memory: open them again on the
        thread that does, then raise if the program changed (an exec) or it has exited.

        Returns quietly when only the thread read through has gone (the process lives
        on in its other threads, with the same memory).
        """
        execed = not self._holds_address_space()
        try:
            self.task = memory_task(self.pid)
            self._open_files()
        except ProcessGone:
            raise ProcessExitedDuringRead(self.pid) from None
        self._maps = None
        if execed:
            if not self._holds_address_space():
                raise ProcessExitedDuringRead(self.pid)  # exiting, not exec'ing
            raise ProcessExeced(self.pid, process_name(self.pid))

    # -- session --------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self, freeze: bool | None = None) -> Iterator[None]:
        if self._mem_fd < 0:
            raise ValueError("read from a closed MemoryReader")
        if self._second_thread is not None:
            # A read a signal handler broke off may have left the helper copying:
            # nothing may reopen the files under it.
            self._second_thread.wait()
        self._maps = None
        if not (self.freeze if freeze is None else freeze):
            # freeze is a plain attribute a caller may flip between reads; peek
            # cannot follow it there.
            if self.method == "peek":
                raise ValueError(PEEK_NEEDS_FREEZE)
            yield
            return
        if self._itself:
            raise CannotFreezeItself(self.pid)
        try:
            with ProcessFreeze(self.pid) as frozen:
                self._frozen = frozen
                try:
                    # Frozen, it cannot exec; but it may have since the last read, and
                    # vm_readv would then read the new program's bytes as the old's.
                    self.check_address_space()
                    yield
                finally:
                    self._frozen = None
        except ProcessGone:
            raise ProcessExitedDuringRead(self.pid) from None

    def _mappings(self, refresh: bool = False) -> _Regions:
        """The target's mappings: read once per freeze, since they cannot change in one."""
        if self._maps is None or (refresh and self._frozen is None):
            raw = self._read_maps_file()
            if not raw:
                # The maps of a live process are never empty: it exec'd or exited, or
                # the thread read through has exited (ESRCH).
                self._reopen()
                raw = self._read_maps_file()
                if not raw:
                    raise ProcessExitedDuringRead(self.pid)
            if self._last_maps is None or self._last_maps[0] != raw:
                self._last_maps = (raw, _Regions(raw))
            self._maps = self._last_maps[1]
        return self._maps

    def _read_maps_file(self) -> bytes:
        """The text of the maps file opened, or b"" if its thread has gone."""
        chunks: list[bytes] = []
        offset = 0
        while True:
            try:
                chunk = os.pread(self._maps_fd, 1 << 16, offset)
            except OSError as error:
                if error.errno == errno.ESRCH:
                    return b""
                raise self._translate(error) from None
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            offset += len(chunk)

    def _translate(self, error: OSError) -> Exception:
        if error.errno == errno.ESRCH:
            return ProcessExitedDuringRead(self.pid)
        if error.errno in (errno.EPERM, errno.EACCES):
            return PermissionDenied(self.pid, explain_permission_denied(self.pid))
        return error

    # -- the read itself ----------------------------------------------------------

    def _read(self, address: int, buffer: memoryview) -> list[Span]:
        length = len(buffer)
        _check_range(address, length)
        end = address + length
        self._maps_refreshed = False
        if self.method == "vm_readv":
            plan = [(address, end)]
        else:
            # procmem and peek see through PROT_NONE: only the maps know what is readable.
            plan = self._mappings().readable_spans(address, end)
        unreadable: list[Span] = []
        previous = address
        for start, stop in plan:
            if start > previous:
                unreadable.append((previous, start))
            self._read_span(start, stop, buffer, address, unreadable)
            previous = stop
        if end > previous:
            unreadable.append((previous, end))
        unreadable = merge_spans(unreadable)
        if unreadable:
            base = libc_ptrace.buffer_address(buffer)
            for start, stop in unreadable:
                ctypes.memset(base + start - address, 0, stop - start)
        return unreadable

    def _read_span(
        self, start: int, end: int, buffer: memoryview, base: int, unreadable: list[Span]
    ) -> None:
        if self.method == "peek":
            self._read_span_peek(start, end, buffer, base, unreadable)
        elif self.method == "vm_readv":
            self._read_span_vm(start, end, buffer, base, unreadable)
        else:
            self._read_span_procmem(start, end, buffer, base, unreadable)

    def _read_span_procmem(
        self, start: int, end: int, buffer: memoryview, base: int, unreadable: list[Span]
    ) -> None:
        # Under a freeze, a large span is copied with process_vm_readv: it copies each
        # page once, where a read of /proc/PID/mem copies it twice (into a kernel page,
        # then out): 64 MiB under a freeze in 19.6 ms instead of 25.0 (docs/performance.md). It
        # reads what the mappings call readable, as /proc/PID/mem does, and stops at
        # anything else, which preads then read or mark. Only under a freeze:
        # /proc/PID/mem holds the address space it was opened on, vm_readv reads
        # whatever the pid runs now, and only a freeze (checked for an exec as it
        # begins) makes those the same. Small reads stay preads: for a screenful, the
        # copy is not what costs.
        copy_once = self._frozen is not None and end - start >= COPY_ONCE_AT
        if end - start >= SPLIT_AT and end <= _OFFSET_LIMIT and _split_reads():
            # Both halves as plain copies first; whatever a fault, an exec or an exit
            # left unread, the loop below reads on this thread alone, after the join.
            middle = (start + (end - start) // 2) // PAGE_SIZE * PAGE_SIZE
            fd, task = self._mem_fd, self.task
            copy: _Copier = (
                (lambda view, at, low, high: _vm_readv_until_stopped(task, view, at, low, high)[0])
                if copy_once and self._vm_readv_works
                else lambda view, at, low, high: _pread_until_stopped(fd, view, at, low, high)
            )
            if self._second_thread is None:
                self._second_thread = _SecondThread()
            first, second = _read_halves(
                self._second_thread, copy, buffer, base, start, middle, end
            )
            self._procmem_loop(first, middle, buffer, base, unreadable, copy_once)
            self._procmem_loop(second, end, buffer, base, unreadable, copy_once)
            return
        self._procmem_loop(start, end, buffer, base, unreadable, copy_once)

    def _procmem_loop(
        self,
        start: int,
        end: int,
        buffer: memoryview,
        base: int,
        unreadable: list[Span],
        copy_once: bool = False,
    ) -> None:
        position = start
        while position < end:
            if copy_once and self._vm_readv_works:
                # Up to the next thing vm_readv cannot read; a pread looks at that.
                position, error = _vm_readv_until_stopped(self.task, buffer, base, position, end)
                if position >= end:
                    return
                if error is not None and error.errno in (errno.EPERM, errno.ENOSYS):
                    self._vm_readv_works = False  # a seccomp filter: preads from now on
            if position >= _OFFSET_LIMIT:
                self._read_span_vm(position, end, buffer, base, unreadable)
                return
            stop = min(end, _OFFSET_LIMIT, position + _SYSCALL_CHUNK)
            try:
                got = os.preadv(self._mem_fd, [buffer[position - base : stop - base]], position)
            except OSError as error:
                if error.errno not in _FAULTS:
                    raise self._translate(error) from None
                position = self._skip_unreadable(position, end, unreadable)
                continue
            if got == 0:
                # /proc/PID/mem reads 0 bytes once the address space is gone.
                self._reopen()
                continue
            # A short read stops at a boundary; the next read reports what is there.
            position += got

    def _read_span_vm(
        self, start: int, end: int, buffer: memoryview, base: int, unreadable: list[Span]
    ) -> None:
        position = start
        while position < end:
            position, error = _vm_readv_until_stopped(self.task, buffer, base, position, end)
            if position >= end:
                return
            err = error.errno if error is not None else 0
            if err == errno.ESRCH:
                self._reopen()  # the thread read through exited, or the process
                continue
            high = position >= _OFFSET_LIMIT and err == errno.EINVAL
            if error is not None and err not in _FAULTS and not high:
                raise self._translate(error) from None
            position = self._skip_unreadable(position, end, unreadable)

    def _read_span_peek(
        self, start: int, end: int, buffer: memoryview, base: int, unreadable: list[Span]
    ) -> None:
        assert self._frozen is not None  # peek is refused without a freeze
        tid = self._frozen.stopped_tid()
        word = libc_ptrace.WORD_SIZE
        position = start
        while position < end:
            aligned = position - position % word
            words = min(-(-(end - aligned) // word), _PEEK_CHUNK_WORDS)
            if len(self._peek_words) < words * word:
                self._peek_words = bytearray(words * word)
            scratch = memoryview(self._peek_words)[: words * word]
            count, err = libc_ptrace.peekdata_into(tid, aligned, scratch.cast("l"))
            got_end = min(end, aligned + count * word)
            if got_end > position:
                buffer[position - base : got_end - base] = scratch[
                    position - aligned : got_end - aligned
                ]
                position = got_end
            if err == 0:
                continue
            if err not in _FAULTS:
                raise self._translate(OSError(err, os.strerror(err))) from None
            position = self._skip_unreadable(position, end, unreadable)

    def _skip_unreadable(self, position: int, end: int, unreadable: list[Span]) -> int:
        """Mark the unreadable run starting at ``position``; return where to resume.

        A hole between mappings, or a mapping without read permission, is skipped
        whole, so a hole of many GiB costs one step. Inside a readable mapping (say,
        past the end of a mapped file) the fault is marked one page at a time.
        """
        refresh = not self._maps_refreshed
        self._maps_refreshed = True
        regions = self._mappings(refresh=refresh)
        if regions.readable_at(position):
            stop = min(end, (position // PAGE_SIZE + 1) * PAGE_SIZE)
        else:
            following = regions.readable_spans(position, end)
            stop = following[0][0] if following else end
        unreadable.append((position, stop))
        return stop


# Linux 5.14's madvise(MADV_POPULATE_WRITE); Python's mmap module does not name it.
_MADV_POPULATE_WRITE = 23


def _chunk_buffer(size: int) -> mmap.mmap:
    """An anonymous buffer of ``size`` bytes, its pages already faulted in.

    Faulting them in with one call rather than one trap each is most of a short
    dump's cost on a virtual machine; in huge pages where the kernel allows, an 8 MiB
    buffer takes 0.7-1.1 ms instead of 1.9-2.5 ms (docs/performance.md).
    """
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    buffer = mmap.mmap(-1, size, flags=flags)
    try:
        with contextlib.suppress(OSError):  # THP off, or not built in
            buffer.madvise(mmap.MADV_HUGEPAGE)
        buffer.madvise(_MADV_POPULATE_WRITE)
        return buffer
    except OSError:  # before Linux 5.14
        buffer.close()
    return mmap.mmap(-1, size, flags=flags | getattr(mmap, "MAP_POPULATE", 0))


_CPUS_TO_SPLIT: bool | None = None


def _split_reads() -> bool:
    """Whether memtui may run on more than one CPU (its affinity, not the machine's)."""
    global _CPUS_TO_SPLIT
    if _CPUS_TO_SPLIT is None:
        _CPUS_TO_SPLIT = len(os.sched_getaffinity(0)) > 1
    return _CPUS_TO_SPLIT


def _pread_until_stopped(fd: int, buffer: memoryview, base: int, start: int, end: int) -> int:
    """Plain preads of ``fd`` from ``start`` into ``buffer`` (which holds ``base``) until
    ``end``, a fault or an empty read; returns where they stopped."""
    position = start
    while position < end:
        stop = min(end, position + _SYSCALL_CHUNK)
        try:
            got = os.preadv(fd, [buffer[position - base : stop - base]], position)
        except OSError:
            return position
        if got <= 0:
            return position
        position += got
    return position


def _vm_readv_until_stopped(
    task: int, buffer: memoryview, base: int, start: int, end: int
) -> tuple[int, OSError | None]:
    """process_vm_readv of ``task`` from ``start`` into ``buffer`` (which holds ``base``)
    until ``end`` or the first thing it cannot read; returns where it stopped, and the
    error that stopped it (None after a short read, or at the end)."""
    local = libc_ptrace.buffer_address(buffer) - base
    position = start
    while position < end:
        count = min(end - position, _SYSCALL_CHUNK)
        try:
            got = libc_ptrace.vm_readv(task, local + position, position, count)
        except OSError as error:
            # Without its traceback: that holds this frame, whose buffer view would
            # keep the caller's mmap from closing until a GC pass.
            return position, error.with_traceback(None)
        if got <= 0:
            return position, None
        position += got
    return position, None


class _SecondThread:
    """The thread that copies the second half of a split read, kept for a reader's life.

    Starting a thread and joining it cost 90 us (median; 0.5 ms at the 90th
    percentile) on the 2-core machine of docs/performance.md, paid by every chunk of
    a dump while the target stood stopped; handing a job to a thread that waits costs
    a wake-up. A bare ``_thread``, since importing ``threading`` costs a headless
    command 2 ms. No ptrace call is made on it: only preads of the file the freezing
    thread opened (or process_vm_readv, which is no ptrace call either), and every
    job is waited for (:meth:`wait`) before that thread closes or reopens the file.

    It blocks every signal: the freeze holds SIGINT and SIGTERM on the freezing thread
    while ptrace state changes hands, and a thread that took them instead would let
    their handler raise there anyway. Jobs are numbered, so that a wait a signal
    handler broke off cannot hand a late result to the next job.
    """

    def __init__(self) -> None:
        from _queue import SimpleQueue

        self._jobs: SimpleQueue[tuple[int, Callable[[], int]] | None] = SimpleQueue()
        self._results: SimpleQueue[tuple[int, int | BaseException]] = SimpleQueue()
        self._started = 0
        self._answered = 0
        self._last: int | BaseException = 0
        # Held while the thread runs: close() waits on it, as a join would.
        self._running = _thread.allocate_lock()
        self._running.acquire()
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        try:
            _thread.start_new_thread(self._serve, ())  # it inherits the mask
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def _serve(self) -> None:
        try:
            while (item := self._jobs.get()) is not None:
                number, job = item
                try:
                    result: int | BaseException = job()
                except BaseException as error:  # handed to the waiting caller, who raises it
                    result = error.with_traceback(None)
                # Dropped before waiting again: the job holds a view of the caller's
                # buffer, which must be free to close.
                del item, job
                self._results.put((number, result))
        finally:
            self._running.release()

    def start(self, job: Callable[[], int]) -> None:
        # Counted and queued with SIGINT and SIGTERM held, so that a handler raising
        # here finds both done or neither: a job counted but never queued would be
        # waited for forever.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
        try:
            self._started += 1
            self._jobs.put((self._started, job))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def wait(self) -> None:
        """Wait until every job started has ended."""
        while self._answered < self._started:
            self._answered, self._last = self._results.get()

    def result(self) -> int:
        """Wait for the job started last; raise what it raised."""
        self.wait()
        if isinstance(self._last, BaseException):
            raise self._last
        return self._last

    def close(self) -> None:
        """End the thread, once its jobs are done."""
        self._jobs.put(None)
        with self._running:
            pass


def _read_halves(
    helper: _SecondThread,
    copy: _Copier,
    buffer: memoryview,
    base: int,
    start: int,
    middle: int,
    end: int,
) -> tuple[int, int]:
    """Copy [start, middle) here and [middle, end) on ``helper``, at once; returns where
    each half stopped. The helper's half is waited for whatever happens to this one."""
    try:
        helper.start(lambda: copy(buffer, base, middle, end))
        first = copy(buffer, base, start, middle)
    finally:
        second = helper.result()
    return first, second


class _Regions:
    """Just what the reader needs from /proc/PID/maps: where memory is, and if readable.

    Kept apart from :class:`memtui.core.process_memory.proc_maps.Mapping` so that a small
    read, which re-reads the maps each time it runs without a freeze, parses only two fields per
    line into plain lists.
    """

    __slots__ = ("ends", "readable", "starts")

    def __init__(self, raw: bytes) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.readable: list[bool] = []
        for line in raw.split(b"\n"):
            span, _, rest = line.partition(b" ")
            low, sep, high = span.partition(b"-")
            try:
                start, end = int(low, 16), int(high, 16)
            except ValueError:
                continue  # blank or malformed: skip, as proc_maps does
            if sep and start < end:
                self.starts.append(start)
                self.ends.append(end)
                self.readable.append(rest[:1] == b"r")

    def readable_at(self, address: int) -> bool:
        index = bisect_right(self.starts, address) - 1
        return index >= 0 and address < self.ends[index] and self.readable[index]

    def readable_spans(self, start: int, end: int) -> list[Span]:
        """The parts of [start, end) inside readable mappings, merged, in order."""
        spans: list[Span] = []
        index = max(bisect_right(self.starts, start) - 1, 0)
        while index < len(self.starts) and self.starts[index] < end:
            if self.readable[index] and self.ends[index] > start:
                low, high = max(start, self.starts[index]), min(end, self.ends[index])
                if spans and spans[-1][1] == low:
                    spans[-1] = (spans[-1][0], high)
                else:
                    spans.append((low, high))
            index += 1
        return spans


def _check_range(address: int, length: int) -> None:
    if address < 0 or length < 0 or address + length > _ADDRESS_LIMIT:
        raise ValueError(f"range 0x{address:x}+{length} is outside the 64-bit address space")


def read_memory(
    pid: int, address: int, length: int, method: str = "procmem", freeze: bool = True
) -> ReadResult:
    """Open a reader on ``pid``, read one range, and close it."""
    with MemoryReader(pid, method=method, freeze=freeze) as reader:
        return reader.read(address, length)
