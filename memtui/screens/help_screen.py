"""Every key that works where the user pressed ?, from the live bindings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

ABOUT = (
    "memtui charts /proc/meminfo. Each tile shows the last five minutes; its title has the "
    "current value and the least-squares rate of change over the last two, shown once a "
    "minute of samples is in (until then: 'rate in Ns'). Committed_AS and AnonPages climbing "
    "steadily while MemFree, Cached and SwapFree fall is the sign of a leak."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 80%;
        max-width: 90;
        height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-about {
        margin-bottom: 1;
    }
    HelpScreen DataTable {
        height: auto;
    }
    """

    def __init__(self, keys: list[tuple[str, str]], about: str = ABOUT) -> None:
        super().__init__()
        self.keys = keys
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Help — esc to close"
            yield Static(self.about, id="help-about")
            table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("key", "action")
            for key, description in self.keys:
                table.add_row(key, description)
            yield table
