"""Messages the app sends to its screens."""

from __future__ import annotations

from textual.message import Message

from memtui.core.processes.process_table import ProcessTable
from memtui.core.sources.history_page import HistoryPage


class HistoryUpdated(Message, bubble=False):
    """A new meminfo sample reached the history (or the history was replaced).

    Posted to the screen on top, for that screen alone: bubbling on to the app, which
    has no handler, cost a dispatch a second."""


class MeminfoSampled(Message):
    """A read of /proc/meminfo (``sample``), or its failure (``error``)."""

    def __init__(
        self, timestamp: float, sample: dict[str, int] | None, error: str | None = None
    ) -> None:
        super().__init__()
        self.timestamp = timestamp
        self.sample = sample
        self.error = error


class ProcessesSampled(Message):
    """The process sampling worker read every process, for the leak attribution."""

    def __init__(self, table: ProcessTable, at: float) -> None:
        super().__init__()
        self.table = table
        self.at = at
        """The wall-clock time the sample began."""


class ReplayProgress(Message):
    """The replay worker's progress in opening a recording (a CSV being read)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ReplayPageLoaded(Message):
    """A page of the recording around ``cursor`` is ready."""

    def __init__(self, page: HistoryPage, cursor: float, truncated: str | None = None) -> None:
        super().__init__()
        self.page = page
        self.cursor = cursor
        self.truncated = truncated


class ReplayProcessesLoaded(Message):
    """The processes of the page shown (asked for as ``request``) are in: ``page`` is
    that page with them."""

    def __init__(self, page: HistoryPage, request: int) -> None:
        super().__init__()
        self.page = page
        self.request = request


class ReplayFailed(Message):
    """The recording could not be read; ``error`` is one line for the user."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
