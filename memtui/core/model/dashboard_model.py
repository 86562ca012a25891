"""What the dashboard shows, apart from how: history, chosen fields, sampling state.

Textual-free so it can be tested alone; the app owns one and its screens read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from memtui.core.leak.leak_detector import NO_VERDICT, LeakDetector, LeakSettings, LeakVerdict
from memtui.core.meminfo.history import MIN_INTERVAL, MeminfoHistory
from memtui.core.processes.process_table import ProcessTable
from memtui.core.store.csv_recording import Recording

# The steps + and - move through, as btop's +/- do: + samples less often, - more often.
INTERVAL_STEPS: tuple[float, ...] = (MIN_INTERVAL, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# A tile shows the last five minutes, in buckets of about ten seconds (a bucket per
# column), so each tile repaints its bars about every ten seconds; the rate in its
# title is over the last two minutes; zoom shows the whole history.
CHART_WINDOW = 300.0
RATE_WINDOW = 120.0


def _format_interval(seconds: float) -> str:
    return f"{seconds:g}s" if seconds < 60 else f"{seconds / 60:.3g}m"


@dataclass
class DashboardModel:
    history: MeminfoHistory
    chart_fields: list[str]
    interval: float = 1.0
    paused: bool = False
    replay_source: str | None = None
    last_error: str | None = None
    leak: LeakDetector = field(default_factory=LeakDetector)
    verdict: LeakVerdict = NO_VERDICT
    """The leak verdict after the newest sample."""
    _new_table: ProcessTable | None = field(default=None, repr=False)
    _replay_span: float = field(default=0.0, repr=False)

    @classmethod
    def from_recording(
        cls,
        recording: Recording,
        source: str,
        fields: list[str],
        leak_settings: LeakSettings | None = None,
    ) -> DashboardModel:
        first, last = recording.samples[0][0], recording.samples[-1][0]
        span = max(1.0, last - first)
        history = MeminfoHistory(span_seconds=span, capacity=max(2, len(recording.samples)))
        model = cls(
            history=history,
            chart_fields=fields,
            replay_source=source,
            leak=LeakDetector(leak_settings),
        )
        model._replay_span = span
        # The verdict as it stood at the end of the recording, reached the way a live
        # run would: sample by sample (a recording has no processes to name).
        for timestamp, sample in recording.samples:
            model.add_sample(timestamp, sample)
        return model

    def add_sample(self, timestamp: float, sample: dict[str, int]) -> LeakVerdict:
        """Append a meminfo sample and update the leak verdict with it."""
        self.history.append(timestamp, sample)
        table, self._new_table = self._new_table, None
        self.verdict = self.leak.update(self.history, table)
        return self.verdict

    def memory_growing(self) -> bool:
        """Whether anything grows enough to be worth watching processes closely: the
        verdict holds, a process grows steadily, or a system field rises, roughly in
        a line, faster than a process would have to for the verdict to name it."""
        verdict = self.verdict
        threshold = self.leak.settings.process_threshold
        return (
            verdict.held_for > 0
            or any(row.steady for row in verdict.attribution)
            or any(
                trend.fit is not None
                and trend.fit.rate_per_minute > threshold
                # A rise at all like a line: churn (r² near 0) keeps the slow pace.
                and trend.fit.r_squared >= 0.5
                for trend in verdict.system
            )
        )

    def add_process_table(self, table: ProcessTable) -> None:
        """A new process sample, used by the next ``add_sample``."""
        self._new_table = table

    @property
    def is_replay(self) -> bool:
        return self.replay_source is not None

    def available_fields(self) -> list[str]:
        return self.history.fields

    def chart_end(self) -> float:
        """The right edge of every chart: the newest sample's time."""
        latest = self.history.latest_time
        return latest if latest is not None else 0.0

    def chart_window(self) -> float:
        if self.is_replay:
            return self._replay_span
        return min(CHART_WINDOW, self.history.span_seconds)

    def rate_window(self) -> float:
        """The span the tiles' titles fit their rate over."""
        return min(RATE_WINDOW, self.chart_window())

    def zoom_window(self) -> float:
        return self._replay_span if self.is_replay else self.history.span_seconds

    def status_text(self) -> str:
        span = f"tiles {_format_interval(self.chart_window())}"
        if self.is_replay:
            return f"replay {os.path.basename(self.replay_source or '')}  {span}"
        state = "PAUSED" if self.paused else "live"
        return f"{state} {_format_interval(self.interval)}  {span}"

    def step_interval(self, direction: int) -> float:
        """Move to the next longer (+1) or shorter (-1) interval step."""
        longer = [step for step in INTERVAL_STEPS if step > self.interval]
        shorter = [step for step in INTERVAL_STEPS if step < self.interval]
        if direction > 0 and longer:
            self.interval = longer[0]
        elif direction < 0 and shorter:
            self.interval = shorter[-1]
        return self.interval
