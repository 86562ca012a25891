"""A bounded ring of floats, stored flat in an ``array('d')``.

The history must stay flat over hours of sampling. A deque of Python floats costs
about 32 bytes a value and churns the allocator on every sample; an array costs 8
bytes a value. A ring of up to :data:`RESERVE_UP_TO` values is allocated whole at
once (a few KiB: then it never grows, and memtui's memory is flat from the start);
a larger one grows as values arrive, doubling up to ``capacity`` and never beyond,
so a history sized for 1,000 hours costs nothing until it fills (``--history
1000h`` once reserved 2.4 GB at start-up).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

NAN = math.nan
_FIRST_ALLOCATION = 64
RESERVE_UP_TO = 8192


def _nans(typecode: str, count: int = 0) -> array[float]:
    """An array of ``count`` NaNs of 8-byte ("d") or 4-byte ("f") floats."""
    one = array("d", [NAN]) if typecode == "d" else array("f", [NAN])
    return one * count


class FloatRing:
    """The last ``capacity`` floats appended, oldest first when read back."""

    __slots__ = ("_capacity", "_count", "_head", "_reserve", "_typecode", "_values")

    def __init__(
        self, capacity: int, fill_count: int = 0, typecode: str = "d", *, reserve: bool = True
    ) -> None:
        """``typecode`` "f" stores 4-byte floats: half the memory, 7 significant digits
        (a byte count of 1 TB is then kept to 64 KiB). ``reserve=False`` never
        allocates ahead, even for a small ring, and :meth:`clear` gives the memory
        back: for the rings of short-lived things (a process that lives a few
        seconds), whose reserved arrays would outlive them."""
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        if typecode not in ("d", "f"):
            raise ValueError("typecode must be 'd' or 'f'")
        self._capacity = capacity
        self._typecode = typecode
        self._reserve = reserve
        self._values = _nans(typecode)
        # Until the array reaches capacity it is a plain list in order (head == count);
        # from then on it wraps and ``_head`` is where the next value goes.
        self._head = 0
        self._count = 0
        # A field first seen late is padded so it lines up with the timestamps.
        fill = min(fill_count, capacity)
        if fill:
            self._values.extend(_nans(typecode, fill))
            self._count = fill
            self._head = fill % capacity
        if reserve and capacity <= RESERVE_UP_TO:
            self._values.extend(_nans(typecode, capacity - len(self._values)))

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def allocated(self) -> int:
        """How many values the array holds room for now (at most ``capacity``)."""
        return len(self._values)

    def __len__(self) -> int:
        return self._count

    def append(self, value: float) -> None:
        values = self._values
        if len(values) < self._capacity:
            if self._count == len(values):
                # Grow by doubling (array.extend amortises it), never past capacity.
                room = min(self._capacity, max(_FIRST_ALLOCATION, 2 * len(values)))
                values.extend(_nans(self._typecode, room - len(values)))
            values[self._count] = value
            self._count += 1
            self._head = self._count % self._capacity
            return
        values[self._head] = value
        self._head = (self._head + 1) % self._capacity
        if self._count < self._capacity:
            self._count += 1

    def extend(self, values: Sequence[float]) -> None:
        """Append every value in order, as ``append`` would one by one; in one slice
        assignment while the ring has not wrapped (a replay loads a day of bucket
        means into thousands of rings at once: 5.6 million appends took seconds)."""
        count, wanted = self._count, len(values)
        if not wanted:
            return
        if count + wanted > self._capacity:  # it would wrap: rare; the plain way is right
            for value in values:
                self.append(value)
            return
        if len(self._values) < count + wanted:
            room = min(
                self._capacity, max(_FIRST_ALLOCATION, 2 * len(self._values), count + wanted)
            )
            self._values.extend(_nans(self._typecode, room - len(self._values)))
        self._values[count : count + wanted] = array(self._typecode, values)
        self._count = count + wanted
        self._head = self._count % self._capacity

    @property
    def itemsize(self) -> int:
        return self._values.itemsize

    def clear(self, fill_count: int = 0) -> None:
        """Forget every value (a large or unreserved ring gives its memory back); then
        pad like a new ring."""
        if self._capacity > RESERVE_UP_TO or not self._reserve:
            self._values = _nans(self._typecode)
        self._head = self._count = 0
        fill = min(fill_count, self._capacity)
        if fill:
            if len(self._values) < fill:
                self._values.extend(_nans(self._typecode, fill - len(self._values)))
            self._values[:fill] = _nans(self._typecode, fill)
            self._count = fill
            self._head = fill % self._capacity

    def __getitem__(self, index: int) -> float:
        """The value ``index`` places from the oldest (negative: from the newest)."""
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("ring index out of range")
        return self._values[(self._head - self._count + index) % len(self._values)]

    def last(self) -> float:
        if not self._count:
            raise IndexError("empty ring")
        return self._values[(self._head - 1) % len(self._values)]

    def first(self) -> float:
        if not self._count:
            raise IndexError("empty ring")
        return self._values[(self._head - self._count) % len(self._values)]

    def slice(self, low: int, high: int) -> list[float]:
        """The values from logical index ``low`` (0: the oldest) up to ``high``: only
        those are turned into Python floats, not the whole ring."""
        low = max(0, low)
        high = min(high, self._count)
        if low >= high:
            return []
        size = len(self._values)
        start = (self._head - self._count + low) % size
        end = start + (high - low)
        if end <= size:
            return self._values[start:end].tolist()
        return self._values[start:].tolist() + self._values[: end - size].tolist()

    def to_list(self, newest: int | None = None) -> list[float]:
        """The values oldest first; only the ``newest`` N of them when given."""
        count = self._count if newest is None else max(0, min(newest, self._count))
        if count == 0:
            return []
        size = len(self._values)
        start = (self._head - count) % size
        end = start + count
        if end <= size:
            return self._values[start:end].tolist()
        return self._values[start:].tolist() + self._values[: end - size].tolist()
