"""One meminfo field full screen, over the whole history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from memtui.core.meminfo.fields import field_meaning, is_count_field
from memtui.core.meminfo.stats import FieldStats, field_stats
from memtui.core.model.chart_series import build_series
from memtui.core.model.dashboard_model import DashboardModel, format_span
from memtui.core.units import format_bytes
from memtui.messages import HistoryUpdated
from memtui.widgets.key_footer import KeyFooter
from memtui.widgets.meminfo_chart import chart_title
from memtui.widgets.series_plot import SeriesPlot

AXIS_COLUMNS = 10


def zoom_summary(field: str, stats: FieldStats | None) -> str:
    if stats is None:
        return chart_title(field, None)
    show = (lambda v: f"{v:.0f}") if is_count_field(field) else format_bytes
    return (
        f"{chart_title(field, stats)}   min {show(stats.minimum)}  max {show(stats.maximum)}"
        f"  change {show(stats.change)}  fit r² {stats.r_squared:.2f}  ({stats.samples} samples)"
    )


class ZoomScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("z", "zoom_span(2)", "Wider", tooltip="Show twice the time"),
        Binding("Z", "zoom_span(0.5)", "Narrower", tooltip="Show half the time"),
    ]

    DEFAULT_CSS = """
    /* At 80 columns the summary wraps to a second line rather than lose its end. */
    ZoomScreen #zoom-title {
        height: auto;
        padding: 0 1;
        background: $accent;
        color: $text-accent;
        text-style: bold;
    }
    ZoomScreen #zoom-meaning {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, model: DashboardModel, field: str) -> None:
        super().__init__()
        self.model = model
        self.field = field

    def compose(self) -> ComposeResult:
        yield Static(self.field, id="zoom-title", markup=False)
        yield Static(f"{self.field}: {field_meaning(self.field)}", id="zoom-meaning", markup=False)
        yield SeriesPlot(id="zoom-plot")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.refresh_chart()

    def on_resize(self) -> None:
        self.refresh_chart()

    def on_history_updated(self, _: HistoryUpdated) -> None:
        self.refresh_chart()

    def action_zoom_span(self, factor: float) -> None:
        self.model.zoom(factor)
        self.refresh_chart()

    def refresh_chart(self) -> None:
        window = self.model.zoom_window()
        end = self.model.chart_end()
        timestamps, values = self.model.history.series(self.field, window, end)
        plot = self.query_one(SeriesPlot)
        marks = tuple(t - end for t, _ in self.model.marks if end - window <= t <= end)
        title = zoom_summary(self.field, field_stats(timestamps, values))
        title += f"   span {format_span(window)}"
        if marks:
            title += f"   │ {len(marks)} verdict{'s' if len(marks) > 1 else ''} fired"
        label = self.query_one("#zoom-title", Static)
        if str(label.content) != title:
            label.update(title)
        width = plot.size.width or self.size.width
        plot.show(
            build_series(
                timestamps,
                values,
                end=end,
                window=window,
                # Braille packs two points per column.
                columns=max(8, 2 * (width - AXIS_COLUMNS)),
                count_field=is_count_field(self.field),
                include_partial=self.model.is_replay,
            ),
            marks,
        )
