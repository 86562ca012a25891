"""The telescope pane: the words from the cursor, each followed through its pointers.

One row per word (see :mod:`memtui.core.process_memory.telescope`); Enter on a row
asks the view to move its cursor there.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from memtui.core.process_memory.telescope import ROWS, TelescopeRow, format_row


class Telescope(OptionList):
    """Rows of :func:`format_row`; posts :class:`Telescope.Chosen` on Enter."""

    DEFAULT_CSS = """
    Telescope {
        height: 18;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    class Chosen(Message):
        """The row of ``address`` was chosen: the hex cursor goes there."""

        def __init__(self, address: int) -> None:
            super().__init__()
            self.address = address

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.border_title = "Telescope"
        self.start: int | None = None
        self.rows: list[TelescopeRow] = []

    def show_rows(self, start: int, rows: list[TelescopeRow]) -> None:
        """Show ``rows`` read from ``start``, keeping the highlighted row where it was."""
        if start == self.start and rows == self.rows:
            return
        highlighted = self.highlighted if start == self.start else 0
        self.start, self.rows = start, rows
        self.border_title = f"Telescope @ {start:x}"
        self.border_subtitle = "enter goes there"
        self.set_options(
            Option(Text(format_row(row, start), no_wrap=True, overflow="ellipsis"), id=str(i))
            for i, row in enumerate(rows)
        )
        self.highlighted = min(highlighted or 0, max(len(rows) - 1, 0)) if rows else None

    def show_message(self, text: str) -> None:
        """Say why there are no rows (nothing under the cursor, a read failed)."""
        self.start, self.rows = None, []
        self.border_title = "Telescope"
        self.set_options([Option(Text(text), disabled=True)])

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = event.option_index
        if 0 <= index < len(self.rows):
            self.post_message(self.Chosen(self.rows[index].address))


__all__ = ["ROWS", "Telescope"]
