"""The bounded history and the statistics the dashboard titles show."""

from __future__ import annotations

import itertools
import math
import resource

from memtui.core.meminfo.history import MeminfoHistory, capacity_for
from memtui.core.meminfo.stats import field_stats, linear_fit
from memtui.core.ring_buffer import FloatRing


def test_ring_keeps_the_newest_values_oldest_first() -> None:
    ring = FloatRing(3)
    for value in range(5):
        ring.append(value)
    assert ring.to_list() == [2.0, 3.0, 4.0]
    assert ring.to_list(newest=2) == [3.0, 4.0]
    assert ring.last() == 4.0 and len(ring) == 3


def test_history_is_bounded_by_capacity_and_span() -> None:
    history = MeminfoHistory(span_seconds=10, capacity=20)
    for second in range(100):
        history.append(float(second), {"MemFree": second * 4096})
    assert len(history) == 20
    timestamps, values = history.series("MemFree")
    assert timestamps[0] == 89.0 and timestamps[-1] == 99.0  # only the last 10 s
    assert values[-1] == 99 * 4096


def test_raw_samples_hold_the_span_at_the_interval_sampled() -> None:
    # Sized for 0.25 s, a 10-minute history at 1 s held 40 minutes of raw samples, and
    # memtui's memory grew for 40 minutes: the bench started counting at minute 10.
    history = MeminfoHistory(span_seconds=600, interval=1.0)
    for second in range(3000):
        history.append(float(second), {"MemFree": second})
    assert len(history) == 601 and history.capacity == capacity_for(600, 1.0)
    # Faster (the - key): room for the span at 0.25 s at once, nothing lost.
    history.set_interval(0.25)
    assert history.capacity == capacity_for(600) and len(history) == 601
    t = 3000.0
    for _ in range(2400):
        history.append(t, {"MemFree": int(t)})
        t += 0.25
    assert len(history) == 2401
    # Slower again: the fast samples go once they are older than the span, not before.
    history.set_interval(2.0)
    assert history.capacity == 2401
    times, _ = history.series("MemFree", 600)
    assert len(times) == 2400 and times[-1] == t - 0.25  # 3000 .. 3599.75
    for _ in range(400):
        history.append(t, {"MemFree": int(t)})
        t += 2.0
    assert history.capacity < 2401 and len(history) <= history.capacity
    times, _ = history.series("MemFree", 600)
    assert times[0] <= t - 2.0 - 600 + 2.0  # the whole span still reads raw samples
    assert all(b - a == 2.0 for a, b in itertools.pairwise(times))


def test_field_that_appears_late_or_vanishes_reads_as_nan_not_zero() -> None:
    history = MeminfoHistory(span_seconds=100)
    history.append(0.0, {"A": 1})
    history.append(1.0, {"A": 2, "B": 10})
    history.append(2.0, {"B": 11})
    _, a_values = history.series("A")
    _, b_values = history.series("B")
    assert a_values[:2] == [1.0, 2.0] and math.isnan(a_values[2])
    assert math.isnan(b_values[0]) and b_values[1:] == [10.0, 11.0]
    assert history.fields == ["A", "B"]
    assert history.latest == {"B": 11}


def test_a_million_samples_do_not_grow_memory() -> None:
    history = MeminfoHistory(span_seconds=600)
    sample = {name: 1 << 30 for name in ("Committed_AS", "AnonPages", "MemFree", "Cached")}
    for second in range(50_000):
        history.append(float(second), sample)
    rss_after_warmup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for second in range(50_000, 1_000_000):
        history.append(float(second), sample)
    rss_after_million = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert len(history) == capacity_for(600)
    assert rss_after_million - rss_after_warmup < 2048  # KiB: flat, not ~MBs per 100k


def test_least_squares_rate_and_fit() -> None:
    # 1 MiB per second, exactly: 60 MiB/min with a perfect fit.
    timestamps = [float(t) for t in range(30)]
    values = [float(t << 20) for t in range(30)]
    stats = field_stats(timestamps, values)
    assert stats is not None
    assert stats.rate_per_minute == 60 * (1 << 20)
    assert stats.r_squared == 1.0
    assert (stats.minimum, stats.maximum, stats.current) == (0.0, 29.0 * (1 << 20), values[-1])
    assert stats.change == values[-1] - values[0]


def test_a_spike_at_the_end_is_not_a_trend() -> None:
    timestamps = [float(t) for t in range(60)]
    values = [100.0] * 59 + [10_000.0]
    stats = field_stats(timestamps, values)
    assert stats is not None
    assert stats.change == 9_900.0
    assert stats.r_squared < 0.2  # churn, not a line


def test_stats_skip_missing_values_and_handle_degenerate_input() -> None:
    assert field_stats([], []) is None
    assert field_stats([0.0], [math.nan]) is None
    one = field_stats([0.0, 1.0], [5.0, math.nan])
    assert one is not None and one.rate_per_minute == 0 and one.samples == 1
    assert linear_fit([1.0, 1.0], [2.0, 3.0]) == (0.0, 0.0)
