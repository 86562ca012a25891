"""The sparklines: of a table cell, and the bars of a dashboard tile."""

from __future__ import annotations

import math
import random

from rich.console import Console
from textual.renderables.sparkline import Sparkline

from memtui.core.model.sparkline import sparkline
from memtui.widgets.meminfo_chart import bar_rows


def test_a_climb_goes_from_the_lowest_block_to_the_highest() -> None:
    assert sparkline([float(v) for v in range(16)], 8) == "▁▂▃▄▅▆▇█"


def test_flat_is_the_lowest_block_and_few_points_keep_their_width() -> None:
    assert sparkline([5.0] * 20, 6) == "▁▁▁▁▁▁"
    assert sparkline([1.0, 2.0], 6) == "    ▁█"
    assert sparkline([], 4) == "    "


def test_unsampled_points_are_left_out() -> None:
    assert sparkline([1.0, math.nan, 3.0, math.nan], 4) == "  ▁█"


def test_bar_rows_are_textuals_sparkline() -> None:
    # A tile's bars are drawn row by row as Textual's Sparkline draws them, on the
    # axis's ends as two extra points, whose columns are then cut off.
    rng = random.Random(5)
    console = Console(width=200, color_system=None)
    for _ in range(200):
        low = rng.uniform(-100, 100)
        high = low + rng.choice([0.0, rng.uniform(0, 50)])
        values = [rng.uniform(low, high) for _ in range(rng.randint(1, 60))]
        height = rng.randint(1, 12)
        data = [low, high, *values]
        sparkline = Sparkline(data, width=len(data), height=height)
        options = console.options.update_dimensions(len(data), height)
        lines = console.render_lines(sparkline, options, pad=True)
        expected = ["".join(segment.text for segment in line)[2:] for line in lines]
        assert bar_rows(values, low, high, height) == expected
