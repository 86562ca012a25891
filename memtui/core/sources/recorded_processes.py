"""The process picker's source in a replay: the processes as recorded at the cursor."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from memtui.core.processes.process_table import ProcessTable
from memtui.core.sources.history_page import HistoryPage


class RecordedProcesses:
    """Answers the picker as a live sampler would, from the replay's loaded page."""

    def __init__(self, page: Callable[[], HistoryPage | None], at: Callable[[], float | None]):
        self._page = page
        self._at = at

    def watch(self, pids: Iterable[int]) -> None:
        """Nothing to keep fresh: a recording does not change."""

    def sample(self, now: float | None = None) -> ProcessTable:
        page = self._page()
        at = self._at()
        if page is None or at is None:
            return ProcessTable(taken_at=0.0, rows=())
        return page.table_at(at)
