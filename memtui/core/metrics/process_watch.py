"""The model the exporter renders: the processes that matter on this machine, now.

A headless sibling of the dashboard's model: it samples /proc/meminfo and every
process on the same histories, runs the same leak detector over them, and keeps the
processes worth exporting: the top N by RSS and every process that grows (fastest
first), at most N + :data:`GROWING_EXTRA` of them, so a metrics system's cardinality
stays bounded whatever the machine runs. A process that leaves the set leaves the
snapshot, and with it the exported series.

It samples when asked: a scrape calls ``refresh()``, which reads only what is older
than its interval (meminfo 1 s, every process 2 s), so two Prometheus servers, or a
scrape interval under 2 s, do not add samples, and a Prometheus scraping every 15 s
costs a seventh of a fixed 2 s pace. Between scrapes a background thread's
``tick()`` samples at the slow ``IDLE_INTERVAL``, so the growth rate and the verdict
have a history however rarely it is scraped. The growth rate is fitted over the
samples taken (at least 5 s of them), the verdict's histories keep them all.

Any thread may call ``refresh()`` and ``tick()`` (one samples at a time, under a
lock) and read ``snapshot``, which is replaced whole (one reference assignment) and
never changed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from memtui.core.leak.leak_detector import NO_VERDICT, LeakDetector, LeakSettings, LeakVerdict
from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.meminfo.parser import read_meminfo
from memtui.core.processes.process_history import ProcessHistories
from memtui.core.processes.process_table import ProcessRow, ProcessTable, ProcessTableSampler

DEFAULT_TOP = 20
GROWING_EXTRA = 20
"""Growing processes exported beyond the top N by RSS."""
MEMINFO_INTERVAL = 1.0
PROCESS_INTERVAL = 2.0
"""The dashboard's pace when memory grows (app.PROCESS_INTERVAL): the detector's
process histories are sized for it."""
IDLE_INTERVAL = 15.0
"""The pace of both samples while no scrape asks for them: Prometheus's usual scrape
interval, so a server scraping at it gets one sample per scrape, not two."""
PSS_MAX_AGE = 10.0
"""How old the PSS of an exported process may be. smaps_rollup walks the page tables
of the whole address space (milliseconds for a big process), the dearest read of a
sample; PSS of processes outside the exported set is never read."""
HISTORY_SPAN = 600.0


@dataclass(frozen=True, slots=True)
class WatchedProcess:
    """One exported process. Sizes in bytes; None: unknown (its series is left out)."""

    pid: int
    name: str
    user: str
    resident: int
    swap: int | None
    pss: int | None
    growth_per_second: float | None
    leak_suspected: bool


@dataclass(frozen=True, slots=True)
class WatchSnapshot:
    taken_at: float | None
    processes: tuple[WatchedProcess, ...]
    verdict: LeakVerdict


EMPTY = WatchSnapshot(None, (), NO_VERDICT)


def select_processes(
    rows: Iterable[ProcessRow], top: int, culprit: int | None = None
) -> tuple[ProcessRow, ...]:
    """The top ``top`` by RSS, then the growers (the named culprit first, then the
    fastest), at most ``top + GROWING_EXTRA`` rows in all."""
    known = [row for row in rows if row.rss is not None]
    by_rss = sorted(known, key=lambda row: (-(row.rss or 0), row.pid))
    chosen = by_rss[:top]
    picked = {row.pid for row in chosen}
    growers = sorted(
        (
            row
            for row in known
            if row.pid not in picked
            and (row.pid == culprit or (row.rss_growth is not None and row.rss_growth > 0))
        ),
        key=lambda row: (row.pid != culprit, -(row.rss_growth or 0.0), row.pid),
    )
    return (*chosen, *growers[:GROWING_EXTRA])


class ProcessWatch:
    """Samples the machine; ``tick()`` does what is due and says when to call again."""

    def __init__(
        self,
        top: int = DEFAULT_TOP,
        settings: LeakSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if top < 1:
            raise ValueError("top must be at least 1")
        self.top = top
        self.clock = clock
        self.history = MeminfoHistory(span_seconds=HISTORY_SPAN)
        self.processes = ProcessHistories()
        # memtui never names itself (as the dashboard and the recorder).
        self.detector = LeakDetector(settings, exclude={os.getpid()})
        self.sampler = ProcessTableSampler(
            pss_budget=0,
            watched_pss_max_age=PSS_MAX_AGE,
            with_cmdline=False,
            with_cpu=False,
            read_stat_directly=True,
            clock=monotonic,
        )
        self.verdict: LeakVerdict = NO_VERDICT
        self.snapshot: WatchSnapshot = EMPTY
        self._monotonic = monotonic
        self._table: ProcessTable | None = None
        self._meminfo_at: float | None = None
        self._processes_at: float | None = None
        self._lock = threading.Lock()

    def sample_meminfo(self) -> None:
        now = self.clock()
        if not self.history.append(now, read_meminfo()):
            return
        self.verdict = self.detector.evaluate(
            self.history, self.processes, now, previous=self.verdict
        )
        self._publish(now)

    def sample_processes(self) -> None:
        now = self.clock()
        table = self.sampler.sample()
        self.processes.add_table(table, now)
        self._table = table
        self._publish(now)

    def _publish(self, now: float) -> None:
        table = self._table
        if table is None:
            return
        verdict = self.verdict
        culprit = verdict.pid if verdict.suspected else None
        rows = select_processes(table.rows, self.top, culprit)
        # Fresh PSS for what is exported, from the next sample on.
        self.sampler.watch(row.pid for row in rows)
        self.snapshot = WatchSnapshot(now, tuple(_watched(row, culprit) for row in rows), verdict)

    def _sample_older_than(self, meminfo_age: float, processes_age: float) -> None:
        with self._lock:
            now = self._monotonic()
            if self._processes_at is None or now - self._processes_at >= processes_age:
                self.sample_processes()
                self._processes_at = now
            if self._meminfo_at is None or now - self._meminfo_at >= meminfo_age:
                self.sample_meminfo()
                self._meminfo_at = now

    def refresh(self) -> WatchSnapshot:
        """A scrape: take the samples older than their interval; the newest snapshot."""
        self._sample_older_than(MEMINFO_INTERVAL, PROCESS_INTERVAL)
        return self.snapshot

    def tick(self) -> float:
        """Between scrapes: sample what no scrape took for ``IDLE_INTERVAL``; return
        the seconds until the next such sample is due."""
        self._sample_older_than(IDLE_INTERVAL, IDLE_INTERVAL)
        with self._lock:
            oldest = min(self._meminfo_at or 0.0, self._processes_at or 0.0)
            return max(0.0, oldest + IDLE_INTERVAL - self._monotonic())


def _watched(row: ProcessRow, culprit: int | None) -> WatchedProcess:
    return WatchedProcess(
        pid=row.pid,
        name=row.name,
        user=row.user if row.user is not None else str(row.uid) if row.uid is not None else "",
        resident=row.rss or 0,
        swap=row.swap,
        pss=row.pss,
        growth_per_second=row.rss_growth / 60.0 if row.rss_growth is not None else None,
        leak_suspected=row.pid == culprit,
    )
