"""Choose the picker's columns: a list of checkboxes."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList
from textual.widgets.selection_list import Selection


class ColumnChooserScreen(ModalScreen[list[str] | None]):
    """Space ticks a column, Enter applies (the ticked ones, in their order), Esc cancels."""

    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    DEFAULT_CSS = """
    ColumnChooserScreen {
        align: center middle;
    }
    ColumnChooserScreen > Vertical {
        width: 40;
        max-width: 90%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        background: $surface;
    }
    ColumnChooserScreen SelectionList, ColumnChooserScreen SelectionList:focus {
        height: auto;
        border: none;
    }
    """

    def __init__(self, columns: Sequence[tuple[str, str]], shown: Sequence[str]) -> None:
        """columns: (key, title) of every column that may be hidden; shown: the keys on."""
        super().__init__()
        self.columns = list(columns)
        self.shown = set(shown)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Columns"
            box.border_subtitle = "space · enter · esc"
            yield SelectionList[str](
                *(Selection(title, key, key in self.shown) for key, title in self.columns)
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        chosen = set(self.query_one(SelectionList).selected)
        self.dismiss([key for key, _ in self.columns if key in chosen])

    def action_cancel(self) -> None:
        self.dismiss(None)
