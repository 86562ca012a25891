"""One series of the evidence screen: the data, and the line the detector fitted over it."""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from memtui.core.leak.evidence import EvidenceSeries, line_points
from memtui.core.model.chart_series import y_axis
from memtui.widgets.plot_axes import apply_axes

DATA_COLOR = "cyan"
LINE_COLOR = "red"


class EvidencePlot(PlotextPlot):
    """Draws an :class:`EvidenceSeries` between ``start`` and ``end``."""

    DEFAULT_CSS = """
    EvidencePlot {
        height: 1fr;
        width: 1fr;
    }
    """

    def __init__(self, series: EvidenceSeries, start: float, end: float) -> None:
        super().__init__()
        self.series = series
        self.start = start
        self.end = end
        self._built: tuple[tuple[object, ...], Text] | None = None

    def render(self) -> RenderResult:
        if self.size.width < 8 or self.size.height < 3:
            return Text("")
        key = (self.size.width, self.size.height, self.app.theme, self.app.no_color)
        if self._built is not None and self._built[0] == key:
            return self._built[1]
        series = self.series
        plt = self.plt
        plt.clear_figure()
        values = list(series.values)
        line = line_points(series.fit, self.start, self.end) if series.fit is not None else None
        every = values + (line[1] if line is not None else [])
        lo, hi = (min(every), max(every)) if every else (0.0, 0.0)
        _, divisor, ticks, labels = y_axis(lo, hi, False)
        window = self.end - self.start
        if series.times:
            xs = [t - self.end for t in series.times]
            plt.plot(xs, [v / divisor for v in values], marker="braille", color=DATA_COLOR)
        if line is not None:
            plt.plot(
                [t - self.end for t in line[0]],
                [v / divisor for v in line[1]],
                marker="braille",
                color=LINE_COLOR,
            )
        apply_axes(plt, window, ticks, labels)
        rendered = super().render()
        assert isinstance(rendered, Text)
        self._built = (key, rendered)
        return rendered
