"""The leak verdict line and the panel of growing processes on the dashboard.

Both only render what the core's LeakDetector and MappingGrowthTracker return.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from memtui.core.leak.leak_detector import LeakVerdict, ProcessGrowth, format_leak_rate
from memtui.core.leak.mapping_growth import MappingGrowth
from memtui.core.printable import printable
from memtui.core.units import format_bytes_short, format_rate

# The panel lists at most this many processes; a fixed height means updates never
# make Textual lay out the dashboard again.
PANEL_ROWS = 5
LOADING_PROCESSES = "loading processes…"
"""Shown in place of the verdict and the growing processes until there are processes
to judge: while a replay reads its page's processes, or a live dashboard its first
table (the charts are up already)."""
FULL_HEIGHT = PANEL_ROWS + 3  # the title, the mappings line and the border

QUIET_AFTER = 30.0
"""Seconds with nothing growing before the list folds back to one line. On a busy
machine growers come and go every few samples; each fold or unfold lays the whole
grid out again (30-55 ms, the dashboard's largest CPU cost in
bench/breakdown_dashboard.py) and moves the charts under the user's eyes."""


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def verdict_line(verdict: LeakVerdict) -> str:
    """The verdict's exact text, then the time-to-exhaustion estimates that apply."""
    parts = [verdict.text]
    if verdict.mem_available_exhausted_in is not None:
        rate = format_leak_rate(verdict.mem_available_rate or 0.0)
        gone = _duration(verdict.mem_available_exhausted_in)
        parts.append(f"MemAvailable gone in {gone} ({rate})")
    if verdict.commit_limit_reached_in is not None:
        rate = format_leak_rate(verdict.commit_rate or 0.0)
        reached = _duration(verdict.commit_limit_reached_in)
        parts.append(f"CommitLimit reached in {reached} ({rate})")
    return "  ·  ".join(parts)


def growth_prompt(row: ProcessGrowth, named: bool) -> Text:
    mark = "▲" if row.steady else " "
    text = Text.assemble(
        (f"{mark} {row.pid:>7} ", "bold" if named else ""),
        (f"{row.name[:16]:<16} ", "bold" if named else ""),
        (f"{format_rate(row.rate_per_minute):>15} ", "bold" if row.steady else ""),
        (f"fit r² {row.r_squared:4.2f}  ", "dim"),
        (f"now {format_bytes_short(row.current)}", ""),
    )
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def mappings_line(pid: int, rows: list[MappingGrowth] | None, error: str | None) -> str:
    """Which mappings of the highlighted process grow: [heap], anonymous, new ones."""
    if error is not None:
        return f"pid {pid}: {error}"
    if rows is None:
        return f"pid {pid}: reading its mappings (smaps, at most every 5 s)…"
    growing = [row for row in rows if row.change > 0]
    if not growing:
        return f"pid {pid}: no mapping grew since memtui started watching it"
    shown = []
    for row in growing[:3]:
        rate = row.rate_per_minute
        change = format_rate(rate) if rate is not None else f"+{format_bytes_short(row.change)}"
        # Anonymous regions (glibc's per-thread arenas among them) differ only by address.
        name = f"[anon {row.start:x}]" if row.name == "[anon]" else printable(row.name)
        shown.append(f"{name}{' (new)' if row.new else ''} {change}")
    new_count = sum(1 for row in growing if row.new)
    tail = f"  ·  {new_count} new mappings" if new_count > 1 else ""
    return f"pid {pid} grows in: " + "  ·  ".join(shown) + tail


def _padded(options: list[Option]) -> list[Option]:
    """``options`` and blank lines after them, PANEL_ROWS in all: a list that grew or
    shrank made Textual lay out the whole screen again (5-7 ms, every few samples on
    a busy machine). Disabled, the blanks are never highlighted."""
    blanks = [Option("", disabled=True) for _ in range(PANEL_ROWS - len(options))]
    return options + blanks


class LeakVerdictBar(Static):
    """``No leak suspected`` or ``Leak suspected: ...``, red when a leak is suspected."""

    DEFAULT_CSS = """
    LeakVerdictBar {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $success-muted;
        color: $text;
    }
    LeakVerdictBar.-suspected {
        background: $error;
        color: $text;
        text-style: bold;
    }
    LeakVerdictBar:nocolor.-suspected {
        text-style: reverse bold;
    }
    """

    def show(self, verdict: LeakVerdict) -> None:
        self.set_class(verdict.suspected, "-suspected")
        text = verdict_line(verdict)
        if str(self.content) != text:
            self.update(text, layout=False)

    def show_note(self, text: str) -> None:
        """Say why there is no verdict yet (a replay's processes still loading)."""
        self.set_class(False, "-suspected")
        if str(self.content) != text:
            self.update(text, layout=False)


class GrowthPanel(Vertical):
    """The processes whose memory grew over the window; Enter opens one."""

    # Heights: PANEL_ROWS options, plus a title line, a mappings line and the border;
    # one line (-quiet) while no process grows, so at 80x24 the charts keep the rows.
    DEFAULT_CSS = """
    GrowthPanel {
        height: 8;
        border-top: solid $panel-lighten-2;
    }
    GrowthPanel.-quiet {
        height: 1;
        border-top: none;
    }
    GrowthPanel.-quiet > OptionList, GrowthPanel.-quiet > #growth-mappings {
        display: none;
    }
    GrowthPanel > #growth-title, GrowthPanel > #growth-mappings {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    GrowthPanel > OptionList {
        height: 5;
        border: none;
        padding: 0;
    }
    """

    BINDINGS = [Binding("enter", "open", "Open", show=False)]

    class Highlighted(Message):
        def __init__(self, pid: int | None) -> None:
            super().__init__()
            self.pid = pid

    class OpenRequested(Message):
        def __init__(self, pid: int) -> None:
            super().__init__()
            self.pid = pid

    class HeightChanged(Message):
        """The panel went from one line to its list, or back: the grid must re-fit."""

    def __init__(self, window: float, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.window = window
        self.rows: tuple[ProcessGrowth, ...] | None = None
        """What the list shows; None before the first ``show`` and after a note."""
        self._highlighted_pid: int | None = None
        self._named_pid: int | None = None
        """The pid the verdict named when the rows were last drawn."""
        self._note: str | None = None
        self.clock: Callable[[], float] = time.monotonic
        self._grew_at: float | None = None
        """When the list last had a row (the clock's time)."""

    @property
    def rows_needed(self) -> int:
        """The panel's height on screen: one line while quiet, else the whole list."""
        return 1 if self.has_class("-quiet") else FULL_HEIGHT

    def _title(self) -> str:
        if self.has_class("-quiet"):
            if self._note is not None:
                return f"Growing processes: {self._note}  ·  p goes here, again hides"
            return f"No process grew over the last {self.window:.0f} s  ·  p goes here, again hides"
        return (
            f"Growing processes, last {self.window:.0f} s (RSS+swap; ▲ steady)  ·  "
            "enter opens  ·  p hides"
        )

    def _set_quiet(self, quiet: bool) -> None:
        """One line while nothing grows (unless the user is in the list)."""
        quiet = quiet and not self.has_focus_within
        if quiet == self.has_class("-quiet"):
            return
        self.set_class(quiet, "-quiet")
        self.query_one("#growth-title", Static).update(self._title())
        self.post_message(self.HeightChanged())

    def enter(self) -> None:
        """Focus the list, on the process the verdict names (the highlighted row)."""
        self._set_quiet(False)
        self.query_one(OptionList).focus()

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="growth-title", markup=False)
        yield OptionList(id="growth-list")
        yield Static("", id="growth-mappings", markup=False)

    @property
    def highlighted_pid(self) -> int | None:
        return self._highlighted_pid

    def _quiet_due(self) -> bool:
        """Has nothing grown for QUIET_AFTER (or ever, as far as the list knows)?"""
        return self._grew_at is None or self.clock() - self._grew_at >= QUIET_AFTER

    def show(self, verdict: LeakVerdict) -> None:
        rows = verdict.attribution[:PANEL_ROWS]
        if rows:
            self._grew_at = self.clock()
        if self.rows is not None and not rows and not self.rows:
            # The user may have left the list meanwhile, or the quiet has lasted.
            self._set_quiet(self._quiet_due())
        # The same rows can come with another verdict: the rows change with each
        # process table, the verdict with each meminfo sample. The named row is
        # marked and highlighted, so a new name redraws them.
        if (
            self.rows is not None
            and verdict.pid == self._named_pid
            and [(r.pid, r.rate_per_minute, r.current) for r in rows]
            == [(r.pid, r.rate_per_minute, r.current) for r in self.rows]
        ):
            return
        self.rows = rows
        self._named_pid = verdict.pid
        if self._note is not None:
            self._note = None
            self.query_one("#growth-title", Static).update(self._title())
        options = self.query_one(OptionList)
        keep = self._highlighted_pid
        listed = [
            Option(growth_prompt(row, row.pid == verdict.pid), id=str(row.pid)) for row in rows
        ]
        if not rows:
            listed.append(Option("  no process grew over the window", disabled=True))
        options.set_options(_padded(listed))
        if not rows:
            self._set_highlight(None)
            self._set_quiet(self._quiet_due())
            return
        self._set_quiet(False)
        pids = [row.pid for row in rows]
        # While the user moves through the list the highlight stays on their row;
        # otherwise it sits on the process the verdict names (the first row).
        if not self.has_focus_within and verdict.pid in pids:
            keep = verdict.pid
        index = pids.index(keep) if keep in pids else 0
        options.highlighted = index
        self._set_highlight(pids[index])

    def show_note(self, text: str) -> None:
        """Say why the list is empty instead of listing processes: on the one line of
        the folded panel, so the grid is not laid out twice when the list comes (the
        user in the list sees it there)."""
        if self._note != text:
            self._note = text
            self.rows = None
            options = self.query_one(OptionList)
            options.set_options(_padded([Option(f"  {text}", disabled=True)]))
            self._set_highlight(None)
            self.query_one("#growth-title", Static).update(self._title())
        self._set_quiet(True)  # the user may have left the list meanwhile

    def show_mappings(self, text: str) -> None:
        label = self.query_one("#growth-mappings", Static)
        if str(label.content) != text:
            label.update(text, layout=False)

    def _set_highlight(self, pid: int | None) -> None:
        if pid != self._highlighted_pid:
            self._highlighted_pid = pid
            self.post_message(self.Highlighted(pid))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        option_id = event.option.id
        self._set_highlight(int(option_id) if option_id else None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.OpenRequested(int(event.option.id)))

    def action_open(self) -> None:
        if self._highlighted_pid is not None:
            self.post_message(self.OpenRequested(self._highlighted_pid))
