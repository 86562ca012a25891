"""Every live process's memory over time: RSS and swap, tiered like the meminfo history.

Fed with each :class:`ProcessTable` the app (or the recorder, or a replay) takes in;
read by the leak detector (growth over minutes to days), the evidence chart and the
picker's per-process charts. A process is keyed by (pid, start time), so a reused pid
starts a new history instead of continuing an old one. A process that exits loses
its history at once: memory is bounded by the number of live processes.

Values are stored as 4-byte floats (seven significant digits: a byte count of 1 TB
is kept to 64 KiB), half what doubles would cost for hundreds of processes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from memtui.core.processes.process_table import ProcessTable
from memtui.core.raw_span import RawSpan, capacity_for
from memtui.core.tiered_series import DAY, HOUR, SeriesView, TieredSeries

ProcessKey = tuple[int, float]
"""(pid, start time in Unix seconds): one process, across pid reuse."""

PROCESS_TIERS: tuple[tuple[float, float], ...] = ((60.0, 6 * HOUR), (600.0, 7 * DAY))
"""Process samples come every few seconds, so the finest tier is one minute."""
RAW_SPAN = 600.0
"""Seconds of raw process samples kept."""
FASTEST_CADENCE = 2.0
"""The dashboard samples every process every 2 s at the fastest (6 s while nothing
grows): 10 minutes of raw samples is 301 points per process at most. The rings hold
the span at the pace sampled (:meth:`ProcessHistories.set_interval`), so they are full
after 10 minutes at either pace."""

ProcessBucketClosed = Callable[[float, float, dict[ProcessKey, tuple[float, float]]], None]
"""on_bucket(width, bucket time, {process: (mean RSS, mean swap)})."""


@dataclass(slots=True)
class ProcessInfo:
    """What a process is, beside its numbers."""

    pid: int
    start_time: float
    name: str
    cmdline: str
    user: str | None
    first_seen: float
    last_seen: float


class ProcessHistories:
    """RSS and swap per process, at the times of the tables taken in."""

    def __init__(
        self,
        raw_capacity: int = capacity_for(RAW_SPAN, FASTEST_CADENCE),
        tiers: Iterable[tuple[float, float]] = PROCESS_TIERS,
        on_bucket: ProcessBucketClosed | None = None,
    ) -> None:
        levels = tuple(tiers)
        self._on_bucket = on_bucket
        self._pending: dict[float, dict[object, float]] = {}
        keep = self._pending.__setitem__
        self._rss: TieredSeries[ProcessKey] = TieredSeries(
            raw_capacity,
            levels,
            typecode="f",
            on_bucket=(lambda width, _, means: keep(width, means)) if on_bucket else None,
            reserve=False,
        )
        self._swap: TieredSeries[ProcessKey] = TieredSeries(
            raw_capacity,
            levels,
            typecode="f",
            on_bucket=self._combine if on_bucket else None,
            reserve=False,
        )
        self._raw_span = RawSpan(RAW_SPAN, [self._rss, self._swap])
        self.info: dict[ProcessKey, ProcessInfo] = {}
        self.watched_since: float | None = None
        """When watching began: the first table taken in, or a recording's start. A
        process started after it has its whole life in the history."""

    def set_interval(self, interval: float) -> None:
        """Tables come every ``interval`` seconds from now on: hold RAW_SPAN of them
        (:class:`RawSpan`)."""
        self._raw_span.set_interval(interval)

    @property
    def raw_capacity(self) -> int:
        return self._raw_span.capacity

    def _combine(self, width: float, at: float, swap: dict[object, float]) -> None:
        # RSS is appended before swap, so its means for this bucket are waiting.
        assert self._on_bucket is not None
        rss = self._pending.pop(width, {})
        means: dict[ProcessKey, tuple[float, float]] = {
            key: (value, swap.get(key, math.nan))  # type: ignore[misc]
            for key, value in rss.items()
        }
        self._on_bucket(width, at, means)

    @property
    def version(self) -> int:
        return self._rss.version

    @property
    def latest_time(self) -> float | None:
        return self._rss.latest_time

    @property
    def first_time(self) -> float | None:
        return self._rss.first_time

    def __len__(self) -> int:
        """Processes with a history."""
        return len(self.info)

    def add_table(self, table: ProcessTable, at: float | None = None) -> None:
        """Take in one table; ``at`` is its wall-clock time (default: ``table.taken_at``)."""
        now = table.taken_at if at is None else at
        latest = self._rss.latest_time
        if latest is not None and now <= latest:
            return  # the same table twice, or a clock that went back
        if self.watched_since is None:
            self.watched_since = now
        rss: dict[ProcessKey, float] = {}
        swap: dict[ProcessKey, float] = {}
        for row in table.rows:
            if row.rss is None:
                continue  # kernel threads, zombies, unreadable: nothing to keep
            key = (row.pid, row.create_time)
            rss[key] = float(row.rss)
            swap[key] = float(row.swap or 0)
            info = self.info.get(key)
            if info is None:
                self.info[key] = ProcessInfo(
                    row.pid, row.create_time, row.name, row.cmdline, row.user, now, now
                )
            else:
                info.last_seen = now
                info.name = row.name or info.name
                info.cmdline = row.cmdline or info.cmdline
        self.add_values(now, rss, swap)

    def add_values(
        self,
        at: float,
        rss: dict[ProcessKey, float],
        swap: dict[ProcessKey, float],
        infos: Iterable[ProcessInfo] = (),
        *,
        keep_gone: bool = False,
    ) -> None:
        """Take in one sample of every live process. Processes missing from it have
        exited and are forgotten, unless ``keep_gone`` (a replay's page, which also
        holds what came after its cursor: a process that exits later must still be
        there at the cursor; the page bounds the memory)."""
        for info in infos:
            self.info[(info.pid, info.start_time)] = info
        if not keep_gone:
            for gone in [key for key in self.info if key not in rss]:
                self.remove(gone)
        self._rss.append(at, rss)
        self._swap.append(at, swap)
        self._raw_span.appended()

    def extend_recorded(
        self,
        times: list[float],
        rss: list[dict[ProcessKey, float]],
        swap: list[dict[ProcessKey, float]],
        infos: Iterable[ProcessInfo] = (),
    ) -> None:
        """As ``add_values(..., keep_gone=True)`` for each sample of a replay's page,
        in bulk (see :meth:`TieredSeries.extend`)."""
        for info in infos:
            self.info[(info.pid, info.start_time)] = info
        self._rss.extend(times, _columns(rss))
        self._swap.extend(times, _columns(swap))
        self._raw_span.appended(len(times))

    def remove(self, key: ProcessKey) -> None:
        self.info.pop(key, None)
        self._rss.remove_column(key)
        self._swap.remove_column(key)

    def load_tier(
        self,
        width: float,
        times: list[float],
        rss: dict[ProcessKey, list[float]],
        swap: dict[ProcessKey, list[float]],
        infos: Iterable[ProcessInfo],
    ) -> None:
        """Stored bucket means of RSS and swap (a replay), before any sample."""
        for info in infos:
            self.info[(info.pid, info.start_time)] = info
        self._rss.load_tier(width, times, rss)
        self._swap.load_tier(width, times, swap)

    def identities(self) -> list[ProcessKey]:
        return list(self.info)

    def newest(self, pid: int) -> ProcessKey | None:
        """The newest process with this pid."""
        keys = [key for key in self.info if key[0] == pid]
        return max(keys, key=lambda key: key[1]) if keys else None

    def growth_series(
        self,
        key: ProcessKey,
        start: float,
        end: float | None = None,
        *,
        complete_only: bool = False,
    ) -> tuple[list[float], list[float]]:
        """(times, RSS+swap) of one process from ``start`` to ``end``; NaN-free."""
        times, rss = self._rss.series(key, start, end, complete_only=complete_only)
        _, swap = self._swap.series(key, start, end, complete_only=complete_only)
        points = [
            (t, r + (0.0 if math.isnan(s) else s))
            for t, r, s in zip(times, rss, swap, strict=True)
            if not math.isnan(r)
        ]
        return [t for t, _ in points], [v for _, v in points]

    def memory_series(
        self, key: ProcessKey, start: float, end: float | None = None
    ) -> tuple[list[float], list[float], list[float]]:
        """(times, RSS, swap) of one process, NaN where not sampled."""
        times, rss = self._rss.series(key, start, end)
        _, swap = self._swap.series(key, start, end)
        return times, rss, swap

    def views(
        self, start: float, end: float | None = None, *, complete_only: bool = False
    ) -> tuple[SeriesView[ProcessKey], SeriesView[ProcessKey]] | None:
        """RSS and swap of every process over one stretch of time (for ranking)."""
        rss = self._rss.view(start, end, complete_only=complete_only)
        swap = self._swap.view(start, end, complete_only=complete_only)
        if rss is None or swap is None:
            return None
        return rss, swap

    def memory_bytes(self) -> int:
        return self._rss.memory_bytes() + self._swap.memory_bytes()


def _columns(samples: list[dict[ProcessKey, float]]) -> dict[ProcessKey, list[float]]:
    """Samples of processes as one list per process, NaN where it is absent, in order
    of first appearance (the order ``append`` would add the columns in)."""
    keys: dict[ProcessKey, None] = {}
    for sample in samples:
        keys.update(dict.fromkeys(sample))
    nan = math.nan
    return {key: [sample.get(key, nan) for sample in samples] for key in keys}
