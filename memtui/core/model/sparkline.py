"""A series in a few characters of block elements, for a table cell."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"
"""Eight heights; a series' lowest point is the first, its highest the last."""


def sparkline(values: Sequence[float], width: int, blocks: str = BLOCKS) -> str:
    """``values`` (oldest first, NaN where not sampled) in ``width`` characters.

    Each character is the mean of its share of the points, scaled between the
    series' own lowest and highest means, so a small steady climb still shows; a flat
    series is a flat line of the lowest block. Fewer points than characters are drawn
    at their true width, right-aligned (the newest at the right), never stretched.
    """
    if width <= 0:
        return ""
    points = [v for v in values if not math.isnan(v)]
    if not points:
        return " " * width
    count = min(width, len(points))
    means = []
    for index in range(count):
        share = points[index * len(points) // count : (index + 1) * len(points) // count]
        means.append(sum(share) / len(share))
    low, high = min(means), max(means)
    top = len(blocks) - 1
    if high <= low:
        line = blocks[0] * count
    else:
        line = "".join(blocks[round((mean - low) / (high - low) * top)] for mean in means)
    return line.rjust(width)
