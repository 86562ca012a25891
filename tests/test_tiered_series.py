"""The tiered history: raw samples, then bucket means; memory reserved as it fills."""

from __future__ import annotations

import gc
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from memtui.core import ring_buffer
from memtui.core.meminfo.history import MeminfoHistory, capacity_for
from memtui.core.processes.process_history import ProcessHistories
from memtui.core.processes.process_table import ProcessTable, ProcessTableSampler
from memtui.core.ring_buffer import RESERVE_UP_TO, FloatRing
from memtui.core.tiered_series import TieredSeries


def test_a_large_ring_grows_as_it_fills_and_then_wraps() -> None:
    capacity = RESERVE_UP_TO * 4
    ring = FloatRing(capacity)
    assert ring.allocated == 0
    for value in range(10):
        ring.append(value)
    assert 10 <= ring.allocated < capacity
    for value in range(10, capacity + 1500):
        ring.append(value)
    assert ring.allocated == capacity
    assert ring.to_list()[:2] == [1500.0, 1501.0] and ring.last() == capacity + 1499.0
    assert ring.first() == 1500.0 and len(ring) == capacity


def test_a_small_ring_is_reserved_whole_and_never_grows() -> None:
    ring = FloatRing(1000)
    assert ring.allocated == 1000
    for value in range(2500):
        ring.append(value)
    assert ring.allocated == 1000
    assert ring.to_list()[:2] == [1500.0, 1501.0] and ring[0] == 1500.0 and ring[-1] == 2499.0
    ring.clear(fill_count=3)
    assert len(ring) == 3 and all(math.isnan(v) for v in ring.to_list())


def test_padded_ring_lines_up_with_the_others() -> None:
    ring = FloatRing(4, fill_count=2)
    ring.append(1.0)
    values = ring.to_list()
    assert len(values) == 3 and math.isnan(values[0]) and values[2] == 1.0


def test_a_huge_history_reserves_nothing_up_front() -> None:
    # --history 1000h once reserved 2.4 GB within seconds (issue 9, item 14).
    history = MeminfoHistory(span_seconds=1000 * 3600)
    assert history.capacity == capacity_for(1000 * 3600)
    history.append(0.0, {"MemFree": 1, "Cached": 2})
    # The bucket tiers are reserved whole (they are small); the raw ring is not.
    assert history.tiered.memory_bytes() < 512 * 1024


def test_history_flag_of_1000_hours_starts_small() -> None:
    # The same through the real app's model builder, in a fresh interpreter: the
    # process must not balloon before the first frame.
    code = (
        "import argparse, resource\n"
        "from memtui.cli import build_parser\n"
        "from memtui.commands.dashboard import build_model\n"
        "args = build_parser().parse_args(['--history', '1000h'])\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "build_model(args)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 20 * 1024  # KiB; it was 2.4 GB


def test_bucket_means_and_times() -> None:
    series = TieredSeries[str](30, tiers=((10.0, 100.0),))
    for second in range(25):
        series.append(float(second), {"A": float(second)})
    # Raw holds the last 30 samples, all of them here: a 10 s window reads raw.
    times, values = series.series("A", 15.0)
    assert times == [float(t) for t in range(15, 25)]
    # Push the raw samples out: the tier then answers, with one mean per bucket.
    for second in range(25, 100):
        series.append(float(second), {"A": float(second)})
    times, values = series.series("A", 0.0, complete_only=True)
    assert times[:3] == [4.5, 14.5, 24.5] and values[:3] == [4.5, 14.5, 24.5]
    assert times[-1] == 84.5  # the bucket 90..99 is still open
    with_tail, _ = series.series("A", 0.0)
    assert with_tail[-1] == 99.0 and with_tail[-10] == 90.0


def test_complete_only_reads_bucket_means_even_where_raw_samples_reach_back() -> None:
    # A leak fit over 20 minutes of 1 s samples read 1,200 raw points every second,
    # and never hit its cache; complete buckets are ~120 points that change every 10 s.
    series = TieredSeries[str](2401, tiers=((10.0, 3600.0),))
    for second in range(1500):
        series.append(float(second), {"A": float(second)})
    times, values = series.series("A", 1499.0 - 1200.0, complete_only=True)
    assert len(times) == 119 and times[0] == 304.5 and times[-1] == 1484.5  # 1490.. is open
    assert values == times
    # Without complete_only the raw samples answer, as before.
    raw_times, _ = series.series("A", 1499.0 - 1200.0)
    assert len(raw_times) == 1201
    # Where no tier reaches back (a young session) the raw samples still answer.
    assert len(series.series("A", 0.0, complete_only=True)[0]) == 1500


def test_missing_values_are_skipped_in_means_never_zero() -> None:
    series = TieredSeries[str](5, tiers=((10.0, 100.0),))
    for second in range(30):
        values = {"A": 1.0} if second % 2 else {}
        values["B"] = 2.0
        series.append(float(second), values)
    _, a_means = series.series("A", 0.0, complete_only=True)
    assert a_means == [1.0, 1.0]
    _, missing = series.series("C", 0.0, complete_only=True)
    assert len(missing) == 2 and all(math.isnan(v) for v in missing)


def test_a_column_seen_late_is_nan_before() -> None:
    series = TieredSeries[str](100, tiers=((10.0, 100.0),))
    for second in range(40):
        values = {"A": 1.0}
        if second >= 25:
            values["B"] = 5.0
        series.append(float(second), values)
    _, b_raw = series.series("B", 0.0)
    assert len(b_raw) == 40 and math.isnan(b_raw[0]) and b_raw[-1] == 5.0
    assert series.columns == ["A", "B"]


def test_out_of_order_samples_are_refused() -> None:
    series = TieredSeries[str](10)
    series.append(5.0, {"A": 1.0})
    with pytest.raises(ValueError, match="time order"):
        series.append(4.0, {"A": 1.0})


def test_stored_tiers_load_before_samples() -> None:
    series = TieredSeries[str](10, tiers=((60.0, 3600.0),))
    series.load_tier(60.0, [30.0, 90.0, 150.0], {"A": [1.0, 2.0, 3.0]})
    series.append(200.0, {"A": 4.0})
    times, values = series.series("A", 0.0)
    assert times == [30.0, 90.0, 150.0, 200.0] and values == [1.0, 2.0, 3.0, 4.0]


def test_memory_is_flat_once_every_tier_is_full() -> None:
    tiers = ((10.0, 600.0), (60.0, 3600.0))
    series = TieredSeries[str](60, tiers=tiers)
    for second in range(4000):
        series.append(float(second), {"A": 1.0, "B": 2.0})
    full = series.memory_bytes()
    for second in range(4000, 20000):
        series.append(float(second), {"A": 1.0, "B": 2.0})
    assert series.memory_bytes() == full


def test_a_ring_extended_holds_what_appending_one_by_one_holds() -> None:
    from memtui.core.ring_buffer import FloatRing

    for capacity in (5, 64, 10_000):
        for first, then in ((0, 3), (2, 3), (3, 9), (0, 2 * capacity + 1)):
            one, bulk = FloatRing(capacity), FloatRing(capacity)
            for value in range(first):
                one.append(float(value))
                bulk.append(float(value))
            more = [float(100 + value) for value in range(then)]
            for value in more:
                one.append(value)
            bulk.extend(more)
            assert len(one) == len(bulk)
            assert [one[i] for i in range(len(one))] == [bulk[i] for i in range(len(bulk))]


def _every_point(series: TieredSeries[str], keys: list[str]) -> list[object]:
    """What every tier and the raw samples hold, column by column."""
    held: list[object] = [series.raw_times(), len(series), series.columns]
    for start in (0.0, 500.0, 900.0, 1150.0):
        for complete_only in (False, True):
            view = series.view(start, complete_only=complete_only)
            assert view is not None
            held.append(view.times)
            held += [[repr(v) for v in view.values(key)] for key in keys]
    return held


def test_extending_with_columns_holds_what_appending_one_by_one_holds() -> None:
    # Uneven times (gaps, two samples in one second), NaN holes, a column that starts
    # late and one gone quiet, a second batch after the first: as a Prometheus page.
    times = [float(t) + 0.25 * (t % 3) for t in range(0, 1200, 2) if t % 97]
    columns = {
        "A": [1000.0 + 3.0 * i for i in range(len(times))],
        "B": [math.nan if i % 7 == 0 else float(i % 13) for i in range(len(times))],
        "C": [math.nan] * 100 + [5.0] * (len(times) - 100),
    }
    tiers = ((10.0, 600.0), (60.0, 3600.0))
    for capacity in (50, 1000):
        one, bulk = TieredSeries[str](capacity, tiers), TieredSeries[str](capacity, tiers)
        one.append(-5.0, {"A": 7.0, "D": 1.0})
        bulk.append(-5.0, {"A": 7.0, "D": 1.0})
        for low, high in ((0, 200), (200, len(times))):
            for i in range(low, high):
                one.append(times[i], {key: values[i] for key, values in columns.items()})
            bulk.extend(times[low:high], {key: values[low:high] for key, values in columns.items()})
        assert bulk.version == one.version
        keys = ["A", "B", "C", "D"]
        assert _every_point(bulk, keys) == _every_point(one, keys)


def test_extending_out_of_order_is_refused() -> None:
    series = TieredSeries[str](10)
    series.append(5.0, {"A": 1.0})
    with pytest.raises(ValueError, match="time order"):
        series.extend([6.0, 4.0], {"A": [1.0, 2.0]})
    with pytest.raises(ValueError, match="time order"):
        series.extend([4.0], {"A": [1.0]})
    with pytest.raises(ValueError, match="as many"):
        series.extend([6.0, 7.0], {"A": [1.0]})


def test_a_history_extended_with_columns_keeps_the_newest_sample() -> None:
    history = MeminfoHistory(span_seconds=60.0)
    history.append(1.0, {"MemFree": 5})
    added = history.extend_columns(
        [0.5, 2.0, 3.0], {"MemFree": [9.0, 6.0, 7.0], "Cached": [1.0, 2.0, math.nan]}
    )
    assert added == 2  # the sample older than the newest is left out, as append does
    assert history.latest == {"MemFree": 7}
    assert history.series("MemFree", 60.0) == ([1.0, 2.0, 3.0], [5.0, 6.0, 7.0])


def test_process_rings_are_full_after_ten_minutes_at_the_idle_pace() -> None:
    # Sized for 2 s, the raw rings took 30 minutes to fill at the idle 6 s: memtui's
    # RSS grew 0.69 MiB from minute 10 to 30 of its own-memory bench.
    sampler = ProcessTableSampler(pss_budget=0, with_cmdline=False, with_cpu=False)
    table = sampler.sample()
    histories = ProcessHistories()
    histories.set_interval(6.0)
    assert histories.raw_capacity == 101
    at = 1_800_000_000.0
    sizes = {}
    for step in range(1, 301):  # 30 minutes at 6 s
        at += 6.0
        histories.add_table(table, at)
        if step in (110, 300):
            sizes[step] = histories.memory_bytes()
    processes = len(histories)
    # From minute 11 to 30 only the minute buckets grow: 19 values a process and
    # series. Raw samples would be 190 more each.
    assert sizes[300] - sizes[110] < processes * 2 * 4 * 60
    key = histories.identities()[0]
    times, _ = histories.growth_series(key, at - 600.0, at)
    assert times[0] <= at - 594.0  # the whole span still reads raw samples
    # Growing memory (2 s): room for ten minutes of them at once.
    histories.set_interval(2.0)
    assert histories.raw_capacity == 301


def test_a_pace_that_flips_copies_the_rings_once_and_shrinks_when_the_span_has_passed() -> None:
    # The app's pace flips between 2 s and 6 s as growth comes and goes. Shrinking at
    # each flip would copy every process's rings each time, scattered over the heap.
    table = ProcessTableSampler(pss_budget=0, with_cmdline=False, with_cpu=False).sample()
    histories = ProcessHistories()
    histories.set_interval(6.0)
    at = 1_800_000_000.0

    def take(count: int, every: float) -> None:
        nonlocal at
        for _ in range(count):
            at += every
            histories.add_table(table, at)

    take(150, 6.0)
    histories.set_interval(2.0)  # growth: room for ten minutes at 2 s, at once
    assert histories.raw_capacity == 301
    take(100, 2.0)
    version = histories.version
    histories.set_interval(6.0)
    histories.set_interval(2.0)
    histories.set_interval(6.0)
    assert histories.version == version and histories.raw_capacity == 301  # no copy
    take(50, 6.0)  # 5 minutes: the 2 s samples are still in the span
    assert histories.raw_capacity > 101
    take(100, 6.0)  # 10 more: they have left it
    assert histories.raw_capacity == 101
    times, _ = histories.growth_series(histories.identities()[0], at - 600.0, at)
    assert times[0] <= at - 594.0


def test_processes_that_came_and_went_leave_no_memory_behind() -> None:
    # A test suite or a build starts hundreds of short processes at once. Each one
    # used to get rings padded to the whole history and reserved whole (13 KiB), kept
    # after it exited: memtui's RSS stepped up by 14.5 MiB in an hour and stayed.
    sampler = ProcessTableSampler(pss_budget=0, with_cmdline=False, with_cpu=False)
    histories = ProcessHistories()
    at = 1_800_000_000.0
    quiet = sampler.sample()
    for _ in range(400):  # 800 s: the raw samples and the first buckets are full
        at += 2.0
        histories.add_table(quiet, at)
    before = histories.memory_bytes()
    children = [subprocess.Popen(["sleep", "60"]) for _ in range(100)]
    try:
        busy = sampler.sample()
        assert sum(row.pid in {c.pid for c in children} for row in busy.rows) == 100
        for _ in range(10):
            at += 2.0
            histories.add_table(busy, at)
        assert len(histories) >= 100
    finally:
        for child in children:
            child.kill()
            child.wait()
    after_burst = sampler.sample()
    at += 2.0
    histories.add_table(after_burst, at)
    assert not any(row.pid in {c.pid for c in children} for row in after_burst.rows)
    assert histories.memory_bytes() - before < 64 * 1024


def test_a_burst_of_processes_leaves_no_python_objects_behind() -> None:
    # Each exited process's column kept its six ring objects, empty, for the next
    # process: after a burst of 500, 0.7 MiB of the Python heap stayed, and the
    # pymalloc arenas holding it (a 1 MiB step of memtui's RSS).
    sampler = ProcessTableSampler(pss_budget=0, with_cmdline=False, with_cpu=False)
    histories = ProcessHistories()
    at = 1_800_000_000.0
    quiet = sampler.sample()
    for _ in range(40):
        at += 2.0
        histories.add_table(quiet, at)
    children = [subprocess.Popen(["sleep", "60"]) for _ in range(200)]
    try:
        busy = sampler.sample()
    finally:
        for child in children:
            child.kill()
            child.wait()
    after_burst = sampler.sample()
    pids = {child.pid for child in children}
    assert sum(row.pid in pids for row in busy.rows) == 200
    assert not any(row.pid in pids for row in after_burst.rows)
    # Only the quiet machine and the burst: a process that a parallel worker started
    # meanwhile would get its own rings, and be counted as kept (55 KiB in one CI run).
    known = {(row.pid, row.create_time) for row in quiet.rows}
    busy, after_burst = (
        ProcessTable(
            table.taken_at,
            tuple(
                row for row in table.rows if row.pid in pids or (row.pid, row.create_time) in known
            ),
        )
        for table in (busy, after_burst)
    )
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for table in (busy, busy, after_burst, after_burst):
            at += 2.0
            histories.add_table(table, at)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert len(histories) == sum(row.rss is not None for row in after_burst.rows)
    # What may stay: the dicts that grew to the burst's size (a dict does not shrink
    # as keys leave; how much depends on how many processes the machine runs, many
    # more in CI beside a parallel worker), and four samples more of the live ones.
    # Not the exited processes' ring objects (~280 KiB for 200), all made in
    # ring_buffer.py.
    rings = [tracemalloc.Filter(True, str(Path(ring_buffer.__file__)))]
    stats = after.filter_traces(rings).compare_to(before.filter_traces(rings), "filename")
    kept = sum(stat.size_diff for stat in stats)
    assert kept < 16 * 1024 + 64 * len(histories), (kept, len(histories))


def test_extend_reads_back_as_appending_one_sample_at_a_time() -> None:
    # A replay's page of processes goes in through extend: it must read back exactly
    # as the per-sample appends it replaced, gaps and late columns included.
    tiers = ((60.0, 6 * 3600.0), (600.0, 7 * 86400.0))
    one: TieredSeries[int] = TieredSeries(301, tiers, typecode="f", reserve=False)
    bulk: TieredSeries[int] = TieredSeries(301, tiers, typecode="f", reserve=False)
    stored = [1_000_000_000.0 + 60 * i for i in range(30)]
    for series in (one, bulk):
        series.load_tier(60.0, stored, {1: [float(i) for i in range(30)], 2: [5.0] * 30})
    times = [stored[-1] + 5 * i for i in range(1, 400)]  # past the raw capacity, too
    samples: list[dict[int, float]] = []
    for i, _ in enumerate(times):
        sample = {1: float(i), 3: float(i * i)} if i % 7 else {2: 1.0}
        if i > 120:
            sample[4 + i % 3] = float(-i)  # columns that first appear late
        samples.append(sample)
    for t, sample in zip(times, samples, strict=True):
        one.append(t, sample)
    keys = list(dict.fromkeys(key for sample in samples for key in sample))
    bulk.extend(times, {key: [s.get(key, math.nan) for s in samples] for key in keys})
    assert bulk.columns == one.columns and bulk.version == one.version
    for start in (times[-1] - 100, times[-1] - 1000, stored[0] - 1, stored[10]):
        for complete_only in (False, True):
            for key in [*one.columns, 99]:
                a = one.series(key, start, complete_only=complete_only)
                b = bulk.series(key, start, complete_only=complete_only)
                assert a[0] == b[0]
                assert [v if v == v else "nan" for v in a[1]] == [
                    v if v == v else "nan" for v in b[1]
                ]
    latest = [(one.latest_value(key), bulk.latest_value(key)) for key in one.columns]
    assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in latest)
