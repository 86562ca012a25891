"""The data inspector panel: the bytes at the hex view's cursor as numbers, pointer, string."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from memtui.core.process_memory.data_inspector import (
    STRING_BYTES,
    Inspection,
    Namer,
    inspect_bytes,
)
from memtui.core.process_memory.proc_maps import Mapping

BYTES_NEEDED = STRING_BYTES
"""Bytes from the cursor the panel reads: 8 for the numbers, more for the string."""


def inspector_table(inspection: Inspection) -> Group:
    """The numbers as a table (type, little-endian, big-endian), then pointer and string."""
    table = Table(box=None, padding=(0, 1, 0, 0), expand=False, show_edge=False)
    table.add_column("type", style="bold", no_wrap=True, min_width=3)
    table.add_column("little-endian", no_wrap=True, overflow="ellipsis", max_width=22)
    table.add_column("big-endian", no_wrap=True, overflow="ellipsis", max_width=22)
    for row in inspection.rows:
        one_byte = row.label in ("u8", "i8")
        table.add_row(row.label, row.little, "" if one_byte else row.big)
    pointer = Text.assemble(("ptr ", "bold"), inspection.pointer_text, overflow="fold")
    string = Text.assemble(("str ", "bold"), inspection.string, overflow="fold")
    return Group(table, pointer, string)


class DataInspector(Static):
    """u8..i64 (both byte orders), f32, f64, the pointer and the C string at the cursor."""

    DEFAULT_CSS = """
    DataInspector {
        width: 52;
        height: 1fr;
        padding: 0 1;
        border: round $primary;
        background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.inspection: Inspection | None = None
        self.border_title = "Inspector"

    def show(
        self,
        address: int | None,
        data: bytes,
        mappings: Sequence[Mapping],
        namer: Namer | None = None,
    ) -> None:
        """Show what the ``data`` read at ``address`` holds (nothing: no cursor)."""
        if address is None:
            self.inspection = None
            self.update("No byte under the cursor.")
            return
        inspection = inspect_bytes(data, mappings, namer)
        if inspection == self.inspection and self.border_title == f"Inspector @ {address:x}":
            return
        self.inspection = inspection
        self.border_title = f"Inspector @ {address:x}"
        self.border_subtitle = "enter follows ptr · backspace back"
        self.update(inspector_table(inspection), layout=False)
