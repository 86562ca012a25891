"""Watches: values at fixed addresses, read again at every refresh of the memory view.

Pure logic, no Textual. A watch is an address and one of the data inspector's types
(:data:`memtui.core.process_memory.data_inspector.TYPES`, little-endian); at each
refresh its bytes come back with the rows of the hex view, read under the same freeze
(:meth:`MemorySession.set_watches`), and the watch keeps its value, how many times
that value changed since the watch was added, and the last :data:`HISTORY` values for
a sparkline. Bytes that cannot be read give no value (``—``), never zeros.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from memtui.core.process_memory.data_inspector import (
    MISSING,
    TYPES,
    decode_value,
    type_size,
    value_text,
)
from memtui.core.process_memory.read_result import ReadResult

MAX_WATCHES = 32
"""More would not fit a pane, and each one is read at every refresh."""
HISTORY = 60
"""Values kept per watch for its sparkline: a minute at the default interval."""

Range = tuple[int, int]


class WatchError(ValueError):
    """A watch that cannot be added; the message says why, for the user."""


@dataclass(slots=True)
class Watch:
    """The value of type ``type_name`` at ``address``, as of the latest refresh."""

    address: int
    type_name: str
    value: int | float | None = None
    """None while the bytes are unreadable, or not read yet."""
    text: str = MISSING
    changes: int = 0
    """How many refreshes found a value other than the one before."""
    history: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    """The latest values, oldest first; NaN where there was none."""

    @property
    def size(self) -> int:
        return type_size(self.type_name)

    @property
    def range(self) -> Range:
        return self.address, self.size

    def update(self, data: bytes) -> bool:
        """Take the value read now (``data`` short: unreadable); True if it changed.

        A value that comes back after being unreadable is no change: nothing was
        seen to change.
        """
        value = decode_value(self.type_name, data)
        changed = value is not None and self.value is not None and not _same(value, self.value)
        if changed:
            self.changes += 1
        if value is not None or self.value is not None:
            self.value = value
            self.text = value_text(self.type_name, data) if value is not None else MISSING
        self.history.append(_point(value))
        return changed


def _same(a: int | float, b: int | float) -> bool:
    # NaN is never equal to itself, yet a NaN that stays NaN has not changed.
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a + b))


def _point(value: int | float | None) -> float:
    """A sparkline point: the value, NaN for none (or infinite: it has no height)."""
    if value is None:
        return math.nan
    point = float(value)
    return point if math.isfinite(point) else math.nan


class WatchList:
    """The watches of one view, in the order they were added, at most MAX_WATCHES."""

    def __init__(self) -> None:
        self.watches: list[Watch] = []

    def __len__(self) -> int:
        return len(self.watches)

    def add(self, address: int, type_name: str, data: bytes) -> Watch:
        """Watch ``address`` as ``type_name``, starting from ``data`` (its bytes as last read).

        WatchError says why not: the list is full, or that very watch exists.
        """
        if type_name not in TYPES:
            raise WatchError(f"{type_name}: not a type ({', '.join(TYPES)})")
        if any(w.address == address and w.type_name == type_name for w in self.watches):
            raise WatchError(f"0x{address:x} is watched as {type_name} already")
        if len(self.watches) >= MAX_WATCHES:
            raise WatchError(
                f"At most {MAX_WATCHES} watches: remove one (x or delete in the pane) first"
            )
        watch = Watch(address, type_name)
        watch.update(data)
        self.watches.append(watch)
        return watch

    def remove(self, index: int) -> Watch:
        return self.watches.pop(index)

    def ranges(self) -> tuple[Range, ...]:
        """(address, length) of every watch: what each refresh reads for them."""
        return tuple(watch.range for watch in self.watches)

    def update(self, results: Sequence[ReadResult]) -> int:
        """Take the values read for :meth:`ranges`; returns how many watches changed.

        Results are matched by address and length, so a watch added or removed since
        the read was asked for is left alone.
        """
        read = {(r.address, len(r.data)): r for r in results}
        changed = 0
        for watch in self.watches:
            result = read.get(watch.range)
            if result is not None:
                changed += watch.update(readable_prefix(result))
        return changed


def readable_prefix(result: ReadResult) -> bytes:
    """The bytes of ``result`` up to the first one that could not be read."""
    end = result.end
    for start, _ in result.unreadable:
        end = min(end, max(start, result.address))
    return bytes(result.data[: end - result.address])
