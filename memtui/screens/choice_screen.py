"""A small list to choose one thing from: a sort column, a user, a signal."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class ChoiceScreen(ModalScreen[str | None]):
    """Arrows (or `j`/`k`, `g`/`G`) and Enter choose; Esc chooses nothing (None)."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Cancel"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("g", "edge(0)", "First", show=False),
        Binding("G", "edge(-1)", "Last", show=False),
    ]

    DEFAULT_CSS = """
    ChoiceScreen {
        align: center middle;
    }
    ChoiceScreen > Vertical {
        width: 44;
        max-width: 90%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        background: $surface;
    }
    ChoiceScreen OptionList, ChoiceScreen OptionList:focus {
        width: 100%;
        height: auto;
        max-height: 20;
        border: none;
    }
    """

    def __init__(
        self, title: str, choices: Sequence[tuple[str, str]], selected: str | None = None
    ) -> None:
        """choices: (id, label) pairs, in order; ``selected``: the id highlighted first."""
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter · esc"
            yield OptionList(*(Option(label, id=key) for key, label in self.choices))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [key for key, _ in self.choices]
        options.highlighted = ids.index(self.selected) if self.selected in ids else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_edge(self, index: int) -> None:
        options = self.query_one(OptionList)
        options.action_first() if index == 0 else options.action_last()
