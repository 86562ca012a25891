"""Choose which meminfo fields to chart, and in what order."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from memtui.core.meminfo.fields import field_meaning
from memtui.widgets.key_footer import KeyFooter


def field_prompt(name: str, order: int | None, name_width: int) -> Text:
    mark = f"[{order:>2}]" if order is not None else "[  ]"
    prompt = Text.assemble(
        (mark, "bold" if order is not None else "dim"),
        " ",
        (name.ljust(name_width), "bold" if order is not None else ""),
        "  ",
        (field_meaning(name), "dim"),
    )
    prompt.no_wrap = True
    prompt.overflow = "ellipsis"
    return prompt


class FieldPickerScreen(ModalScreen[list[str] | None]):
    """Space toggles a field; the order fields are chosen in is the charts' order.

    Enter applies (choosing the highlighted field if none is chosen yet), Esc cancels.
    """

    BINDINGS = [
        Binding("space", "toggle_field", "Toggle"),
        Binding("enter", "apply", "Apply", priority=True),
        Binding("c", "clear", "Clear"),
        Binding("escape", "cancel", "Cancel"),
    ]

    DEFAULT_CSS = """
    FieldPickerScreen {
        align: center middle;
    }
    FieldPickerScreen > Vertical {
        width: 90%;
        max-width: 110;
        height: 90%;
        border: round $accent;
        background: $surface;
    }
    FieldPickerScreen #picker-help {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    FieldPickerScreen OptionList {
        height: 1fr;
        border: none;
    }
    """

    def __init__(self, available: list[str], chosen: list[str]) -> None:
        super().__init__()
        self.available = available
        self.chosen = [name for name in chosen if name in available]
        self._name_width = max((len(name) for name in available), default=8)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Fields to chart"
            yield Static(
                "space: choose/unchoose, in chart order   enter: apply   c: clear   esc: cancel",
                id="picker-help",
            )
            yield OptionList(*(Option(self._prompt(name), id=name) for name in self.available))
        yield KeyFooter()

    def _prompt(self, name: str) -> Text:
        order = self.chosen.index(name) + 1 if name in self.chosen else None
        return field_prompt(name, order, self._name_width)

    def _redraw(self) -> None:
        options = self.query_one(OptionList)
        for name in self.available:
            options.replace_option_prompt(name, self._prompt(name))

    def _highlighted(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def action_toggle_field(self) -> None:
        name = self._highlighted()
        if name is None:
            return
        if name in self.chosen:
            self.chosen.remove(name)
        else:
            self.chosen.append(name)
        self._redraw()

    def action_clear(self) -> None:
        self.chosen.clear()
        self._redraw()

    def action_apply(self) -> None:
        if not self.chosen:
            name = self._highlighted()
            if name is None:
                self.notify("Choose at least one field with space", severity="warning")
                return
            self.chosen.append(name)
        self.dismiss(list(self.chosen))

    def action_cancel(self) -> None:
        self.dismiss(None)
