"""The bounded history of /proc/meminfo samples that the dashboard charts.

The worker thread does the /proc read; appending here is cheap and happens on the
thread that owns the history, so readers never see a half-written sample.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping

from memtui.core.ring_buffer import FloatRing

# The fastest the dashboard samples; it sizes the ring so that `span` seconds of
# history always fit, whatever interval the user picks with + and -.
MIN_INTERVAL = 0.25


def capacity_for(span_seconds: float, min_interval: float = MIN_INTERVAL) -> int:
    return max(2, math.ceil(span_seconds / min_interval) + 1)


class MeminfoHistory:
    """At most ``span_seconds`` of samples, in a ring that never grows."""

    def __init__(self, span_seconds: float, capacity: int | None = None) -> None:
        self.span_seconds = span_seconds
        self.capacity = capacity if capacity is not None else capacity_for(span_seconds)
        self._timestamps = FloatRing(self.capacity)
        self._fields: dict[str, FloatRing] = {}
        self._latest: dict[str, int] = {}
        self._appends = 0
        # (appends, window) -> timestamps in the window: every chart asks each sample.
        self._window_cache: tuple[tuple[int, float], list[float]] | None = None

    def __len__(self) -> int:
        return len(self._timestamps)

    @property
    def fields(self) -> list[str]:
        """Every field ever seen, in the kernel's order of first appearance."""
        return list(self._fields)

    @property
    def latest_time(self) -> float | None:
        """When the newest sample was taken; None before the first."""
        return self._timestamps.last() if len(self._timestamps) else None

    @property
    def latest(self) -> dict[str, int]:
        """The newest sample as read (fields that vanished are absent)."""
        return dict(self._latest)

    def append(self, timestamp: float, sample: Mapping[str, int]) -> None:
        count = len(self._timestamps)
        self._timestamps.append(timestamp)
        for name, value in sample.items():
            ring = self._fields.get(name)
            if ring is None:
                ring = self._fields[name] = FloatRing(self.capacity, fill_count=count)
            ring.append(float(value))
        # A field that disappears keeps its past; its gap reads as NaN, never as 0.
        for name, ring in self._fields.items():
            if name not in sample:
                ring.append(math.nan)
        self._latest = dict(sample)
        self._appends += 1

    def extend(self, samples: Iterable[tuple[float, Mapping[str, int]]]) -> None:
        for timestamp, sample in samples:
            self.append(timestamp, sample)

    def series(
        self, name: str, window_seconds: float | None = None
    ) -> tuple[list[float], list[float]]:
        """Timestamps and values of one field over the last ``window_seconds``
        (default: the whole span), oldest first; missing values are NaN."""
        window = self.span_seconds if window_seconds is None else window_seconds
        timestamps = self._window_timestamps(window)
        ring = self._fields.get(name)
        count = len(timestamps)
        values = ring.to_list(newest=count) if ring is not None else [math.nan] * count
        return list(timestamps), values

    def _window_timestamps(self, window: float) -> list[float]:
        key = (self._appends, window)
        if self._window_cache is not None and self._window_cache[0] == key:
            return self._window_cache[1]
        timestamps = self._timestamps.to_list()
        if timestamps:
            first = bisect.bisect_left(timestamps, timestamps[-1] - window)
            timestamps = timestamps[first:]
        self._window_cache = (key, timestamps)
        return timestamps
