"""The result of one read: the bytes, and the spans that could not be read.

Its own module, away from :mod:`memtui.core.process_memory.memory_reader`, because ``dataclasses``
imports ``inspect`` (15 ms at start-up here, a third of a 64 MiB ``memtui dump``);
the reader loads this module only when a caller asks for a ReadResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]


@dataclass
class ReadResult:
    """``len(data)`` bytes from ``address``; bytes inside ``unreadable`` are zero, not data."""

    address: int
    data: bytes | bytearray | memoryview
    unreadable: list[Span] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every requested byte was read."""
        return not self.unreadable

    @property
    def end(self) -> int:
        return self.address + len(self.data)
