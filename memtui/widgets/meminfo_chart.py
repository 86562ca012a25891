"""One dashboard tile: a title line with the live value and rate, over a plot."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label

from memtui.core.chart_series import ChartSeries
from memtui.core.meminfo_fields import field_meaning, is_count_field
from memtui.core.meminfo_stats import FieldStats
from memtui.core.units import format_bytes_short, format_rate
from memtui.widgets.series_plot import SeriesPlot


def chart_title(field: str, stats: FieldStats | None) -> str:
    """``Committed_AS 1.21 GiB  +12.3 MiB/min``; counts stay plain numbers."""
    if stats is None:
        return f"{field} —"
    if is_count_field(field):
        rate = stats.rate_per_minute
        return f"{field} {stats.current:.0f}  {rate:+.1f}/min"
    return f"{field} {format_bytes_short(stats.current)}  {format_rate(stats.rate_per_minute)}"


class MeminfoChart(Widget, can_focus=True):
    """A focusable chart of one meminfo field; Enter or a click zooms it."""

    DEFAULT_CSS = """
    MeminfoChart {
        height: 1fr;
        width: 1fr;
        layout: vertical;
    }
    MeminfoChart > Label {
        width: 1fr;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-style: bold;
    }
    MeminfoChart:focus > Label {
        background: $accent;
        color: $text-accent;
        text-style: bold reverse;
    }
    """

    BINDINGS = [Binding("enter", "zoom", "Zoom", tooltip="Show this field's whole history")]

    class ZoomRequested(Message):
        def __init__(self, field: str) -> None:
            super().__init__()
            self.field = field

    def __init__(self, field: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.field = field
        self.tooltip = field_meaning(field)

    def compose(self) -> ComposeResult:
        yield Label(chart_title(self.field, None), markup=False)
        yield SeriesPlot()

    @property
    def plot(self) -> SeriesPlot:
        return self.query_one(SeriesPlot)

    @property
    def title(self) -> str:
        return str(self.query_one(Label).content)

    def update_chart(self, stats: FieldStats | None, series: ChartSeries) -> None:
        label = self.query_one(Label)
        title = chart_title(self.field, stats)
        if str(label.content) != title:
            label.update(title)
        self.plot.show(series)

    def action_zoom(self) -> None:
        self.post_message(self.ZoomRequested(self.field))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.ZoomRequested(self.field))
