"""A DataTable of rows to pick from, with the keys of less, vim and htop lists.

DataTable's own Home and End scroll sideways, to the first or last column, which
in a list of rows hides the column a user reads first (the address); here they go
to the first and last row, as do ``g`` and ``G``.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.binding import Binding

from memtui.widgets.measured_table import MeasuredTable

CellType = TypeVar("CellType")


class RowTable(MeasuredTable[CellType], Generic[CellType]):
    """A row-cursor DataTable whose Home/End and g/G go to the first and last row."""

    BINDINGS = [
        Binding("home,g", "first_row", "First", show=False),
        Binding("end,G", "last_row", "Last", show=False),
    ]

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)
