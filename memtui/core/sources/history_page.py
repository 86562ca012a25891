"""A stretch of recorded time, in the shape the model reads: what a time-travel source
(a recording store, later a Prometheus server) hands the model for its time cursor.

A page holds every sample around the cursor and the stored bucket means of the days
before, so the charts, the leak verdict's long fits and the picker can all be drawn
for any moment the page covers without another read. Built on a worker thread and
never changed after, so the UI thread may read it while the next page is built.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.meminfo.stats import linear_fit
from memtui.core.processes.process_history import ProcessHistories, ProcessInfo
from memtui.core.processes.process_table import ProcessRow, ProcessTable

RECORDED_STATE = "recorded"
"""The state a replayed process shows: the store keeps memory, not scheduling."""
NOT_RECORDED = "not in the recording"


@dataclass(frozen=True, slots=True)
class RecordedSample:
    """One stored process sample: RSS and swap in bytes per process."""

    t: float
    memory: dict[tuple[int, float], tuple[int, int]]


@dataclass
class HistoryPage:
    history: MeminfoHistory
    processes: ProcessHistories
    raw_from: float
    """The page holds every sample from here..."""
    raw_to: float
    """...to here; outside, only bucket means."""
    first: float
    """The whole recording's first and last sample."""
    last: float
    samples: list[RecordedSample] = field(default_factory=list)
    infos: dict[tuple[int, float], ProcessInfo] = field(default_factory=dict)
    pss: dict[tuple[int, float], list[tuple[float, int | None, int | None]]] = field(
        default_factory=dict
    )
    """Per process, its (time, PSS, USS) readings in the page, oldest first."""
    exclude: frozenset[int] = frozenset()
    """Pids never to name: memtui's own while it recorded."""
    has_processes: bool = True
    """False for a recording of meminfo only (a CSV)."""
    marks: list[tuple[float, str]] = field(default_factory=list)
    """When the recorder's verdict fired, and its words."""
    at: float = 0.0
    """The moment the page was read around."""
    processes_pending: bool = False
    """The recording has processes, but this page was read without them (its first
    frame comes sooner); the source's ``with_processes`` reads them."""

    def covers(self, at: float) -> bool:
        """Whether ``at`` lies where the page holds every sample (not at a cut edge,
        unless that edge is the recording's own)."""
        low = self.raw_from if self.raw_from > self.first else -math.inf
        high = self.raw_to if self.raw_to < self.last else math.inf
        return low <= at <= high

    def sample_times(self) -> list[float]:
        return self.history.tiered.raw_times()

    def step(self, at: float, direction: int) -> float | None:
        """The sample time after (1) or before (-1) ``at`` within the page."""
        times = self.sample_times()
        if direction > 0:
            index = bisect.bisect_right(times, at)
            return times[index] if index < len(times) else None
        index = bisect.bisect_left(times, at) - 1
        return times[index] if index >= 0 else None

    def table_at(self, at: float, growth_window: float = 60.0) -> ProcessTable:
        """Every process as the newest stored sample at or before ``at`` had it."""
        times = [sample.t for sample in self.samples]
        index = bisect.bisect_right(times, at) - 1
        if index < 0:
            return ProcessTable(taken_at=at, rows=())
        sample = self.samples[index]
        rows = []
        for key, (rss, swap) in sorted(sample.memory.items()):
            info = self.infos.get(key)
            if info is None:
                continue
            rows.append(self._row(key, info, rss, swap, at, growth_window))
        return ProcessTable(taken_at=sample.t, rows=tuple(rows))

    def _row(
        self,
        key: tuple[int, float],
        info: ProcessInfo,
        rss: int,
        swap: int,
        at: float,
        growth_window: float,
    ) -> ProcessRow:
        reasons: list[tuple[str, str]] = []
        times, values = self.processes.growth_series(key, at - growth_window, at)
        growth: float | None = None
        if len(times) >= 2 and times[-1] - times[0] >= growth_window / 4:
            growth = linear_fit(times, values)[0] * 60.0
        else:
            reasons.append(("rss_growth", "too few samples in the recording"))
        pss = uss = None
        read_at = None
        readings = self.pss.get(key, [])
        position = bisect.bisect_right([r[0] for r in readings], at) - 1
        if position >= 0:
            read_at, pss, uss = readings[position]
        else:
            reasons += [("pss", NOT_RECORDED), ("uss", NOT_RECORDED)]
        if info.user is None:
            reasons.append(("user", NOT_RECORDED))
        reasons += [("cpu_percent", NOT_RECORDED), ("cpu_time", NOT_RECORDED)]
        return ProcessRow(
            pid=key[0],
            create_time=key[1],
            user=info.user,
            uid=None,
            name=info.name,
            cmdline=info.cmdline,
            state=RECORDED_STATE,
            rss=rss,
            swap=swap,
            rss_growth=growth,
            pss=pss,
            uss=uss,
            pss_read_at=read_at,
            is_kernel_thread=False,
            reasons=tuple(reasons),
        )
