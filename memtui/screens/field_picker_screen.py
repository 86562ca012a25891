"""Choose which meminfo fields to chart, and in what order."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from memtui.core.meminfo.fields import field_meaning
from memtui.widgets.key_footer import KeyFooter


def field_matches(name: str, text: str) -> bool:
    """Does the typed text (any case) appear in the field's name or its meaning?"""
    wanted = text.strip().casefold()
    return not wanted or wanted in name.casefold() or wanted in field_meaning(name).casefold()


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
    `/` filters the list by what is typed, in any case, as the picker's filter does.
    """

    AUTO_FOCUS = "OptionList"
    """The list, not the hidden filter input before it."""

    BINDINGS = [
        Binding("space", "toggle_field", "Toggle"),
        Binding("enter", "apply", "Apply", priority=True),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("c", "clear", "Clear"),
        Binding("escape", "cancel", "Cancel"),
        Binding("g,home", "edge(-1)", "First", show=False),
        Binding("G,end", "edge(1)", "Last", show=False),
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
        /* One line a field: at 80 columns the meanings wrapped and halved the list. */
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    FieldPickerScreen #field-filter {
        display: none;
        height: 1;
        border: none;
        padding: 0 1;
    }
    FieldPickerScreen #field-filter.-active {
        display: block;
    }
    """

    def __init__(self, available: list[str], chosen: list[str]) -> None:
        super().__init__()
        self.available = available
        self.chosen = [name for name in chosen if name in available]
        self._name_width = max((len(name) for name in available), default=8)
        self.filter_text = ""
        self.shown = list(available)
        """The fields the filter lets through, in the list's order."""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Fields to chart"
            yield Static(
                "space: choose/unchoose, in chart order   /: filter   enter: apply   "
                "c: clear   esc: cancel",
                id="picker-help",
            )
            yield Input(placeholder="part of a name or meaning, any case", id="field-filter")
            yield OptionList(*(Option(self._prompt(name), id=name) for name in self.available))
        yield KeyFooter()

    def _prompt(self, name: str) -> Text:
        order = self.chosen.index(name) + 1 if name in self.chosen else None
        return field_prompt(name, order, self._name_width)

    def _redraw(self) -> None:
        options = self.query_one(OptionList)
        for name in self.shown:
            options.replace_option_prompt(name, self._prompt(name))

    def _refilter(self) -> None:
        shown = [name for name in self.available if field_matches(name, self.filter_text)]
        if shown == self.shown:
            return
        options = self.query_one(OptionList)
        current = self._highlighted()
        self.shown = shown
        options.clear_options()
        options.add_options([Option(self._prompt(name), id=name) for name in shown])
        if shown:
            options.highlighted = shown.index(current) if current in shown else 0
        title = (
            f"Fields to chart: {len(shown)} of {len(self.available)} match"
            if (self.filter_text)
            else "Fields to chart"
        )
        self.query_one(Vertical).border_title = title

    def action_filter(self) -> None:
        field = self.query_one("#field-filter", Input)
        field.add_class("-active")
        self.set_focus(field)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._refilter()

    def _leave_filter(self) -> None:
        field = self.query_one("#field-filter", Input)
        if not field.value:
            field.remove_class("-active")
        self.set_focus(self.query_one(OptionList))

    def action_edge(self, direction: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = 0 if direction < 0 else options.option_count - 1

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
        if self.query_one("#field-filter", Input).has_focus:
            self._leave_filter()  # enter ends the typing; a second enter applies
            return
        if not self.chosen:
            name = self._highlighted()
            if name is None:
                self.notify("Choose at least one field with space", severity="warning")
                return
            self.chosen.append(name)
        self.dismiss(list(self.chosen))

    def action_cancel(self) -> None:
        field = self.query_one("#field-filter", Input)
        if field.has_focus or field.value:
            # Esc first clears the filter, as in the process picker.
            field.value = ""
            field.remove_class("-active")
            self.set_focus(self.query_one(OptionList))
            return
        self.dismiss(None)
