"""The recorder behind `memtui record --output FILE.db`: samples the machine and writes
a recording store, with the leak verdict as it stood at each moment.

It keeps the same bounded histories as the live dashboard (their bucket means are what
it stores as rollups) and runs the same detector over them, so a replay sees what a
dashboard running beside it would have seen. It never names itself as a leaker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from memtui.core.leak.leak_detector import LeakDetector, LeakSettings, LeakVerdict
from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.meminfo.parser import read_meminfo
from memtui.core.meminfo.pressure import read_pressure
from memtui.core.processes.process_history import ProcessHistories, ProcessKey
from memtui.core.processes.process_table import ProcessTable, ProcessTableSampler
from memtui.core.store.recording_store import MEMINFO, PROCESSES, StoreWriter

DEFAULT_PROCESS_INTERVAL = 5.0
"""Seconds between samples of every process. Chosen with bench/bench_store.py: a
500-process sample costs ~40 ms of CPU, so 5 s keeps the recorder under atop's cost at
a 1 s interval, and a 100 MiB/min leak still has the points for a fit in 30 s."""
PSS_INTERVAL = 300.0
"""Each process's PSS and USS (smaps_rollup, costly) are read at most this often."""


class Recorder:
    """Samples and writes; ``tick()`` does whatever is due and says when to call again."""

    def __init__(
        self,
        writer: StoreWriter,
        *,
        interval: float = 1.0,
        process_interval: float = DEFAULT_PROCESS_INTERVAL,
        settings: LeakSettings | None = None,
        clock: Callable[[], float] = time.time,
        verdicts: bool = True,
    ) -> None:
        """``verdicts`` False skips the detector (a bench that drives hours of synthetic
        data through the writer for its size alone)."""
        self.writer = writer
        self.interval = interval
        self.process_interval = process_interval
        self.clock = clock
        self.history = MeminfoHistory(
            span_seconds=600.0, on_bucket=self._meminfo_bucket, interval=interval
        )
        cadence = max(process_interval, 0.25) if process_interval > 0 else 1.0
        self.processes = ProcessHistories(
            raw_capacity=int(600.0 / cadence) + 2, on_bucket=self._process_bucket
        )
        self.detector = LeakDetector(settings, exclude={os.getpid()})
        self.sampler = ProcessTableSampler(
            pss_max_age=PSS_INTERVAL,
            pss_budget=20,
            with_cmdline=True,
            cmdline_once=True,
            with_cpu=False,
            clock=clock,
        )
        self.samples = 0
        self.verdicts = verdicts
        self.verdict: LeakVerdict | None = None
        self._next_meminfo = 0.0
        self._next_processes = 0.0

    def _meminfo_bucket(self, width: float, at: float, means: dict[object, float]) -> None:
        self.writer.add_rollup(MEMINFO, int(width), at, means)

    def _process_bucket(
        self, width: float, at: float, means: dict[ProcessKey, tuple[float, float]]
    ) -> None:
        self.writer.add_rollup(PROCESSES, int(width), at, means)  # type: ignore[arg-type]

    def sample_meminfo(self) -> None:
        self.take_meminfo(self.clock(), read_meminfo(), read_pressure())

    def take_meminfo(
        self, now: float, sample: dict[str, int], pressure: dict[str, int] | None = None
    ) -> None:
        """Store one meminfo sample (and PSI) and the verdict it leads to."""
        if not self.history.append(now, sample):
            return  # the clock went back: skip rather than store out of order
        self.writer.add_meminfo(now, sample)
        if pressure is not None:
            self.writer.add_pressure(now, pressure)
        self.samples += 1
        if not self.verdicts:
            return
        verdict = self.detector.evaluate(self.history, self.processes, now, previous=self.verdict)
        culprit = verdict.culprit()
        self.writer.add_verdict(
            now,
            suspected=verdict.suspected,
            pid=verdict.pid,
            start_time=culprit.create_time if culprit is not None else None,
            name=verdict.name,
            rate=verdict.rate_per_minute,
            held_for=verdict.held_for,
            evidence=verdict.evidence,
            text=verdict.text,
        )
        self.verdict = verdict

    def sample_processes(self) -> None:
        now = self.clock()
        self.take_processes(now, self.sampler.sample(now))

    def take_processes(self, now: float, table: ProcessTable) -> None:
        """Store one sample of every process."""
        self.processes.add_table(table, now)
        self.writer.add_processes(now, table.rows)

    def tick(self) -> float:
        """Take the samples that are due, commit if it is time; return seconds to wait."""
        now = time.monotonic()
        if now >= self._next_processes and self.process_interval > 0:
            self.sample_processes()
            self._next_processes = next_due(self._next_processes, self.process_interval, now)
        if now >= self._next_meminfo:
            self.sample_meminfo()
            self._next_meminfo = next_due(self._next_meminfo, self.interval, now)
        self.writer.flush()
        due = [self._next_meminfo]
        if self.process_interval > 0:
            due.append(self._next_processes)
        return max(0.0, min(due) - time.monotonic())

    def close(self) -> None:
        self.writer.close()


def next_due(due: float, interval: float, now: float) -> float:
    """The next tick on the monotonic clock, so samples do not drift with read time;
    ticks missed (a stall, a suspend) are skipped, not caught up in a burst."""
    following = due + interval if due else now + interval
    return following if following > now else now + interval
