"""The process picker's table, drawn with Textual's Line API.

A DataTable of 1,000 rows costs 200-280 ms to rebuild and ~60 ms to update every
RSS cell or re-sort (measured with Textual 8.2; docs/performance.md), which a
once-a-second refresh cannot afford on the UI thread. This widget keeps the sorted,
filtered rows the core returns and draws only the lines on screen, so a refresh costs
the same for 100 processes or 10,000.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from memtui.core.processes.process_table import ProcessRow
from memtui.core.units import format_bytes_short, format_cpu_time, format_rate

MISSING = "—"


def size_text(value: int | None) -> str:
    return MISSING if value is None else format_bytes_short(value)


def _growth(value: float | None) -> str:
    if value is None:
        return MISSING
    return "0" if abs(value) < 1024 else format_rate(value).removesuffix("/min")


def _cpu(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _cpu_time(value: float | None) -> str:
    return MISSING if value is None else format_cpu_time(value)


# psutil's status words as the one letter of /proc/PID/stat, which htop shows.
STATE_LETTERS = {
    "running": "R",
    "sleeping": "S",
    "disk-sleep": "D",
    "stopped": "T",
    "tracing-stop": "t",
    "zombie": "Z",
    "dead": "X",
    "wake-kill": "K",
    "waking": "W",
    "parked": "P",
    "idle": "I",
    "locked": "L",
    "waiting": "W",
    "recorded": "-",
}


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    """The ProcessRow field it shows and sorts by."""
    title: str
    width: int
    """0: takes the rest of the line."""
    right: bool
    cell: Callable[[ProcessRow], str]
    sortable: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("pid", "PID", 7, True, lambda row: str(row.pid)),
    Column("user", "USER", 8, False, lambda row: row.user or MISSING),
    Column("cpu_percent", "CPU%", 5, True, lambda row: _cpu(row.cpu_percent)),
    Column("cpu_time", "TIME+", 8, True, lambda row: _cpu_time(row.cpu_time)),
    Column("rss", "RSS", 8, True, lambda row: size_text(row.rss)),
    Column("swap", "SWAP", 8, True, lambda row: size_text(row.swap)),
    Column("rss_growth", "GROWTH/m", 9, True, lambda row: _growth(row.rss_growth)),
    Column("pss", "PSS", 8, True, lambda row: size_text(row.pss)),
    Column("uss", "USS", 8, True, lambda row: size_text(row.uss)),
    # Drawn by the list from the process's history (ProcessList.trend), not the row.
    Column("rss_trend", "RSS~", 8, False, lambda row: "", sortable=False),
    Column("state", "S", 1, False, lambda row: STATE_LETTERS.get(row.state, "?")),
    Column("name", "NAME", 15, False, lambda row: row.name),
    Column("cmdline", "COMMAND", 0, False, lambda row: row.cmdline or f"[{row.name}]"),
)


# On a narrow terminal these go first, in this order, so the memory figures and the
# command stay. NAME goes early: the command line starts with it.
DROP_ORDER = ("state", "uss", "name", "rss_trend", "cpu_time", "user", "swap", "pss")
MIN_COMMAND_WIDTH = 16


def min_command_width(width: int) -> int:
    """A third of the line, at least 16: at 120 columns the command keeps 40 or more."""
    return max(MIN_COMMAND_WIDTH, width // 3)


@lru_cache(maxsize=16)
def layout(width: int, columns: tuple[Column, ...] = COLUMNS) -> list[tuple[Column, int]]:
    """The columns that fit, each with its width; the command takes what is left."""
    shown = list(columns)
    for key in DROP_ORDER:
        fixed = sum(column.width + 1 for column in shown if column.width)
        if width - fixed >= min_command_width(width):
            break
        shown = [column for column in shown if column.key != key]
    fixed = sum(column.width + 1 for column in shown if column.width)
    rest = max(8, width - fixed)
    return [(column, column.width or rest) for column in shown]


def hidden_columns(width: int, columns: tuple[Column, ...] = COLUMNS) -> list[Column]:
    """The columns ``layout`` leaves out at this width, in the order they went."""
    shown = {column.key for column, _ in layout(width, columns)}
    gone = [column for column in columns if column.key not in shown]
    return sorted(gone, key=lambda column: DROP_ORDER.index(column.key))


def fit(text: str, width: int, right: bool) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.rjust(width) if right else text.ljust(width)


class ProcessList(ScrollView, can_focus=True):
    """Rows of processes with a cursor that stays on its process across refreshes."""

    DEFAULT_CSS = """
    ProcessList {
        height: 1fr;
        scrollbar-size-horizontal: 0;
    }
    ProcessList > .process-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    ProcessList > .process-list--missing {
        color: $text-muted;
    }
    ProcessList > .process-list--kernel {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES = {
        "process-list--cursor",
        "process-list--missing",
        "process-list--kernel",
    }

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "open", "Open", tooltip="Open the memory view of this process"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)
    """Index of the highlighted row in ``rows``."""

    class Highlighted(Message):
        def __init__(self, row: ProcessRow | None) -> None:
            super().__init__()
            self.row = row

    class Opened(Message):
        def __init__(self, row: ProcessRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: tuple[ProcessRow, ...] = ()
        self.trend: Callable[[ProcessRow, int], str] | None = None
        """Draws the RSS~ cell (row, width): the RSS history is the screen's to read."""
        self.columns: tuple[Column, ...] = COLUMNS
        """The columns chosen (c); those that do not fit the width still drop."""
        self.tree_prefixes: Mapping[int, str] = {}
        """In the tree view, the guide drawn before each pid's command."""
        self._cursor_pid: int | None = None

    @property
    def highlighted(self) -> ProcessRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def set_rows(
        self, rows: tuple[ProcessRow, ...], tree_prefixes: Mapping[int, str] | None = None
    ) -> None:
        """Show new rows, keeping the cursor on the same process if it is still listed."""
        self.rows = rows
        self.tree_prefixes = tree_prefixes or {}
        self.virtual_size = Size(self.size.width, len(rows))
        index = next((i for i, row in enumerate(rows) if row.pid == self._cursor_pid), None)
        if index is None:
            index = min(self.cursor, len(rows) - 1)
        self.cursor = max(0, index)
        self.refresh()

    def visible_pids(self) -> list[int]:
        top = self.scroll_offset.y
        return [row.pid for row in self.rows[top : top + self.size.height]]

    def watch_cursor(self, cursor: int) -> None:
        row = self.highlighted
        self._cursor_pid = row.pid if row is not None else None
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(row))

    def _scroll_cursor_into_view(self) -> None:
        top, height = self.scroll_offset.y, max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_jump(self, index: int) -> None:
        if self.rows:
            self.cursor = index % len(self.rows)

    def action_open(self) -> None:
        row = self.highlighted
        if row is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.rows):
            if index == self.cursor and event.chain >= 2:
                self.action_open()
            self.cursor = index

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("process-list--cursor")
        elif row.is_kernel_thread:
            base = base + self.get_component_rich_style("process-list--kernel")
        # Only the colour: a missing value on the cursor row keeps the cursor's background.
        muted = self.get_component_rich_style("process-list--missing").color
        missing = base + Style(color=muted)
        segments: list[Segment] = []
        for column, column_width in layout(width, self.columns):
            text = column.cell(row)
            if column.key == "rss_trend" and self.trend is not None:
                text = self.trend(row, column_width)
            style: Style = missing if text == MISSING else base
            if column.key == "cmdline" and self.tree_prefixes:
                text = self.tree_prefixes.get(row.pid, "") + text
            segments.append(Segment(fit(text, column_width, column.right), style))
            segments.append(Segment(" ", base))
        return Strip(segments).crop(0, width).extend_cell_length(width, base)


def header_line(
    width: int, sort_key: str, descending: bool, columns: tuple[Column, ...] = COLUMNS
) -> str:
    cells = []
    for column, column_width in layout(width, columns):
        title = column.title
        if column.key == sort_key:
            title += "▼" if descending else "▲"
        cells.append(fit(title, column_width, column.right))
    return " ".join(cells)[:width]
