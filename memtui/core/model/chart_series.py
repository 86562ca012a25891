"""Turn a field's history into what one chart draws, and a key that says when it changed.

A chart draws one point per column: the mean of a time bucket. Buckets are aligned to
absolute time and a live chart draws only complete ones, so its picture changes only
when a bucket completes; the dashboard redraws it only then, and the live value goes
in the title. For the zoomed plotext chart this also bounds plotext's cost, which grows
with the number of points (3.9 ms for 600 points in a 38x8 plot, 1.2 ms at one point
per column: bench/bench_plotext.py).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from memtui.core.units import unit_for


@dataclass(frozen=True, slots=True)
class ChartSeries:
    xs: list[float]
    """Seconds relative to the right edge of the chart (all <= 0)."""
    ys: list[float]
    """Values divided by ``divisor``, ready to plot."""
    x_window: float
    unit: str
    divisor: int
    y_ticks: list[float]
    y_labels: list[str]
    key: tuple[object, ...]
    """Equal keys mean an equal picture: the chart need not be rebuilt."""
    axis: tuple[float, float] = (0.0, 0.0)
    """The y axis's ends, in the values' own unit: pass it to the next build_series
    of the same chart to keep it while it still fits."""


def bucket_means(
    timestamps: Sequence[float],
    values: Sequence[float],
    end: float,
    window: float,
    columns: int,
    include_partial: bool = False,
    min_complete: int = 0,
) -> tuple[list[float], list[float], tuple[int, int]]:
    """Mean value of each complete time bucket in ``(end - window, end]``.

    The bucket ``end`` falls in is still filling; it is drawn only with
    ``include_partial``, or while fewer than ``min_complete`` complete buckets have
    data (so a chart shows something from its first sample, not a bucket later).
    Returns bucket centres relative to ``end``, the means, and the range of bucket
    indices covered (the chart's identity for caching). NaN values are skipped.
    """
    columns = max(1, columns)
    width = window / columns
    last = math.floor(end / width)  # the bucket ``end`` falls in: still filling

    def bucket(t: float) -> int:
        return math.floor(t / width)

    # Oldest first, as the history gives them: each bucket is then found by bisection
    # and summed in C, not one point at a time (10 tiles of 300 points each second
    # were most of what the dashboard's own code cost). Unsorted input takes the slow way.
    ordered = isinstance(timestamps, list) and timestamps == sorted(timestamps)
    if not include_partial and min_complete > 0:
        include_partial = (
            _complete_buckets(timestamps, end - window, last, min_complete, width, ordered)
            < min_complete
        )
    stop = last + 1 if include_partial else last
    first = stop - columns
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    if ordered:
        i = _bucket_start(timestamps, first, width, 0, len(timestamps))
        end_index = _bucket_start(timestamps, stop, width, i, len(timestamps))
        while i < end_index:
            index = bucket(timestamps[i])
            j = _bucket_start(timestamps, index + 1, width, i, end_index)
            chunk = values[i:j]
            total = sum(chunk)
            if math.isnan(total):
                chunk = [v for v in chunk if not math.isnan(v)]
                total = sum(chunk)
            if chunk:
                sums[index], counts[index] = total, len(chunk)
            i = j
    else:
        for t, v in zip(timestamps, values, strict=True):
            if math.isnan(v):
                continue
            index = bucket(t)
            if first <= index < stop:
                sums[index] = sums.get(index, 0.0) + v
                counts[index] = counts.get(index, 0) + 1
    # A bucket's centre can fall past ``end`` (the newest, partial one) or before the
    # window (the oldest): clamp so nothing is drawn outside the frame.
    xs = [min(0.0, max(-window, (index + 0.5) * width - end)) for index in sorted(sums)]
    ys = [sums[index] / counts[index] for index in sorted(sums)]
    return xs, ys, (first, stop)


def _bucket_start(timestamps: Sequence[float], index: int, width: float, lo: int, hi: int) -> int:
    """The first position in ``timestamps[lo:hi]`` whose bucket is ``index`` or later;
    bisected on the bucket's start time, then corrected where rounding put a point
    next to the boundary in the other bucket than ``floor(t / width)`` does."""
    at = bisect.bisect_left(timestamps, index * width, lo, hi)
    while at > lo and math.floor(timestamps[at - 1] / width) >= index:
        at -= 1
    while at < hi and math.floor(timestamps[at] / width) < index:
        at += 1
    return at


def _complete_buckets(
    timestamps: Sequence[float],
    since: float,
    filling: int,
    enough: int,
    width: float,
    ordered: bool,
) -> int:
    """How many buckets other than ``filling`` hold a point at or after ``since``
    (counted up to ``enough``)."""

    def bucket(t: float) -> int:
        return math.floor(t / width)

    if not ordered:
        return len({bucket(t) for t in timestamps if t >= since} - {filling})
    found = 0
    i = bisect.bisect_left(timestamps, since)
    while i < len(timestamps) and found < enough:
        index = bucket(timestamps[i])
        found += index != filling
        i = _bucket_start(timestamps, index + 1, width, i, len(timestamps))
    return found


# A series flatter than this share of its value (or than FLAT_FLOOR) is drawn on an
# axis of FLAT_SPAN around it: two labels that read the same ("228.14M … 228.14M")
# say nothing, and a 4 KiB wobble should not fill the tile from bottom to top.
FLAT_SPAN = 0.01
FLAT_FLOOR = {False: float(1 << 20), True: 1.0}


def axis_range(lo: float, hi: float, count_field: bool) -> tuple[float, float]:
    """``lo``..``hi``, widened around their middle when the series is nearly flat.

    >>> axis_range(100.0, 100.0, True)
    (99.5, 100.5)
    """
    middle = (lo + hi) / 2
    least = max(abs(middle) * FLAT_SPAN, FLAT_FLOOR[count_field])
    if hi - lo >= least:
        return lo, hi
    low = middle - least / 2
    if lo >= 0 > low:  # sizes and counts are never negative: keep the floor at 0
        return 0.0, least
    return low, middle + least / 2


def nice_range(lo: float, hi: float) -> tuple[float, float]:
    """``lo``..``hi`` widened to whole steps of 1, 2 or 5 x 10^k (about a quarter of the
    span): the axis, and so the picture, changes only when the data crosses a step,
    not with every sample of a live value at its edge.

    >>> nice_range(103.0, 187.0)
    (100.0, 200.0)
    """
    span = hi - lo
    if span <= 0 or not math.isfinite(span):
        return lo, hi
    rough = span / 4
    magnitude = 10.0 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


# A chart keeps the axis it shows while everything fits on it and the axis fresh data
# would get spans at least this share of it: a live value that wanders by a few MiB
# gave a new axis, and a new picture of every bar, nearly every second.
KEEP_AXIS_SHARE = 1 / 3


def kept_axis(
    fresh: tuple[float, float], data: tuple[float, float], shown: tuple[float, float] | None
) -> tuple[float, float]:
    """``shown`` if it still holds ``data`` and is not much wider than ``fresh``."""
    if shown is None or not shown[0] <= data[0] <= data[1] <= shown[1]:
        return fresh
    if fresh[1] - fresh[0] < KEEP_AXIS_SHARE * (shown[1] - shown[0]):
        return fresh
    return shown


def y_axis(lo: float, hi: float, count_field: bool) -> tuple[str, int, list[float], list[str]]:
    """Unit, divisor, and three tick positions/labels that tell lo from hi."""
    if count_field:
        unit, divisor = "", 1
    else:
        unit, divisor = unit_for(max(abs(lo), abs(hi)))
    lo_s, hi_s = lo / divisor, hi / divisor
    span = hi_s - lo_s
    if span <= 0:
        decimals = 0 if divisor == 1 else 2
    else:
        # Enough decimals that the three labels differ, within reason.
        decimals = min(4, max(0, math.ceil(-math.log10(span / 2)) + 1))
        if divisor == 1:
            decimals = min(decimals, 1) if span < 3 else 0
        # Labels sit in a narrow column: at most 7 characters such as "22.679G".
        integer_digits = len(str(int(max(abs(lo_s), abs(hi_s)))))
        decimals = min(decimals, max(0, 5 - integer_digits))
    ticks = [lo_s, (lo_s + hi_s) / 2, hi_s] if span > 0 else [lo_s]
    suffix = unit[:1] if unit and unit != "B" else ""
    labels = [f"{tick:.{decimals}f}{suffix}" for tick in ticks]
    return unit, divisor, ticks, labels


def build_series(
    timestamps: Sequence[float],
    values: Sequence[float],
    end: float,
    window: float,
    columns: int,
    count_field: bool = False,
    include_partial: bool = False,
    min_complete: int = 0,
    latest: float | None = None,
    axis: tuple[float, float] | None = None,
) -> ChartSeries:
    """What a chart of the points draws. ``latest``, the value its title shows, is
    kept inside the axis: a title must not read a value its own chart cannot hold.
    ``axis``, the one the chart shows now, is kept while it fits (see kept_axis)."""
    xs, means, buckets = bucket_means(
        timestamps, values, end, window, columns, include_partial, min_complete
    )
    if means:
        lo, hi = min(means), max(means)
        if latest is not None and not math.isnan(latest):
            lo, hi = min(lo, latest), max(hi, latest)
        data = (lo, hi)
        lo, hi = axis_range(lo, hi, count_field)
        # Whole steps of the unit the labels are written in (MiB, GiB), not of bytes.
        scale = 1 if count_field else unit_for(max(abs(lo), abs(hi)))[1]
        low, high = nice_range(lo / scale, hi / scale)
        lo, hi = kept_axis((low * scale, high * scale), data, axis)
    else:
        lo = hi = 0.0
    unit, divisor, ticks, labels = y_axis(lo, hi, count_field)
    ys = [m / divisor for m in means]
    # A drawn partial bucket's mean still moves: key on its value too.
    partial = bool(xs) and buckets[1] > math.floor(end / (window / max(1, columns)))
    tail = (len(xs), ys[-1] if partial else None)
    return ChartSeries(
        xs=xs,
        ys=ys,
        x_window=window,
        unit=unit,
        divisor=divisor,
        y_ticks=ticks,
        y_labels=labels,
        key=(buckets, columns, unit, tuple(labels), tail),
        axis=(lo, hi),
    )


def still_current(
    series: ChartSeries, end: float, window: float, columns: int, latest: float | None
) -> bool:
    """Whether a live chart's ``series`` still stands at ``end``: it was built for
    this window and width, draws complete buckets only, none has completed since,
    and ``latest`` (the title's value) lies on its axis. ``build_series`` would then
    give its key again, so the chart keeps its picture without the build; only the
    oldest bucket, sliding out of the window, would have moved, and that bucket's
    mean is not redrawn until the next one completes either way."""
    if series.x_window != window or series.key[1] != columns or not series.ys:
        return False
    buckets, tail = series.key[0], series.key[-1]
    if not isinstance(buckets, tuple) or not isinstance(tail, tuple) or tail[1] is not None:
        return False  # a drawn partial bucket's mean moves with every sample
    if buckets[1] != math.floor(end / (window / max(1, columns))):
        return False
    return latest is None or (not math.isnan(latest) and series.axis[0] <= latest <= series.axis[1])


def x_ticks(window: float) -> tuple[list[float], list[str]]:
    """Time labels for the x axis: the window's start, middle and 'now', in one unit."""
    if window >= 7200:
        unit, scale = "h", 3600.0
    elif window >= 120:
        unit, scale = "m", 60.0
    else:
        unit, scale = "s", 1.0
    labels = [f"-{value / scale:.3g}{unit}" for value in (window, window / 2)]
    return [-window, -window / 2, 0.0], [*labels, "now"]
