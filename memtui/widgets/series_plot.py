"""A textual-plotext plot that rebuilds only when its picture would change."""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from memtui.core.model.chart_series import ChartSeries, x_ticks

LINE_COLOR = "cyan"
MARK_COLOR = "red"


class SeriesPlot(PlotextPlot):
    """Draws one :class:`ChartSeries`.

    PlotextPlot rebuilds the whole plot on every render, which costs milliseconds; this
    keeps the last build and reuses it while the series key, size and theme are the same.
    """

    DEFAULT_CSS = """
    SeriesPlot {
        height: 1fr;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._series: ChartSeries | None = None
        self._marks: tuple[float, ...] = ()
        self._built_key: tuple[object, ...] | None = None
        self._built: Text | None = None

    @property
    def series(self) -> ChartSeries | None:
        return self._series

    def show(self, series: ChartSeries, marks: tuple[float, ...] = ()) -> None:
        """Draw ``series``; ``marks`` are times (seconds before the right edge, <= 0)
        drawn as vertical lines: where a verdict fired."""
        if self._series is not None and series.key == self._series.key and marks == self._marks:
            return
        self._series = series
        self._marks = marks
        self.refresh()

    def render(self) -> RenderResult:
        series = self._series
        if series is None or self.size.width < 8 or self.size.height < 3:
            return Text("")
        key = (
            series.key,
            self._marks,
            self.size.width,
            self.size.height,
            self.app.theme,
            self.app.no_color,
        )
        if key == self._built_key and self._built is not None:
            return self._built
        plt = self.plt
        plt.clear_figure()
        if series.xs:
            plt.plot(series.xs, series.ys, marker="braille", color=LINE_COLOR)
        for mark in self._marks:
            plt.vline(mark, MARK_COLOR)
        plt.xlim(-series.x_window, 0)
        ticks, labels = x_ticks(series.x_window)
        plt.xticks(ticks, labels)
        lo, hi = series.y_ticks[0], series.y_ticks[-1]
        if hi <= lo:
            # A flat line sits in the middle of a band around its value.
            pad = abs(lo) * 0.001 or 1.0
            lo, hi = lo - pad, hi + pad
        plt.ylim(lo, hi)
        plt.yticks(series.y_ticks, series.y_labels)
        rendered = super().render()
        assert isinstance(rendered, Text)
        self._built, self._built_key = rendered, key
        return rendered
