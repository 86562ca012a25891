"""The memory view's table of mappings: a DataTable whose render caches fit a screen.

DataTable keys its render caches with a counter that every ``update_cell`` bumps, so
each new RSS figure (every 5 s) leaves the renders of a whole screen of the table
behind, never to be asked for again. With DataTable's own sizes (10,000 cells and
1,000 each of rows, row renderables and lines) that garbage held 14 MiB after ten
minutes of a view refreshing: memtui's RSS grew from 53 to 67 MiB (issue 9, item 14;
docs/performance.md). Here the caches hold a screen of the tallest terminal, and a
cell is updated only when its text changes, so a process whose RSS stands still
costs no render at all.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets.data_table import ColumnKey, RowKey

from memtui.widgets.measured_table import MeasuredTable

# The table shows 6 columns: 2048 cells are 340 rows, a screen of the tallest terminal.
CELL_CACHE_ENTRIES = 2048
ROW_CACHE_ENTRIES = 512
RENDER_CACHE_ENTRIES = CELL_CACHE_ENTRIES + 3 * ROW_CACHE_ENTRIES
"""The most rendered cells, rows and lines the table holds, however long it runs."""


class MappingsTable(MeasuredTable[Text]):
    """A DataTable of Text cells with render caches sized for one screen."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, cursor_type="row")
        # DataTable has no option for these sizes; its caches are empty yet, so a
        # smaller maxsize holds from the first render on.
        self._cell_render_cache.maxsize = CELL_CACHE_ENTRIES
        self._row_render_cache.maxsize = ROW_CACHE_ENTRIES
        self._row_renderable_cache.maxsize = ROW_CACHE_ENTRIES
        self._line_cache.maxsize = ROW_CACHE_ENTRIES

    def set_cell_text(self, row_key: RowKey | str, column_key: ColumnKey | str, text: str) -> None:
        """Show ``text`` in a cell, if it does not already: any update renders the table anew."""
        if self.get_cell(row_key, column_key).plain != text:
            self.update_cell(row_key, column_key, Text(text, no_wrap=True))
