"""The replay's ``b``: a one-line prompt for the moment to go to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from memtui.core.time_expression import HINT


class TimePromptScreen(ModalScreen[str | None]):
    """Returns the text typed (Enter), or None (Esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    TimePromptScreen {
        align: center bottom;
    }
    TimePromptScreen > Vertical {
        height: auto;
        width: 100%;
        background: $panel;
        padding: 0 1;
    }
    TimePromptScreen #time-hint {
        color: $text-muted;
        height: 1;
    }
    TimePromptScreen Input {
        border: none;
        height: 1;
        padding: 0;
    }
    """

    def __init__(self, now: str) -> None:
        super().__init__()
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Go to a time (now {self.now}): {HINT}", id="time-hint", markup=False)
            yield Input(placeholder="03:10", id="time-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        self.dismiss(message.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
