"""The memory view's reader thread: one long-lived thread per viewed process.

Linux takes ptrace requests of a freeze only from the thread that attached, and the
reader asserts it; so one thread owns the :class:`MemoryReader` and does every read,
while the UI only queues requests and gets results back through a callback (the
widget posts them on as Textual messages, which is thread-safe).

The queue follows toolong's line reader: a bounded queue, plus a set of pending
requests so that asking again for what is already queued costs nothing. A held
Page Down queues a request per screen; only the newest one is still on screen when
the thread gets to it, so older row requests in the queue are dropped unread.

A long job (a search, a save) also runs on this thread, one step (one chunk) at a
time between row requests: it reads through the same reader, so its freezes never
meet the view's (a thread already traced by one tracer cannot be seized by another),
and a row request waits at most one step, about a millisecond.

Nothing here raises into the caller: errors come back as :class:`SessionFailed`,
or, for a job, as a :class:`JobReport` with its ``error``.

An exec is not an end: the reader moves on to the new program, the session says so
(:class:`ExecFollowed`, which also ends a running job: its mappings are gone) and
reads the new mappings.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from memtui.core.process_memory.memory_reader import MemoryReader, ReadResult
from memtui.core.process_memory.proc_maps import Mapping, parse_maps_line, read_maps
from memtui.core.process_memory.process_facts import memory_task, task_path
from memtui.core.process_memory.reader_errors import (
    PermissionDenied,
    ProcessExeced,
    ProcessExitedDuringRead,
    ProcessGone,
    ReaderError,
)

Range = tuple[int, int]
# Requests waiting at once; a user cannot outrun this (a request per key press, and
# the thread drops all but the newest), and a full queue only drops a request that
# the widget makes again on its next paint.
QUEUE_SIZE = 64
# /proc/PID/smaps walks the page tables of every mapping: seconds apart at most.
RSS_INTERVAL = 5.0
# While idle, look this often whether the process has exited, so the banner shows
# up even when nothing is being read.
IDLE_POLL = 0.25
CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class RowsRead:
    """Bytes read for a row request of ``generation``, all under one freeze (if on)."""

    generation: int
    results: list[ReadResult]
    frozen: bool
    seconds: float
    watched: list[ReadResult] = field(default_factory=list)
    """The bytes of the watches (:meth:`MemorySession.set_watches`), read in the same freeze."""


@dataclass(frozen=True, slots=True)
class MapsRead:
    """The process's mappings; ``rss`` maps a mapping's start to its resident bytes.

    ``rss`` is None when smaps was not re-read this time (it is throttled) or cannot be.
    ``task`` is the thread read through: not the pid once the main thread has exited.
    """

    mappings: list[Mapping]
    rss: dict[int, int] | None
    task: int | None = None


@dataclass(frozen=True, slots=True)
class ExecFollowed:
    """The process exec'd ``name``: what was read of it is gone; new mappings follow."""

    name: str | None


@dataclass(frozen=True, slots=True)
class SessionFailed:
    """The reader failed; ``fatal`` means the session has ended and reads no more."""

    error: ReaderError | OSError
    fatal: bool

    @property
    def exited(self) -> bool:
        """The process has exited (the one ending that is not a failure of ours)."""
        return isinstance(self.error, ProcessGone | ProcessExitedDuringRead)

    @property
    def permission_reason(self) -> str | None:
        return self.error.reason if isinstance(self.error, PermissionDenied) else None

    @property
    def message(self) -> str:
        return str(self.error)


@dataclass(frozen=True, slots=True)
class JobReport:
    """What job ``job_id`` yielded (``payload``), or the error that ended it."""

    job_id: int
    payload: object | None
    error: ReaderError | OSError | None = None


@dataclass(frozen=True, slots=True)
class ProbeRead:
    """What the probe of ``key`` returned (``payload``), or the error it raised."""

    key: str
    payload: object | None
    error: ReaderError | OSError | None = None


SessionEvent = RowsRead | MapsRead | ExecFollowed | SessionFailed | JobReport | ProbeRead
# A job: given the session's reader, an iterator that does one step per next() and
# yields something to report (or None). It must not hold a freeze across a yield.
Job = Callable[[MemoryReader], Iterator[object | None]]
# A probe: one short read of a few ranges (the telescope), given the session's reader,
# run between row requests without disturbing a running job.
Probe = Callable[[MemoryReader], object]


@dataclass(frozen=True, slots=True)
class _RowRequest:
    generation: int
    ranges: tuple[Range, ...]


@dataclass(frozen=True, slots=True)
class _MapsRequest:
    force_rss: bool


@dataclass(frozen=True, slots=True)
class _JobRequest:
    job_id: int
    job: Job = field(hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class _ProbeRequest:
    key: str
    probe: Probe = field(hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


_Request = _RowRequest | _MapsRequest | _JobRequest | _ProbeRequest | _Stop


def parse_smaps_rss(text: str) -> dict[int, int]:
    """Each mapping's start -> its ``Rss`` in bytes, from the text of /proc/PID/smaps."""
    rss: dict[int, int] = {}
    start: int | None = None
    # Lines end at a newline only: a file name may hold a form feed (see parse_maps).
    for line in text.split("\n"):
        if line.startswith("Rss:"):
            fields = line.split()
            if start is not None and len(fields) >= 2 and fields[1].isdigit():
                rss[start] = int(fields[1]) * 1024  # the kernel writes kB
            continue
        head = line.split(None, 1)[0] if line else ""
        # Mapping header lines start with "start-end"; field lines with "Name:".
        if "-" in head and not head.endswith(":"):
            mapping = parse_maps_line(line)
            start = mapping.start if mapping is not None else None
    return rss


def read_smaps_rss(pid: int, task: int | None = None) -> dict[int, int] | None:
    """Resident bytes per mapping (read through thread ``task``), or None if unreadable."""
    try:
        with open(f"{task_path(pid, task or pid)}/smaps", "rb") as file:
            raw = file.read()
    except OSError:
        return None
    return parse_smaps_rss(raw.decode("utf-8", "surrogateescape"))


@dataclass
class _Pending:
    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: set[_Request] = field(default_factory=set)


class MemorySession:
    """Reads a process's memory and mappings on its own thread, on request.

    ``on_event`` is called on the session thread with a :data:`SessionEvent`; it must
    not block (post a message and return). Call :meth:`close` when done: it stops
    the thread and waits until any freeze is released.
    """

    def __init__(
        self,
        pid: int,
        on_event: Callable[[SessionEvent], None],
        freeze: bool = True,
        method: str = "procmem",
        rss_interval: float = RSS_INTERVAL,
    ) -> None:
        self.pid = pid
        self.method = method
        self._on_event = on_event
        self._freeze = freeze
        self._rss_interval = rss_interval
        self._rss_read_at: float | None = None
        self._queue: queue.Queue[_Request] = queue.Queue(maxsize=QUEUE_SIZE)
        self._pending = _Pending()
        self._stopping = threading.Event()
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"memtui-session-{pid}", daemon=True)
        self.reads = 0
        """Row requests served, for tests and the bench."""
        self._job: Iterator[object | None] | None = None
        self._job_id = 0
        self._cancel_job = threading.Event()
        self._next_job_id = 0
        self._watches: tuple[Range, ...] = ()

    # -- the UI side ------------------------------------------------------------------

    def start(self) -> None:
        """Open the reader and read the mappings, on the session thread."""
        self._thread.start()

    @property
    def freeze(self) -> bool:
        return self._freeze

    def set_freeze(self, freeze: bool) -> None:
        """Freeze (True) or not (False) from the next read on; a read under way finishes."""
        self._freeze = freeze

    @property
    def ended(self) -> bool:
        """The thread has stopped: closed, or the process is gone or unreadable."""
        return self._ended.is_set()

    def request(self, ranges: Sequence[Range], generation: int) -> bool:
        """Ask for the bytes of ``ranges`` (address, length); False if it was not queued.

        The widget passes the rows on screen plus its prefetch, already merged into
        a few contiguous runs, so one request is one read_many under one freeze.
        """
        return self._put(_RowRequest(generation, tuple(ranges)))

    def set_watches(self, ranges: Sequence[Range]) -> None:
        """Read ``ranges`` too with every row request, under its freeze: the watches.

        They come back in :attr:`RowsRead.watched`. One tuple replaced whole, so the
        session thread sees either the old ranges or the new ones.
        """
        self._watches = tuple(ranges)

    def request_maps(self, force_rss: bool = False) -> bool:
        """Re-read /proc/PID/maps (and smaps, if ``force_rss`` or it is due)."""
        return self._put(_MapsRequest(force_rss))

    def start_job(self, job: Job) -> int | None:
        """Run ``job`` a step at a time between reads, in place of any job running.

        Returns the id its :class:`JobReport` events carry, or None if the session
        has ended.
        """
        self._next_job_id += 1
        job_id = self._next_job_id
        return job_id if self._put(_JobRequest(job_id, job)) else None

    def request_probe(self, key: str, probe: Probe) -> bool:
        """Run ``probe`` once on the reader; a :class:`ProbeRead` of ``key`` brings its result.

        Of probes of one key waiting at once only the newest runs: what the screen
        asks for now.
        """
        return self._put(_ProbeRequest(key, probe))

    def cancel_job(self) -> None:
        """Stop the running job before its next step (its ``finally`` runs)."""
        self._cancel_job.set()

    def _put(self, request: _Request) -> bool:
        if self._ended.is_set() or self._stopping.is_set():
            return False
        with self._pending.lock:
            if request in self._pending.keys and not isinstance(request, _ProbeRequest):
                return True
            try:
                self._queue.put_nowait(request)
            except queue.Full:
                return False
            self._pending.keys.add(request)
        return True

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Stop the thread and wait for it, so that no freeze outlives the session.

        A read in progress completes first; its freeze is released by the reader's
        own ``finally``. Safe to call more than once, and before :meth:`start`.
        """
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_Stop())
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # -- the session thread ------------------------------------------------------------

    def _emit(self, event: SessionEvent) -> None:
        if self._stopping.is_set() and not isinstance(event, SessionFailed):
            return
        # The UI may be shutting down: a failing callback must not kill the thread
        # before its reader is closed.
        with contextlib.suppress(Exception):
            self._on_event(event)

    def _run(self) -> None:
        try:
            reader = MemoryReader(self.pid, method=self.method, freeze=self._freeze)
        except ReaderError as error:
            self._emit(SessionFailed(error, fatal=True))
            self._ended.set()
            return
        pidfd = _open_pidfd(self.pid)
        try:
            with reader:
                try:
                    self._serve(reader, pidfd)
                finally:
                    self._end_job()
        except ReaderError as error:
            self._emit(SessionFailed(error, fatal=True))
        finally:
            if pidfd is not None:
                os.close(pidfd)
            self._ended.set()

    def _take_batch(self, wait: bool) -> list[_Request] | None:
        try:
            first = self._queue.get(timeout=IDLE_POLL) if wait else self._queue.get_nowait()
        except queue.Empty:
            return None
        batch = [first]
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        with self._pending.lock:
            for request in batch:
                self._pending.keys.discard(request)
        return batch

    def _serve(self, reader: MemoryReader, pidfd: int | None) -> None:
        batch: list[_Request] | None = [_MapsRequest(force_rss=True)]  # what the view needs first
        while not self._stopping.is_set():
            try:
                if batch is not None:
                    self._serve_batch(reader, batch)
                elif self._job is not None:
                    self._serve_batch(reader, [])
                elif _has_exited(self.pid, pidfd):
                    raise ProcessExitedDuringRead(self.pid)
                else:
                    # An exec leaves the pidfd quiet: look at the memory itself.
                    reader.check_address_space()
            except ProcessExeced as execed:
                self._follow_exec(reader, execed)
            batch = self._take_batch(wait=self._job is None)

    def _serve_batch(self, reader: MemoryReader, batch: list[_Request]) -> None:
        maps = [r for r in batch if isinstance(r, _MapsRequest)]
        rows = [r for r in batch if isinstance(r, _RowRequest)]
        jobs = [r for r in batch if isinstance(r, _JobRequest)]
        probes = {r.key: r for r in batch if isinstance(r, _ProbeRequest)}
        if maps:
            self._read_maps(reader, force_rss=any(r.force_rss for r in maps))
        if rows:
            # Only the newest request is still what the screen shows.
            self._read_rows(reader, rows[-1])
        for probe in probes.values():
            self._run_probe(reader, probe)
        if self._cancel_job.is_set():
            self._cancel_job.clear()
            self._end_job()
        if jobs:
            self._end_job()
            self._job_id = jobs[-1].job_id
            self._job = jobs[-1].job(reader)
        if self._job is not None:
            self._step_job(reader)

    def _follow_exec(self, reader: MemoryReader, execed: ProcessExeced) -> None:
        """The reader reads the new program already: end what belonged to the old one."""
        if self._job is not None:
            # A search or save over mappings that are gone would read the new
            # program's bytes as the old's.
            self._emit(JobReport(self._job_id, None, execed))
            self._end_job()
        self._emit(ExecFollowed(execed.name))
        self._read_maps(reader, force_rss=True)

    def _step_job(self, reader: MemoryReader) -> None:
        assert self._job is not None
        reader.freeze = self._freeze
        try:
            payload = next(self._job)
        except StopIteration:
            self._job = None
            return
        except (ProcessGone, ProcessExitedDuringRead, ProcessExeced):
            self._job = None
            raise
        except (ReaderError, OSError) as error:
            self._job = None
            self._emit(JobReport(self._job_id, None, error))
            return
        if payload is not None:
            self._emit(JobReport(self._job_id, payload))

    def _run_probe(self, reader: MemoryReader, request: _ProbeRequest) -> None:
        reader.freeze = self._freeze
        try:
            payload = request.probe(reader)
        except (ProcessGone, ProcessExitedDuringRead, ProcessExeced):
            raise
        except (ReaderError, OSError) as error:
            self._emit(ProbeRead(request.key, None, error))
            return
        self._emit(ProbeRead(request.key, payload))

    def _end_job(self) -> None:
        """Close the running job here, on the thread that ran it (its ``finally`` runs)."""
        job, self._job = self._job, None
        if job is not None and hasattr(job, "close"):
            job.close()

    def _read_rows(self, reader: MemoryReader, request: _RowRequest) -> None:
        freeze = self._freeze
        reader.freeze = freeze
        started = time.perf_counter()
        watches = self._watches
        try:
            results = reader.read_many([*request.ranges, *watches])
        except (ProcessGone, ProcessExitedDuringRead, ProcessExeced):
            raise
        except ReaderError as error:
            # e.g. a debugger attached meanwhile: freezing fails, no-stop still works.
            self._emit(SessionFailed(error, fatal=False))
            return
        except OSError as error:
            self._emit(SessionFailed(error, fatal=False))
            return
        self.reads += 1
        seconds = time.perf_counter() - started
        rows, watched = results[: len(request.ranges)], results[len(request.ranges) :]
        self._emit(RowsRead(request.generation, rows, freeze, seconds, watched))

    def _read_maps(self, reader: MemoryReader, force_rss: bool) -> None:
        # An exec changes the maps wholesale: say so first, not as an ordinary change.
        reader.check_address_space()
        # ProcessGone (a zombie too) ends the session in _run.
        task = memory_task(self.pid)
        mappings = read_maps(self.pid)
        rss = None
        now = time.monotonic()
        due = self._rss_read_at is None or now - self._rss_read_at >= self._rss_interval
        if force_rss or due:
            rss = read_smaps_rss(self.pid, task)
            self._rss_read_at = now
        self._emit(MapsRead(mappings, rss, task))


def _open_pidfd(pid: int) -> int | None:
    """A pidfd, which becomes readable when the process exits (not fooled by pid reuse)."""
    try:
        return os.pidfd_open(pid)
    except (OSError, AttributeError):
        return None


def _has_exited(pid: int, pidfd: int | None) -> bool:
    if pidfd is not None:
        readable, _, _ = select.select([pidfd], [], [], 0)
        return bool(readable)
    return not os.path.exists(f"/proc/{pid}")
