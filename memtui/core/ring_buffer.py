"""A fixed-capacity ring of floats, stored flat in an ``array('d')``.

The history must stay flat over hours of sampling. A deque of Python floats costs
about 32 bytes a value and churns the allocator on every sample; an array costs 8
bytes a value and never grows after construction.
"""

from __future__ import annotations

import math
from array import array

NAN = math.nan


class FloatRing:
    """The last ``capacity`` floats appended, oldest first when read back."""

    __slots__ = ("_capacity", "_count", "_head", "_values")

    def __init__(self, capacity: int, fill_count: int = 0) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._values = array("d", [NAN]) * capacity
        self._head = 0  # index the next value is written to
        self._count = 0
        # A field first seen late is padded so it lines up with the timestamps.
        for _ in range(min(fill_count, capacity)):
            self.append(NAN)

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return self._count

    def append(self, value: float) -> None:
        self._values[self._head] = value
        self._head = (self._head + 1) % self._capacity
        if self._count < self._capacity:
            self._count += 1

    def last(self) -> float:
        if not self._count:
            raise IndexError("empty ring")
        return self._values[(self._head - 1) % self._capacity]

    def to_list(self, newest: int | None = None) -> list[float]:
        """The values oldest first; only the ``newest`` N of them when given."""
        count = self._count if newest is None else max(0, min(newest, self._count))
        if count == 0:
            return []
        start = (self._head - count) % self._capacity
        end = start + count
        if end <= self._capacity:
            return self._values[start:end].tolist()
        return self._values[start:].tolist() + self._values[: end - self._capacity].tolist()
