"""Every process on the machine, one immutable snapshot per ``sample()``: the picker's data.

The picker (issue 3) renders these rows; the leak attribution (issue 5) uses the same
measure of growth: the history and its least-squares fit are of RSS plus swap, so
pages that a leak's own pressure pushes out to swap do not read as memory freed.
Nothing here imports Textual: the sampler runs in a worker thread and the UI only
draws what it returns.

A value that cannot be read is ``None`` with a reason (``row.reason("pss")``), never
0: a fake 0 reads as "uses no memory" and sorts such processes to the bottom, which
is exactly wrong (htop #1704).

Cost, measured with bench/bench_process_table.py (see docs/performance.md): psutil
reads /proc/PID/stat and /proc/PID/cmdline; we read /proc/PID/status ourselves once
for the uid, VmRSS, VmSwap and the Kthread flag. psutil has no public call for
VmSwap, and its ``memory_full_info`` reads smaps_rollup (about as costly again as
everything else together for 1,000 processes). Taking uid and RSS from the same
status read saves psutil's own status read (``uids``/``username``, +19 ms per 1,000
processes) and its statm read (``memory_info``, +11 ms per 1,000), and makes RSS and
swap one consistent reading.

PSS and USS come from /proc/PID/smaps_rollup, which walks the page tables of the
whole address space: ~50 us for a small process, milliseconds for a big one. So it is
throttled: each pid is re-read at most every ``pss_max_age`` seconds, at most
``pss_budget`` pids per sample (first due, first read), except the pids the UI ``watch()``es
(the rows on screen, the selected process), which are read every sample. We read
the file ourselves instead of via psutil's ``memory_full_info``: when smaps_rollup
fails psutil falls back to the full smaps (far slower), and for a kernel thread,
whose smaps is empty, it returns PSS 0 (checked: ``Process(2).memory_full_info()``).
"""

from __future__ import annotations

import heapq
import math
import os
import pwd
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from memtui.core.meminfo.stats import linear_fit
from memtui.core.process_memory.process_facts import PF_KTHREAD

if TYPE_CHECKING:
    import psutil

# Column keys the UI can sort by; each names a ProcessRow field.
SORT_KEYS: Final = (
    "pid",
    "user",
    "name",
    "cmdline",
    "state",
    "rss",
    "swap",
    "rss_growth",
    "pss",
    "uss",
    "cpu_percent",
    "cpu_time",
    "ppid",
)

KERNEL_THREAD_REASON: Final = "kernel thread: no user memory"
ZOMBIE_REASON: Final = "zombie: its memory is already freed"
NO_MM_REASON: Final = "exiting: its memory is already released"
GONE_REASON: Final = "process exited"
PSS_PENDING_REASON: Final = "not read yet (smaps_rollup is read at a throttled rate)"
NOT_FITTED_REASON: Final = "not fitted by this sampler"

CPU_PENDING_REASON: Final = "needs two samples: CPU% is the CPU time used between them"
NO_CPU_REASON: Final = "/proc/PID/stat unreadable"

# cpu_times comes from the same /proc/PID/stat read as name, status and create_time
# (psutil parses it once per process under process_iter's oneshot). Its ppid would
# read stat again (counted: 143 processes, 237 stat reads without it, 380 with), so
# the parent comes from our own status read instead.
_PSUTIL_ATTRS: Final = ["pid", "name", "cmdline", "status", "create_time", "cpu_times"]


@dataclass(frozen=True, slots=True)
class ProcessRow:
    """One process at one sample. Sizes in bytes; ``None`` means unknown, see ``reason``."""

    pid: int
    create_time: float
    """Seconds since the epoch; with ``pid`` it identifies a process across pid reuse."""
    user: str | None
    uid: int | None
    name: str
    cmdline: str
    """Arguments joined by spaces; empty for kernel threads and zombies."""
    state: str
    """psutil's status: "running", "sleeping", "disk-sleep", "zombie", "idle", ..."""
    rss: int | None
    swap: int | None
    rss_growth: float | None
    """Least-squares slope of RSS plus swap over the growth window, in bytes per minute
    (swap counts so that memory pushed out to swap does not read as freed)."""
    pss: int | None
    uss: int | None
    pss_read_at: float | None
    """The sampler clock when ``pss``/``uss`` were read (they lag ``rss`` by design)."""
    is_kernel_thread: bool
    """Kernel threads have no user memory, so they are listed but cannot be opened."""
    reasons: tuple[tuple[str, str], ...] = ()
    """(column, why it is None) pairs; read them with ``reason()``."""
    ppid: int | None = None
    """The parent's pid (0 for init and kthreadd), for the tree view."""
    cpu_time: float | None = None
    """User plus system CPU seconds the process has used, as htop's TIME+."""
    cpu_percent: float | None = None
    """CPU time used between this sample and the previous one over the time between
    them, in % of one CPU (so up to 100 times the CPU count), as htop's CPU%."""

    def reason(self, column: str) -> str | None:
        """Why ``column`` is None in this row, or None if it has a value."""
        for key, why in self.reasons:
            if key == column:
                return why
        return None


@dataclass(frozen=True, slots=True)
class ProcessTable:
    """Every process at one instant, in pid order."""

    taken_at: float
    """The sampler clock (monotonic seconds unless the caller passed ``now``)."""
    rows: tuple[ProcessRow, ...]

    def find(self, pid: int) -> ProcessRow | None:
        for row in self.rows:
            if row.pid == pid:
                return row
        return None


@dataclass(frozen=True, slots=True)
class GrowthFit:
    """A straight line through a history of (time, bytes) samples."""

    rate_per_minute: float
    """Bytes per minute."""
    r_squared: float
    """1 for a steady climb, near 0 for churn; 0 when the values did not change."""
    span: float
    """Seconds between the first and last sample used."""
    points: int


def fit_growth(history: Sequence[tuple[float, int]]) -> GrowthFit | None:
    """Least-squares growth of a (timestamp, bytes) history; None with under two points.

    A slope rather than last-minus-first, so a single spike at either end of the
    window does not read as a trend (the same fit as the meminfo rates).
    """
    if len(history) < 2:
        return None
    xs = [t for t, _ in history]
    ys = [float(v) for _, v in history]
    slope_per_second, r_squared = linear_fit(xs, ys)
    return GrowthFit(slope_per_second * 60.0, r_squared, xs[-1] - xs[0], len(xs))


class _RssHistory:
    """A bounded (time, rss + swap) history of one process, flat in two arrays.

    The points are kept at least ``spacing`` seconds apart by overwriting the newest
    one until it is old enough to keep: the history then spans the whole window with
    ``capacity`` points whatever the sampling interval, and its memory is fixed.
    """

    __slots__ = ("_times", "_values")

    def __init__(self) -> None:
        self._times = array("d")
        self._values = array("q")

    def add(self, now: float, rss: int, spacing: float, window: float, capacity: int) -> None:
        times, values = self._times, self._values
        if times and now <= times[-1]:
            # A repeated ``now`` (or a clock that went back) updates the newest point
            # rather than adding one out of order, which would skew the spacing.
            values[-1] = rss
            return
        if len(times) >= 2 and times[-1] - times[-2] < spacing:
            times[-1] = now
            values[-1] = rss
        else:
            times.append(now)
            values.append(rss)
        cut = 0
        while cut < len(times) - 1 and (times[cut] < now - window or len(times) - cut > capacity):
            cut += 1
        if cut:
            del times[:cut]
            del values[:cut]

    def points(self) -> tuple[tuple[float, int], ...]:
        return tuple(zip(self._times, self._values, strict=True))


@dataclass(slots=True)
class _PssReading:
    read_at: float
    pss: int | None
    uss: int | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class StatusFields:
    """What one read of /proc/PID/status tells the table."""

    uid: int | None
    rss: int | None
    swap: int | None
    is_kernel_thread: bool
    ppid: int | None = None


def _kib(value: bytes) -> int | None:
    # b"\t    1672 kB" -> bytes
    parts = value.split()
    if not parts or not parts[0].isdigit():
        return None
    return int(parts[0]) * 1024


def read_proc_file(path: str) -> bytes:
    """The whole of a /proc file through os.open/os.read: a third cheaper per file than
    ``open().read()``, whose buffered file object costs more than the read of a small
    file like status (measured: 1.0 against 1.5 ms for 90 processes' status)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        # Until EOF: seq_file may answer a read short of its size.
        chunks = []
        while chunk := os.read(fd, 8192):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _read_status(pid: int) -> StatusFields | None:
    """uid, VmRSS, VmSwap and the kernel-thread flag from one read; None if the pid is gone."""
    try:
        data = read_proc_file(f"/proc/{pid}/status")
    except (FileNotFoundError, ProcessLookupError):
        return None
    except PermissionError:
        # hidepid=1 hides everything about other users' processes.
        return StatusFields(uid=None, rss=None, swap=None, is_kernel_thread=False)
    return parse_status(data)


def _field(data: bytes, key: bytes) -> bytes | None:
    """The value after ``key`` (e.g. b"\\nVmRSS:") up to the end of its line."""
    start = data.find(key)
    if start < 0:
        return None
    start += len(key)
    end = data.find(b"\n", start)
    return data[start:] if end < 0 else data[start:end]


def _kib_field(data: bytes, key: bytes) -> int | None:
    value = _field(data, key)
    return None if value is None else _kib(value)


def parse_status(data: bytes) -> StatusFields:
    """The fields we need from the text of /proc/PID/status."""
    # Five find()s instead of a loop over ~55 lines: the per-line loop was half the
    # cost of a sample (profiled with 1,000 processes).
    data = b"\n" + data
    uid_text = _field(data, b"\nUid:")
    uid_fields = uid_text.split() if uid_text is not None else []
    uid = int(uid_fields[0]) if uid_fields and uid_fields[0].isdigit() else None
    kthread_text = _field(data, b"\nKthread:")
    # Before Linux 6.12 status has no Kthread line. Only processes without an mm lack
    # the Vm* lines: kernel threads, zombies and processes mid-exit; the caller tells
    # zombies apart by their state.
    kthread = kthread_text.strip() == b"1" if kthread_text is not None else b"\nVm" not in data
    ppid_text = _field(data, b"\nPPid:")
    ppid = ppid_text.strip() if ppid_text is not None else b""
    return StatusFields(
        uid=uid,
        rss=_kib_field(data, b"\nVmRSS:"),
        swap=_kib_field(data, b"\nVmSwap:"),
        is_kernel_thread=kthread,
        ppid=int(ppid) if ppid.isdigit() else None,
    )


# psutil's names for the state letters of /proc/PID/stat (psutil/_pslinux.py), as
# strings: psutil itself (6-10 ms of imports) waits for the first process read, which
# comes after the dashboard's first frame. A test checks them against psutil's.
_ZOMBIE: Final = "zombie"
_STATES: Final = {
    b"R": "running",
    b"S": "sleeping",
    b"D": "disk-sleep",
    b"T": "stopped",
    b"t": "tracing-stop",
    b"Z": _ZOMBIE,
    b"X": "dead",
    b"x": "dead",
    b"K": "wake-kill",  # psutil._common.STATUS_WAKE_KILL, not exported
    b"W": "waking",
    b"I": "idle",
    b"P": "parked",
}
_COMM_MAX = 15
"""The kernel cuts a process's comm to 15 bytes (TASK_COMM_LEN - 1)."""


def _read_stat(pid: int, boot_time: float, ticks: int) -> dict[str, object] | None:
    """What psutil's process_iter gives for pid, name, status, create_time and
    cpu_times, from one read of /proc/PID/stat; None if the pid is gone."""
    try:
        data = read_proc_file(f"/proc/{pid}/stat")
    except OSError:
        return None
    # The comm sits in parentheses and may itself hold ") ": split at the last one.
    head, _, tail = data.rpartition(b")")
    fields = tail.split()
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    return {
        "pid": pid,
        "name": os.fsdecode(head.partition(b"(")[2]),
        "status": _STATES.get(fields[0], "?"),
        "create_time": boot_time + int(fields[19]) / ticks,
        "cpu_times": (int(fields[11]) / ticks, int(fields[12]) / ticks),
        "kernel_thread": bool(int(fields[6]) & PF_KTHREAD),
    }


def _read_smaps_rollup(pid: int) -> tuple[int | None, int | None, str | None]:
    """(pss, uss, None) or (None, None, why). Raises PermissionError for the caller."""
    try:
        data = read_proc_file(f"/proc/{pid}/smaps_rollup")
    except (FileNotFoundError, ProcessLookupError):
        # ESRCH: the process has no mm any more (it exited or is exiting).
        return None, None, GONE_REASON
    except PermissionError:
        raise
    except OSError as error:
        return None, None, f"smaps_rollup unreadable: {error.strerror}"
    pss: int | None = None
    uss = 0
    for line in data.split(b"\n"):
        if line.startswith(b"Pss:"):
            pss = _kib(line[4:])
        elif line.startswith(b"Private_"):
            # Private_Clean + Private_Dirty + Private_Hugetlb, as psutil counts USS.
            uss += _kib(line.split(b":", 1)[-1]) or 0
    if pss is None:
        return None, None, "smaps_rollup has no Pss line"
    return pss, uss, None


class ProcessSource(Protocol):
    """What the picker samples: the live machine, or a recording at the time cursor."""

    def watch(self, pids: Iterable[int]) -> None: ...

    def sample(self, now: float | None = None) -> ProcessTable: ...


class ProcessTableSampler:
    """Samples every process; call ``sample()`` from one worker thread at a time.

    ``watch()`` may be called from any thread (the UI thread) to name the pids whose
    PSS/USS must be fresh every sample.
    """

    def __init__(
        self,
        *,
        growth_window: float = 60.0,
        growth_min_span: float = 5.0,
        history_points: int = 32,
        pss_max_age: float = 10.0,
        pss_budget: int = 100,
        with_cmdline: bool = True,
        cmdline_once: bool = False,
        with_cpu: bool = True,
        read_stat_directly: bool = False,
        with_kernel_threads: bool = True,
        with_growth: bool = True,
        watched_pss_max_age: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        growth_window: seconds of RSS history the growth rate is fitted over.
        growth_min_span: seconds of history needed before a rate is given.
        history_points: points kept per process (memory per process is fixed by it).
        pss_max_age: seconds after which a pid's PSS/USS is due to be re-read.
        pss_budget: most smaps_rollup reads per sample for unwatched pids;
            0 turns the background reads off.
        with_cmdline: read each process's command line; the leak attribution needs
            only names, and skipping /proc/PID/cmdline makes a sample about a third
            cheaper (rows then have an empty ``cmdline``).
        with_cpu: give CPU%, TIME+ and the parent pid (the picker's columns and
            tree); off, rows have None there and psutil builds two fewer fields.
        read_stat_directly: list /proc and read each /proc/PID/stat ourselves
            instead of through psutil's process_iter (the exporter's hot path:
            psutil's Process objects and oneshot caches cost more than the read,
            measured in docs/performance.md); needs ``with_cmdline=False``.
        with_kernel_threads: off, kernel threads are left out of the table, told
            apart by the flags of the stat already read, so their status is not
            read (over half of a quiet machine's processes, and no memory to
            attribute); needs ``read_stat_directly``.
        with_growth: off, no (time, RSS) history and growth fit per process: rows
            have None for ``rss_growth`` (the leak attribution fits its own).
        watched_pss_max_age: seconds a watched pid's PSS/USS may be old (0: read
            every sample).
        """
        if growth_window <= 0 or history_points < 2:
            raise ValueError("growth_window must be positive and history_points at least 2")
        if read_stat_directly and with_cmdline:
            raise ValueError("read_stat_directly reads no cmdline: pass with_cmdline=False")
        if not with_kernel_threads and not read_stat_directly:
            raise ValueError("leaving kernel threads out needs read_stat_directly")
        self._with_kernel_threads = with_kernel_threads
        self._with_growth = with_growth
        self._read_stat_directly = read_stat_directly
        self._watched_pss_max_age = watched_pss_max_age
        self._boot_time: float | None = None
        """psutil.boot_time(), read at the first sample that needs it."""
        self._ticks = os.sysconf("SC_CLK_TCK")
        self._long_names: dict[tuple[int, float], str] = {}
        self._window = growth_window
        self._min_span = growth_min_span
        self._capacity = history_points
        self._spacing = growth_window / (history_points - 1)
        self._pss_max_age = pss_max_age
        self._pss_budget = max(0, pss_budget)
        self._attrs = [
            a
            for a in _PSUTIL_ATTRS
            if ((with_cmdline and not cmdline_once) or a != "cmdline")
            and (with_cpu or a != "cpu_times")
        ]
        self._with_cpu = with_cpu
        # cmdline_once: a process's command line is read when it is first seen and
        # kept (it rarely changes; the recorder stores it once anyway), which saves
        # a /proc/PID/cmdline read per process per sample.
        self._cmdline_once = with_cmdline and cmdline_once
        self._cmdlines: dict[tuple[int, float], list[str]] = {}
        self._clock = clock
        self._histories: dict[tuple[int, float], _RssHistory] = {}
        self._pss: dict[tuple[int, float], _PssReading] = {}
        self._first_seen: dict[tuple[int, float], float] = {}
        self._cpu: dict[tuple[int, float], tuple[float, float]] = {}
        """(sampler clock, CPU seconds) of each process at its previous sample."""
        self._users: dict[int, str] = {}
        self._watched: frozenset[int] = frozenset()
        self._lock = threading.Lock()
        self._euid = os.geteuid()

    def watch(self, pids: Iterable[int]) -> None:
        """Keep these pids' PSS/USS fresh every sample (the rows on screen, the selection).

        Keep it to what is visible: each one costs a smaps_rollup read per sample.
        """
        # One reference assignment: atomic under the GIL, so no lock with sample().
        self._watched = frozenset(pids)

    def history(self, pid: int) -> tuple[tuple[float, int], ...]:
        """The (time, rss + swap) points of the newest process with this pid, oldest first."""
        with self._lock:
            keys = [key for key in self._histories if key[0] == pid]
            if not keys:
                return ()
            return self._histories[max(keys, key=lambda key: key[1])].points()

    def tracked(self) -> int:
        """How many processes have a history; histories of exited processes are dropped."""
        with self._lock:
            return len(self._histories)

    def sample(self, now: float | None = None) -> ProcessTable:
        """Read every process. ``now`` overrides the clock, so tests need not wait."""
        with self._lock:
            return self._sample(self._clock() if now is None else now)

    def _cmdline(self, proc: psutil.Process, key: tuple[int, float]) -> list[str]:
        import psutil

        cached = self._cmdlines.get(key)
        if cached is None:
            try:
                cached = proc.cmdline()
            except (psutil.Error, OSError):
                cached = []
            self._cmdlines[key] = cached
        return cached

    def _user(self, uid: int | None) -> str | None:
        if uid is None:
            return None
        name = self._users.get(uid)
        if name is None:
            # getpwuid may read /etc/passwd each call (5 us); uids are few, so cache.
            try:
                name = pwd.getpwuid(uid).pw_name
            except KeyError:
                name = str(uid)
            self._users[uid] = name
        return name

    def _processes(self) -> Iterator[tuple[int, psutil.Process | None, dict[str, object]]]:
        import psutil

        if not self._read_stat_directly:
            for proc in psutil.process_iter(self._attrs):
                yield proc.pid, proc, proc.info
            return
        if self._boot_time is None:
            self._boot_time = psutil.boot_time()
        boot_time = self._boot_time
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                pid = int(entry)
                info = _read_stat(pid, boot_time, self._ticks)
                if info is not None:
                    yield pid, None, info

    def _whole_name(self, key: tuple[int, float], comm: str) -> str:
        """The name past the kernel's 15-byte cut, as psutil's ``name()`` makes it:
        the basename of argv[0] when it starts with the comm. Read once per process."""
        name = self._long_names.get(key)
        if name is None:
            name = comm
            try:
                with open(f"/proc/{key[0]}/cmdline", "rb") as f:
                    first = f.read().split(b"\0", 1)[0]
            except OSError:
                first = b""
            whole = os.fsdecode(os.path.basename(first))
            if whole.startswith(comm):
                name = whole
            self._long_names[key] = name
        return name

    def _sample(self, now: float) -> ProcessTable:
        seen: list[tuple[tuple[int, float], dict[str, object], StatusFields]] = []
        for pid, proc, info in self._processes():
            if not self._with_kernel_threads and info.get("kernel_thread"):
                continue
            status = _read_status(pid)
            if status is None:
                continue  # exited between the stat read and ours
            create_time = info.get("create_time")
            key = (pid, float(create_time) if isinstance(create_time, float) else 0.0)
            if self._cmdline_once and proc is not None:
                info["cmdline"] = self._cmdline(proc, key)
            name = info.get("name")
            if proc is None and isinstance(name, str) and len(name.encode()) >= _COMM_MAX:
                info["name"] = self._whole_name(key, name)
            seen.append((key, info, status))

        alive = {key for key, _, _ in seen}
        for stale in self._cmdlines.keys() - alive:
            del self._cmdlines[stale]
        for stale in self._long_names.keys() - alive:
            del self._long_names[stale]
        # Drop exited processes (and old incarnations of reused pids) so memory
        # stays bounded by the live process count.
        for stale in self._histories.keys() - alive:
            del self._histories[stale]
        for stale in self._pss.keys() - alive:
            del self._pss[stale]
        for stale in self._first_seen.keys() - alive:
            del self._first_seen[stale]
        for stale in self._cpu.keys() - alive:
            del self._cpu[stale]

        self._refresh_pss(now, seen)

        rows = []
        for key, info, status in seen:
            rows.append(self._row(now, key, info, status))
        return ProcessTable(taken_at=now, rows=tuple(rows))

    def _refresh_pss(
        self, now: float, seen: list[tuple[tuple[int, float], dict[str, object], StatusFields]]
    ) -> None:
        watched = self._watched
        due: list[tuple[tuple[float, float], tuple[int, float], StatusFields]] = []
        for key, info, status in seen:
            zombie = info.get("status") == _ZOMBIE
            if status.is_kernel_thread or status.rss is None or zombie:
                continue
            previous = self._pss.get(key)
            if key[0] in watched:
                if previous is None or now - previous.read_at >= self._watched_pss_max_age:
                    self._read_pss(now, key, status)
                continue
            # Queue by the time each pid fell due; a new pid is due from when it was
            # first seen. First come, first read: with more due than the budget, a
            # burst of new processes cannot starve the old ones, nor the reverse.
            due_since = (
                self._first_seen.setdefault(key, now)
                if previous is None
                else previous.read_at + self._pss_max_age
            )
            if due_since <= now:
                # Ties (same due time) go to the pid read longest ago, never-read first.
                last_read = -math.inf if previous is None else previous.read_at
                due.append(((due_since, last_read), key, status))
        for _, key, status in heapq.nsmallest(self._pss_budget, due, key=lambda d: d[0]):
            self._read_pss(now, key, status)

    def _read_pss(self, now: float, key: tuple[int, float], status: StatusFields) -> None:
        try:
            pss, uss, why = _read_smaps_rollup(key[0])
        except PermissionError:
            pss, uss, why = None, None, self._permission_reason(status.uid)
        self._pss[key] = _PssReading(now, pss, uss, why)
        self._first_seen.pop(key, None)

    def _permission_reason(self, uid: int | None) -> str:
        if uid is not None and uid != self._euid:
            return f"permission denied: owned by user {self._user(uid)}"
        # Same owner yet refused: set-uid or otherwise not dumpable, or a ptrace rule.
        return "permission denied: process is not dumpable or ptrace is restricted"

    def _row(
        self, now: float, key: tuple[int, float], info: Mapping[str, object], status: StatusFields
    ) -> ProcessRow:
        pid = key[0]
        state = str(info.get("status") or "unknown")
        cmdline_parts = info.get("cmdline")
        cmdline = " ".join(cmdline_parts) if isinstance(cmdline_parts, list) else ""
        reasons: list[tuple[str, str]] = []
        user = self._user(status.uid)
        if user is None:
            reasons.append(("user", "permission denied: /proc/PID/status unreadable"))

        rss, swap = status.rss, status.swap
        memory_reason: str | None = None
        if state == _ZOMBIE:
            rss = swap = None
            memory_reason = ZOMBIE_REASON
        elif status.is_kernel_thread:
            rss = swap = None
            memory_reason = KERNEL_THREAD_REASON
        elif rss is None and status.uid is None:
            memory_reason = "permission denied: /proc/PID/status unreadable"
        elif rss is None:
            memory_reason = NO_MM_REASON
        if memory_reason is not None:
            reasons.append(("rss", memory_reason))
        if swap is None:
            reasons.append(("swap", memory_reason or "VmSwap not reported (no swap support)"))

        growth: float | None = None
        if not self._with_growth:
            reasons.append(("rss_growth", NOT_FITTED_REASON))
        elif rss is not None:
            history = self._histories.get(key)
            if history is None:
                history = self._histories[key] = _RssHistory()
            history.add(now, rss + (swap or 0), self._spacing, self._window, self._capacity)
            points = history.points()
            span = points[-1][0] - points[0][0]
            fit = fit_growth(points) if span >= self._min_span else None
            if fit is None:
                reasons.append(
                    (
                        "rss_growth",
                        f"collecting history: {span:.0f} s of {self._min_span:.0f} s",
                    )
                )
            else:
                growth = fit.rate_per_minute
        else:
            self._histories.pop(key, None)
            reasons.append(("rss_growth", memory_reason or "RSS unknown"))

        pss: int | None = None
        uss: int | None = None
        pss_read_at: float | None = None
        if memory_reason is not None:
            reasons.append(("pss", memory_reason))
            reasons.append(("uss", memory_reason))
        else:
            reading = self._pss.get(key)
            if reading is None:
                reasons.append(("pss", PSS_PENDING_REASON))
                reasons.append(("uss", PSS_PENDING_REASON))
            else:
                pss, uss = reading.pss, reading.uss
                pss_read_at = reading.read_at if pss is not None else None
                if reading.reason is not None:
                    reasons.append(("pss", reading.reason))
                    reasons.append(("uss", reading.reason))

        cpu_time: float | None = None
        cpu_percent: float | None = None
        if self._with_cpu:
            cpu_time, cpu_percent = self._cpu_use(now, key, info.get("cpu_times"), reasons)
        name = info.get("name")
        return ProcessRow(
            pid=pid,
            create_time=key[1],
            user=user,
            uid=status.uid,
            name=name if isinstance(name, str) else "",
            cmdline=cmdline,
            state=state,
            rss=rss,
            swap=swap,
            rss_growth=growth,
            pss=pss,
            uss=uss,
            pss_read_at=pss_read_at,
            is_kernel_thread=status.is_kernel_thread and state != _ZOMBIE,
            reasons=tuple(reasons),
            ppid=status.ppid if self._with_cpu else None,
            cpu_time=cpu_time,
            cpu_percent=cpu_percent,
        )

    def _cpu_use(
        self, now: float, key: tuple[int, float], times: object, reasons: list[tuple[str, str]]
    ) -> tuple[float | None, float | None]:
        """TIME+ and CPU% from psutil's cpu_times; the sample before is kept per process."""
        if not isinstance(times, tuple) or len(times) < 2:
            reasons += [("cpu_time", NO_CPU_REASON), ("cpu_percent", NO_CPU_REASON)]
            return None, None
        used = float(times[0]) + float(times[1])
        previous = self._cpu.get(key)
        self._cpu[key] = (now, used)
        if previous is None or now <= previous[0]:
            reasons.append(("cpu_percent", CPU_PENDING_REASON))
            return used, None
        return used, max(0.0, used - previous[1]) / (now - previous[0]) * 100.0


def attribution_sampler() -> ProcessTableSampler:
    """The leak attribution's sampler: names and RSS+swap only. No command lines and
    no smaps_rollup reads; /proc/PID/stat read directly (psutil's listing cost twice
    as much, and read the command line of every long name again at every sample);
    kernel threads (no memory) left out unread; no growth fits (the attribution fits
    its own)."""
    return ProcessTableSampler(
        pss_budget=0,
        with_cmdline=False,
        with_cpu=False,
        read_stat_directly=True,
        with_kernel_threads=False,
        with_growth=False,
    )


def row_matches(row: ProcessRow, query: str) -> bool:
    """Whether ``query`` (already stripped and casefolded) is in the row's name, command
    line or user, or starts its pid when it is a number."""
    return (
        query in row.name.casefold()
        or query in row.cmdline.casefold()
        or (row.user is not None and query in row.user.casefold())
        or (query.isdigit() and str(row.pid).startswith(query))
    )


def filter_rows(rows: Iterable[ProcessRow], query: str) -> tuple[ProcessRow, ...]:
    """The rows whose name, command line or user contain ``query`` (case-insensitive).

    A numeric query also matches pids that start with it, so typing a pid narrows to
    it as you type. An empty query keeps every row.
    """
    needle = query.strip().casefold()
    if not needle:
        return tuple(rows)
    return tuple(row for row in rows if row_matches(row, needle))


def find_row(rows: Sequence[ProcessRow], query: str, start: int) -> int | None:
    """The index of the first row from ``start`` on (wrapping round) that matches
    ``query`` as ``filter_rows`` does: htop's incremental search (F3)."""
    needle = query.strip().casefold()
    if not needle or not rows:
        return None
    for offset in range(len(rows)):
        index = (start + offset) % len(rows)
        if row_matches(rows[index], needle):
            return index
    return None


def sort_rows(
    rows: Iterable[ProcessRow], key: str, *, descending: bool = False
) -> tuple[ProcessRow, ...]:
    """Rows sorted by the column ``key`` (one of SORT_KEYS), ties by pid.

    Unknown (None) values go last in both directions: an unreadable PSS is not the
    smallest or the largest, and must not crowd the top of a "biggest first" list.
    """
    if key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {key!r}; expected one of {', '.join(SORT_KEYS)}")
    known: list[ProcessRow] = []
    unknown: list[ProcessRow] = []
    for row in rows:
        (unknown if getattr(row, key) is None else known).append(row)
    by_pid = sorted(known, key=lambda row: row.pid)
    if key in ("user", "name", "cmdline", "state"):
        by_pid.sort(key=lambda row: str(getattr(row, key)).casefold(), reverse=descending)
    else:
        by_pid.sort(key=lambda row: getattr(row, key), reverse=descending)
    unknown.sort(key=lambda row: row.pid)
    return (*by_pid, *unknown)
