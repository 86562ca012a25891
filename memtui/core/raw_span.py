"""Raw samples sized for a span of time at the interval actually sampled.

A history keeps every sample of its last ``span`` seconds, then bucket means
(:mod:`memtui.core.tiered_series`). The count of samples that span takes depends on
the sampling interval, which the user (``+``/``-``) or the app (a slower pace while
nothing grows) changes. Sized for the fastest interval, a ring fills for longer than
the span at a slower one: a 10-minute history at 1 s kept 40 minutes of meminfo, and
the process rings sized for 2 s took 30 minutes to fill at the idle 6 s. memtui's
memory then grew for that long, not for the span.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from memtui.core.tiered_series import TieredSeries

SHRINK_CHECK = 60
"""Appends between checks whether the samples of a faster interval are past the span."""


def capacity_for(span_seconds: float, interval: float) -> int:
    """Samples that ``span_seconds`` holds at one every ``interval`` seconds."""
    return max(2, math.ceil(span_seconds / interval) + 1)


class RawSpan:
    """Keeps the raw rings of ``series`` sized to ``span`` seconds at the interval.

    A faster interval makes room at once. After a slower one, the samples of the
    faster are let go once they are older than the span: :meth:`appended` checks every
    SHRINK_CHECK samples, so a pace that flips back and forth does not copy rings.
    Rings that hold no more than the slower pace needs shrink at once.
    """

    def __init__(self, span: float, series: Sequence[TieredSeries[Any]]) -> None:
        """The series hold what they were sized for until told an interval."""
        self.span = span
        self._series = tuple(series)
        self._wanted = self.capacity
        self._appended = 0

    @property
    def capacity(self) -> int:
        """The raw samples each series holds at most."""
        return self._series[0].raw_capacity

    def set_interval(self, interval: float) -> None:
        """Samples come every ``interval`` seconds from now on."""
        if interval <= 0:
            raise ValueError("an interval must be positive")
        wanted = capacity_for(self.span, interval)
        if wanted == self._wanted:
            return  # the app says the pace at every read: most often the same one
        self._wanted = wanted
        if wanted > self.capacity:
            self._resize(wanted)
        elif len(self._series[0]) <= wanted:
            # Nothing to let go (the first reads): the smaller rings at once. Else
            # later, from appended(): a pace that flips back and forth would copy
            # every ring at each flip, and scatter the copies over the heap.
            self._resize(wanted)

    def appended(self, count: int = 1) -> None:
        """``count`` samples went in."""
        checks = self._appended // SHRINK_CHECK
        self._appended += count
        if self.capacity > self._wanted and self._appended // SHRINK_CHECK != checks:
            self._shrink_if_past_span()

    def _resize(self, capacity: int) -> None:
        for series in self._series:
            series.resize_raw(capacity)

    def _shrink_if_past_span(self) -> None:
        first = self._series[0]
        latest = first.latest_time
        if latest is None:
            return
        within = first.raw_count_since(latest - self.span)
        keep = max(self._wanted, within)
        if keep < self.capacity:
            self._resize(keep)
