"""The narrowing scan's line and prompt, under the bytes of the memory view.

The line shows the steps so far (``1,204,332 → 5,120 (+) → 3 (= 41)``) for as long
as a narrowing lasts; the prompt below it opens with ``c`` and takes one step per
Enter. What went wrong, or what the last step did, is said on one line between
them; what was typed stays, to be fixed. Not docked, unlike the other prompts: the
line stays while they open, above them. Its rows count in the memory view's layout
(memory_layout): it says when they change, and its input loses its border when the
rows are short.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from memtui.core.process_memory.narrowing_scan import NARROW_HELP


class NarrowingPrompt(Vertical):
    """History line, message line and input of a narrowing scan."""

    DEFAULT_CSS = """
    NarrowingPrompt { height: auto; display: none; }
    NarrowingPrompt Static { text-wrap: nowrap; text-overflow: ellipsis; }
    NarrowingPrompt.-shown { display: block; }
    NarrowingPrompt #narrow-history { height: 1; padding: 0 1; background: $boost; }
    NarrowingPrompt #narrow-message { height: 1; padding: 0 1; display: none; }
    NarrowingPrompt #narrow-message.-shown { display: block; }
    NarrowingPrompt #narrow-message.-error { color: $text-error; text-style: bold; }
    NarrowingPrompt Input { display: none; }
    NarrowingPrompt.-open Input { display: block; }
    """

    BINDINGS = [Binding("ctrl+z", "undo", "Undo a step", show=False)]

    class Step(Message):
        """Enter in the prompt: ``text`` is what was typed."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class UndoStep(Message):
        """Ctrl-Z in the prompt."""

    class RowsChanged(Message):
        """A line or the input showed or hid: the view shares its rows again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows = (0, False)

    @property
    def lines(self) -> int:
        """The lines shown above the input: the history, and the message if any."""
        if not self.has_class("-shown"):
            return 0
        return 1 + self.query_one("#narrow-message", Static).has_class("-shown")

    def set_compact(self, compact: bool) -> None:
        self.query_one(Input).compact = compact

    def _say_rows(self) -> None:
        rows = (self.lines, self.is_open)
        if rows != self._rows:
            self._rows = rows
            self.post_message(self.RowsChanged())

    def compose(self) -> ComposeResult:
        yield Static(id="narrow-history", markup=False)
        yield Static(id="narrow-message", markup=False)
        yield Input(id="narrow", placeholder=f"narrow: {NARROW_HELP}")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        self.add_class("-shown", "-open")
        prompt = self.query_one(Input)
        prompt.value = ""
        prompt.focus()
        self._say_rows()

    def close(self) -> None:
        """Close the prompt; the history line stays."""
        self.remove_class("-open")
        self.say("")

    def forget(self) -> None:
        """A new search (or program): no narrowing to show any more."""
        self.remove_class("-shown", "-open")
        self.say("")

    def show_history(self, text: str) -> None:
        line = Text(f"narrow {text}", no_wrap=True, overflow="ellipsis")
        self.query_one("#narrow-history", Static).update(line)

    def say(self, text: str, error: bool = False) -> None:
        """One line, always: at 80 columns a long one is cut, never wrapped."""
        message = self.query_one("#narrow-message", Static)
        message.update(Text(text, no_wrap=True, overflow="ellipsis"))
        message.set_class(bool(text), "-shown")
        message.set_class(error, "-error")
        self._say_rows()

    def clear_input(self) -> None:
        self.query_one(Input).value = ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Step(event.value))

    def action_undo(self) -> None:
        self.post_message(self.UndoStep())
