"""A table's header drawn before its new rows were measured is drawn again after.

The frame that caught it: the memory view's snapshot under a loaded CI machine showed
`` start  end  size  RSS `` at the widths of the labels, above mapping rows at their
full widths. Here the header is drawn right after ``add_row``, before DataTable's idle
measures the row, exactly as a screen refresh can on a slow machine. The table keeps
its size (the memory view's does, once laid out), so no Resize redraws it either.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from memtui.widgets.mappings_table import MappingsTable
from memtui.widgets.measured_table import MeasuredTable
from memtui.widgets.row_table import RowTable

ROW = ("700000000000", "700000001000", "4.00 KiB")


class Tables(App[None]):
    def __init__(self, table: DataTable[Text]) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        # A size that rows do not change: no Resize comes to bump DataTable's caches.
        self.table.styles.width, self.table.styles.height = 60, 5
        yield self.table

    def on_mount(self) -> None:
        for label in ("start", "end", "size"):
            self.table.add_column(label, key=label)


async def header_after_a_row_drawn_early(table: DataTable[Text]) -> str:
    """The header line once the table is idle, having drawn it before measuring a row."""
    app = Tables(table)
    async with app.run_test(size=(60, 6)) as pilot:
        await pilot.pause()
        table.add_row(*(Text(cell) for cell in ROW), key="row")
        early = table.render_line(0).text  # a refresh before the table's idle
        assert early.split() == ["start", "end", "size"]
        assert "start  end" in early  # at the labels' widths
        await pilot.pause()
        assert table.render_line(1).text.split() == " ".join(ROW).split()
        return table.render_line(0).text


async def test_the_header_is_drawn_at_the_widths_measured_on_idle() -> None:
    for table in (MeasuredTable[Text](), MappingsTable(), RowTable[Text]()):
        header = await header_after_a_row_drawn_early(table)
        row_start = len(" 700000000000 ")
        assert header.index("end") == row_start + 1, (type(table).__name__, header)


async def test_textuals_own_table_still_keeps_the_early_header() -> None:
    """Why MeasuredTable exists: when this fails, Textual redraws it itself."""
    header = await header_after_a_row_drawn_early(DataTable[Text]())
    assert "start  end" in header
