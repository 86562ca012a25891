"""The bounded history of /proc/meminfo samples that the dashboard charts.

Every sample is kept for ``span_seconds`` (``--history``); beyond that, bucket means
at coarser resolutions keep hours and days of trend at little cost
(:mod:`memtui.core.tiered_series`). The worker thread does the /proc read; appending
here is cheap and happens on the thread that owns the history, so readers never see
a half-written sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from memtui.core import raw_span
from memtui.core.raw_span import RawSpan
from memtui.core.tiered_series import TIERS, BucketClosed, SeriesView, TieredSeries

# The fastest the dashboard samples: it sizes the raw samples of a history told no
# interval, so that `span` seconds of them fit at any interval.
MIN_INTERVAL = 0.25


def capacity_for(span_seconds: float, min_interval: float = MIN_INTERVAL) -> int:
    return raw_span.capacity_for(span_seconds, min_interval)


class MeminfoHistory:
    """Every sample of the last ``span_seconds``, then tiers of bucket means.

    Memory grows as the history fills and stops once it is full: the raw samples are
    bounded by ``capacity``, each tier by its span.
    """

    def __init__(
        self,
        span_seconds: float,
        capacity: int | None = None,
        tiers: Sequence[tuple[float, float]] = TIERS,
        on_bucket: BucketClosed | None = None,
        interval: float | None = None,
    ) -> None:
        """``on_bucket(width, time, means)`` hears of every bucket mean as its bucket
        closes (the recorder stores them). ``interval``, the sampling interval, sizes
        the raw samples to the span at it (see :meth:`set_interval`); without it they
        are sized for the fastest, MIN_INTERVAL."""
        self.span_seconds = span_seconds
        if capacity is None:
            capacity = capacity_for(span_seconds, interval or MIN_INTERVAL)
        self._series: TieredSeries[str] = TieredSeries(capacity, tiers, on_bucket=on_bucket)
        self._raw_span = RawSpan(span_seconds, [self._series])
        self._latest: dict[str, int] = {}

    def set_interval(self, interval: float) -> None:
        """Samples come every ``interval`` seconds from now on: hold a span of them
        (:class:`RawSpan`)."""
        self._raw_span.set_interval(interval if interval > 0 else MIN_INTERVAL)

    @property
    def capacity(self) -> int:
        """The raw samples held at most."""
        return self._raw_span.capacity

    def __len__(self) -> int:
        return len(self._series)

    @property
    def tiered(self) -> TieredSeries[str]:
        """The underlying series, for loading a replay's stored tiers."""
        return self._series

    @property
    def version(self) -> int:
        """Changes with every sample: a cache key."""
        return self._series.version

    @property
    def fields(self) -> list[str]:
        """Every field ever seen, in the kernel's order of first appearance."""
        return self._series.columns

    @property
    def latest_time(self) -> float | None:
        """When the newest sample was taken; None before the first."""
        return self._series.latest_time

    @property
    def first_time(self) -> float | None:
        """The oldest time the history still holds anything for."""
        return self._series.first_time

    @property
    def latest(self) -> dict[str, int]:
        """The newest sample as read (fields that vanished are absent)."""
        return dict(self._latest)

    def append(self, timestamp: float, sample: Mapping[str, int]) -> bool:
        """Add a sample; False (and nothing added) if it is older than the newest, as
        after the wall clock was set back."""
        latest = self._series.latest_time
        if latest is not None and timestamp < latest:
            return False
        self._series.append(timestamp, sample)
        self._latest = dict(sample)
        self._raw_span.appended()
        return True

    def extend(self, samples: Iterable[tuple[float, Mapping[str, int]]]) -> None:
        for timestamp, sample in samples:
            self.append(timestamp, sample)

    def extend_columns(self, times: Sequence[float], columns: Mapping[str, Sequence[float]]) -> int:
        """Add many samples at once (a page from Prometheus), each field's values in
        one list, NaN where a sample lacks it; ``times`` ascending. Samples older than
        the newest are left out, as ``append`` leaves them. Returns how many went in."""
        latest = self._series.latest_time
        skip = 0
        if latest is not None:
            while skip < len(times) and times[skip] < latest:
                skip += 1
        if skip == len(times):
            return 0
        kept = {name: values[skip:] for name, values in columns.items()}
        self._series.extend(times[skip:], kept)
        self._raw_span.appended(len(times) - skip)
        self._latest = {
            name: int(values[-1]) for name, values in kept.items() if not math.isnan(values[-1])
        }
        return len(times) - skip

    def series(
        self,
        name: str,
        window_seconds: float | None = None,
        end: float | None = None,
        *,
        complete_only: bool = False,
    ) -> tuple[list[float], list[float]]:
        """Timestamps and values of one field over the ``window_seconds`` before ``end``
        (default: the whole span, up to the newest sample), oldest first; missing values
        are NaN. Windows longer than the span are read from the coarser tiers."""
        window = self.span_seconds if window_seconds is None else window_seconds
        stop = self.latest_time if end is None else end
        if stop is None:
            return [], []
        return self._series.series(name, stop - window, stop, complete_only=complete_only)

    def window(self, window_seconds: float, end: float) -> SeriesView[str] | None:
        """Every field over the ``window_seconds`` before ``end``, as ``series`` reads
        each: the times found once, for a caller that reads many fields (each tile's
        title, each sample)."""
        return self._series.view(end - window_seconds, end)

    def sample_at(self, at: float) -> dict[str, int]:
        """The newest value of every field at or before ``at``: the header's figures at
        the time cursor (a field missing then is absent)."""
        view = self._series.view(at - self.span_seconds, at)
        if view is None or not view.times:
            return {}
        found: dict[str, int] = {}
        for name in self._series.columns:
            _, last = view.endpoints(name)
            if not math.isnan(last):
                found[name] = int(last)
        return found

    def value_at(self, name: str, at: float) -> float:
        """The newest value of ``name`` at or before ``at``; NaN if none."""
        _, values = self._series.series(name, at - self.span_seconds, at)
        for value in reversed(values):
            if not math.isnan(value):
                return value
        return math.nan
