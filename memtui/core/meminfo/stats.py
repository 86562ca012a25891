"""Statistics over a window of one field: current, min, max, change, and the rate.

The rate is a least-squares slope, not first-minus-last: a single spike at either
end of the window must not read as a trend, and the fit's r² tells a steady climb
(near 1) from churn (near 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldStats:
    current: float
    minimum: float
    maximum: float
    change: float
    """Last value minus first value in the window."""
    rate_per_minute: float
    """Least-squares slope, in units (bytes) per minute; 0 with fewer than 2 samples."""
    r_squared: float
    """How well a straight line fits the window: 1 is a perfect line, 0 no trend."""
    samples: int
    span: float = 0.0
    """Seconds from the first point to the last."""


def _centred_sums(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Sxx, Sxy and Syy: sums of products of the values centred on their means.

    Plain float sums over centred values are exact enough (epoch seconds and byte
    counts are large, their spread is not) and several times faster than math.fsum,
    which matters at a fit per field and scale every second.
    """
    n = len(xs)
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxx = sxy = syy = 0.0
    for x, y in zip(xs, ys, strict=True):
        dx = x - mean_x
        dy = y - mean_y
        sxx += dx * dx
        sxy += dx * dy
        syy += dy * dy
    return sxx, sxy, syy


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Slope and r² of the least-squares line through the points (x, y)."""
    if len(xs) < 2:
        return 0.0, 0.0
    sxx, sxy, syy = _centred_sums(xs, ys)
    if sxx <= 0:
        return 0.0, 0.0
    slope = sxy / sxx
    r_squared = (sxy * sxy) / (sxx * syy) if syy > 0 else 0.0
    return slope, min(1.0, r_squared)


def slope_with_error(
    xs: Sequence[float], ys: Sequence[float], *, correlated_for: float = 0.0
) -> tuple[float, float]:
    """The least-squares slope and its standard error; (0, inf) with too few points.

    Residuals that stay on one side of the line for ``correlated_for`` seconds (other
    processes that run for a while) carry less information than their number says: the
    error is computed as if there were one point per ``correlated_for`` seconds.
    """
    n = len(xs)
    if n < 3:
        return 0.0, math.inf
    sxx, sxy, syy = _centred_sums(xs, ys)
    if sxx <= 0:
        return 0.0, math.inf
    slope = sxy / sxx
    residual = max(0.0, syy - slope * sxy)
    effective = n
    if correlated_for > 0:
        effective = min(n, int((xs[-1] - xs[0]) / correlated_for) + 1)
    if effective < 3:
        return slope, math.inf
    # Var(slope) = s² / Sxx, with s² = residual / (n - 2); fewer independent points
    # scale it by (n - 2) / (effective - 2).
    return slope, math.sqrt(residual / ((effective - 2) * sxx))


def field_stats(timestamps: Sequence[float], values: Sequence[float]) -> FieldStats | None:
    """Stats over the given points, ignoring missing (NaN) values; None if none remain."""
    if len(timestamps) != len(values):
        raise ValueError("as many timestamps as values")
    xs, ys = timestamps, values
    if any(map(math.isnan, values)):
        points = [(t, v) for t, v in zip(timestamps, values, strict=True) if not math.isnan(v)]
        xs = [t for t, _ in points]
        ys = [v for _, v in points]
    if not ys:
        return None
    slope_per_second, r_squared = linear_fit(xs, ys)
    return FieldStats(
        current=ys[-1],
        minimum=min(ys),
        maximum=max(ys),
        change=ys[-1] - ys[0],
        rate_per_minute=slope_per_second * 60.0,
        r_squared=r_squared,
        samples=len(ys),
        span=xs[-1] - xs[0],
    )
