"""Every process, searchable and sortable, with its memory and growth."""

from __future__ import annotations

import math
import os
import time
from collections import deque

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from memtui.core.input_echo import shorten
from memtui.core.leak.evidence import line_points
from memtui.core.leak.leak_detector import fit_line, format_leak_rate
from memtui.core.model.dashboard_model import DashboardModel, format_span
from memtui.core.model.sparkline import sparkline
from memtui.core.processes.process_history import RAW_SPAN, ProcessKey
from memtui.core.processes.process_signal import (
    DEFAULT_SIGNAL,
    SIGNALS,
    SignalChoice,
    send_signal,
    signal_named,
)
from memtui.core.processes.process_table import (
    ProcessRow,
    ProcessSource,
    ProcessTable,
    filter_rows,
    find_row,
    sort_rows,
)
from memtui.core.processes.process_tree import tree_rows
from memtui.screens.choice_screen import ChoiceScreen
from memtui.screens.column_chooser_screen import ColumnChooserScreen
from memtui.screens.confirm_screen import ConfirmScreen
from memtui.widgets.key_footer import KeyFooter
from memtui.widgets.leak_panel import LOADING_PROCESSES
from memtui.widgets.process_list import (
    COLUMNS,
    ProcessList,
    header_line,
    hidden_columns,
    size_text,
)
from memtui.widgets.process_memory_plot import MemoryLines, ProcessMemoryPlot

COLUMN_TITLES = {column.key: column.title for column in COLUMNS}
DEFAULT_SORT = "rss"
PSS_SPACING = 5.0
"""Seconds between the PSS points the detail pane keeps (smaps_rollup is costly)."""
PSS_POINTS = int(RAW_SPAN / PSS_SPACING) + 1
PSS_PROCESSES = 8
"""Processes whose PSS history is kept: the last few selected."""
TREND_CACHE_SIZE = 512
"""RSS~ cells kept: a few screens' worth; older versions fall out."""
ALL_USERS = "*"
"""The user list's first choice: every user (no user name is "*")."""
HELP_ABOUT = (
    "The process picker lists every process with its CPU and memory, refreshed every "
    "interval. RSS is resident memory, PSS shares shared pages among their users, USS is "
    "what the process alone holds; GROWTH/m is the least-squares slope of RSS+swap over "
    "the last minute, RSS~ the RSS over the charts' window (five minutes). A value that "
    "cannot be read shows — and the line under the list says why. Enter opens a "
    "process's memory view."
)
# Sizes, growth and CPU read best biggest first; text columns A to Z.
SIZE_FIRST = frozenset(("rss", "swap", "rss_growth", "pss", "uss", "cpu_percent", "cpu_time"))


def row_detail(row: ProcessRow | None) -> str:
    """What the highlighted row cannot show: why a value is missing, or why it cannot open."""
    if row is None:
        return "No process matches the filter."
    text = f"{row.pid} {row.name}"
    if row.is_kernel_thread:
        return f"{text}: kernel thread, no user memory: it cannot be opened"
    if row.pid == os.getpid():
        return (
            f"{text}: memtui itself: enter opens its memory without freezing it (a process "
            "cannot freeze itself)"
        )
    reasons = [f"{COLUMN_TITLES.get(column, column)} — {why}" for column, why in row.reasons]
    return f"{text}: " + ("; ".join(reasons) if reasons else "enter opens its memory")


class ProcessPickerScreen(Screen[None]):
    BINDINGS = [
        # htop's F-keys where they mean the same, beside the letters.
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("f4", "filter", "Filter", key_display="F4", show=False),
        Binding(
            "f3",
            "search",
            "Search",
            key_display="F3",
            show=False,
            tooltip="Search: jump to the first match, F3 again to the next",
        ),
        Binding("less_than_sign,comma", "sort_column(-1)", "Sort ←", key_display="<"),
        Binding("greater_than_sign,full_stop", "sort_column(1)", "Sort →", key_display=">"),
        Binding(
            "f6",
            "choose_sort",
            "Sort by",
            key_display="F6",
            show=False,
            tooltip="Sort by: choose a column",
        ),
        Binding("i", "invert_sort", "Invert"),
        Binding("c", "choose_columns", "Columns", tooltip="Choose the columns to show"),
        Binding(
            "d",
            "toggle_detail",
            "Detail",
            tooltip="The highlighted process's RSS, swap and PSS over time, with its growth",
        ),
        Binding(
            "f5",
            "toggle_tree",
            "Tree",
            key_display="F5",
            tooltip="Tree view: children under their parents, siblings sorted",
        ),
        Binding("u", "choose_user", "User", tooltip="Show one user's processes, or all"),
        # htop's k is vi's up here: x, as in "cross out", is free.
        Binding("x", "kill", "Kill", tooltip="Send a signal: choose it, then confirm"),
        Binding("f9", "kill", "Kill", key_display="F9", show=False),
        Binding("escape", "back", "Back"),
    ]

    HELP_ABOUT = HELP_ABOUT

    DEFAULT_CSS = """
    ProcessPickerScreen #picker-bar {
        height: 1;
        background: $boost;
    }
    ProcessPickerScreen #picker-status {
        width: 1fr;
        height: 1;
        padding: 0 1;
    }
    ProcessPickerScreen #picker-hidden {
        width: auto;
        height: 1;
        padding: 0 1;
        color: $text-warning;
    }
    ProcessPickerScreen #column-header {
        height: 1;
        background: $panel;
        text-style: bold;
    }
    ProcessPickerScreen #process-detail {
        display: none;
        height: 12;
        border-top: solid $accent;
    }
    ProcessPickerScreen #process-detail.-open {
        display: block;
    }
    ProcessPickerScreen #detail-summary {
        height: 1;
        padding: 0 1;
    }
    ProcessPickerScreen #row-detail {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    ProcessPickerScreen #filter {
        dock: bottom;
        display: none;
        height: 1;
        border: none;
        padding: 0 1;
    }
    ProcessPickerScreen #filter.-active {
        display: block;
    }
    """

    class OpenRequested(Message):
        def __init__(self, row: ProcessRow) -> None:
            super().__init__()
            self.row = row

    class BackRequested(Message):
        pass

    def __init__(
        self,
        sampler: ProcessSource,
        interval: float = 1.0,
        recorded: bool = False,
        model: DashboardModel | None = None,
    ) -> None:
        super().__init__()
        self.sampler = sampler
        self.model = model
        """Where the RSS~ column and the detail pane read each process's history."""
        self._pss_history: LRUCache[ProcessKey, deque[tuple[float, float]]] = LRUCache(
            PSS_PROCESSES
        )
        self._trends: LRUCache[tuple[object, ...], str] = LRUCache(TREND_CACHE_SIZE)
        self.interval = interval
        self.recorded = recorded
        """A replay's picker: the processes as recorded, which cannot be opened."""
        self.table: ProcessTable | None = None
        self.query_text = ""
        self.search_text = ""
        self.user_filter: str | None = None
        """Only this user's processes, or every user's (None)."""
        self.tree_view = False
        """The tree view (F5): children under parents, sorted within siblings."""
        self._input_mode = "filter"
        """What the input line is for: "filter" (/, F4) or "search" (F3)."""
        self.sort_key = DEFAULT_SORT
        self.descending = True
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="picker-bar"):
            yield Static("Reading processes…", id="picker-status", markup=False)
            yield Static("", id="picker-hidden", markup=False)
        yield Static("", id="column-header", markup=False)
        yield ProcessList(id="process-list")
        with Vertical(id="process-detail"):
            yield Static("", id="detail-summary", markup=False)
            yield ProcessMemoryPlot(id="detail-plot")
        yield Static("", id="row-detail", markup=False)
        yield Input(placeholder="filter by name, command, pid or user", id="filter")
        yield KeyFooter()

    @property
    def process_list(self) -> ProcessList:
        return self.query_one(ProcessList)

    def on_mount(self) -> None:
        self.process_list.trend = self._trend
        self.process_list.focus()
        self._sample()

    def on_screen_resume(self) -> None:
        if self._timer is None and self.table is not None:
            self._sample()

    def on_screen_suspend(self) -> None:
        # Off screen, the picker costs nothing.
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def on_resize(self) -> None:
        self._draw_header()

    # -- sampling: a worker thread, re-armed only when the previous sample is in --

    @work(thread=True, exclusive=True, group="process-table", exit_on_error=False)
    def _sample(self) -> None:
        self.sampler.watch(self.process_list.visible_pids())
        table = self.sampler.sample()
        self.app.call_from_thread(self._show_table, table)

    def _show_table(self, table: ProcessTable) -> None:
        self.table = table
        self._apply_view()
        self._keep_pss(table)
        self._update_detail()
        if self.is_current:
            self._timer = self.set_timer(self.interval, self._sample, name="process-table-poll")
        else:
            self._timer = None

    def _apply_view(self) -> None:
        if self.table is None:
            return
        rows = filter_rows(self.table.rows, self.query_text)
        if self.user_filter is not None:
            rows = tuple(row for row in rows if row.user == self.user_filter)
        if self.tree_view:
            rows, prefixes = tree_rows(rows, self.sort_key, descending=self.descending)
            self.process_list.set_rows(rows, prefixes)
        else:
            rows = sort_rows(rows, self.sort_key, descending=self.descending)
            self.process_list.set_rows(rows)
        status = f"{len(rows)} of {len(self.table.rows)} processes"
        if self.user_filter is not None:
            status += f"  user: {shorten(self.user_filter)}"
        if self.query_text:
            status += f"  filter: {shorten(self.query_text)}"
        order = "tree, siblings sorted by" if self.tree_view else "sorted by"
        status += f"  {order} {COLUMN_TITLES[self.sort_key]} {'▼' if self.descending else '▲'}"
        replay = self.model.replay if self.model is not None else None
        if replay is not None and replay.processes_pending:
            status = LOADING_PROCESSES
        self.query_one("#picker-status", Static).update(status)
        self._draw_header()
        self._show_detail(self.process_list.highlighted)

    def _trend(self, row: ProcessRow, width: int) -> str:
        """The RSS~ cell: RSS over the chart window, from the histories the leak
        attribution keeps (every process every 2-6 s); cached per history version."""
        model = self.model
        if model is None or row.rss is None:
            return ""
        histories = model.processes
        end = model.at if model.at is not None else histories.latest_time
        if end is None:
            return ""
        key = (row.pid, row.create_time, histories.version, end, width)
        cached = self._trends.get(key)
        if cached is None:
            _, rss, _ = histories.memory_series(
                (row.pid, row.create_time), end - model.chart_window(), end
            )
            cached = sparkline(rss, width)
            self._trends[key] = cached
        return cached

    def _draw_header(self) -> None:
        width = self.process_list.size.width or self.size.width
        self.query_one("#column-header", Static).update(
            header_line(width, self.sort_key, self.descending, self.process_list.columns)
        )
        hidden = hidden_columns(width, self.process_list.columns)
        # Columns that did not fit are named, so none vanishes without notice.
        note = "hidden: " + " ".join(column.title for column in hidden) if hidden else ""
        self.query_one("#picker-hidden", Static).update(note)

    def _show_detail(self, row: ProcessRow | None) -> None:
        self.query_one("#row-detail", Static).update(row_detail(row))

    def on_process_list_highlighted(self, message: ProcessList.Highlighted) -> None:
        self._show_detail(message.row)
        self._update_detail()

    # -- the detail pane: one process's memory over time --

    @property
    def detail_open(self) -> bool:
        return self.query_one("#process-detail").has_class("-open")

    def action_toggle_detail(self) -> None:
        self.query_one("#process-detail").toggle_class("-open")
        self._update_detail()

    def _keep_pss(self, table: ProcessTable) -> None:
        """Add the selected process's PSS to its history, every PSS_SPACING seconds.

        The sampler's worker reads it (the selected row is watched), so nothing here
        touches /proc; a sample's clock is monotonic, the histories' wall time."""
        row = self.process_list.highlighted
        if row is None or row.pss is None or row.pss_read_at is None:
            return
        key = (row.pid, row.create_time)
        points = self._pss_history.get(key)
        if points is None:
            points = deque(maxlen=PSS_POINTS)
            self._pss_history[key] = points
        at = (
            time.time() - (table.taken_at - row.pss_read_at)
            if not self.recorded
            else table.taken_at
        )
        if not points or at - points[-1][0] >= PSS_SPACING:
            points.append((at, float(row.pss)))

    def _update_detail(self) -> None:
        if not self.detail_open:
            return
        summary = self.query_one("#detail-summary", Static)
        plot = self.query_one(ProcessMemoryPlot)
        row = self.process_list.highlighted
        model = self.model
        if row is None or model is None:
            summary.update("No process selected.")
            return
        histories = model.processes
        end = model.at if model.at is not None else histories.latest_time
        label = f"{shorten(row.name)} ({row.pid})"
        if end is None or row.rss is None:
            summary.update(f"{label}: {row_detail(row).split(': ', 1)[-1]}")
            return
        key = (row.pid, row.create_time)
        start = end - RAW_SPAN
        times, rss, swap = histories.memory_series(key, start, end)
        rss_points = [(t, v) for t, v in zip(times, rss, strict=True) if not math.isnan(v)]
        swap_points = [(t, v) for t, v in zip(times, swap, strict=True) if not math.isnan(v)]
        pss_points = [(t, v) for t, v in self._pss_history.get(key) or () if t >= start]
        growth_times, growth = histories.growth_series(key, start, end)
        fit = fit_line(growth_times, growth, 3)
        lines: list[tuple[str, list[float], list[float]]] = [
            (name, [t for t, _ in points], [v for _, v in points])
            for name, points in (("RSS", rss_points), ("swap", swap_points), ("PSS", pss_points))
        ]
        if fit is None:
            trend = f"growth: collecting history ({len(growth_times)} points)"
        else:
            fitted = line_points(fit, start, end)
            lines.append(("fit", fitted[0], fitted[1]))
            trend = (
                f"RSS+swap {format_leak_rate(fit.rate_per_minute)}, r² {fit.r_squared:.2f} "
                f"over {format_span(fit.span)} ({fit.points} points)"
            )
        sizes = f"RSS {size_text(row.rss)}  swap {size_text(row.swap)}  PSS {size_text(row.pss)}"
        summary.update(f"{label}  {sizes}  {trend}")
        window = max(60.0, end - (times[0] if times else end))
        plot.show(MemoryLines(end, min(RAW_SPAN, window), tuple(lines)))

    def on_process_list_opened(self, message: ProcessList.Opened) -> None:
        row = message.row
        if self.recorded:
            self.notify(
                f"{row.name} (pid {row.pid}) is a recorded process: a recording holds its "
                "memory figures, not its memory.",
                severity="warning",
            )
            return
        if row.is_kernel_thread:
            self.notify(
                f"{row.name} (pid {row.pid}) is a kernel thread: it has no user memory to show.",
                severity="warning",
            )
            return
        self.post_message(self.OpenRequested(row))

    # -- filter and sort --

    def action_filter(self) -> None:
        self._open_input("filter", self.query_text, "filter by name, command, pid or user")

    def action_search(self) -> None:
        field = self.query_one("#filter", Input)
        if self.search_text and not field.has_focus:
            # F3 again: the next match after the cursor, as in htop.
            self._jump_to_match(self.process_list.cursor + 1)
            return
        self._open_input("search", self.search_text, "search: name, command, pid or user")

    def _open_input(self, mode: str, value: str, placeholder: str) -> None:
        field = self.query_one("#filter", Input)
        self._input_mode = mode
        field.placeholder = placeholder
        with field.prevent(Input.Changed):
            field.value = value
        field.add_class("-active")
        self.set_focus(field)

    def _close_input(self) -> None:
        field = self.query_one("#filter", Input)
        field.remove_class("-active")
        self.process_list.focus()

    def _jump_to_match(self, start: int) -> None:
        rows = self.process_list.rows
        index = find_row(rows, self.search_text, start % len(rows) if rows else 0)
        if index is None:
            self.notify(f"No process matches {shorten(self.search_text)}.", timeout=3)
            return
        self.process_list.cursor = index

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._input_mode == "search":
            self.search_text = event.value
            if event.value.strip():
                index = find_row(self.process_list.rows, event.value, self.process_list.cursor)
                if index is not None:
                    self.process_list.cursor = index
            return
        self.query_text = event.value
        self._apply_view()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        if self._input_mode == "search":
            self._close_input()
        else:
            self.process_list.focus()

    def action_back(self) -> None:
        field = self.query_one("#filter", Input)
        if self._input_mode == "search" and field.has_focus:
            # Esc leaves the search where its cursor is.
            self._close_input()
            return
        if (field.has_focus and self._input_mode == "filter") or self.query_text:
            # Esc first closes and clears the filter, as in less and htop.
            with field.prevent(Input.Changed):
                field.value = ""
            self.query_text = ""
            self._input_mode = "filter"
            self._close_input()
            self._apply_view()
            return
        self.post_message(self.BackRequested())

    def action_choose_sort(self) -> None:
        choices = [(column.key, column.title) for column in COLUMNS if column.sortable]
        self.app.push_screen(ChoiceScreen("Sort by", choices, self.sort_key), self._sort_chosen)

    def _sort_chosen(self, key: str | None) -> None:
        if key is None:
            return
        self.sort_key = key
        self.descending = key in SIZE_FIRST
        self._apply_view()

    def action_choose_user(self) -> None:
        if self.table is None:
            return
        counts: dict[str, int] = {}
        for row in self.table.rows:
            if row.user is not None:
                counts[row.user] = counts.get(row.user, 0) + 1
        choices = [(ALL_USERS, f"all users ({len(self.table.rows)})")]
        choices += [(user, f"{shorten(user)} ({counts[user]})") for user in sorted(counts)]
        # Again `u`: the list opens on "all users", so u Enter shows every user again.
        screen = ChoiceScreen("Show the processes of", choices, ALL_USERS)
        self.app.push_screen(screen, self._user_chosen)

    # -- kill: a signal from a list, then a confirmation naming the process --

    def action_kill(self) -> None:
        row = self.process_list.highlighted
        if row is None:
            return
        if self.recorded:
            self.notify(
                f"{row.name} (pid {row.pid}) is a recorded process: it cannot be signalled.",
                severity="warning",
            )
            return
        choices = [(choice.name, f"{choice.name:<8} {choice.meaning}") for choice in SIGNALS]
        title = f"Signal to {row.pid} {shorten(row.name)}"
        self.app.push_screen(
            ChoiceScreen(title, choices, DEFAULT_SIGNAL),
            lambda name: self._signal_chosen(row, name),
        )

    def _signal_chosen(self, row: ProcessRow, name: str | None) -> None:
        if name is None:
            return
        choice = signal_named(name)
        whom = "memtui itself" if row.pid == os.getpid() else shorten(row.cmdline or row.name)
        question = (
            f"Send {choice.name} to pid {row.pid}, {shorten(row.name)} "
            f"(user {row.user or '?'})?\n{whom}\n{choice.name}: {choice.meaning}"
        )
        self.app.push_screen(
            ConfirmScreen(question, f"{choice.name} to pid {row.pid}"),
            lambda yes: self._confirmed(row, choice, bool(yes)),
        )

    def _confirmed(self, row: ProcessRow, choice: SignalChoice, yes: bool) -> None:
        if yes:
            self._send_signal(row, choice)

    @work(thread=True, group="process-signal", exit_on_error=False)
    def _send_signal(self, row: ProcessRow, choice: SignalChoice) -> None:
        error = send_signal(row.pid, row.create_time, choice.number, row.name)
        self.app.call_from_thread(self._signal_sent, row, choice, error)

    def _signal_sent(self, row: ProcessRow, choice: SignalChoice, error: str | None) -> None:
        if error is not None:
            self.notify(error, severity="error")
            return
        self.notify(f"Sent {choice.name} to {shorten(row.name)} (pid {row.pid}).", timeout=4)

    def _user_chosen(self, user: str | None) -> None:
        if user is None:
            return
        self.user_filter = None if user == ALL_USERS else user
        self._apply_view()

    def action_sort_column(self, step: int) -> None:
        keys = [column.key for column in COLUMNS if column.sortable]
        self.sort_key = keys[(keys.index(self.sort_key) + step) % len(keys)]
        self.descending = self.sort_key in SIZE_FIRST
        self._apply_view()

    def action_choose_columns(self) -> None:
        # COMMAND always stays: it takes the rest of the line.
        choices = [(column.key, column.title) for column in COLUMNS if column.width]
        shown = [column.key for column in self.process_list.columns]
        self.app.push_screen(ColumnChooserScreen(choices, shown), self._columns_chosen)

    def _columns_chosen(self, keys: list[str] | None) -> None:
        if keys is None:
            return
        chosen = set(keys)
        self.process_list.columns = tuple(
            column for column in COLUMNS if column.key in chosen or not column.width
        )
        self.process_list.refresh()
        self._draw_header()

    def action_toggle_tree(self) -> None:
        self.tree_view = not self.tree_view
        self._apply_view()

    def action_invert_sort(self) -> None:
        self.descending = not self.descending
        self._apply_view()
