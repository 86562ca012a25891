"""Messages the app sends to its screens."""

from __future__ import annotations

from textual.message import Message

from memtui.core.processes.process_table import ProcessTable


class HistoryUpdated(Message):
    """A new meminfo sample reached the history (or the history was replaced)."""


class MeminfoSampled(Message):
    """The sampling worker read /proc/meminfo (``sample``), or failed (``error``)."""

    def __init__(
        self, timestamp: float, sample: dict[str, int] | None, error: str | None = None
    ) -> None:
        super().__init__()
        self.timestamp = timestamp
        self.sample = sample
        self.error = error


class ProcessesSampled(Message):
    """The process sampling worker read every process, for the leak attribution."""

    def __init__(self, table: ProcessTable) -> None:
        super().__init__()
        self.table = table
