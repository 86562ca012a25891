"""A DataTable that draws again what it drew before it measured its columns.

DataTable measures a new row's cells only on idle, and keeps the lines, rows and
cells it drew before then in caches keyed by a counter that the measuring does not
bump. A header drawn between ``add_row`` and that idle (the screen refreshes on its
own schedule, which a loaded machine makes late) keeps the widths of the labels
alone (`` start  end  size ``) above rows drawn at their full widths, until some
cell changes; with auto-refresh off, for good. Here the measuring empties those
caches, so the next frame draws every line at the widths just measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

CellType = TypeVar("CellType")


class MeasuredTable(DataTable[CellType], Generic[CellType]):
    """A DataTable whose header and rows always have the widths last measured."""

    _measured: tuple[int, ...] = ()
    """Each column's width, with padding, as the last dimensions update left it."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Runs on idle after every change of cells, rows or columns, once the changed
        # cells were measured: the one place that sees the widths the caches missed.
        super()._update_dimensions(new_rows)
        widths = tuple(column.get_render_width(self) for column in self.columns.values())
        if widths != self._measured:
            self._measured = widths
            self._clear_caches()
            self.refresh()
