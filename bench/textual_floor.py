"""The floor for the dashboard's CPU: a bare Textual app with ten tiles whose one-line
titles change every second (``self.refresh(Region(0, 0, width, 1))``), and nothing
else. bench/bench_dashboard.py runs it beside memtui, btop and htop (variant
``floor``): what memtui costs above it is memtui's own work."""

from __future__ import annotations

import time

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.containers import Grid
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class Tile(Widget):
    DEFAULT_CSS = "Tile { height: 1fr; width: 1fr; }"

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
        self.title = ""

    def tick(self) -> None:
        self.title = f" tile {self.index} {time.time():.0f}"
        self.refresh(Region(0, 0, self.size.width, 1))

    def render_line(self, y: int) -> Strip:
        text = self.title if y == 0 else ""
        return Strip([Segment(text)]).extend_cell_length(self.size.width)


class Floor(App[None]):
    CSS = "Grid { grid-size: 3 4; }"

    def compose(self) -> ComposeResult:
        with Grid():
            for index in range(10):
                yield Tile(index)

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        for tile in self.query(Tile):
            tile.tick()


if __name__ == "__main__":
    Floor().run()
