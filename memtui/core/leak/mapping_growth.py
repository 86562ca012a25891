"""Which mappings of one process are growing: [heap], anonymous regions, new ones.

Reads /proc/PID/smaps (per-mapping Rss and Swap) at a throttled rate: smaps walks the
page tables of every mapping and formats ~20 lines for each, milliseconds for a big
process, and htop's per-process smaps reads were its main cost (htop #1535). So
``sample(now)`` re-reads only every ``min_interval`` seconds and otherwise returns the
rows of the last read.

A mapping is matched to the one of the window's first read that it overlaps most
(same name), not by its exact range: the kernel moves a mapping's start when it
merges an adjacent anonymous mmap into it, and a glibc arena heap grows by moving
the end of its read-write part. A mapping that overlaps nothing from then is new.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

from memtui.core.process_memory.reader_errors import KernelThread, PermissionDenied, ProcessGone

ANON = "[anon]"


@dataclass(frozen=True, slots=True)
class SmapsRegion:
    """One mapping of /proc/PID/smaps: its range, name and resident + swapped bytes."""

    start: int
    end: int
    perms: str
    name: str
    """The path, a kernel name such as [heap] or [stack], or [anon] when unnamed."""
    rss: int
    swap: int

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def rss_swap(self) -> int:
        return self.rss + self.swap


@dataclass(frozen=True, slots=True)
class MappingGrowth:
    """One mapping's growth since the window's first read (a row of the panel)."""

    start: int
    end: int
    perms: str
    name: str
    rss_swap: int
    """Resident plus swapped bytes now."""
    change: int
    """Bytes of rss_swap gained since the baseline read (negative: shrank)."""
    new: bool
    """Mapped after the baseline read (nothing of the same name overlapped it then)."""
    since: float
    """Seconds between the baseline read and this one."""

    @property
    def rate_per_minute(self) -> float | None:
        return None if self.since <= 0 else self.change * 60.0 / self.since


def _kib(value: bytes) -> int:
    parts = value.split()
    return int(parts[0]) * 1024 if parts and parts[0].isdigit() else 0


def parse_smaps(data: bytes) -> list[SmapsRegion]:
    """Parse the text of /proc/PID/smaps; malformed lines are skipped, never fatal.

    A header line is ``start-end perms offset dev inode [path]``; the lines after it
    are ``Key: value [kB]``. Missing Rss or Swap lines count as 0 (kernels without
    swap support print no Swap line).
    """
    regions: list[SmapsRegion] = []
    header: tuple[int, int, str, str] | None = None
    rss = swap = 0

    def flush() -> None:
        if header is not None:
            regions.append(SmapsRegion(header[0], header[1], header[2], header[3], rss, swap))

    for line in data.split(b"\n"):
        first, _, rest = line.partition(b" ")
        if first.endswith(b":"):
            if first == b"Rss:":
                rss = _kib(rest)
            elif first == b"Swap:":
                swap = _kib(rest)
            continue
        span_start, dash, span_end = first.partition(b"-")
        if not dash:
            continue
        try:
            start, end = int(span_start, 16), int(span_end, 16)
        except ValueError:
            continue
        fields = rest.split(None, 4)
        if len(fields) < 4:
            continue
        flush()
        # Not stripped: a file name may end in a form feed or a space. split() has
        # already taken the kernel's padding off its start.
        path = fields[4].decode("utf-8", "surrogateescape") if len(fields) == 5 else ""
        header = (start, end, fields[0].decode("ascii", "replace"), path or ANON)
        rss = swap = 0
    flush()
    regions.sort(key=lambda region: region.start)
    return regions


def read_smaps(pid: int) -> list[SmapsRegion]:
    """Read and parse /proc/PID/smaps in one binary read.

    Raises ProcessGone, PermissionDenied (with the reason) or KernelThread.
    """
    from memtui.core.process_memory.process_facts import (
        explain_permission_denied,
        read_process_facts,
    )

    try:
        with open(f"/proc/{pid}/smaps", "rb") as file:
            data = file.read()
    except (FileNotFoundError, ProcessLookupError):
        raise ProcessGone(pid) from None
    except PermissionError:
        raise PermissionDenied(pid, explain_permission_denied(pid)) from None
    if not data:
        # No mappings at all: a kernel thread, or a process that is exiting.
        try:
            facts = read_process_facts(pid)
        except OSError:
            raise ProcessGone(pid) from None
        if facts.kernel_thread:
            raise KernelThread(pid, facts.name)
    return parse_smaps(data)


def compare(
    baseline: list[SmapsRegion], current: list[SmapsRegion], since: float
) -> list[MappingGrowth]:
    """Each current mapping against the baseline mappings it overlaps most.

    Both lists sorted by start. Each baseline mapping is credited to one current
    mapping only (the one it overlaps most), so a split does not count it twice.
    Rows are sorted by change, largest growth first.
    """
    starts = [region.start for region in baseline]
    owner: dict[int, tuple[int, int]] = {}  # baseline index -> (overlap, current index)
    for ci, region in enumerate(current):
        bi = max(0, bisect.bisect_right(starts, region.start) - 1)
        while bi < len(baseline) and baseline[bi].start < region.end:
            old = baseline[bi]
            overlap = min(old.end, region.end) - max(old.start, region.start)
            if overlap > 0 and old.name == region.name:
                best = owner.get(bi)
                if best is None or overlap > best[0]:
                    owner[bi] = (overlap, ci)
            bi += 1
    before: dict[int, int] = {}
    for bi, (_, ci) in owner.items():
        before[ci] = before.get(ci, 0) + baseline[bi].rss_swap
    rows = [
        MappingGrowth(
            start=region.start,
            end=region.end,
            perms=region.perms,
            name=region.name,
            rss_swap=region.rss_swap,
            change=region.rss_swap - before.get(ci, 0),
            new=ci not in before,
            since=since,
        )
        for ci, region in enumerate(current)
    ]
    rows.sort(key=lambda row: row.change, reverse=True)
    return rows


class MappingGrowthTracker:
    """The growing mappings of one process over a sliding window.

    ``sample(now)`` from one worker thread; ``now`` is any monotonic clock in seconds.
    """

    def __init__(self, pid: int, *, window: float = 60.0, min_interval: float = 5.0) -> None:
        """
        window: seconds back to the baseline read that changes are measured from.
        min_interval: least seconds between two smaps reads (the throttle).
        """
        self.pid = pid
        self.window = window
        self.min_interval = min_interval
        self._reads: deque[tuple[float, list[SmapsRegion]]] = deque()
        self._rows: list[MappingGrowth] = []

    @property
    def last_read(self) -> float | None:
        return self._reads[-1][0] if self._reads else None

    def sample(self, now: float) -> list[MappingGrowth]:
        """Rows sorted by growth (largest first); reads smaps only when the throttle allows.

        Raises ProcessGone, PermissionDenied or KernelThread from the read.
        """
        last = self.last_read
        if last is not None and now - last < self.min_interval:
            return self._rows
        self._reads.append((now, read_smaps(self.pid)))
        # Keep the newest read at or before the window's start as the baseline.
        while len(self._reads) > 1 and self._reads[1][0] <= now - self.window:
            self._reads.popleft()
        base_at, baseline = self._reads[0]
        self._rows = compare(baseline, self._reads[-1][1], now - base_at)
        return self._rows
