"""One dashboard tile: the live value and rate, over a sparkline fitted to its data.

Tiles draw Textual's Sparkline renderable, not plotext: a plotext tile costs about
5 ms from build to screen, and ten of them kept the dashboard at 4x btop's CPU
(docs/performance.md). The zoomed chart keeps plotext, with full axes.

A tile is one widget on the Line API. Textual re-renders every widget inside the
bounding box of a frame's changes, so titles spread over the screen in separate
Label widgets made it redraw all ~80 widgets of the grid each second. Here a new
title refreshes one line of one widget, and the bars are rendered only when a
bucket completes, then served from cached strips.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.renderables.sparkline import Sparkline
from textual.strip import Strip
from textual.widget import Widget

from memtui.core.meminfo.fields import field_meaning, is_count_field
from memtui.core.meminfo.stats import FieldStats
from memtui.core.model.chart_series import ChartSeries
from memtui.core.units import format_bytes_short, format_rate
from memtui.widgets.changed_cells import changed_span
from memtui.widgets.quiet_repaint import repaint

# A y label of up to 7 characters ("22.679G"), a space, and the axis line.
Y_LABEL_WIDTH = 8
AXIS = "▏"


# Textual tells a widget its new size through this private method; without it the
# tile asks for its size each time.
_SIZE_UPDATES = callable(getattr(Widget, "_size_updated", None))


# A rate is a fit: it is shown once its points cover this share of the rate window
# (and at least MIN_RATE_SAMPLES), not from the first three samples of a session,
# where one allocation reads as +844 MiB/min.
MIN_RATE_COVER = 0.5
MIN_RATE_SAMPLES = 5


def chart_title(field: str, stats: FieldStats | None, rate_window: float = 0.0) -> str:
    """``Committed_AS 1.21 GiB  +12.3 MiB/min``; counts stay plain numbers.

    Until the points cover enough of ``rate_window`` the rate is not shown; the
    title says in how many seconds it will be (``rate in 45s``).
    """
    if stats is None:
        return f"{field} —"
    value = f"{stats.current:.0f}" if is_count_field(field) else format_bytes_short(stats.current)
    wanted = rate_window * MIN_RATE_COVER
    if stats.span < wanted or stats.samples < MIN_RATE_SAMPLES:
        wait = max(1, round(wanted - stats.span))
        return f"{field} {value}  rate in {wait}s"
    if is_count_field(field):
        return f"{field} {value}  {stats.rate_per_minute:+.1f}/min"
    return f"{field} {value}  {format_rate(stats.rate_per_minute)}"


def bar_rows(values: Sequence[float], low: float, high: float, height: int) -> list[str]:
    """The rows, top first, of Textual's Sparkline of ``values`` on an axis from
    ``low`` to ``high``: one column per value, the same characters it draws.

    Sparkline itself made a Segment per column and row, then a Strip of each to crop
    and merge: 2.5 ms a tile, each time a bucket completed or the axis moved, the
    largest part of the dashboard's own work (docs/performance.md). The test
    ``test_bar_rows_are_textuals_sparkline`` holds the two to the same picture.
    """
    levels = len(Sparkline.BARS)
    segments = levels * height - 1
    # Sparkline scales from its data's minimum to its maximum; the axis's ends, as
    # two more points, make that the axis.
    minimum, maximum = min(low, high, *values), max(low, high, *values)
    extent = maximum - minimum or 1
    indices = [int((value - minimum) / extent * segments) for value in values]
    rows = []
    for row in reversed(range(height)):
        bottom, top = row * levels, (row + 1) * levels
        rows.append(
            "".join(
                " " if index < bottom else "█" if index >= top else Sparkline.BARS[index % levels]
                for index in indices
            )
        )
    return rows


class MeminfoChart(Widget, can_focus=True):
    """A focusable chart of one meminfo field; Enter or a click zooms it."""

    DEFAULT_CSS = """
    MeminfoChart {
        height: 1fr;
        width: 1fr;
    }
    MeminfoChart > .meminfo-chart--title {
        background: $panel;
        color: $text;
        text-style: bold;
    }
    MeminfoChart:focus > .meminfo-chart--title {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    MeminfoChart > .meminfo-chart--axis {
        color: $text-muted;
    }
    MeminfoChart > .meminfo-chart--bars {
        color: $accent;
    }
    /* NO_COLOR: no colours at all, so reverse video says which tile has the focus. */
    MeminfoChart:nocolor:focus > .meminfo-chart--title {
        text-style: reverse bold;
    }
    """
    COMPONENT_CLASSES = {"meminfo-chart--title", "meminfo-chart--axis", "meminfo-chart--bars"}

    BINDINGS = [Binding("enter", "zoom", "Zoom", tooltip="Show this field's whole history")]

    class ZoomRequested(Message):
        def __init__(self, field: str) -> None:
            super().__init__()
            self.field = field

    class WidthChanged(Message):
        """The tile's plot has another number of columns than its series was built for."""

    def __init__(self, field: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.field = field
        self.tooltip = field_meaning(field)
        self.series: ChartSeries | None = None
        self._title = chart_title(field, None)
        self._rows: list[Strip] = []
        """The lines below the title, whole: served as they are until the picture changes."""
        self._bars_size: tuple[int, int] | None = None
        # (base, title, axis, bars) styles: resolving CSS per line was the tile's main
        # cost, and the bars' colour 0.1 ms each time a bucket completed.
        self._line_styles: tuple[Style, Style, Style, Style] | None = None
        self._known_size: Size | None = None
        self.redraws = 0
        """How many times the bars were rendered: the cost the bucket key saves."""
        self.rows_repainted = 0
        """Bar rows sent to the terminal again after a new series: the bytes it costs."""

    @property
    def title(self) -> str:
        return self._title

    @property
    def _cells(self) -> Size:
        """The tile's size, kept until Textual gives it another. ``Widget.size`` looks
        the widget up in the compositor (4 us), and a tile asked it some 60 times a
        second: 0.03 % of a core."""
        size = self._known_size
        if size is None or not _SIZE_UPDATES:
            size = self._known_size = self.size
        return size

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # Textual's one way in for a new size (its Resize event comes later).
        self._known_size = None
        return super()._size_updated(size, virtual_size, container_size, layout)

    @property
    def plot_columns(self) -> int:
        """Columns for bars: one bucket each."""
        return max(4, self._cells.width - Y_LABEL_WIDTH - len(AXIS))

    def update_title(self, stats: FieldStats | None, rate_window: float = 0.0) -> None:
        title = chart_title(self.field, stats, rate_window)
        if title == self._title:
            return
        span = changed_span(self._title, title)
        self._title = title
        if span is not None:
            start, end = span
            # The line starts with a space before the title.
            self._refresh_cells(0, 1 + start, 1 + end)

    def _refresh_cells(self, y: int, start: int, end: int) -> None:
        width = self._cells.width
        if start < width:
            repaint(self, Region(start, y, min(end, width) - start, 1))

    def update_chart(
        self, stats: FieldStats | None, series: ChartSeries, rate_window: float = 0.0
    ) -> None:
        self.update_title(stats, rate_window)
        if self.series is not None and series.key == self.series.key:
            return
        before = self._rows_drawn()
        self.series = series
        self._bars_size = None
        after = self._rows_drawn()
        if before is None or after is None or len(before) != len(after):
            self.rows_repainted += max(0, self._cells.height - 1)
            self.refresh()
            return
        # Only the rows that look different: when a bucket completes the rows above
        # the bars and those they fill whole stay as they were, and rewriting them
        # was most of the bytes the dashboard sent.
        for row, (old, new) in enumerate(zip(before, after, strict=True)):
            span = changed_span(old, new)
            if span is not None:
                self.rows_repainted += 1
                self._refresh_cells(row + 1, *span)

    def _rows_drawn(self) -> list[str] | None:
        """The text of each line below the title (rendering them if they are stale),
        or None before the tile has a size."""
        height = self._cells.height - 1
        if height <= 0 or self._cells.width <= 0:
            return None
        return [row.text for row in self._current_rows(self._cells.width, height)]

    def _current_rows(self, width: int, height: int) -> list[Strip]:
        if self._bars_size != (width, height):
            self._rows = self._render_rows(width, height)
            self._bars_size = (width, height)
        return self._rows

    def _label(self, row: int, height: int) -> str:
        """The y label beside bar row ``row``: the axis's top and bottom only."""
        if self.series is None or not self.series.ys:
            return ""
        if row == 0:
            return self.series.y_labels[-1]
        if row == height - 1:
            return self.series.y_labels[0]
        return ""

    def on_focus(self) -> None:
        self._line_styles = None
        self.refresh(Region(0, 0, self._cells.width, 1))

    def on_blur(self) -> None:
        self._line_styles = None
        self.refresh(Region(0, 0, self._cells.width, 1))

    def on_resize(self) -> None:
        self._bars_size = None
        # Live, the next sample would rebuild the series; a replay gets none.
        if self.series is not None and self.series.key[1] != self.plot_columns:
            self.post_message(self.WidthChanged())

    def notify_style_update(self) -> None:
        # A theme or CSS change: styles and the colours baked into the bars are stale.
        super().notify_style_update()
        self._line_styles = None
        self._bars_size = None
        self._known_size = None  # padding or a border would change the content's size

    def _styles(self) -> tuple[Style, Style, Style, Style]:
        """The tile's base style, its title's, its axis's and its bars'."""
        if self._line_styles is None:
            base = self.rich_style
            # One colour from the theme: fewer escapes than a gradient, and it reads
            # the same with 16 colours.
            bar_color = self.get_component_rich_style("meminfo-chart--bars").color
            self._line_styles = (
                base,
                base + self.get_component_rich_style("meminfo-chart--title"),
                base + self.get_component_rich_style("meminfo-chart--axis"),
                base + Style(color=bar_color or RichColor.default()),
            )
        return self._line_styles

    def _render_rows(self, width: int, height: int) -> list[Strip]:
        """The lines below the title: a y label, the axis, and the bars right-aligned
        so the newest bucket is at the right edge. Two segments a line, each a colour
        escape: the bars with their blanks are one (a blank in the bars' colour looks
        as one in the tile's)."""
        base, _, axis_style, bar_style = self._styles()
        columns = self.plot_columns
        series = self.series
        rows = [""] * height
        if series is not None and series.ys and columns > 0:
            self.redraws += 1
            # The bars stand on the axis the labels show (a flat series' axis is
            # wider than its wobble).
            rows = bar_rows(series.ys[-columns:], series.y_ticks[0], series.y_ticks[-1], height)
        lines = []
        for row, bars in enumerate(rows):
            label = self._label(row, height)
            head = Segment(f"{label:>{Y_LABEL_WIDTH - 1}} {AXIS}", axis_style)
            line = Strip([head, Segment(bars.rjust(columns), bar_style)])
            if line.cell_length != width:
                line = line.crop(0, width).extend_cell_length(width, base)
            lines.append(line)
        return lines

    def render_line(self, y: int) -> Strip:
        width = self._cells.width
        if y == 0:
            # One segment, padding included: a second one would cost another escape.
            text = f" {self._title}"
            text += " " * max(0, width - cell_len(text))
            line = Strip([Segment(text, self._styles()[1])])
            return line if line.cell_length == width else line.crop(0, width)
        rows = self._current_rows(width, self._cells.height - 1)
        return rows[y - 1] if y - 1 < len(rows) else Strip.blank(width, self._styles()[0])

    def action_zoom(self) -> None:
        self.post_message(self.ZoomRequested(self.field))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.ZoomRequested(self.field))
