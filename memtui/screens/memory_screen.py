"""The memory view of one process: its mappings and a live hex viewer over them.

Every read happens off the UI thread: memory and mappings on the session's own
thread (:class:`MemorySession`, which owns the ptrace freeze), the process name in a
thread worker. When the process exits, or may not be read, the view says so and
keeps whatever it showed last. When it execs, the view says so and shows the new
program; when the mapping under the cursor is unmapped, the cursor moves to the
nearest one and the view says so.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from typing import Self, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.geometry import Region
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Input, ProgressBar, Static

from memtui.core.input_echo import cut_from_left, shorten_path
from memtui.core.process_memory.address_expression import USAGE, resolve_address
from memtui.core.process_memory.data_inspector import inspect_bytes, name_address
from memtui.core.process_memory.memory_copy import CopyError, check_length, copy_text
from memtui.core.process_memory.memory_reader import MemoryReader, ReadResult
from memtui.core.process_memory.memory_save import USAGE as SAVE_USAGE
from memtui.core.process_memory.memory_save import (
    SaveProgress,
    SaveRequest,
    parse_save_request,
    save_steps,
    save_summary,
)
from memtui.core.process_memory.memory_search import (
    DEFAULT_LIMIT,
    QUERY_HELP,
    SearchMatch,
    SearchPattern,
    SearchProgress,
    parse_query,
    search_steps,
)
from memtui.core.process_memory.memory_session import (
    ExecFollowed,
    JobReport,
    MapsRead,
    MemorySession,
    ProbeRead,
    RowsRead,
    SessionEvent,
    SessionFailed,
)
from memtui.core.process_memory.memory_writer import (
    EDIT_HELP,
    WRITE_OFF,
    EditValue,
    MemoryWriter,
    WriteDone,
    WriteFailed,
    WriteRefused,
    parse_edit,
    show_bytes,
)
from memtui.core.process_memory.narrowing_scan import (
    UNDO_DEPTH,
    NarrowingError,
    NarrowingHistory,
    NarrowResult,
    candidates_from_search,
    parse_narrowing,
    rescan_steps,
)
from memtui.core.process_memory.proc_maps import Mapping, find_mapping
from memtui.core.process_memory.process_facts import is_memtui_itself, process_name
from memtui.core.process_memory.reader_errors import KernelThread, ZombieProcess
from memtui.core.process_memory.symbols import ProcessSymbols
from memtui.core.process_memory.telescope import TelescopeRow, read_telescope
from memtui.core.process_memory.watches import WatchError, WatchList
from memtui.core.units import format_bytes_short
from memtui.screens.confirm_screen import ConfirmScreen
from memtui.screens.help_screen import HelpScreen
from memtui.screens.memory_layout import COMPACT_INSPECTOR_ROWS, plan_layout
from memtui.screens.search_results_screen import SearchResultsScreen
from memtui.widgets.data_inspector import BYTES_NEEDED, DataInspector
from memtui.widgets.hex_view import HexView
from memtui.widgets.key_footer import KeyFooter
from memtui.widgets.mappings_table import MappingsTable
from memtui.widgets.narrowing_prompt import NarrowingPrompt
from memtui.widgets.telescope import Telescope
from memtui.widgets.watch_pane import WatchPane

# Beside each other the hex rows take 80 columns; below 140 the table would get too
# few to show even a mapping's start, end and size, so it goes above the viewer.
WIDE_LAYOUT_COLUMNS = 140
# The inspector (52 columns) goes beside the bytes when that leaves the hex rows (80)
# and, side by side, the mappings table (27) their room; otherwise below them.
INSPECTOR_BESIDE_COLUMNS = 132
INSPECTOR_BESIDE_WIDE_COLUMNS = 160
# A search keeps this many matches for a narrowing scan (12 bytes each for u32: about
# 48 MB at most); the list (m) shows the first DEFAULT_LIMIT of them.
SEARCH_LIMIT = 4_000_000
MIN_PATH_COLUMNS = 24
T = TypeVar("T")

ABOUT = (
    "The memory view reads a live process. Rows are address, 16 bytes in hex and the "
    "same bytes as ASCII; ?? marks bytes that cannot be read (a PROT_NONE guard page, "
    "memory unmapped meanwhile), dim dots bytes not read yet. It reads only the rows "
    "on screen plus a screen of prefetch. In freeze mode every thread is stopped "
    "(PTRACE_SEIZE + INTERRUPT) for each read so what you see is one consistent "
    "moment; in no-stop mode nothing is stopped, and a row may mix old and new bytes. "
    "On each refresh (r, or a) the bytes that changed are highlighted, fading over three "
    "refreshes; the title counts those on screen. Search (/) scans every readable mapping "
    "from the cursor on, 4 MiB at a time (frozen per chunk in freeze mode), and keeps at "
    f"most {SEARCH_LIMIT:,} matches (m lists the first {DEFAULT_LIMIT:,}). Search types: "
    f"{QUERY_HELP}. Narrow (c) keeps the matches whose value changed as you say, compared "
    "as the search's type with the value the last step read: = unchanged, ! changed, "
    "+ increased, - decreased, = V / > V / < V equal to, greater or less than V, + D / - D "
    "grew or shrank by exactly D; a text or bytes search takes = and ! only. undo (or "
    f"ctrl+z in the prompt) goes back a step (the last {UNDO_DEPTH}). Each step reads only "
    "the matches, under one freeze. Watches (w) are read with the rows on screen, under "
    "the same freeze, at every refresh; each counts its changes since it was added and "
    "keeps its last 60 values for the sparkline. "
    "Writing is off unless memtui was started with --pid PID --write (the title then "
    "says WRITE): e writes at the cursor, after a confirmation the first time, under a "
    "freeze, only into writable mappings, and reads it back; u undoes the last write "
    "while its bytes still hold what was written."
)

KEYS = [
    ("arrows hjkl", "Move the cursor a byte or a row"),
    ("pgup pgdn", "Move a screen, on across mappings"),
    ("home end", "Start / end of the mapping (again: of the previous / next one)"),
    ("tab", "Move focus between the mappings table and the hex view"),
    ("enter", "In the table: show that mapping in the hex view"),
    ("g", "Go to an address: 0x7f…, [heap], [stack]+0x100, libc.so.6+1000, malloc+0x10"),
    ("r", "Read the screen and the mappings again now"),
    ("a", "Auto-refresh on/off (every sampling interval)"),
    ("f", "Freeze the process for each read, or read without stopping it"),
    ("/", "Search from the cursor: text, or x: hex, u: UTF-16, u32: i64: … f64:2.5~0.1"),
    ("n N", "Next / previous match (the current one is highlighted)"),
    ("m", "All matches, with address and mapping; enter goes there"),
    ("c", "Narrow the matches: = same, ! changed, + up, - down, = V > V < V, + D - D, undo"),
    ("esc", "While searching or saving: cancel it; while selecting: end the selection"),
    ("i", "Data inspector on/off: the bytes at the cursor as numbers, pointer, string"),
    ("enter", "In the bytes: follow the pointer at the cursor"),
    ("backspace", "Go back along the pointers followed"),
    ("p", "Telescope on/off: 16 words from the cursor, each followed through its pointers"),
    ("t T", "Next / previous inspector type: the one a watch takes (i32 at first)"),
    ("w", "Watch the value at the cursor, as the inspector's type (at most 32 watches)"),
    ("W", "Watch pane on/off; in it, enter goes to the watch, x or delete removes it"),
    ("v", "Select from the cursor: moving extends it; v again or esc ends it"),
    ("y", "Copy the selection (or the byte at the cursor) as hex, through the terminal"),
    ("Y", "Copy it as text: printable ASCII, any other byte as a dot (at most 1 MiB)"),
    ("s", "Save the selection, the mapping at the cursor, or START..END FILE; .txt/.hex: hex"),
    ("e", 'With --write: write at the cursor: 41 42 (hex), "text", u32:5, i16:-2, f64:2.5'),
    ("u", "With --write: undo the last write, if its bytes still hold what was written"),
    ("?", "This help"),
    ("esc", "Back"),
]


def mapping_row(
    mapping: Mapping, rss: int | None, path_width: int | None = None
) -> tuple[Text, ...]:
    """The table cells of one mapping: start, end, size, RSS, perms, path.

    Text, not str: DataTable reads a str as markup, which would swallow [heap]. A path
    wider than ``path_width`` is cut from the left, so its file name stays in view.
    """
    cells = (
        f"{mapping.start:x}",
        f"{mapping.end:x}",
        format_bytes_short(mapping.size),
        "—" if rss is None else format_bytes_short(rss),
        mapping.perms,
        mapping.display_path
        if path_width is None
        else cut_from_left(mapping.display_path, path_width),
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
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match(1)", "Next", show=False),
        Binding("N", "next_match(-1)", "Previous", show=False),
        Binding("m", "show_matches", "Matches", show=False),
        Binding("c", "narrow", "Narrow"),
        Binding("i", "toggle_inspector", "Inspect"),
        Binding("enter", "follow_pointer", "Follow pointer", show=False),
        Binding("backspace", "pointer_back", "Back along pointers", show=False),
        Binding("p", "toggle_telescope", "Telescope"),
        Binding("t", "choose_type(1)", "Type", show=False),
        Binding("T", "choose_type(-1)", "Previous type", show=False),
        Binding("w", "add_watch", "Watch", show=False),
        Binding("W", "toggle_watches", "Watches", show=False),
        Binding("v", "toggle_selection", "Select", show=False),
        Binding("y", "copy('hex')", "Copy hex", show=False),
        Binding("Y", "copy('text')", "Copy text", show=False),
        Binding("s", "save", "Save"),
        Binding("e", "edit", "Edit", show=False),
        Binding("u", "undo_write", "Undo write", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    DEFAULT_CSS = """
    MemoryScreen #memory-title {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
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
    MemoryScreen #hex-area { height: 1fr; }
    MemoryScreen #hex-area HexView { width: 1fr; height: 1fr; }
    MemoryScreen #panes { dock: bottom; height: auto; }
    MemoryScreen Telescope { display: none; }
    MemoryScreen.-telescope Telescope { display: block; }
    MemoryScreen WatchPane { display: none; }
    MemoryScreen.-watches WatchPane { display: block; }
    MemoryScreen.-no-table #mappings { display: none; }
    MemoryScreen DataInspector { display: none; }
    MemoryScreen.-inspector DataInspector { display: block; }
    MemoryScreen.-inspector-below #hex-area { layout: vertical; }
    MemoryScreen.-inspector-below DataInspector { width: 1fr; height: auto; }
    MemoryScreen #memory-message {
        height: 1fr;
        padding: 1 2;
        content-align: center middle;
        display: none;
    }
    MemoryScreen.-empty #hex-area { display: none; }
    MemoryScreen.-empty #memory-message { display: block; }
    MemoryScreen.-wide #memory-body { layout: horizontal; }
    MemoryScreen.-wide #mappings { width: 1fr; height: 1fr; max-height: 100%; }
    MemoryScreen.-wide #hex-area { width: auto; height: 1fr; }
    MemoryScreen.-wide #hex-area HexView { width: 81; }
    MemoryScreen.-wide.-inspector-below DataInspector { width: 81; }
    MemoryScreen.-wide #memory-message { width: 81; height: 1fr; }
    MemoryScreen .prompt {
        dock: bottom;
        display: none;
        margin-bottom: 1;
    }
    MemoryScreen .prompt.-shown { display: block; }
    MemoryScreen #job {
        dock: bottom;
        height: 1;
        margin-bottom: 1;
        padding: 0 1;
        display: none;
        background: $boost;
    }
    MemoryScreen #job.-shown { display: block; }
    MemoryScreen #job ProgressBar { width: 34; }
    MemoryScreen #job-label { width: 1fr; }
    """

    class SessionReport(Message):
        """Posted from the session thread: mappings read, or a failure."""

        def __init__(self, event: SessionEvent) -> None:
            super().__init__()
            self.event = event

    class JobReported(Message):
        """Posted from the session thread: a search or save moved on, or ended."""

        def __init__(self, report: JobReport) -> None:
            super().__init__()
            self.report = report

    def __init__(
        self,
        pid: int,
        interval: float = 1.0,
        *,
        auto_refresh: bool = True,
        freeze: bool = True,
        writer: MemoryWriter | None = None,
    ) -> None:
        super().__init__()
        self.pid = pid
        self.writer = writer
        """Only with --write: the one way this view can change the process's memory."""
        self._edit_address: int | None = None
        self._writes_asked = 0
        self.interval = interval
        self.auto_refresh_on = auto_refresh
        self.itself = is_memtui_itself(pid)
        """The view is of memtui's own process, which it cannot freeze."""
        self.freeze = freeze and not self.itself
        self.name_of_process = "…"
        self.mappings: list[Mapping] = []
        self.rss: dict[int, int] = {}
        self.exited = False
        self.failure: SessionFailed | None = None
        self.status = "reading…"
        self.session: MemorySession | None = None
        self._timer: Timer | None = None
        self._hex = HexView(id="hex")
        self._inspector = DataInspector(id="inspector")
        self._telescope = Telescope(id="telescope")
        self._narrowing = NarrowingPrompt(id="narrowing")
        self._watch_pane = WatchPane(id="watches")
        self.watches = WatchList()
        self._watched_generation = 0
        """The hex generation whose read the watches took last: one value per refresh."""
        # The search: its pattern, matches (by address, sorted) and the session job.
        self.search_pattern: SearchPattern | None = None
        self.match_addresses: Sequence[int] = []
        """Sorted: a list while a search runs, then the narrowing's ``array('Q')``."""
        self.narrowing: NarrowingHistory | None = None
        """The matches of the last whole search, and the narrowing steps since."""
        self._narrow_job: int | None = None
        self.search_summary = ""
        self._search_job: int | None = None
        self._jumped_to_match = False
        self._save_job: int | None = None
        self._save_request: SaveRequest | None = None
        # Addresses the cursor was at before each pointer followed (Backspace).
        self.pointer_trail: list[int] = []
        self.changed_bytes: int | None = None
        self._said_leader_exited = False
        self._table_path_width = 0
        self.symbols: ProcessSymbols | None = None
        """The symbols of the mappings shown, once a worker has read them all."""

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        # Textual repaints the top screen wherever the screen beneath it changed
        # (Screen._compositor_refresh), since a screen may be see-through. This one is
        # opaque, and the dashboard beneath redraws its charts every second: that cost
        # a full repaint of the bytes (60 KB/s to the terminal) for nothing.
        if regions and not (layout or recompose) and self.styles.background.a == 1:
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    # -- setup and teardown -----------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="memory-title", markup=False)
        yield Static(id="memory-banner", markup=False)
        with Container(id="memory-body"):
            table = MappingsTable(id="mappings")
            for label in ("start", "end", "size", "RSS", "perms", "path"):
                table.add_column(label, key=label)
            yield table
            with Horizontal(id="hex-area"):
                yield self._hex
                yield self._inspector
            yield Static(
                f"Reading the mappings of process {self.pid}…", id="memory-message", markup=False
            )
            with Vertical(id="panes"):
                yield self._telescope
                yield self._watch_pane
        with Horizontal(id="job"):
            yield ProgressBar(id="job-progress", show_eta=False)
            yield Static(id="job-label", markup=False)
        yield Input(id="goto", classes="prompt", placeholder=f"go to: {USAGE}")
        yield Input(id="search", classes="prompt", placeholder=f"search: {QUERY_HELP}")
        yield Input(id="save", classes="prompt", placeholder=f"save: {SAVE_USAGE}")
        yield self._narrowing
        if self.writer is not None:
            yield Input(id="edit", classes="prompt", placeholder=f"write: {EDIT_HELP}")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.add_class("-empty")
        self._apply_layout()
        self.session = MemorySession(self.pid, self._on_session_event, freeze=self.freeze)
        self._hex.session = self.session
        self.session.start()
        self._read_name()
        self._set_auto_refresh(self.auto_refresh_on)
        self._hex.focus()
        if self.itself:
            self._show_banner(
                f"Process {self.pid} is memtui itself: a process cannot freeze itself, so it "
                "is read without stopping it (rows may be torn)",
                error=False,
            )
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
        self.call_after_refresh(self._refit_paths)
        self.call_after_refresh(self._show_watches)

    def _refit_paths(self) -> None:
        if self.mappings and self._path_width() != self._table_path_width:
            highlighted = self._highlighted_start()
            self._fill_table()
            if highlighted is not None:
                self._highlight_mapping(highlighted)

    def _apply_layout(self) -> None:
        wide = self.size.width >= WIDE_LAYOUT_COLUMNS
        self.set_class(wide, "-wide")
        beside = INSPECTOR_BESIDE_WIDE_COLUMNS if wide else INSPECTOR_BESIDE_COLUMNS
        below = self.size.width < beside
        self.set_class(below, "-inspector-below")
        self._share_rows(wide, below)

    def _share_rows(self, wide: bool, inspector_below: bool) -> None:
        """Keep MIN_HEX_ROWS rows of bytes whatever panes are open (memory_layout)."""
        banner = self.query_one("#memory-banner", Static)
        banner_rows = banner.outer_size.height if banner.has_class("-shown") else 0
        body = self.size.height - 2 - banner_rows  # the title and the footer
        table = self.query_one("#mappings", MappingsTable)
        table_above = 0 if wide else min(int(body * 0.35), table.row_count + 1)
        panes: list[tuple[Widget, int]] = []
        if self.has_class("-telescope"):
            panes.append((self._telescope, 18))
        if self.has_class("-watches"):
            panes.append((self._watch_pane, min(12, max(len(self.watches), 1) + 2)))
        plan = plan_layout(
            body,
            table_above=table_above,
            inspector_below=inspector_below and self.has_class("-inspector"),
            panes=[natural for _, natural in panes],
            prompt_lines=self._narrowing.lines,
            prompt_input=self._narrowing.is_open,
        )
        self._narrowing.set_compact(plan.compact_prompt)
        self._inspector.set_compact(plan.compact_inspector)
        self._inspector.styles.height = (
            COMPACT_INSPECTOR_ROWS if plan.compact_inspector and inspector_below else None
        )
        self.set_class(plan.table_rows == 0, "-no-table")
        table.styles.max_height = plan.table_rows if plan.table_rows else None
        for (pane, natural), rows in zip(panes, plan.pane_rows, strict=True):
            pane.styles.height = rows if rows < natural else None

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
        elif isinstance(event, JobReport):
            self.post_message(self.JobReported(event))
        else:
            self.post_message(self.SessionReport(event))

    def on_memory_screen_session_report(self, message: MemoryScreen.SessionReport) -> None:
        event = message.event
        if isinstance(event, MapsRead):
            self._show_mappings(event)
        elif isinstance(event, ExecFollowed):
            self._follow_exec(event)
        elif isinstance(event, SessionFailed):
            self._show_failure(event)
        elif isinstance(event, ProbeRead) and event.key == "telescope":
            self._telescope_read(event)
        elif isinstance(event, ProbeRead) and event.key == "copy":
            self._copy_read(event)
        elif isinstance(event, ProbeRead) and event.key.startswith("write-"):
            self._write_reported(event)

    def on_hex_view_rows_arrived(self, message: HexView.RowsArrived) -> None:
        rows = message.rows
        size = sum(len(result.data) for result in rows.results)
        mode = "frozen" if rows.frozen else "not stopped"
        self.status = f"read {format_bytes_short(size)}, {rows.seconds * 1000:.1f} ms, {mode}"
        if self._hex.generation > 0:
            self.changed_bytes = self._hex.changed_on_screen()
        if rows.watched and rows.generation > self._watched_generation:
            self._watched_generation = rows.generation
            self.watches.update(rows.watched)
            self._show_watches()
        self._show_inspector()
        self._request_telescope()
        self._show_title()

    def _show_mappings(self, event: MapsRead) -> None:
        if self.exited:
            return
        if event.task is not None and event.task != self.pid and not self._said_leader_exited:
            self._said_leader_exited = True
            self._show_banner(
                f"The main thread of process {self.pid} has exited; its other threads run "
                f"on: reading through thread {event.task}",
                error=False,
            )
        if event.rss is not None:
            self.rss = event.rss
        table = self.query_one("#mappings", MappingsTable)
        mappings = event.mappings
        if _same_layout(self.mappings, mappings) and table.row_count:
            if event.rss is not None:
                for mapping in mappings:
                    rss = self.rss.get(mapping.start)
                    cell = "—" if rss is None else format_bytes_short(rss)
                    table.set_cell_text(str(mapping.start), "RSS", cell)
            return
        highlighted = self._highlighted_start()
        self.mappings = mappings
        self._fill_table()
        self._apply_layout()
        self._load_symbols(mappings)
        lost = self._hex.set_mappings(mappings)
        if lost is not None:
            self._say_unmapped(lost)
        if self.has_class("-empty"):
            self.remove_class("-empty")
            self.call_after_refresh(self._focus_bytes)
        if highlighted is not None:
            self._highlight_mapping(highlighted)
        else:
            self._follow_cursor(self._hex.cursor_address)

    @work(thread=True, exclusive=True, exit_on_error=False, group="symbols")
    def _load_symbols(self, mappings: list[Mapping]) -> None:
        # Files only, no ptrace: a worker of its own, not the session's reader thread.
        symbols = ProcessSymbols(self.pid, mappings).load_all()
        self.app.call_from_thread(self._set_symbols, symbols)

    def _set_symbols(self, symbols: ProcessSymbols) -> None:
        if symbols.mappings != self.mappings:
            return  # read for mappings that have changed since
        self.symbols = symbols
        self._show_inspector()
        self._request_telescope()
        self._show_watches()
        self._show_title()

    def name_of(self, address: int) -> str | None:
        """The symbol holding ``address`` (``libc.so.6!malloc+0x10``), if known yet."""
        return self.symbols.name(address) if self.symbols is not None else None

    def _path_width(self) -> int:
        """Columns the path may take, beside the other cells, in the table's width."""
        table = self.query_one("#mappings", MappingsTable)
        others = (
            sum(len(f"{m.end:x}") for m in self.mappings[-1:]) * 2
            + len("1023.99 KiB") * 2
            + len("rw-p")
            + 6 * 2 * table.cell_padding
        )
        # Room for the vertical scrollbar; a path is never cut to less than its file name
        # could show in.
        return max(table.size.width - others - 2, MIN_PATH_COLUMNS)

    def _fill_table(self) -> None:
        table = self.query_one("#mappings", MappingsTable)
        width = self._path_width()
        self._table_path_width = width
        table.clear()
        for mapping in self.mappings:
            cells = mapping_row(mapping, self.rss.get(mapping.start), width)
            table.add_row(*cells, key=str(mapping.start))

    def _say_unmapped(self, address: int) -> None:
        now = self._hex.cursor_address
        mapping = find_mapping(self.mappings, now) if now is not None else None
        where = f"now at 0x{now:x} {mapping.name}" if now is not None and mapping else "none left"
        self.notify(f"0x{address:x} was unmapped: {where}", timeout=5, markup=False)

    def _follow_exec(self, event: ExecFollowed) -> None:
        """Forget the old program (bytes, mappings, matches): its new mappings follow."""
        if event.name:
            self.name_of_process = event.name
        self._show_banner(
            f"Process {self.pid} exec'd {event.name or 'another program'}: showing the new "
            "program (the memory it had is gone)",
            error=False,
        )
        self.failure = None
        self._said_leader_exited = False  # the new program's main thread is another
        self.mappings = []
        self.symbols = None
        self.rss = {}
        self.pointer_trail.clear()
        self.changed_bytes = None
        self.search_pattern = None
        self.match_addresses, self.search_summary = [], ""
        self._forget_narrowing()
        self._hex.set_matches([], 1, None)
        self._hex.selection_anchor = None
        # The addresses watched were the old program's: its values are gone with it.
        self.watches = WatchList()
        if self.session is not None:
            self.session.set_watches(())
        self._show_watches()
        self._hex.forget()
        self._show_title()

    def _show_banner(self, text: str, error: bool) -> None:
        banner = self.query_one("#memory-banner", Static)
        banner.set_class(error, "-error")
        banner.update(text)
        banner.add_class("-shown")
        self.call_after_refresh(self._apply_layout)

    def _focus_bytes(self) -> None:
        # The hex view could not take the focus while hidden, so the table got it; the
        # bytes are what one came for. Not if the user is already typing in a prompt.
        if not isinstance(self.focused, Input):
            self._hex.focus()

    def _show_failure(self, event: SessionFailed) -> None:
        self.failure = event
        if event.fatal and self._narrow_job is not None:
            # The session has ended: the step it was running will never report.
            self._narrow_job = None
            self._narrowing.say(f"Narrowing stopped: {event.message}", error=True)
        banner = self.query_one("#memory-banner", Static)
        name = self.name_of_process
        if event.exited:
            self.exited = True
            self._set_auto_refresh(False)
            if isinstance(event.error, ZombieProcess):
                text = (
                    f"Process {self.pid} ({name}) is a zombie: it has exited, but its parent "
                    "has not reaped it yet; it has no memory left to show"
                )
            else:
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
        selection = self._hex.selection
        if selection is not None:
            # Before the cursor's address: at 80 columns the end of the title is cut.
            parts.append(f"selected {selection[1]:,} B")
        if self.writer is not None:
            undo = self.writer.undo_count
            parts.insert(1, f"WRITE ({undo} to undo)" if undo else "WRITE")
        address = self._hex.cursor_address
        if address is not None:
            mapping = find_mapping(self.mappings, address)
            where = f" {name_address(address, mapping, self.name_of)}" if mapping else ""
            parts.append(f"at {address:x}{where}")
        if self.changed_bytes is not None:
            parts.append(f"{self.changed_bytes} changed")
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
        self._show_inspector()
        self._request_telescope()
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
        if self._narrowing.is_open:
            self._narrowing.close()
            self._hex.focus()
            return
        for prompt in self.query(".prompt").results(Input):
            if prompt.has_class("-shown"):
                prompt.remove_class("-shown")
                self._hex.focus()
                return
        if self._search_job is not None or self._save_job is not None:
            self._cancel_job()
            return
        if self._hex.selection_anchor is not None:
            self._hex.end_selection()
            self._show_title()
            return
        self.app.pop_screen()

    def _open_prompt(self, name: str) -> None:
        self._narrowing.close()
        self._show_prompt(name)
        prompt = self.query_one(f"#{name}", Input)
        prompt.value = ""
        prompt.focus()

    def _show_prompt(self, name: str | None) -> None:
        """Show the prompt named (None: none of them)."""
        for prompt in self.query(".prompt").results(Input):
            prompt.set_class(prompt.id == name, "-shown")

    def action_goto(self) -> None:
        self._open_prompt("goto")

    @on(Input.Submitted, "#goto")
    def _goto_submitted(self, event: Input.Submitted) -> None:
        try:
            address = resolve_address(event.value, self.mappings, self.symbols)
        except ValueError as error:
            message = str(error)
            if self.symbols is None and message.startswith("not an address"):
                message += " (symbols still loading)"
            self.notify(message, title="Go to", severity="error", timeout=5, markup=False)
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
        if self.itself:
            self.notify(
                "memtui cannot freeze itself: it reads its own memory without stopping",
                severity="warning",
                timeout=4,
            )
            return
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

    # -- search -----------------------------------------------------------------------------

    def action_search(self) -> None:
        self._open_prompt("search")

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        pattern = self._prompt_answer(event, "Search", parse_query)
        if pattern is not None:
            self.start_search(pattern)

    def _prompt_answer(
        self, event: Input.Submitted, title: str, parse: Callable[[str], T]
    ) -> T | None:
        """What the prompt's text means; if it means nothing, say why and keep it open."""
        try:
            answer = parse(event.value)
        except ValueError as error:  # QueryError is one too
            self.notify(str(error), title=title, severity="error", timeout=6, markup=False)
            return None
        event.input.remove_class("-shown")
        self._hex.focus()
        return answer

    def _job_session(self) -> MemorySession | None:
        """The session to run a search or save on, or None (and say so) if it has ended."""
        if self.session is None or self.session.ended:
            self.notify("The process cannot be read any more.", severity="error", timeout=4)
            return None
        return self.session

    def start_search(self, pattern: SearchPattern) -> None:
        """Search from the byte after the cursor, through every readable mapping."""
        session = self._job_session()
        if session is None:
            return
        cursor = self._hex.cursor_address
        start = cursor + 1 if cursor is not None else None

        def job(reader: MemoryReader) -> Iterator[SearchProgress | None]:
            return search_steps(reader, pattern, start, SEARCH_LIMIT, keep=DEFAULT_LIMIT)

        self.search_pattern = pattern
        self.match_addresses = []
        self._forget_narrowing()
        self._jumped_to_match = False
        self._save_job = None
        self._hex.set_matches([], pattern.length, None)
        self._search_job = session.start_job(job)
        if self._search_job is None:
            self.notify("The reader is busy: try again", severity="warning", timeout=3)
            return
        self._show_job(f"searching for {pattern.description}… esc cancels", 0, None)

    def _search_reported(self, progress: SearchProgress) -> None:
        pattern = self.search_pattern
        assert pattern is not None
        if isinstance(self.match_addresses, list):
            for match in progress.new:
                bisect.insort(self.match_addresses, match.address)
        if progress.done and progress.addresses is not None:
            # Every match, not only those described one by one: n, N and c use them all.
            candidates = candidates_from_search(pattern, progress.addresses, progress.values)
            self.narrowing = NarrowingHistory(candidates)
            self.match_addresses = candidates.addresses
        if progress.new and not self._jumped_to_match:
            # The first match found is the next one after the cursor: go there now.
            self._jumped_to_match = self._go_to_match(progress.new[0].address)
        else:
            self._hex.set_matches(self.match_addresses, pattern.length, self._hex.current_match)
        count = progress.matches
        if not progress.done:
            label = f"searching for {pattern.description}: {count:,} found… esc cancels"
            self._show_job(label, progress.scanned, progress.total)
            return
        self._search_job = None
        self._hide_job()
        scanned = format_bytes_short(progress.scanned)
        if progress.truncated:
            summary = f"{count:,} matches for {pattern.description} (stopped at the limit)"
        elif count:
            summary = f"{count:,} matches for {pattern.description}"
        else:
            summary = f"No match for {pattern.description}"
        # The results list repeats the summary; what was scanned and how fast only
        # the toast says (a snapshot of the list must not depend on the C library).
        self.search_summary = summary
        self.notify(
            f"{summary} in {scanned}, {progress.seconds:.2f} s"
            + (" — n/N next/previous, m lists them" if count else ""),
            title="Search",
            timeout=5,
            markup=False,
        )

    def _go_to_match(self, address: int) -> bool:
        pattern = self.search_pattern
        self._hex.set_matches(self.match_addresses, pattern.length if pattern else 1, address)
        if self._hex.go_to(address):
            return True
        self.notify(
            f"0x{address:x} is in a mapping this view does not show yet: press r",
            title="Search",
            timeout=4,
            markup=False,
        )
        return False

    def action_next_match(self, direction: int) -> None:
        if not self.match_addresses:
            self.notify(
                "No matches: search with /" if self._search_job is None else "Searching…",
                timeout=3,
            )
            return
        cursor = self._hex.cursor_address or 0
        addresses = self.match_addresses
        if direction > 0:
            index = bisect.bisect_right(addresses, cursor) % len(addresses)
        else:
            index = (bisect.bisect_left(addresses, cursor) - 1) % len(addresses)
        self._go_to_match(addresses[index])
        self._show_title()

    def action_show_matches(self) -> None:
        if not self.match_addresses:
            self.notify("No matches: search with /", timeout=3)
            return
        matches = []
        for index in range(min(len(self.match_addresses), DEFAULT_LIMIT)):
            address = self.match_addresses[index]
            mapping = find_mapping(self.mappings, address)
            if mapping is not None:  # None: unmapped since; r reads the mappings again
                matches.append(SearchMatch(address, mapping))
        summary = self.search_summary or f"{len(self.match_addresses):,} matches so far"
        if len(self.match_addresses) > DEFAULT_LIMIT:
            summary += f" (the first {DEFAULT_LIMIT:,} listed)"

        def chosen(address: int | None) -> None:
            if address is not None:
                self._go_to_match(address)
            self._hex.focus()

        current = self._hex.current_match
        self.app.push_screen(SearchResultsScreen(matches, summary, current, self.name_of), chosen)

    # -- narrowing scans ----------------------------------------------------------------------

    def action_narrow(self) -> None:
        if self._search_job is not None:
            self.notify("Wait for the search to end (esc cancels it), then narrow", timeout=4)
            return
        if self.narrowing is None:
            self.notify(
                "Narrow needs a search first: / finds a value, then c keeps the matches that "
                "changed as you say",
                timeout=5,
            )
            return
        self._show_prompt(None)
        self._show_history()
        self._narrowing.open()

    @on(NarrowingPrompt.Step)
    def _narrow_step(self, event: NarrowingPrompt.Step) -> None:
        history = self._idle_narrowing()
        if history is None:
            return
        try:
            step = parse_narrowing(event.text, history.current.kind)
        except NarrowingError as error:
            self._narrowing.say(str(error), error=True)
            return
        if step == "undo":
            self._undo_step()
            return
        current = history.current
        if not len(current):
            self._narrowing.say(
                "No match left: undo goes back a step, / searches again", error=True
            )
            return
        if self._save_job is not None:
            self._narrowing.say("Wait for the save to end (esc cancels it)", error=True)
            return
        session = self._job_session()
        if session is None:
            return
        self._narrow_job = session.start_job(rescan_steps(current, step))
        if self._narrow_job is None:
            self._narrowing.say("The reader is busy: try again", error=True)
            return
        self._narrowing.say(f"narrowing {len(current):,} matches ({step.text})…")

    @on(NarrowingPrompt.RowsChanged)
    def _narrowing_rows_changed(self) -> None:
        self._apply_layout()

    @on(NarrowingPrompt.UndoStep)
    def _undo_requested(self) -> None:
        self._undo_step()

    def _idle_narrowing(self) -> NarrowingHistory | None:
        """The narrowing, if it may take a step now; if a step runs, say so."""
        if self._narrow_job is not None:
            self._narrowing.say("Still narrowing: wait for this step to end", error=True)
            return None
        return self.narrowing

    def _undo_step(self) -> None:
        history = self._idle_narrowing()
        if history is None:
            return
        if not history.undo():
            if len(history.steps) > 1:
                message = f"Only the last {UNDO_DEPTH} steps can be undone"
            else:
                message = "Nothing to undo: these are the search's own matches"
            self._narrowing.say(message, error=True)
            return
        self._show_candidates()
        self._narrowing.clear_input()
        self._narrowing.say(f"Undone: back to {len(history.current):,} matches")

    def _narrowed(self, result: NarrowResult) -> None:
        history = self.narrowing
        if history is None:
            return
        history.push(result)
        self._show_candidates()
        kept = len(result.candidates)
        parts = [
            f"kept {kept:,} of {result.before:,} ({result.condition.text}) in "
            f"{result.seconds:.2f} s"
        ]
        if result.unreadable:
            parts.append(f"{result.unreadable:,} could no longer be read")
        if kept == 1:
            address = result.candidates.addresses[0]
            mapping = find_mapping(self.mappings, address)
            where = f" {name_address(address, mapping, self.name_of)}" if mapping else ""
            parts.append(f"one left: {address:x}{where}")
        elif kept == 0:
            parts.append("none left: undo goes back")
        self._narrowing.say(" · ".join(parts))
        self._narrowing.clear_input()

    def _show_candidates(self) -> None:
        """Matches, highlights, the list's summary and the history line, as the
        narrowing now stands."""
        history, pattern = self.narrowing, self.search_pattern
        if history is None or pattern is None:
            return
        addresses = history.current.addresses
        self.match_addresses = addresses
        count = len(addresses)
        self.search_summary = (
            f"{count:,} matches for {pattern.description}, narrowed: {history.text()}"
        )
        self._show_history()
        current = self._hex.current_match
        index = bisect.bisect_left(addresses, current) if current is not None else count
        if count == 1:
            self._go_to_match(addresses[0])
            return
        kept = index < count and addresses[index] == current
        self._hex.set_matches(addresses, pattern.length, current if kept else None)

    def _show_history(self) -> None:
        history, pattern = self.narrowing, self.search_pattern
        if history is not None and pattern is not None:
            self._narrowing.show_history(f"{pattern.description}: {history.text()}")

    def _forget_narrowing(self) -> None:
        self.narrowing = None
        self._narrow_job = None
        self._narrowing.forget()

    # -- the running job (search or save) ----------------------------------------------------

    def on_memory_screen_job_reported(self, message: MemoryScreen.JobReported) -> None:
        report = message.report
        if report.job_id == self._search_job:
            if report.error is not None:
                self._search_job = None
                self._hide_job()
                self.notify(f"Search stopped: {report.error}", severity="error", markup=False)
            elif isinstance(report.payload, SearchProgress):
                self._search_reported(report.payload)
        elif report.job_id == self._save_job:
            if report.error is not None:
                self._save_job = None
                self._hide_job()
                self.notify(f"Save failed: {report.error}", severity="error", markup=False)
            elif isinstance(report.payload, SaveProgress):
                self._save_reported(report.payload)
        elif report.job_id == self._narrow_job:
            self._narrow_job = None
            if report.error is not None:
                self._narrowing.say(f"Narrowing stopped: {report.error}", error=True)
            elif isinstance(report.payload, NarrowResult):
                self._narrowed(report.payload)

    def _show_job(self, label: str, done: float, total: float | None) -> None:
        self.query_one("#job").add_class("-shown")
        self.query_one("#job-label", Static).update(label)
        self.query_one("#job-progress", ProgressBar).update(total=total, progress=done)

    def _hide_job(self) -> None:
        self.query_one("#job").remove_class("-shown")

    def _cancel_job(self) -> None:
        if self.session is not None:
            self.session.cancel_job()
        if self._search_job is not None:
            self._search_job = None
            count = len(self.match_addresses)
            self.search_summary = f"Search cancelled: {count:,} matches found before it stopped"
            self.notify(self.search_summary, title="Search", timeout=4)
        if self._save_job is not None:
            self._save_job = None
            path = shorten_path(self._save_request.path) if self._save_request else "the file"
            # The file takes its place only when whole (memtui.core.output_file).
            self.notify(f"Save cancelled: {path} is left as it was", timeout=4, markup=False)
        self._hide_job()

    # -- the data inspector and pointers ------------------------------------------------------

    def action_toggle_inspector(self) -> None:
        self.toggle_class("-inspector")
        self._apply_layout()
        self._show_inspector()

    def action_choose_type(self, step: int) -> None:
        chosen = self._inspector.choose_type(step)
        if not self.has_class("-inspector"):
            self.notify(f"Inspector type {chosen}: w watches the value as {chosen}", timeout=2)

    def _show_inspector(self) -> None:
        if not self.has_class("-inspector"):
            return
        address = self._hex.cursor_address
        data = self._hex.bytes_at(address, BYTES_NEEDED) if address is not None else b""
        self._inspector.show(address, data, self.mappings, self.name_of)

    # -- the telescope -----------------------------------------------------------------------

    def action_toggle_telescope(self) -> None:
        self.toggle_class("-telescope")
        self._apply_layout()
        self._request_telescope()

    def _request_telescope(self) -> None:
        """Read the telescope's chains from the cursor, on the session's reader thread."""
        if not self.has_class("-telescope") or self.session is None:
            return
        start = self._hex.cursor_address
        if start is None:
            self._telescope.show_message("No byte under the cursor.")
            return
        mappings, symbols = self.mappings, self.symbols
        namer = symbols.name if symbols is not None else None

        def probe(reader: MemoryReader) -> tuple[int, list[TelescopeRow]]:
            with reader.one_moment() as read_ranges:
                return start, read_telescope(read_ranges, start, mappings, namer)

        self.session.request_probe("telescope", probe)

    def _telescope_read(self, event: ProbeRead) -> None:
        if event.error is not None:
            self._telescope.show_message(f"Cannot read: {event.error}")
            return
        if not isinstance(event.payload, tuple):
            return
        start, rows = event.payload
        if start == self._hex.cursor_address:
            self._telescope.show_rows(start, rows)

    @on(Telescope.Chosen)
    def _telescope_chosen(self, event: Telescope.Chosen) -> None:
        if self._hex.go_to(event.address):
            self._hex.focus()

    def action_follow_pointer(self) -> None:
        address = self._hex.cursor_address
        if address is None:
            return
        inspection = inspect_bytes(self._hex.bytes_at(address, 8), self.mappings)
        if inspection.pointer is None or inspection.pointer_target is None:
            self.notify(
                f"Not a pointer to readable memory: {inspection.pointer_text}",
                timeout=4,
                markup=False,
            )
            return
        if self._hex.go_to(inspection.pointer):
            self.pointer_trail.append(address)
            self._show_title()

    def action_pointer_back(self) -> None:
        if not self.pointer_trail:
            self.notify("No pointer followed yet (enter follows one)", timeout=3)
            return
        self._hex.go_to(self.pointer_trail.pop())
        self._show_title()

    # -- watches ------------------------------------------------------------------------------

    def action_add_watch(self) -> None:
        address = self._hex.cursor_address
        if address is None:
            self.notify("No byte under the cursor to watch", timeout=3)
            return
        type_name = self._inspector.type_name
        try:
            self.watches.add(address, type_name, self._hex.bytes_at(address, 8))
        except WatchError as error:
            self.notify(str(error), title="Watch", severity="warning", timeout=5, markup=False)
            return
        # From the next refresh on; the value now is the bytes as last read.
        self._watched_generation = self._hex.generation
        if self.session is not None:
            self.session.set_watches(self.watches.ranges())
        self.add_class("-watches")
        self._show_watches()
        self._apply_layout()
        self.notify(
            f"Watching {self.describe_address(address)} as {type_name} (t picks the type)",
            timeout=3,
            markup=False,
        )

    def action_toggle_watches(self) -> None:
        self.toggle_class("-watches")
        self._show_watches()
        self._apply_layout()

    def describe_address(self, address: int) -> str:
        """The symbol, or mapping and offset, of ``address``; its hex if in no mapping."""
        mapping = find_mapping(self.mappings, address)
        return name_address(address, mapping, self.name_of) if mapping else f"0x{address:x}"

    def _show_watches(self) -> None:
        if self.has_class("-watches"):
            self._watch_pane.show(self.watches.watches, self.describe_address)

    @on(WatchPane.Chosen)
    def _watch_chosen(self, event: WatchPane.Chosen) -> None:
        address = self.watches.watches[event.index].address
        if self._hex.go_to(address):
            self._hex.focus()
        else:
            self.notify(f"0x{address:x} is not shown in this view now", timeout=4)

    @on(WatchPane.Removed)
    def _watch_removed(self, event: WatchPane.Removed) -> None:
        self.watches.remove(event.index)
        if self.session is not None:
            self.session.set_watches(self.watches.ranges())
        self._show_watches()
        self._apply_layout()

    # -- selection and copy ---------------------------------------------------------------

    def action_toggle_selection(self) -> None:
        if self._hex.selection_anchor is not None:
            self._hex.end_selection()
        elif not self._hex.start_selection():
            self.notify("No byte under the cursor to select from", timeout=3)
        self._show_title()

    def action_copy(self, form: str) -> None:
        """Copy the selection, or the byte at the cursor, as hex or text (OSC 52)."""
        selection = self._hex.selection
        if selection is None:
            address = self._hex.cursor_address
            if address is None:
                self.notify("No byte under the cursor to copy", timeout=3)
                return
            selection = (address, 1)
        try:
            check_length(selection[1])
        except CopyError as error:
            self.notify(str(error), title="Copy", severity="error", timeout=6, markup=False)
            return
        if self.session is None or self.session.ended:
            self.notify("The process cannot be read any more.", severity="error", timeout=4)
            return
        start, length = selection

        def probe(reader: MemoryReader) -> tuple[str, ReadResult]:
            # The bytes as they are now, in one freeze: the screen may show older ones.
            return form, reader.read_many([(start, length)])[0]

        self.session.request_probe("copy", probe)

    def _copy_read(self, event: ProbeRead) -> None:
        if event.error is not None:
            self.notify(f"Copy failed: {event.error}", severity="error", markup=False)
            return
        if not isinstance(event.payload, tuple):
            return
        form, result = event.payload
        try:
            text = copy_text(result, form)
        except CopyError as error:
            self.notify(str(error), title="Copy", severity="error", timeout=6, markup=False)
            return
        self.app.copy_to_clipboard(text)
        count = len(result.data)
        self.notify(
            f"Copied {count:,} byte{'s' if count != 1 else ''} from 0x{result.address:x} as "
            f"{form} to the clipboard",
            title="Copy",
            timeout=3,
        )

    # -- save ---------------------------------------------------------------------------------

    def action_save(self) -> None:
        self._open_prompt("save")
        selection = self._hex.selection
        prompt = self.query_one("#save", Input)
        if selection is not None:
            start, length = selection
            prompt.placeholder = (
                f"save the selection ({length:,} bytes from 0x{start:x}) to FILE "
                "(.txt/.hex: hex text), or START..END FILE"
            )
        else:
            prompt.placeholder = f"save: {SAVE_USAGE}"

    @on(Input.Submitted, "#save")
    def _save_submitted(self, event: Input.Submitted) -> None:
        cursor = self._hex.cursor_address
        request = self._prompt_answer(
            event,
            "Save",
            lambda text: parse_save_request(text, self.mappings, cursor, self._hex.selection),
        )
        if request is not None:
            self.start_save(request)

    def start_save(self, request: SaveRequest) -> None:
        session = self._job_session()
        if session is None:
            return

        def job(reader: MemoryReader) -> Iterator[SaveProgress | None]:
            return save_steps(reader, request)

        self._search_job = None
        self._save_request = request
        self._save_job = session.start_job(job)
        if self._save_job is None:
            self.notify("The reader is busy: try again", severity="warning", timeout=3)
            return
        self._show_job(f"saving to {shorten_path(request.path)}… esc cancels", 0, request.length)

    def _save_reported(self, progress: SaveProgress) -> None:
        request = self._save_request
        assert request is not None
        if not progress.done:
            written = format_bytes_short(progress.written)
            label = f"saving to {shorten_path(request.path)}: {written}"
            self._show_job(label, progress.written, progress.total)
            return
        self._save_job = None
        self._hide_job()
        failed = progress.error is not None
        self.notify(
            save_summary(request, progress),
            title="Save",
            severity="error" if failed else "warning" if progress.unreadable else "information",
            timeout=8,
            markup=False,
        )

    def action_help(self) -> None:
        # HelpScreen's table reads its cells as markup, which would swallow [heap].
        keys = [(key, escape(description)) for key, description in KEYS]
        self.app.push_screen(HelpScreen(keys, about=ABOUT))

    # -- writes (only with --write) ---------------------------------------------------------

    def action_edit(self) -> None:
        if self.writer is None:
            self.notify(WRITE_OFF, title="Edit", severity="warning", timeout=6, markup=False)
            return
        address = self._hex.cursor_address
        if address is None:
            self.notify("No byte under the cursor to write at", title="Edit", timeout=3)
            return
        self._edit_address = address
        self._open_prompt("edit")
        self.query_one("#edit", Input).placeholder = f"write at {address:x}: {EDIT_HELP}"

    @on(Input.Submitted, "#edit")
    def _edit_submitted(self, event: Input.Submitted) -> None:
        value = self._prompt_answer(event, "Edit", parse_edit)
        address, writer = self._edit_address, self.writer
        if value is None or address is None or writer is None:
            return
        if writer.confirmed:
            self._start_write(address, value)
            return
        mapping = find_mapping(self.mappings, address)
        where = name_address(address, mapping, self.name_of) if mapping else "unmapped memory"
        question = (
            f"Write {len(value.data)} byte{'s' if len(value.data) != 1 else ''} "
            f"({show_bytes(value.data)}) at 0x{address:x} ({where}) into process {self.pid} "
            f"({self.name_of_process})? This changes the running program; u undoes it. "
            "Asked once per run."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                writer.confirmed = True
                self._start_write(address, value)
            else:
                self.notify("Nothing written", title="Edit", timeout=3)
            self._hex.focus()

        self.app.push_screen(ConfirmScreen(question, title="Write to process memory"), answered)

    def _start_write(self, address: int, value: EditValue) -> None:
        writer = self.writer
        session = self._job_session()
        if writer is None or session is None:
            return
        self._writes_asked += 1
        data = value.data

        def write(reader: MemoryReader) -> WriteDone:
            return writer.write(reader, address, data)

        if not session.request_probe(f"write-{self._writes_asked}", write):
            self.notify("The reader is busy: nothing written, try again", severity="warning")

    def action_undo_write(self) -> None:
        writer = self.writer
        if writer is None:
            self.notify(WRITE_OFF, title="Undo", severity="warning", timeout=6, markup=False)
            return
        session = self._job_session()
        if session is None:
            return
        self._writes_asked += 1
        if not session.request_probe(f"write-{self._writes_asked}", writer.undo):
            self.notify("The reader is busy: nothing undone, try again", severity="warning")

    def _write_reported(self, event: ProbeRead) -> None:
        error = event.error
        if error is not None:
            message = str(error)
            if not isinstance(error, WriteRefused | WriteFailed):
                message = f"nothing written: {message}"
            self.notify(message, title="Write", severity="error", timeout=8, markup=False)
        elif isinstance(event.payload, WriteDone):
            done = event.payload
            write = done.write
            if done.undone:
                more = f"; {done.undo_left} more to undo" if done.undo_left else ""
                text = f"Undone: 0x{write.address:x} holds {show_bytes(write.before)} again{more}"
            else:
                text = (
                    f"Wrote {show_bytes(write.after)} at 0x{write.address:x} (was "
                    f"{show_bytes(write.before)}), read back the same; u undoes it"
                )
            self.notify(text, title="Write", timeout=6, markup=False)
        self._hex.reload()
        self._show_title()
