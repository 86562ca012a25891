"""The evidence behind the verdict (``e``): the lines the detector fitted, drawn over the
data, with r², the window, when the growth began and which mappings grew."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from memtui.core.leak.evidence import Evidence, EvidenceSeries
from memtui.core.leak.leak_detector import PROCESS_FIT, SYSTEM_FIT, Fit, format_leak_rate
from memtui.core.leak.mapping_growth import MappingGrowth, MappingGrowthTracker
from memtui.core.model.dashboard_model import format_span
from memtui.core.process_memory.reader_errors import ReaderError
from memtui.core.time_expression import format_moment
from memtui.widgets.evidence_plot import EvidencePlot
from memtui.widgets.key_footer import KeyFooter
from memtui.widgets.leak_panel import mappings_line, verdict_line


def fit_words(fit: Fit | None) -> str:
    if fit is None:
        return "too few points for a line"
    return (
        f"{format_leak_rate(fit.rate_per_minute)}, r² {fit.r_squared:.2f} over "
        f"{format_span(fit.span)} ({fit.points} points)"
    )


def evidence_lines(evidence: Evidence) -> list[str]:
    """What the screen says, a line each."""
    verdict = evidence.verdict
    lines = [verdict_line(verdict)]
    process = evidence.process
    if process is not None:
        state = "grows steadily" if process.steady else "grows, but not steadily enough"
        line = f"{process.name} (pid {process.pid}) {state}: {fit_words(process.fit)}"
        if process.steady and process.began_at is not None:
            ago = evidence.at - process.began_at
            line += (
                f"; since {format_moment(process.began_at, with_date=False)} ({format_span(ago)})"
            )
        lines.append(line)
    for series in evidence.series[1 if process is not None else 0 :]:
        state = "climbs steadily on its own" if series.steady else "over the same span"
        lines.append(f"{series.label} {state}: {fit_words(series.fit)}")
    if verdict.evidence == SYSTEM_FIT:
        lines.append(
            "Why: a system field climbs in a line that fits, fast enough, over its window."
        )
    elif verdict.evidence == PROCESS_FIT:
        lines.append(
            "Why: the process grows in a line that fits, and AnonPages or Committed_AS rose at "
            "least half as fast over the same span."
        )
    elif process is not None and process.steady:
        lines.append(
            "No verdict: the process grows steadily, but the system did not rise with it "
            "(memory may be moving between processes)."
        )
    else:
        lines.append("No verdict: nothing grows in a line that fits well and fast enough.")
    settings_line = (
        "Lines are least-squares fits; a scale counts when r² is high enough and the rise "
        "is still going on at its end (README: Leak hunting)."
    )
    lines.append(settings_line)
    return lines


class EvidenceScreen(Screen[None]):
    BINDINGS = [Binding("escape,e", "app.pop_screen", "Back")]

    DEFAULT_CSS = """
    EvidenceScreen #evidence-text {
        height: auto;
        padding: 0 1;
    }
    EvidenceScreen #evidence-mappings {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    EvidenceScreen .evidence-label {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    EvidenceScreen #evidence-plots {
        height: 1fr;
    }
    """

    def __init__(self, evidence: Evidence, live: bool) -> None:
        super().__init__()
        self.evidence = evidence
        self.live = live
        """Whether the moment is now: only then can smaps say which mappings grow."""
        self._tracker: MappingGrowthTracker | None = None

    def compose(self) -> ComposeResult:
        yield Static("\n".join(evidence_lines(self.evidence)), id="evidence-text", markup=False)
        yield Static("", id="evidence-mappings", markup=False)
        with Vertical(id="evidence-plots"):
            for series in self.evidence.series:
                yield Static(self._label(series), classes="evidence-label", markup=False)
                yield EvidencePlot(series, self.evidence.start, self.evidence.at)
        yield KeyFooter()

    @staticmethod
    def _label(series: EvidenceSeries) -> str:
        line = "the fitted line (red)" if series.fit is not None else "no line"
        return f"{series.label}: data (cyan) and {line}"

    def on_mount(self) -> None:
        process = self.evidence.process
        label = self.query_one("#evidence-mappings", Static)
        if process is None:
            label.update("No process to show the mappings of.")
        elif not self.live:
            label.update(
                f"pid {process.pid}: which mappings grew is read live from smaps; "
                "a recording keeps each process's totals only"
            )
        else:
            self._tracker = MappingGrowthTracker(process.pid, window=60.0, min_interval=0.0)
            label.update(mappings_line(process.pid, None, None))
            self._read_mappings(self._tracker)

    @work(thread=True, exclusive=True, group="evidence-mappings", exit_on_error=False)
    def _read_mappings(self, tracker: MappingGrowthTracker) -> None:
        rows: list[MappingGrowth] | None = None
        error: str | None = None
        try:
            tracker.sample(time.monotonic())
            time.sleep(2.0)  # two reads apart: what grew between them
            rows = tracker.sample(time.monotonic())
        except ReaderError as failure:
            error = str(failure)
        self.app.call_from_thread(self._show_mappings, tracker, rows, error)

    def _show_mappings(
        self, tracker: MappingGrowthTracker, rows: list[MappingGrowth] | None, error: str | None
    ) -> None:
        if tracker is self._tracker and self.is_attached:
            self.query_one("#evidence-mappings", Static).update(
                mappings_line(tracker.pid, rows, error)
            )
