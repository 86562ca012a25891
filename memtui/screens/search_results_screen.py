"""Every match of the last search, with its address and mapping; Enter goes there."""

from __future__ import annotations

import contextlib

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from memtui.core.process_memory.data_inspector import Namer
from memtui.core.process_memory.memory_search import SearchMatch
from memtui.widgets.row_table import RowTable


class SearchResultsScreen(ModalScreen[int | None]):
    """The matches in address order; dismisses with the chosen address (None: Esc)."""

    BINDINGS = [Binding("escape,m,q", "dismiss(None)", "Close")]

    DEFAULT_CSS = """
    SearchResultsScreen { align: center middle; }
    SearchResultsScreen > Vertical {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 85%;
        border: round $accent;
        background: $surface;
    }
    SearchResultsScreen #results-summary { height: auto; padding: 0 1; }
    SearchResultsScreen DataTable { height: auto; max-height: 30; }
    """

    def __init__(
        self,
        matches: list[SearchMatch],
        summary: str,
        current: int | None,
        namer: Namer | None = None,
    ) -> None:
        super().__init__()
        self.matches = matches
        self.summary = summary
        self.current = current
        self.namer = namer

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Search results — enter goes there, esc closes"
            yield Static(self.summary, id="results-summary", markup=False)
            table: RowTable[Text] = RowTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("address", "mapping", "offset", "symbol", "perms", "path")
            for match in self.matches:
                mapping = match.mapping
                cells = (
                    f"{match.address:x}",
                    mapping.name,
                    f"+0x{match.address - mapping.start:x}",
                    (self.namer(match.address) if self.namer else None) or "",
                    mapping.perms,
                    mapping.display_path,
                )
                table.add_row(*(Text(cell, no_wrap=True) for cell in cells), key=str(match.address))
            yield table

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        table.focus()
        if self.current is not None:
            # Not in the list (capped): stay at the top.
            with contextlib.suppress(Exception):
                table.move_cursor(row=table.get_row_index(str(self.current)), animate=False)

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        self.dismiss(int(key) if key is not None else None)
