"""One process's RSS, swap and PSS over its history, with the growth line fitted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from memtui.core.model.chart_series import y_axis
from memtui.widgets.plot_axes import apply_axes

COLORS = {"RSS": "cyan", "swap": "magenta", "PSS": "yellow", "fit": "red"}


@dataclass(frozen=True, slots=True)
class MemoryLines:
    """What the plot draws: each line's (times, bytes), times in seconds before ``end``."""

    end: float
    window: float
    lines: tuple[tuple[str, Sequence[float], Sequence[float]], ...]
    """(label, times, values): RSS, swap, PSS, and the fitted line ("fit")."""


class ProcessMemoryPlot(PlotextPlot):
    """Draws :class:`MemoryLines`; rebuilt only when they or the size change."""

    DEFAULT_CSS = """
    ProcessMemoryPlot {
        height: 1fr;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: MemoryLines | None = None
        self._built: tuple[tuple[object, ...], Text] | None = None

    def show(self, data: MemoryLines) -> None:
        if data != self.data:
            self.data = data
            self.refresh()

    def render(self) -> RenderResult:
        data = self.data
        if data is None or self.size.width < 8 or self.size.height < 3:
            return Text("")
        key = (data, self.size.width, self.size.height, self.app.theme, self.app.no_color)
        if self._built is not None and self._built[0] == key:
            return self._built[1]
        # A line that is zero throughout (swap, on most machines) would pin the axis
        # to 0 and flatten the others into its top row: the summary gives it instead.
        lines = [line for line in data.lines if any(line[2])]
        every = [v for _, _, values in lines for v in values]
        lo, hi = (min(every), max(every)) if every else (0.0, 0.0)
        _, divisor, ticks, labels = y_axis(lo, hi, False)
        plt = self.plt
        plt.clear_figure()
        # The fitted line first, so the data draws over it.
        for label, times, values in sorted(lines, key=lambda line: line[0] != "fit"):
            # plotext's legend fails (IndexError) on a labelled line with no point on
            # the x axis: a PSS read once, before a window that starts later.
            if any(-data.window <= t - data.end <= 0 for t in times):
                plt.plot(
                    [t - data.end for t in times],
                    [v / divisor for v in values],
                    marker="braille",
                    color=COLORS.get(label, "white"),
                    label=label,
                )
        apply_axes(plt, data.window, ticks, labels)
        rendered = super().render()
        assert isinstance(rendered, Text)
        self._built = (key, rendered)
        return rendered
