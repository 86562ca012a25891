"""What a chart draws: one point per column, stable until a bucket completes."""

from __future__ import annotations

import math
import random

from memtui.core.model.chart_series import (
    ChartSeries,
    bucket_means,
    build_series,
    still_current,
    x_ticks,
    y_axis,
)


def test_one_point_per_complete_bucket_inside_the_frame() -> None:
    timestamps = [float(t) for t in range(100, 221)]
    values = [float(t) for t in timestamps]
    xs, ys, _ = bucket_means(timestamps, values, end=220.0, window=120.0, columns=12)
    # 10 s buckets; the one 220 falls in is still filling and is left out.
    assert len(xs) == 12
    assert all(-120.0 <= x <= 0.0 for x in xs)
    assert ys[-1] == sum(range(210, 220)) / 10


def test_partial_bucket_is_clamped_to_now() -> None:
    xs, _, _ = bucket_means([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], end=2.0, window=10.0,
                            columns=2, include_partial=True)  # fmt: skip
    assert xs and max(xs) <= 0.0


def test_picture_key_changes_only_when_a_bucket_completes() -> None:
    def key_at(end: float) -> tuple[object, ...]:
        timestamps = [float(t) for t in range(int(end) + 1)]
        return build_series(timestamps, [1.0] * len(timestamps), end, 120.0, 12).key

    assert key_at(201.0) == key_at(205.0)  # same 10 s bucket filling
    assert key_at(205.0) != key_at(211.0)  # a bucket completed


def test_missing_values_are_skipped_not_zero() -> None:
    _xs, ys, _ = bucket_means([0.0, 1.0, 12.0], [5.0, math.nan, 7.0], 20.0, 20.0, 2)
    assert ys == [5.0, 7.0]


def test_y_axis_labels_tell_close_values_apart() -> None:
    unit, divisor, _ticks, labels = y_axis(1.2100 * (1 << 30), 1.2103 * (1 << 30), False)
    assert unit == "GiB" and divisor == 1 << 30
    assert len(set(labels)) == 3
    assert all(label.endswith("G") for label in labels)


def test_counts_are_not_scaled() -> None:
    unit, divisor, _, labels = y_axis(2, 64, count_field=True)
    assert (unit, divisor) == ("", 1) and labels == ["2", "33", "64"]


def test_x_ticks_use_one_unit() -> None:
    assert x_ticks(120)[1] == ["-2m", "-1m", "now"]
    assert x_ticks(149)[1] == ["-2.48m", "-1.24m", "now"]
    assert x_ticks(60)[1] == ["-60s", "-30s", "now"]
    assert x_ticks(3 * 3600)[1] == ["-3h", "-1.5h", "now"]


def test_a_fresh_chart_draws_the_filling_bucket_until_it_has_enough() -> None:
    # Two samples, both in the bucket still filling (10 s buckets).
    timestamps, values = [101.0, 102.0], [5.0, 7.0]
    xs, _, _ = bucket_means(timestamps, values, end=102.0, window=100.0, columns=10)
    assert xs == []  # by default only complete buckets are drawn
    xs, ys, _ = bucket_means(timestamps, values, 102.0, 100.0, 10, min_complete=3)
    assert ys == [6.0]
    # Once three complete buckets have data, the filling one is left out again.
    timestamps = [71.0, 81.0, 91.0, 101.0]
    xs, ys, _ = bucket_means(timestamps, [1.0, 2.0, 3.0, 4.0], 101.0, 100.0, 10, min_complete=3)
    assert ys == [1.0, 2.0, 3.0]


def test_a_flat_series_gets_an_axis_around_its_value_with_distinct_labels() -> None:
    value = 228.14 * (1 << 20)
    times = [float(t) for t in range(60)]
    flat = build_series(times, [value] * 60, end=60.0, window=60.0, columns=30)
    assert len(set(flat.y_labels)) == len(flat.y_labels) >= 2
    assert flat.y_ticks[0] < value / flat.divisor < flat.y_ticks[-1]
    # A 4 KiB wobble on it stays a wobble, not a full-height swing.
    wobble = build_series(
        times, [value + 4096 * (t % 2) for t in range(60)], end=60.0, window=60.0, columns=30
    )
    assert wobble.y_ticks[-1] - wobble.y_ticks[0] >= 0.01 * value / wobble.divisor
    zero = build_series(times, [0.0] * 60, end=60.0, window=60.0, columns=30)
    assert zero.y_ticks[0] == 0 and len(set(zero.y_labels)) == len(zero.y_labels) >= 2


def test_the_title_value_lies_within_its_charts_axis() -> None:
    # The last complete buckets read 584..903 MiB, the live value already 952 MiB.
    mib = float(1 << 20)
    times = [float(t) for t in range(60)]
    values = [(584 + (903 - 584) * t / 59) * mib for t in range(60)]
    series = build_series(times, values, end=60.0, window=60.0, columns=30, latest=952 * mib)
    assert series.y_ticks[0] * series.divisor <= 584 * mib
    assert series.y_ticks[-1] * series.divisor >= 952 * mib


def test_a_live_value_moving_inside_the_axis_keeps_the_picture() -> None:
    # Flat bucket means and a live value wandering around them: each sample's fresh
    # axis differs, and redrawing the bars for each was most of the dashboard's bytes.
    mib = float(1 << 20)
    times = [float(t) for t in range(200)]
    values = [(700 + t % 10) * mib for t in range(200)]

    def series_at(latest: float, axis: tuple[float, float] | None = None) -> ChartSeries:
        return build_series(times, values, 199.5, 300.0, 30, latest=latest * mib, axis=axis)

    first = series_at(716)
    assert series_at(705).key != first.key  # a fresh axis each time
    for latest in (705, 712, 703, 709):
        kept = series_at(latest, first.axis)
        assert kept.key == first.key
        low, high = kept.y_ticks[0] * kept.divisor, kept.y_ticks[-1] * kept.divisor
        assert low <= latest * mib <= high  # the title's value stays on the axis
    # A value outside the axis moves it; so does data in a band far narrower than it.
    assert series_at(730, first.axis).key != first.key
    wide = series_at(790)
    assert series_at(705, wide.axis).key != wide.key


def test_bucketing_by_bisection_matches_the_point_by_point_sum() -> None:
    # The history's lists (oldest first) are bucketed by bisection; anything else
    # point by point. Both must give the same buckets, on boundaries and NaN included.
    rng = random.Random(11)
    for _ in range(300):
        columns = rng.randint(1, 40)
        window = rng.choice([60.0, 300.0, 7.3, 1000.0])
        width = window / columns
        start = rng.uniform(0, 1e9)
        times = sorted(
            rng.choice([start + rng.uniform(0, 2 * window), math.floor(start / width + k) * width])
            for k in range(rng.randint(0, 200))
        )
        values = [rng.choice([float(rng.randint(0, 1 << 40)), math.nan]) for _ in times]
        end = (times[-1] if times else start) + rng.uniform(-window, window / 3)
        partial, least = rng.random() < 0.3, rng.randint(0, 3)
        fast = bucket_means(times, values, end, window, columns, partial, least)
        slow = bucket_means(tuple(times), tuple(values), end, window, columns, partial, least)
        assert fast == slow


def test_a_series_stays_current_until_a_bucket_completes_or_the_value_leaves_its_axis() -> None:
    times = [float(t) for t in range(100, 221)]
    values = [1e9 + 1e6 * (t % 7) for t in times]
    series = build_series(times, values, end=220.0, window=120.0, columns=12, latest=values[-1])
    lo, hi = series.axis
    # 10 s buckets: up to 229.99 s the same ones are complete.
    assert still_current(series, 229.5, 120.0, 12, values[-1])
    assert still_current(series, 229.5, 120.0, 12, None)
    assert not still_current(series, 230.0, 120.0, 12, values[-1])  # one more completed
    assert not still_current(series, 225.0, 120.0, 24, values[-1])  # another width
    assert not still_current(series, 225.0, 60.0, 12, values[-1])  # another window
    assert not still_current(series, 225.0, 120.0, 12, hi + 1)  # off the axis
    assert not still_current(series, 225.0, 120.0, 12, lo - 1)
    assert not still_current(series, 225.0, 120.0, 12, math.nan)
    # A series that draws the bucket still filling changes with every sample.
    young = build_series(times[:5], values[:5], end=104.0, window=120.0, columns=12,
                         min_complete=1)  # fmt: skip
    assert young.key[-1][1] is not None  # type: ignore[index]
    assert not still_current(young, 104.5, 120.0, 12, values[4])
