"""The data inspector panel: the bytes at the hex view's cursor as numbers, pointer, string."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from memtui.core.process_memory.data_inspector import (
    STRING_BYTES,
    TYPES,
    Inspection,
    Namer,
    inspect_bytes,
)
from memtui.core.process_memory.proc_maps import Mapping

BYTES_NEEDED = STRING_BYTES
"""Bytes from the cursor the panel reads: 8 for the numbers, more for the string."""
DEFAULT_TYPE = "i32"
"""The type a watch takes until ``t`` picks another: C's int."""
CHOSEN_STYLE = "reverse"


def inspector_table(inspection: Inspection, chosen: str = DEFAULT_TYPE) -> Group:
    """The numbers as a table (type, little-endian, big-endian), then pointer and string.

    The row of the ``chosen`` type (what a watch takes) is highlighted.
    """
    table = Table(box=None, padding=(0, 1, 0, 0), expand=False, show_edge=False)
    table.add_column("type", style="bold", no_wrap=True, min_width=3)
    table.add_column("little-endian", no_wrap=True, overflow="ellipsis", max_width=22)
    table.add_column("big-endian", no_wrap=True, overflow="ellipsis", max_width=22)
    for row in inspection.rows:
        one_byte = row.label in ("u8", "i8")
        style = CHOSEN_STYLE if row.label == chosen else None
        table.add_row(row.label, row.little, "" if one_byte else row.big, style=style)
    pointer = Text.assemble(("ptr ", "bold"), inspection.pointer_text, overflow="fold")
    string = Text.assemble(("str ", "bold"), inspection.string, overflow="fold")
    return Group(table, pointer, string)


def compact_inspector_table(inspection: Inspection, chosen: str = DEFAULT_TYPE) -> Group:
    """Little-endian only, two types a line (u8 i8, u16 i16, ...): 7 lines for a short screen."""
    lines = []
    rows = inspection.rows
    for first, second in zip(rows[::2], rows[1::2], strict=True):
        line = Text(no_wrap=True, overflow="ellipsis")
        for row, width in ((first, 25), (second, 0)):
            cell = Text.assemble((f"{row.label:<4}", "bold"), row.little)
            if row.label == chosen:
                cell.stylize(CHOSEN_STYLE)
            line.append_text(cell)
            line.append(" " * max(width - len(cell), 1) if width else "")
        lines.append(line)
    pointer = Text.assemble(("ptr ", "bold"), inspection.pointer_text, no_wrap=True)
    pointer.overflow = "ellipsis"
    string = Text.assemble(("str ", "bold"), inspection.string, no_wrap=True)
    string.overflow = "ellipsis"
    return Group(*lines, pointer, string)


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
        self.type_name = DEFAULT_TYPE
        """The chosen type: a watch added now reads its value as this type."""
        self.compact = False
        """Little-endian only, two types a line: for a screen of few rows."""

    def choose_type(self, step: int) -> str:
        """Choose the next (``step`` 1) or previous (-1) type; returns it."""
        index = (TYPES.index(self.type_name) + step) % len(TYPES)
        self.type_name = TYPES[index]
        self._redraw()
        return self.type_name

    def set_compact(self, compact: bool) -> None:
        if compact != self.compact:
            self.compact = compact
            self._redraw()

    def _redraw(self) -> None:
        if self.inspection is None:
            return
        table = compact_inspector_table if self.compact else inspector_table
        self.update(table(self.inspection, self.type_name))

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
        self.border_subtitle = "t type · enter follows ptr"
        table = compact_inspector_table if self.compact else inspector_table
        self.update(table(inspection, self.type_name), layout=False)
