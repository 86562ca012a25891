"""Samples of named columns at shared times: every sample for a while, then bucket means.

A leak of 10 MiB an hour shows only over hours, yet a history of hours at one point a
second would cost megabytes per field. So a series keeps its raw samples (up to
``raw_capacity`` of them) and, beside them, the means of fixed time buckets at coarser
resolutions (:data:`TIERS`: 10 s buckets for 6 hours, 1 min for 2 days, 10 min for 30
days), each in a ring that grows as it fills and never beyond its span. A query for
the last hour then reads ~360 bucket means instead of 3,600 samples.

Buckets are aligned to absolute time (``t // width``), so a live run and a replay of
its recording cut the same buckets. A bucket's time is the mean time of its samples,
and a column's mean skips its missing (NaN) values; a bucket with none is NaN.

Not thread-safe: one thread appends and reads (the one that owns the model).
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Generic, TypeVar

from memtui.core.ring_buffer import FloatRing

HOUR = 3600.0
DAY = 24 * HOUR

TIERS: tuple[tuple[float, float], ...] = ((10.0, 6 * HOUR), (60.0, 2 * DAY), (600.0, 30 * DAY))
"""(bucket width, how long the tier keeps) in seconds, finest first."""

K = TypeVar("K")

BucketClosed = Callable[[float, float, dict[object, float]], None]
"""on_bucket(width, bucket time, {column: mean}) when a tier closes a bucket."""


class _Tier:
    """The bucket means of one resolution, and the bucket being filled."""

    __slots__ = (
        "capacity",
        "columns",
        "count_t",
        "counts",
        "current",
        "loaded_until",
        "reserve",
        "sum_t",
        "sums",
        "times",
        "typecode",
        "width",
    )

    def __init__(self, width: float, span: float, typecode: str, reserve: bool) -> None:
        self.width = width
        self.capacity = max(2, math.ceil(span / width))
        self.typecode = typecode
        self.reserve = reserve
        self.times = FloatRing(self.capacity)
        self.columns: list[FloatRing] = []
        self.current: int | None = None  # index (t // width) of the bucket being filled
        # Buckets up to this index came from a store: samples in them are not re-added.
        self.loaded_until = -math.inf
        self.sum_t = 0.0
        self.count_t = 0
        self.sums: list[float] = []
        self.counts: list[int] = []

    def add_column(self) -> None:
        self.columns.append(FloatRing(self.capacity, 0, self.typecode, reserve=self.reserve))
        self.sums.append(0.0)
        self.counts.append(0)

    def drop_columns(self, start: int) -> None:
        """Forget the columns from ``start`` on (slots no column holds any more)."""
        del self.columns[start:], self.sums[start:], self.counts[start:]

    def reset_column(self, index: int) -> None:
        self.columns[index].clear()
        self.sums[index] = 0.0
        self.counts[index] = 0

    def add(self, timestamp: float, values: Sequence[float], active: Sequence[bool]) -> bool:
        """Take one sample; True when it closed the previous bucket."""
        bucket = int(timestamp // self.width)
        if bucket <= self.loaded_until:
            return False
        closed = False
        if self.current is not None and bucket != self.current:
            closed = self.close(active)
        self.current = bucket
        self.sum_t += timestamp
        self.count_t += 1
        sums, counts = self.sums, self.counts
        for index, value in enumerate(values):
            if value == value:  # not NaN
                sums[index] += value
                counts[index] += 1
        return closed

    def add_many(
        self, times: Sequence[float], columns: Sequence[Sequence[float]], active: Sequence[bool]
    ) -> None:
        """Take samples in time order, as ``add`` one by one would, a bucket's worth at
        a time; ``columns[i]`` are column i's values at ``times``. ``sum`` adds in the
        same order as ``add`` (Python 3.12 on compensates its rounding: then the means
        may differ from ``add``'s in their last bit)."""
        width, count = self.width, len(times)
        start = 0
        while start < count:
            bucket = int(times[start] // width)
            # The bucket's end by bisection, then made exact against ``//`` itself.
            end = max(start + 1, bisect.bisect_left(times, (bucket + 1) * width, start))
            while end < count and int(times[end] // width) == bucket:
                end += 1
            while end > start + 1 and int(times[end - 1] // width) != bucket:
                end -= 1
            if bucket > self.loaded_until:
                if self.current is not None and bucket != self.current:
                    self.close(active)
                self.current = bucket
                self.sum_t = sum(times[start:end], self.sum_t)
                self.count_t += end - start
                sums, counts = self.sums, self.counts
                for index, values in enumerate(columns):
                    part = values[start:end]
                    total = sum(part, sums[index])
                    if total == total:  # no NaN among them: the usual case
                        sums[index] = total
                        counts[index] += end - start
                        continue
                    present = [value for value in part if value == value]
                    sums[index] = sum(present, sums[index])
                    counts[index] += len(present)
            start = end

    def close(self, active: Sequence[bool]) -> bool:
        if not self.count_t:
            return False
        self.times.append(self.sum_t / self.count_t)
        for index, ring in enumerate(self.columns):
            if not active[index]:
                continue
            count = self.counts[index]
            ring.append(self.sums[index] / count if count else math.nan)
            self.sums[index] = 0.0
            self.counts[index] = 0
        self.sum_t = 0.0
        self.count_t = 0
        return True

    def bucket_end(self) -> float | None:
        """Where the newest complete bucket ends; None before the first."""
        if not len(self.times):
            return None
        return (math.floor(self.times.last() / self.width) + 1) * self.width


class TieredSeries(Generic[K]):
    """Columns of floats at shared timestamps: raw samples, then tiers of means.

    ``raw_capacity`` bounds the raw samples (a span divided by the interval the caller
    samples at; :meth:`resize_raw` when that changes); rings grow as they fill, so
    unused capacity costs nothing.
    Columns are keyed by any hashable (field names, process identities); a column
    removed with :meth:`remove_column` gives its slot to the next new one.

    A column's rings hold only what was appended since the column appeared: they end
    with the newest time, and the times before their first value read as NaN. So a
    column that lives a few samples (a short job among hundreds of processes) costs
    a few values, not a history's worth of NaN padding. ``reserve=False`` also keeps
    small rings from being allocated whole ahead (see :class:`FloatRing`).
    """

    def __init__(
        self,
        raw_capacity: int,
        tiers: Sequence[tuple[float, float]] = TIERS,
        *,
        typecode: str = "d",
        on_bucket: BucketClosed | None = None,
        reserve: bool = True,
    ) -> None:
        if raw_capacity < 2:
            raise ValueError("need a capacity of at least 2")
        self.raw_capacity = raw_capacity
        self._typecode = typecode
        self._reserve = reserve
        self._times = FloatRing(raw_capacity)
        self._raw: list[FloatRing] = []
        self._index: dict[K, int] = {}
        self._free: list[int] = []
        self._active: list[bool] = []
        self._tiers = [_Tier(width, span, typecode, reserve) for width, span in tiers]
        self._appends = 0
        self._row: list[float] = []
        self._on_bucket = on_bucket

    # -- writing ---------------------------------------------------------------------

    def column_index(self, key: K) -> int:
        """The slot of column ``key``, adding it (NaN before now) if new."""
        index = self._index.get(key)
        if index is not None:
            return index
        if self._free:
            # The lowest free slot: the highest ones are then the first to be free at
            # the end, where remove_column gives them back.
            index = heapq.heappop(self._free)
            self._raw[index].clear()
            self._active[index] = True
            for tier in self._tiers:
                tier.reset_column(index)
        else:
            index = len(self._raw)
            self._raw.append(FloatRing(self.raw_capacity, 0, self._typecode, reserve=self._reserve))
            self._row.append(math.nan)
            self._active.append(True)
            for tier in self._tiers:
                tier.add_column()
        self._index[key] = index
        return index

    def remove_column(self, key: K) -> None:
        """Forget column ``key`` (an exited process); its memory is reused, or given
        back when no column after it is left."""
        index = self._index.pop(key, None)
        if index is None:
            return
        self._raw[index].clear()
        self._active[index] = False
        for tier in self._tiers:
            tier.columns[index].clear()
        heapq.heappush(self._free, index)
        if index == len(self._raw) - 1:
            self._drop_free_tail()

    def _drop_free_tail(self) -> None:
        """Give back the free slots at the end. After a burst of hundreds of processes
        their empty rings (six objects a process) would stay for the next burst, and
        with them the pymalloc arenas they hold (docs/performance.md)."""
        end = len(self._raw)
        while end and not self._active[end - 1]:
            end -= 1
        del self._raw[end:], self._row[end:], self._active[end:]
        for tier in self._tiers:
            tier.drop_columns(end)
        self._free = [index for index in self._free if index < end]
        heapq.heapify(self._free)

    def append(self, timestamp: float, values: Mapping[K, float]) -> None:
        """Add one sample; a column absent from ``values`` gets NaN, never 0."""
        if len(self._times) and timestamp < self._times.last():
            raise ValueError("samples must come in time order")
        for key in values:
            if key not in self._index:
                self.column_index(key)
        row = self._row
        for index in range(len(row)):
            row[index] = math.nan
        index_of = self._index
        for key, value in values.items():
            row[index_of[key]] = float(value)
        self._times.append(timestamp)
        active = self._active
        for index, ring in enumerate(self._raw):
            if active[index]:
                ring.append(row[index])
        for tier in self._tiers:
            if tier.add(timestamp, row, active) and self._on_bucket is not None:
                self._report(tier)
        self._appends += 1

    def extend(self, times: Sequence[float], columns: Mapping[K, Sequence[float]]) -> None:
        """Add many samples at once, holding what ``append`` one by one would: each
        column's values at ``times`` in one list (NaN where missing; a column absent
        from ``columns`` gets NaN). A Prometheus page of 600 samples of 5 fields goes
        in several times faster than by ``append``: rings take slices, and tiers sum
        a bucket at a time."""
        count = len(times)
        if any(len(values) != count for values in columns.values()):
            raise ValueError("every column needs as many values as there are times")
        if not count:
            return
        previous = self._times.last() if len(self._times) else -math.inf
        for timestamp in times:
            if timestamp < previous:
                raise ValueError("samples must come in time order")
            previous = timestamp
        if self._on_bucket is not None:
            # Bucket reports name each closed bucket as it closes: sample by sample.
            for i, timestamp in enumerate(times):
                self.append(timestamp, {key: values[i] for key, values in columns.items()})
            return
        for key in columns:
            self.column_index(key)
        absent = [math.nan] * count
        by_index: list[Sequence[float]] = [absent] * len(self._raw)
        for key, values in columns.items():
            by_index[self._index[key]] = [float(value) for value in values]
        # Only the newest raw_capacity samples stay in the raw rings.
        keep = max(0, count - self.raw_capacity)
        self._times.extend(times[keep:])
        active = self._active
        for index, ring in enumerate(self._raw):
            if active[index]:
                ring.extend(by_index[index][keep:])
        for tier in self._tiers:
            tier.add_many(times, by_index, active)
        self._appends += count

    def resize_raw(self, capacity: int) -> None:
        """Hold at most ``capacity`` raw samples from now on, keeping the newest (the
        sampling interval changed: a span's worth of samples is another count)."""
        if capacity < 2:
            raise ValueError("need a capacity of at least 2")
        if capacity == self.raw_capacity:
            return

        def moved(ring: FloatRing, typecode: str, reserve: bool) -> FloatRing:
            kept = FloatRing(capacity, 0, typecode, reserve=reserve)
            kept.extend(ring.to_list(newest=capacity))
            return kept

        self._times = moved(self._times, "d", True)
        self._raw = [moved(ring, self._typecode, self._reserve) for ring in self._raw]
        self.raw_capacity = capacity
        self._appends += 1

    def raw_count_since(self, start: float) -> int:
        """Raw samples at or after ``start``."""
        return len(self._times) - bisect.bisect_left(self._times, start)

    def _report(self, tier: _Tier) -> None:
        assert self._on_bucket is not None
        columns = tier.columns
        means: dict[object, float] = {
            key: columns[index].last() if len(columns[index]) else math.nan
            for key, index in self._index.items()
        }
        self._on_bucket(tier.width, tier.times.last(), means)

    def load_tier(
        self, width: float, times: Sequence[float], columns: Mapping[K, Sequence[float]]
    ) -> None:
        """Fill the tier of bucket ``width`` with stored bucket means (a replay), before
        any sample is appended; ``times`` ascending. Samples appended later that fall
        in these buckets are not counted again."""
        if len(self._times):
            raise ValueError("load tiers before appending samples")
        tier = next((t for t in self._tiers if t.width == width), None)
        if tier is None:
            raise ValueError(f"no tier of {width:g} s buckets")
        for key in columns:
            self.column_index(key)
        keys = {index: key for key, index in self._index.items()}
        tier.times.extend(times)
        absent = [math.nan] * len(times)
        for index, ring in enumerate(tier.columns):
            owner = keys.get(index)
            values = columns.get(owner) if owner is not None else None
            ring.extend(values if values is not None else absent)
        if times:
            tier.loaded_until = int(times[-1] // width)
        self._appends += 1

    # -- reading ---------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Changes whenever the series changes: a cache key."""
        return self._appends

    @property
    def columns(self) -> list[K]:
        """Every column held, in order of first appearance."""
        return list(self._index)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __len__(self) -> int:
        """Raw samples held."""
        return len(self._times)

    @property
    def latest_time(self) -> float | None:
        return self._times.last() if len(self._times) else None

    @property
    def first_time(self) -> float | None:
        """The oldest time any tier still holds."""
        firsts = [self._times.first()] if len(self._times) else []
        firsts += [tier.times.first() for tier in self._tiers if len(tier.times)]
        return min(firsts) if firsts else None

    def latest_value(self, key: K) -> float:
        index = self._index.get(key)
        if index is None or not len(self._raw[index]):
            return math.nan
        return self._raw[index].last()

    def raw_times(self) -> list[float]:
        return self._times.to_list()

    def series(
        self,
        key: K,
        start: float,
        end: float | None = None,
        *,
        complete_only: bool = False,
    ) -> tuple[list[float], list[float]]:
        """(times, values) of column ``key`` from ``start`` to ``end`` (default: the
        newest sample), oldest first, NaN where missing.

        Read from the finest resolution that reaches back to ``start``: raw samples if
        they do, else the first tier of bucket means that does (else the one that
        reaches furthest back), followed by the raw samples after its newest complete
        bucket. ``complete_only`` reads only complete buckets, from the finest tier
        that reaches back to ``start`` even where raw samples do too (they change only
        when a bucket closes, so fits over them can be cached); raw samples only where
        no tier reaches back that far (a young session).
        """
        view = self.view(start, end, complete_only=complete_only)
        if view is None:
            return [], []
        return view.times, view.values(key)

    def view(
        self, start: float, end: float | None = None, *, complete_only: bool = False
    ) -> SeriesView[K] | None:
        """The points of every column from ``start`` to ``end``, chosen as ``series``
        chooses them: the times are found once (by bisection on the rings, so only
        the points in the window become Python floats), then each column is a slice."""
        stop = end
        if stop is None:
            stop = self.latest_time
            if stop is None:
                filled = [t.times.last() for t in self._tiers if len(t.times)]
                if not filled:
                    return None
                stop = max(filled)
        raw = self._times
        # Complete buckets, even where raw samples reach back: a 20-minute fit then
        # reads 120 means rather than 1,200 samples, and the same ones until the next
        # bucket closes (so its fit can be cached).
        tier = self._covering_tier(start) if complete_only else None
        if tier is None:
            if len(raw) and raw.first() <= start:
                return self._ring_view(raw, self._raw, start, stop)
            tier = self._tier_for(start)
            if tier is None:
                return self._ring_view(raw, self._raw, start, stop) if len(raw) else None
        low = bisect.bisect_left(tier.times, start)
        high = bisect.bisect_right(tier.times, stop)
        parts = [(tier.columns, low, high, len(tier.times))]
        times = tier.times.slice(low, high)
        tail_from = tier.bucket_end()
        if not complete_only and tail_from is not None and len(raw):
            tail_low = max(bisect.bisect_left(raw, tail_from), bisect.bisect_left(raw, start))
            tail_high = bisect.bisect_right(raw, stop)
            if tail_low < tail_high:
                parts.append((self._raw, tail_low, tail_high, len(raw)))
                times += raw.slice(tail_low, tail_high)
        return SeriesView(self._index, times, parts)

    def _ring_view(
        self, times: FloatRing, rings: list[FloatRing], start: float, stop: float
    ) -> SeriesView[K]:
        low = bisect.bisect_left(times, start)
        high = bisect.bisect_right(times, stop)
        return SeriesView(self._index, times.slice(low, high), [(rings, low, high, len(times))])

    def _covering_tier(self, start: float) -> _Tier | None:
        """The finest tier whose buckets reach back to ``start``; None if none does."""
        return next(
            (tier for tier in self._tiers if len(tier.times) and tier.times.first() <= start),
            None,
        )

    def _tier_for(self, start: float) -> _Tier | None:
        covering = self._covering_tier(start)
        if covering is not None:
            return covering
        filled = [tier for tier in self._tiers if len(tier.times)]
        if not filled:
            return None
        earliest = min(tier.times.first() for tier in filled)
        raw_first = self._times.first() if len(self._times) else math.inf
        if raw_first <= earliest:
            return None  # the raw samples reach back furthest: a young session
        return next(tier for tier in filled if tier.times.first() == earliest)

    def tier_widths(self) -> list[float]:
        return [tier.width for tier in self._tiers]

    def memory_bytes(self) -> int:
        """Bytes held by the rings' arrays (what grows as the history fills)."""
        rings = [self._times, *self._raw]
        for tier in self._tiers:
            rings += [tier.times, *tier.columns]
        return sum(ring.allocated * ring.itemsize for ring in rings)


class SeriesView(Generic[K]):
    """The same stretch of time for every column of a :class:`TieredSeries`."""

    __slots__ = ("_index", "_parts", "times")

    def __init__(
        self,
        index: Mapping[K, int],
        times: list[float],
        parts: list[tuple[list[FloatRing], int, int, int]],
    ) -> None:
        self._index = index
        self.times = times
        # (the rings of a tier or the raw samples, low, high, times held): indices
        # into that kind's times; a column's ring ends at the newest of them and may
        # hold fewer (see TieredSeries), so index i is its i - (held - len(ring)).
        self._parts = parts

    def values(self, key: K) -> list[float]:
        index = self._index.get(key)
        if index is None:
            return [math.nan] * len(self.times)
        values: list[float] = []
        for rings, low, high, held in self._parts:
            ring = rings[index]
            before = held - len(ring)
            if low < before:
                values.extend([math.nan] * (min(high, before) - low))
            values.extend(ring.slice(low - before, high - before))
        return values

    def endpoints(self, key: K) -> tuple[float, float]:
        """The first and the last value of column ``key`` in the view (NaN if none)."""
        index = self._index.get(key)
        if index is None or not self.times:
            return math.nan, math.nan
        rings, low, _, held = self._parts[0]
        ring = rings[index]
        before = held - len(ring)
        first = ring[low - before] if low >= before else math.nan
        rings, _, high, held = self._parts[-1]
        ring = rings[index]
        before = held - len(ring)
        last = ring[high - 1 - before] if high - 1 >= before else math.nan
        return first, last
