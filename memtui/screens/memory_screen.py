"""The memory view of one process: its mappings and a live hex viewer over them.

Every read happens off the UI thread: memory and mappings on the session's own
thread (:class:`MemorySession`, which owns the ptrace freeze), the process name in a
thread worker. When the process exits, or may not be read, the view says so and
keeps whatever it showed last.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from memtui.core.address_expression import USAGE, resolve_address
from memtui.core.hex_rows import HIDDEN_PATHS
from memtui.core.memory_session import (
    MapsRead,
    MemorySession,
    RowsRead,
    SessionEvent,
    SessionFailed,
)
from memtui.core.proc_maps import Mapping, find_mapping
from memtui.core.process_facts import process_name
from memtui.core.reader_errors import KernelThread
from memtui.core.units import format_bytes_short
from memtui.screens.help_screen import HelpScreen
from memtui.widgets.hex_view import HexView

# Beside each other the hex rows take 80 columns; below 140 the table would get too
# few to show even a mapping's start, end and size, so it goes above the viewer.
WIDE_LAYOUT_COLUMNS = 140

ABOUT = (
    "The memory view reads a live process. Rows are address, 16 bytes in hex and the "
    "same bytes as ASCII; ?? marks bytes that cannot be read (a PROT_NONE guard page, "
    "memory unmapped meanwhile), dim dots bytes not read yet. It reads only the rows "
    "on screen plus a screen of prefetch. In freeze mode every thread is stopped "
    "(PTRACE_SEIZE + INTERRUPT) for each read so what you see is one consistent "
    "moment; in no-stop mode nothing is stopped, and a row may mix old and new bytes."
)

KEYS = [
    ("arrows hjkl", "Move the cursor a byte or a row"),
    ("pgup pgdn", "Move a screen, on across mappings"),
    ("home end", "Start / end of the mapping (again: of the previous / next one)"),
    ("tab", "Move focus between the mappings table and the hex view"),
    ("enter", "In the table: show that mapping in the hex view"),
    ("g", "Go to an address: 0x7f…, 7f…, [heap], [stack]+0x100, libc.so.6+1000"),
    ("r", "Read the screen and the mappings again now"),
    ("a", "Auto-refresh on/off (every sampling interval)"),
    ("f", "Freeze the process for each read, or read without stopping it"),
    ("?", "This help"),
    ("esc", "Back"),
]


def mapping_row(mapping: Mapping, rss: int | None) -> tuple[Text, ...]:
    """The table cells of one mapping: start, end, size, RSS, perms, path.

    Text, not str: DataTable reads a str as markup, which would swallow [heap].
    """
    cells = (
        f"{mapping.start:x}",
        f"{mapping.end:x}",
        format_bytes_short(mapping.size),
        "—" if rss is None else format_bytes_short(rss),
        mapping.perms,
        mapping.path or "[anon]",
    )
    return tuple(Text(cell, no_wrap=True) for cell in cells)


def _same_layout(old: list[Mapping], new: list[Mapping]) -> bool:
    key = [(m.start, m.end, m.perms, m.path) for m in old]
    return key == [(m.start, m.end, m.perms, m.path) for m in new]


class MemoryScreen(Screen[None]):
    """Mappings and hex view of process ``pid``; ``interval`` is the auto-refresh period."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("g", "goto", "Go to"),
        Binding("r", "refresh_now", "Refresh"),
        Binding("a", "toggle_auto", "Auto"),
        Binding("f", "toggle_freeze", "Freeze"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    DEFAULT_CSS = """
    MemoryScreen #memory-title {
        height: 1;
        padding: 0 1;
        background: $boost;
        color: $text;
    }
    MemoryScreen #memory-banner {
        height: auto;
        padding: 0 1;
        display: none;
        background: $warning-muted;
        color: $text;
        text-style: bold;
    }
    MemoryScreen #memory-banner.-shown { display: block; }
    MemoryScreen #memory-banner.-error { background: $error-muted; }
    MemoryScreen #memory-body { layout: vertical; height: 1fr; }
    MemoryScreen #mappings { height: auto; max-height: 35%; }
    MemoryScreen HexView { height: 1fr; }
    MemoryScreen #memory-message {
        height: 1fr;
        padding: 1 2;
        content-align: center middle;
        display: none;
    }
    MemoryScreen.-empty HexView { display: none; }
    MemoryScreen.-empty #memory-message { display: block; }
    MemoryScreen.-wide #memory-body { layout: horizontal; }
    MemoryScreen.-wide #mappings { width: 1fr; height: 1fr; max-height: 100%; }
    MemoryScreen.-wide HexView { width: 81; height: 1fr; }
    MemoryScreen.-wide #memory-message { width: 81; height: 1fr; }
    MemoryScreen #goto {
        dock: bottom;
        display: none;
        margin-bottom: 1;
    }
    MemoryScreen #goto.-shown { display: block; }
    """

    class SessionReport(Message):
        """Posted from the session thread: mappings read, or a failure."""

        def __init__(self, event: SessionEvent) -> None:
            super().__init__()
            self.event = event

    def __init__(
        self,
        pid: int,
        interval: float = 1.0,
        *,
        auto_refresh: bool = True,
        freeze: bool = True,
    ) -> None:
        super().__init__()
        self.pid = pid
        self.interval = interval
        self.auto_refresh_on = auto_refresh
        self.freeze = freeze
        self.name_of_process = "…"
        self.mappings: list[Mapping] = []
        self.rss: dict[int, int] = {}
        self.exited = False
        self.failure: SessionFailed | None = None
        self.status = "reading…"
        self.session: MemorySession | None = None
        self._timer: Timer | None = None
        self._hex = HexView(id="hex")

    # -- setup and teardown -----------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="memory-title", markup=False)
        yield Static(id="memory-banner", markup=False)
        with Container(id="memory-body"):
            table: DataTable[Text] = DataTable(id="mappings", cursor_type="row")
            for label in ("start", "end", "size", "RSS", "perms", "path"):
                table.add_column(label, key=label)
            yield table
            yield self._hex
            yield Static(
                f"Reading the mappings of process {self.pid}…", id="memory-message", markup=False
            )
        yield Input(id="goto", placeholder=f"go to: {USAGE}")
        yield Footer()

    def on_mount(self) -> None:
        self.add_class("-empty")
        self._apply_layout()
        self.session = MemorySession(self.pid, self._on_session_event, freeze=self.freeze)
        self._hex.session = self.session
        self.session.start()
        self._read_name()
        self._set_auto_refresh(self.auto_refresh_on)
        self._hex.focus()
        self._show_title()

    def on_unmount(self) -> None:
        # Joins the session thread: a read in progress ends and releases its freeze
        # before the app (or this screen) is gone.
        if self._timer is not None:
            self._timer.stop()
        if self.session is not None:
            self.session.close()

    def on_resize(self) -> None:
        self._apply_layout()

    def _apply_layout(self) -> None:
        self.set_class(self.size.width >= WIDE_LAYOUT_COLUMNS, "-wide")

    @work(thread=True, exit_on_error=False, group="process-name")
    def _read_name(self) -> None:
        name = process_name(self.pid)
        if name is not None:
            self.app.call_from_thread(self._set_name, name)

    def _set_name(self, name: str) -> None:
        self.name_of_process = name
        if self.failure is not None:
            self._show_failure(self.failure)  # its text names the process
        self._show_title()

    # -- the session's reports ----------------------------------------------------------

    def _on_session_event(self, event: SessionEvent) -> None:
        """Runs on the session thread: hand the event to the UI thread as a message."""
        if isinstance(event, RowsRead):
            self._hex.post_message(HexView.RowsArrived(event))
        else:
            self.post_message(self.SessionReport(event))

    def on_memory_screen_session_report(self, message: MemoryScreen.SessionReport) -> None:
        event = message.event
        if isinstance(event, MapsRead):
            self._show_mappings(event)
        elif isinstance(event, SessionFailed):
            self._show_failure(event)

    def on_hex_view_rows_arrived(self, message: HexView.RowsArrived) -> None:
        rows = message.rows
        size = sum(len(result.data) for result in rows.results)
        mode = "frozen" if rows.frozen else "not stopped"
        self.status = f"read {format_bytes_short(size)}, {rows.seconds * 1000:.1f} ms, {mode}"
        self._show_title()

    def _show_mappings(self, event: MapsRead) -> None:
        if self.exited:
            return
        if event.rss is not None:
            self.rss = event.rss
        table: DataTable[Text] = self.query_one("#mappings", DataTable)
        mappings = [m for m in event.mappings if m.path not in HIDDEN_PATHS]
        if _same_layout(self.mappings, mappings) and table.row_count:
            if event.rss is not None:
                for mapping in mappings:
                    rss = self.rss.get(mapping.start)
                    cell = "—" if rss is None else format_bytes_short(rss)
                    table.update_cell(str(mapping.start), "RSS", Text(cell))
            return
        highlighted = self._highlighted_start()
        self.mappings = mappings
        table.clear()
        for mapping in mappings:
            table.add_row(
                *mapping_row(mapping, self.rss.get(mapping.start)), key=str(mapping.start)
            )
        self._hex.set_mappings(mappings)
        if self.has_class("-empty"):
            self.remove_class("-empty")
            self.call_after_refresh(self._focus_bytes)
        if highlighted is not None:
            self._highlight_mapping(highlighted)
        else:
            self._follow_cursor(self._hex.cursor_address)

    def _focus_bytes(self) -> None:
        # The hex view could not take the focus while hidden, so the table got it; the
        # bytes are what one came for. Not if the user is already typing an address.
        if self.focused is not self.query_one("#goto", Input):
            self._hex.focus()

    def _show_failure(self, event: SessionFailed) -> None:
        self.failure = event
        banner = self.query_one("#memory-banner", Static)
        name = self.name_of_process
        if event.exited:
            self.exited = True
            self._set_auto_refresh(False)
            text = f"Process {self.pid} ({name}) has exited — showing the last data read"
            self.status = "exited"
            banner.set_class(False, "-error")
        elif event.permission_reason is not None:
            reason = event.permission_reason
            if event.fatal:
                text = f"Cannot read process {self.pid} ({name}): {reason}"
            else:
                hint = " — press f to read without stopping it" if self.freeze else ""
                text = f"Cannot freeze process {self.pid} ({name}): {reason}{hint}"
            banner.set_class(True, "-error")
            self.status = "permission denied"
        elif isinstance(event.error, KernelThread):
            text = (
                f"Process {self.pid} ({event.error.name}) is a kernel thread: it has no user "
                "memory to show"
            )
            banner.set_class(True, "-error")
            self.status = "kernel thread"
        else:
            text = f"Cannot read process {self.pid} ({name}): {event.message}"
            banner.set_class(True, "-error")
            self.status = "error"
        banner.update(text)
        banner.add_class("-shown")
        if not self.mappings:
            # Never an empty view: say what is wrong where the bytes would be.
            self.query_one("#memory-message", Static).update(text)
            self.add_class("-empty")
        self._show_title()

    # -- header ---------------------------------------------------------------------------

    def _show_title(self) -> None:
        # Shortest first where it matters: at 80 columns the status may be cut, but the
        # banner repeats anything serious.
        mode = "freeze" if self.freeze else "no-stop (rows may be torn)"
        auto = f"auto {self.interval:g}s" if self._timer is not None else "auto off"
        parts = [f"PID {self.pid} {self.name_of_process}", mode, auto]
        address = self._hex.cursor_address
        if address is not None:
            mapping = find_mapping(self.mappings, address)
            where = f" {mapping.name}+0x{address - mapping.start:x}" if mapping else ""
            parts.append(f"at {address:x}{where}")
        parts.append(self.status)
        text = " │ ".join(parts)
        title = self.query_one("#memory-title", Static)
        if str(title.content) != text:
            # One line, always: no layout pass, which would redraw the whole screen on
            # every key that moves the cursor.
            title.update(Text(text, no_wrap=True, overflow="ellipsis"), layout=False)

    # -- keeping table and hex view in step ------------------------------------------------

    def _highlighted_start(self) -> int | None:
        table: DataTable[Text] = self.query_one("#mappings", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def _highlight_mapping(self, start: int) -> None:
        table: DataTable[Text] = self.query_one("#mappings", DataTable)
        try:
            index = table.get_row_index(str(start))
        except Exception:  # the mapping went away meanwhile
            return
        if table.cursor_row != index:
            table.move_cursor(row=index, animate=False)

    def _follow_cursor(self, address: int | None) -> None:
        if address is None:
            return
        mapping = find_mapping(self.mappings, address)
        if mapping is not None and mapping.start != self._highlighted_start():
            self._highlight_mapping(mapping.start)

    def on_hex_view_cursor_moved(self, message: HexView.CursorMoved) -> None:
        self._follow_cursor(message.address)
        self._show_title()

    @on(DataTable.RowSelected, "#mappings")
    def _mapping_chosen(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key is None:
            return
        mapping = find_mapping(self.mappings, int(key))
        if mapping is None:
            return
        if not self._hex.go_to(mapping.start):
            row = self._hex.row_layout.row_of(mapping.start)
            if row is not None:
                self._hex.scroll_to(y=row, animate=False)
            self.notify(
                f"{mapping.name} ({mapping.perms}) is not readable", timeout=3, markup=False
            )
        self._hex.focus()

    # -- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        goto = self.query_one("#goto", Input)
        if goto.has_class("-shown"):
            goto.remove_class("-shown")
            self._hex.focus()
            return
        self.app.pop_screen()

    def action_goto(self) -> None:
        goto = self.query_one("#goto", Input)
        goto.add_class("-shown")
        goto.value = ""
        goto.focus()

    @on(Input.Submitted, "#goto")
    def _goto_submitted(self, event: Input.Submitted) -> None:
        try:
            address = resolve_address(event.value, self.mappings)
        except ValueError as error:
            self.notify(str(error), title="Go to", severity="error", timeout=5, markup=False)
            return
        if not self._hex.go_to(address):
            mapping = find_mapping(self.mappings, address)
            if mapping is None:
                message = f"0x{address:x} is not mapped in this process"
            else:
                message = f"0x{address:x} is in {mapping.name} ({mapping.perms}): not readable"
            self.notify(message, title="Go to", severity="error", timeout=5, markup=False)
            return
        event.input.remove_class("-shown")
        self._hex.focus()

    def action_refresh_now(self) -> None:
        self._refresh(force_rss=True)

    def _refresh(self, force_rss: bool = False) -> None:
        if self.exited or self.session is None:
            return
        self.session.request_maps(force_rss=force_rss)
        self._hex.reload()

    def action_toggle_auto(self) -> None:
        if self.exited:
            self.notify("The process has exited: there is nothing to refresh.", timeout=3)
            return
        self._set_auto_refresh(self._timer is None)
        self._show_title()

    def _set_auto_refresh(self, on: bool) -> None:
        self.auto_refresh_on = on
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if on:
            # Textual's timers divide by their interval: never hand them zero.
            self._timer = self.set_interval(max(0.05, self.interval), self._refresh)

    def action_toggle_freeze(self) -> None:
        self.freeze = not self.freeze
        if self.session is not None:
            self.session.set_freeze(self.freeze)
        if self.failure is not None and not self.failure.fatal:
            # A failure to freeze may not apply to the new mode: let the next read say.
            self.query_one("#memory-banner", Static).remove_class("-shown")
            self.failure = None
        self._refresh()
        self.notify(
            "Freeze: every thread is stopped for each read"
            if self.freeze
            else "No-stop: reads without stopping the process; rows may be torn",
            timeout=3,
        )
        self._show_title()

    def action_help(self) -> None:
        # HelpScreen's table reads its cells as markup, which would swallow [heap].
        keys = [(key, escape(description)) for key, description in KEYS]
        self.app.push_screen(HelpScreen(keys, about=ABOUT))
