"""The sparkline of a table cell."""

from __future__ import annotations

import math

from memtui.core.model.sparkline import sparkline


def test_a_climb_goes_from_the_lowest_block_to_the_highest() -> None:
    assert sparkline([float(v) for v in range(16)], 8) == "▁▂▃▄▅▆▇█"


def test_flat_is_the_lowest_block_and_few_points_keep_their_width() -> None:
    assert sparkline([5.0] * 20, 6) == "▁▁▁▁▁▁"
    assert sparkline([1.0, 2.0], 6) == "    ▁█"
    assert sparkline([], 4) == "    "


def test_unsampled_points_are_left_out() -> None:
    assert sparkline([1.0, math.nan, 3.0, math.nan], 4) == "  ▁█"
