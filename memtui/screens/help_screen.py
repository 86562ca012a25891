"""Every key that works where the user pressed ?, from the live bindings."""

from __future__ import annotations

from rich.text import Text
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
        width: 96%;
        max-width: 96;
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
            table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
            # The actions wrap within the box rather than run off its edge at 80x24.
            key_width = max((len(key) for key, _ in self.keys), default=3)
            box_width = min(int(self.app.size.width * 0.96), 96) - 4  # border, padding
            action_width = max(20, box_width - key_width - 4 - 2)  # cell padding, scrollbar
            table.add_column("key", width=key_width)
            table.add_column("action", width=action_width)
            for key, description in self.keys:
                # The descriptions are markup (bindings escape their [ as \[), as before.
                table.add_row(Text(key), Text.from_markup(description), height=None)
            yield table
