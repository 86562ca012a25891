"""The memtui Textual app: owns the sampling loop and switches between screens."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual import constants as textual_constants
from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input

from memtui.core.input_echo import shorten_path
from memtui.core.leak.leak_detector import LeakDetector
from memtui.core.malloc_arena import give_back_free_memory
from memtui.core.meminfo.field_selection import default_fields
from memtui.core.meminfo.fields import DEFAULT_FIELDS
from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.model.dashboard_model import DashboardModel, RemoteHost
from memtui.core.processes.process_table import (
    ProcessSource,
    ProcessTableSampler,
    attribution_sampler,
)
from memtui.core.sources.meminfo_reader import MeminfoReader
from memtui.core.time_expression import TimeError, format_moment, parse_time
from memtui.messages import (
    HistoryUpdated,
    MeminfoSampled,
    ProcessesSampled,
    ReplayFailed,
    ReplayPageLoaded,
    ReplayProcessesLoaded,
    ReplayProgress,
)
from memtui.screens.dashboard_screen import DashboardScreen
from memtui.widgets.ascii_output import AsciiFilter
from memtui.widgets.leak_panel import LOADING_PROCESSES
from memtui.widgets.narrow_updates import narrow_compositor, narrowed

if TYPE_CHECKING:
    from memtui.core.process_memory.memory_writer import MemoryWriter
    from memtui.core.sources.prometheus.fleet import FleetLink
    from memtui.core.sources.replay_source import ReplaySource
    from memtui.screens.fleet_screen import FleetScreen
    from memtui.screens.process_picker_screen import ProcessPickerScreen

# What the first frame does not need; imported at the point of use, and in the
# background once the dashboard is up, so the first screen that needs one does not
# wait for it. Importing them before the first frame was half of the start
# (plotext, httpx, the store, the memory view: docs/performance.md).
DEFERRED_MODULES = (
    "memtui.screens.help_screen",
    "memtui.screens.process_picker_screen",
    "memtui.screens.memory_screen",
    "memtui.screens.zoom_screen",
    "memtui.screens.evidence_screen",
    "memtui.screens.field_picker_screen",
    "memtui.screens.time_prompt_screen",
    "memtui.screens.fleet_screen",
    "memtui.core.leak.evidence",
    "memtui.core.sources.replay_source",
    "memtui.core.sources.recorded_processes",
    "memtui.core.store.csv_import",
    "memtui.core.sources.prometheus.client",
)
# Seconds after the first frame (a replay's: the first page's) before the deferred
# imports start.
DEFERRED_IMPORT_DELAY = 1.0
# How often the free pages inside malloc's heap go back to the system: a burst of
# processes on the machine leaves tens of MiB free there (docs/performance.md).
FREE_MEMORY_INTERVAL = 60.0


def import_deferred_modules() -> None:
    """Import DEFERRED_MODULES (in a background thread: the import lock keeps it safe
    beside an import the UI thread makes of one of them at the same time)."""
    for name in DEFERRED_MODULES:
        importlib.import_module(name)


# How often every process is read for the leak attribution: every 2 s while memory
# grows, so a 100 MiB/min leaker has the points for a fit well within 30 s; every 6 s
# while all is flat, since reading every process is most of what the leak panel costs
# (docs/performance.md).
PROCESS_INTERVAL = 2.0
FIRST_FRAME_WAIT = 2.0
"""The longest a replay's process read waits for the first frame to be drawn."""
PROCESS_INTERVAL_IDLE = 6.0
# A replay plays by moving its cursor this often, by this times the speed.
PLAY_TICK = 0.5
# The shortest a failed read of a host's past stays on the status line.
ERROR_LINE_SECONDS = 10.0


def theme_for_colors(color_system: str | None) -> str | None:
    """A theme for a terminal of 16 colours (TERM=screen, linux): the default theme's
    true colours map to the nearest of 16, where every bar turned bright red and the
    green verdict grey; the ANSI theme uses the terminal's own 16. None: keep the
    default."""
    return "ansi-dark" if color_system in ("standard", "windows") else None


class HostLoaded(Message):
    """A fleet host's history arrived from Prometheus."""

    def __init__(self, instance: str, history: MeminfoHistory, oldest: float | None) -> None:
        super().__init__()
        self.instance = instance
        self.history = history
        self.oldest = oldest


class HostPageRead(Message):
    """A page of a fleet host's past arrived from Prometheus (time travel), or did not."""

    def __init__(
        self,
        instance: str,
        request: int,
        at: float,
        page: MeminfoHistory | None,
        error: str | None,
        wanted_oldest: bool,
    ) -> None:
        super().__init__()
        self.instance = instance
        self.request = request
        self.at = at
        self.page = page
        self.error = error
        self.wanted_oldest = wanted_oldest


class MemtuiApp(App[None]):
    TITLE = "memtui"
    CSS_PATH = "memtui.tcss"

    BINDINGS = [
        # htop's F1 and F10 as well as q and ?.
        Binding("q,f10", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("1", "show_dashboard", "Dashboard"),
        Binding("2", "show_processes", "Processes"),
        Binding("3", "show_fleet", "Fleet"),
        Binding("space", "toggle_pause", "Pause"),
        Binding("plus", "step_interval(1)", "Slower", key_display="+"),
        Binding("minus", "step_interval(-1)", "Faster", key_display="-"),
        # Time travel, as in atop and below: live, through the history kept; in a
        # replay, through the recording.
        Binding("t", "time_step(1)", "Sample →", show=False, tooltip="One sample forward"),
        Binding("T", "time_step(-1)", "Sample ←", show=False, tooltip="One sample back"),
        Binding(
            "right_square_bracket",
            "time_window(1)",
            "Window →",
            key_display="]",
            show=False,
            tooltip="One chart window forward",
        ),
        Binding(
            "left_square_bracket",
            "time_window(-1)",
            "Window ←",
            key_display="[",
            show=False,
            tooltip="One chart window back",
        ),
        Binding("b", "time_goto", "Go to time", show=False, tooltip="Go to a time: 03:10, -2h"),
        Binding("e", "evidence", "Evidence", show=False, tooltip="The evidence behind the verdict"),
        Binding("r", "time_start", "To start", show=False, tooltip="Go to the start"),
    ]

    def __init__(
        self,
        model: DashboardModel,
        start_pid: int | None = None,
        fleet: FleetLink | None = None,
        ascii_only: bool = False,
        color_system: str | None = None,
        writer: MemoryWriter | None = None,
    ) -> None:
        """``color_system`` is the terminal's, as Rich detects it (``standard`` for 16
        colours); the command line passes it, tests leave it out."""
        # The app starts in its first screen's mode, instead of on Textual's blank
        # default screen that on_mount would switch away from: one screen, one style
        # pass and one resume fewer before the first frame. Textual reads it in
        # __init__, so it is set on the instance before.
        first_mode = (
            "fleet" if fleet is not None else "processes" if start_pid is not None else "dashboard"
        )
        self.DEFAULT_MODE = first_mode  # type: ignore[misc]
        # NO_COLOR: Textual's own filter for a theme of true colours turns them into
        # greys, still sent as colour escapes; with native ANSI colours it removes them.
        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        self._color_system = color_system
        if ascii_only:
            # Textual keeps its line filters in a private list and has no public way
            # to add one; this is the list its own NO_COLOR and dim filters go in.
            self._filters.append(AsciiFilter())
        self.model = model
        self.fleet = fleet
        """`memtui --prometheus URL`: the hosts, and the one whose dashboard is shown."""
        self._host_timer: Timer | None = None
        self._host_page_request = 0
        self._host_error_until = 0.0
        self.start_pid = start_pid
        """`memtui --pid PID`: open this process's memory view at start."""
        self.writer = writer
        """`memtui --pid PID --write`: what writes to that process; None: nothing can."""
        self._poll_due: float | None = None
        """When the read the reader waits for is due (``time.monotonic()``); None: none."""
        self._meminfo_reader: MeminfoReader | None = None
        self._unmounted = False
        self._poll_started = 0.0
        self._process_timer: Timer | None = None
        # One sampler for the app's lifetime, so growth histories survive screen changes.
        self.process_sampler = ProcessTableSampler()
        # The leak attribution's own, lighter one (docs/performance.md).
        self.growth_sampler = attribution_sampler()
        self._replay_source: ReplaySource | None = None
        # Replay workers are exclusive, but a superseded thread worker runs on to its
        # end: the lock keeps two of them off the store's connection at once, and the
        # request number lets a stale page be dropped.
        self._replay_lock = threading.Lock()
        # Set once the first page's frame is drawn: the processes are read after it, so
        # that the GIL-bound read does not hold the first frame back.
        self._first_frame_drawn = threading.Event()
        self._deferred_imports_scheduled = False
        self._replay_request = 0
        self._play_timer: Timer | None = None
        self.add_mode("dashboard", lambda: DashboardScreen(self.model))
        self.add_mode("processes", self._picker)
        if fleet is not None:
            self.add_mode("fleet", lambda: self._fleet_screen(fleet))

    def get_driver_class(self) -> type[Driver]:
        """Textual's Linux driver, with an input thread that sleeps while nobody types
        (memtui/widgets/idle_input_driver.py); TEXTUAL_DRIVER still picks another."""
        if textual_constants.DRIVER is not None or sys.platform == "win32":
            return super().get_driver_class()
        from memtui.widgets.idle_input_driver import IdleInputDriver

        return IdleInputDriver

    def _fleet_screen(self, fleet: FleetLink) -> FleetScreen:
        from memtui.screens.fleet_screen import FleetScreen

        return FleetScreen(fleet.source, fleet.url)

    def _picker(self) -> ProcessPickerScreen:
        from memtui.core.sources.recorded_processes import RecordedProcesses
        from memtui.screens.process_picker_screen import ProcessPickerScreen

        source: ProcessSource = self.process_sampler
        if self.model.replay is not None:
            replay = self.model.replay
            source = RecordedProcesses(lambda: replay.page, lambda: self.model.at)
        return ProcessPickerScreen(
            source, self.model.interval, recorded=self.model.is_replay, model=self.model
        )

    def on_key(self, event: events.Key) -> None:
        """A printable key that reaches the app while an input has the focus was typed
        (or pasted through tmux) before the focus moved there: the `/` of a filter
        opened the input, and the keys behind it were already queued to the list.
        They are the input's text, not bindings (`b` would open the time prompt).
        Runs before the app's own key handling, which checks the bindings."""
        focused = self.focused
        if isinstance(focused, Input) and event.is_printable and event.character is not None:
            # The input stops the printable keys it takes itself: these never reached it.
            focused.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        # Partial lines from where they changed: over SSH the bytes are the cost.
        super()._display(screen, narrowed(renderable))

    def _load_screen_css(self, screen: Screen[object]) -> None:
        # Every screen passes here before its first frame: each renders only the
        # widgets and lines that changed (docs/performance.md).
        narrow_compositor(screen)
        super()._load_screen_css(screen)

    def on_mount(self) -> None:
        theme = theme_for_colors(self._color_system)
        if theme is not None:
            self.theme = theme
        self.set_interval(FREE_MEMORY_INTERVAL, give_back_free_memory, name="free-memory")
        if self.fleet is not None:
            # The charts are of hosts Prometheus watches: nothing is read here.
            return
        if self.start_pid is not None:
            # Over the picker (the first mode): Esc from the memory view then lands
            # there, as if chosen there.
            self.open_memory_view(self.start_pid)
        self._poll_started = time.monotonic()
        if not self.model.is_replay:
            self._schedule_poll(self.model.interval)

    def on_load(self) -> None:
        # A replay's store is read from the app's start, beside Textual putting the
        # terminal in application mode and drawing the first (empty) frame: the
        # app's Mount comes only once that frame is drawn, 0.2-0.3 s later.
        if self.model.is_replay:
            self._open_replay()

    def on_ready(self) -> None:
        # Textual's Ready: the first screen is laid out and its frame on its way; the
        # callback runs once that frame is drawn.
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        """Start what the first frame does not show. Reading every process holds the
        GIL for tens of milliseconds, and the deferred imports for hundreds: started
        with the app, they held its first frame back (docs/performance.md)."""
        if not self.model.is_replay:
            # A replay imports them once its first page is drawn (on_replay_page_loaded).
            self._schedule_deferred_imports()
        if not self.model.is_replay and self.fleet is None and not self.model.paused:
            self._read_processes()

    def _schedule_deferred_imports(self) -> None:
        if not self._deferred_imports_scheduled:
            self._deferred_imports_scheduled = True
            self.set_timer(DEFERRED_IMPORT_DELAY, self._import_deferred, name="deferred-imports")

    @work(thread=True, exclusive=True, group="deferred-imports", exit_on_error=False)
    def _import_deferred(self) -> None:
        import_deferred_modules()
        # What startup built (modules, screens, Textual's caches: ~80,000 objects)
        # lives as long as the app; each full collection walked it all, 60 ms about
        # once a minute (docs/performance.md). Collected once, then frozen out of
        # the collector's sight; the garbage of startup is freed first, not frozen.
        gc.collect()
        gc.freeze()

    # -- sampling: one read at a time, re-armed only when the previous one is done --

    def _schedule_poll(self, delay: float) -> None:
        """Have the reader read once, ``delay`` seconds from now, in place of any read
        still waiting. It waits on its own thread: the event loop keeps no timer (a
        task, an event and a callback each second) for the pace."""
        if self.model.paused or self.fleet is not None or self._unmounted:
            return  # after shutdown began, no reader may start
        if self._meminfo_reader is None:
            # One thread for every read: a worker each second cost several times the
            # ~75 us read (core/sources/meminfo_reader.py).
            self._meminfo_reader = MeminfoReader(self._meminfo_read)
            self._meminfo_reader.start()
        self._poll_due = time.monotonic() + max(0.0, delay)
        self._meminfo_reader.request(self._poll_due)

    def _cancel_poll(self) -> None:
        self._poll_due = None
        if self._meminfo_reader is not None:
            self._meminfo_reader.cancel()

    def _meminfo_read(self, at: float, sample: dict[str, int] | None, error: str | None) -> None:
        # On the reader's thread: post_message is thread-safe.
        self.post_message(MeminfoSampled(at, sample, error=error))

    def on_unmount(self) -> None:
        self._unmounted = True
        if self._meminfo_reader is not None:
            self._meminfo_reader.stop()

    def on_meminfo_sampled(self, message: MeminfoSampled) -> None:
        model = self.model
        if self._poll_due is not None:
            self._poll_started, self._poll_due = self._poll_due, None
        if message.sample is not None:
            model.last_error = None
            if not model.paused:
                model.add_sample(message.timestamp, message.sample)
                self._history_updated()
        elif message.error != model.last_error:
            model.last_error = message.error
            self.notify(f"Cannot read /proc/meminfo: {message.error}", severity="error")
        if not model.paused:
            elapsed = time.monotonic() - self._poll_started
            self._schedule_poll(model.interval - elapsed)

    # -- every process, for the leak attribution; re-armed when the read is done --

    @work(thread=True, exclusive=True, group="processes", exit_on_error=False)
    def _read_processes(self) -> None:
        at = time.time()
        self.post_message(ProcessesSampled(self.growth_sampler.sample(), at))

    def on_processes_sampled(self, message: ProcessesSampled) -> None:
        pending = self.model.processes_pending
        self.model.add_process_table(message.table, message.at)
        if pending:
            self._history_updated()  # the verdict and the panel were waiting for it
        interval = PROCESS_INTERVAL if self.model.memory_growing() else PROCESS_INTERVAL_IDLE
        # Ten minutes of samples at this pace: at 6 s a third of the rings of 2 s.
        self.model.processes.set_interval(interval)
        self._process_timer = self.set_timer(interval, self._next_process_read, name="process-poll")

    def _next_process_read(self) -> None:
        if self.model.paused or self.fleet is not None:
            # Resumed by action_toggle_pause.
            self._process_timer = None
            return
        self._read_processes()

    def _history_updated(self) -> None:
        """Tell the screen on top that the history changed. A sample can land after
        the app has begun to exit and popped its screens: then there is no one to tell."""
        if self.is_running and self.screen_stack:
            self.screen.post_message(HistoryUpdated())

    # -- actions --

    # -- a replay: open the recording, load pages around the cursor ------------------

    @work(thread=True, exclusive=True, group="replay", exit_on_error=False)
    def _open_replay(self) -> None:
        from memtui.core.sources.replay_source import ReplaySource
        from memtui.core.store.csv_import import import_csv
        from memtui.core.store.csv_recording import MAX_ROWS, RecordingError
        from memtui.core.store.recording_store import StoreError, StoreReader, is_store

        replay = self.model.replay
        assert replay is not None
        path = replay.source
        truncated = None
        try:
            with self._replay_lock:
                if is_store(path):
                    source = ReplaySource.open(path)
                else:
                    store, cut = import_csv(
                        path,
                        lambda rows: self.post_message(ReplayProgress(f"reading {rows:,} rows…")),
                    )
                    try:
                        source = ReplaySource(StoreReader(store), label=path)
                    finally:
                        # Open, it needs no name: nothing is left behind at exit.
                        with contextlib.suppress(OSError):
                            os.unlink(store)
                    if cut:
                        truncated = (
                            f"{shorten_path(path)}: a replay reads the first {MAX_ROWS:,} "
                            "rows; the rest of the file is left out"
                        )
                self._replay_source = source
                request = self._replay_request
                page = source.load(source.last, with_processes=False)
        except (RecordingError, StoreError) as error:
            self.post_message(ReplayFailed(str(error)))
            return
        self.post_message(ReplayPageLoaded(page, source.last, truncated))
        if page.processes_pending:
            # The processes (most of a busy day's page) follow the first frame.
            self._first_frame_drawn.wait(FIRST_FRAME_WAIT)
            try:
                with self._replay_lock:
                    if request != self._replay_request:
                        return  # the user went elsewhere: that page comes whole
                    full = source.with_processes(page)
            except StoreError as error:
                self.post_message(ReplayFailed(str(error)))
                return
            self.post_message(ReplayProcessesLoaded(full, request))

    @work(thread=True, exclusive=True, group="replay", exit_on_error=False)
    def _load_page(self, at: float, request: int, step: int = 0) -> None:
        from memtui.core.store.recording_store import StoreError

        source = self._replay_source
        if source is None:
            return
        try:
            with self._replay_lock:
                if request != self._replay_request:
                    return  # a newer request superseded this one
                if step:
                    at = source.step(None, at, step) or at
                page = source.load(at)
        except StoreError as error:
            self.post_message(ReplayFailed(str(error)))
            return
        if request == self._replay_request:
            self.post_message(ReplayPageLoaded(page, at))

    def on_replay_progress(self, message: ReplayProgress) -> None:
        if self.model.replay is not None:
            self.model.replay.loading = message.text
            self._history_updated()

    def on_replay_page_loaded(self, message: ReplayPageLoaded) -> None:
        self.model.load_page(message.page, message.cursor)
        self.call_after_refresh(self._first_frame_drawn.set)
        self.call_after_refresh(self._schedule_deferred_imports)
        if message.truncated:
            self.model.replay.truncated = message.truncated  # type: ignore[union-attr]
            self.notify(message.truncated, severity="warning", timeout=10)
        self._history_updated()
        if self.model.playing and self._play_timer is None:
            self._schedule_play()

    def on_replay_processes_loaded(self, message: ReplayProcessesLoaded) -> None:
        if message.request == self._replay_request and self.model.replay is not None:
            self.model.load_processes(message.page)
            self._history_updated()

    def on_replay_failed(self, message: ReplayFailed) -> None:
        replay = self.model.replay
        if replay is not None:
            replay.error = message.error
            replay.loading = f"cannot read it: {message.error}" if replay.page is None else None
            replay.processes_pending = False
        self.notify(message.error, severity="error", timeout=10)
        self._history_updated()

    # -- time travel ------------------------------------------------------------------

    def _go_to(self, at: float, step: int = 0) -> None:
        """Move the cursor to ``at``; a replay, or a host's past on Prometheus, reads
        another page when it must."""
        model = self.model
        if model.remote is not None and model.host is not None:
            model.remote.error = None
            start = model.start_time()
            if start is not None:
                at = max(at, start)
            if not model.in_page(at):
                self._host_page_request += 1
                model.remote.loading = f"reading {format_moment(at)} from Prometheus…"
                self._history_updated()
                wanted_oldest = start is not None and at <= start
                self._read_host_page(model.host, at, self._host_page_request, wanted_oldest)
                return
        if model.replay is not None:
            if model.replay.page is None:
                return  # still opening
            start, end = model.start_time(), model.end_time()
            if start is not None and end is not None:
                at = min(max(at, start), end)
            if not model.in_page(at):
                self._replay_request += 1
                model.replay.loading = f"reading {format_moment(at)}…"
                self._history_updated()
                self._load_page(at, self._replay_request, step)
                return
        model.set_cursor(at)
        self._history_updated()

    def action_time_step(self, direction: int) -> None:
        target = self.model.step_target(direction)
        if target is None:
            self.bell()
            return
        self._go_to(target)

    def action_time_window(self, direction: int) -> None:
        at = self.model.at
        if at is not None:
            self._go_to(at + direction * self.model.chart_window())

    def action_time_start(self) -> None:
        start = self.model.start_time()
        if start is not None:
            self._go_to(start)

    def action_time_goto(self) -> None:
        at = self.model.at
        if at is None:
            return
        from memtui.screens.time_prompt_screen import TimePromptScreen

        self.push_screen(TimePromptScreen(format_moment(at)), self._time_typed)

    def _time_typed(self, text: str | None) -> None:
        at = self.model.at
        if not text or at is None:
            return
        try:
            target = parse_time(text, at)
        except TimeError as error:
            self.notify(str(error), severity="error")
            return
        start, end = self.model.start_time(), self.model.end_time()
        if start is not None and end is not None and not start - 60 <= target <= end + 60:
            self.notify(
                f"{format_moment(target)} is outside the history "
                f"({format_moment(start)} to {format_moment(end)}): going to the nearest end",
                severity="warning",
            )
        self._go_to(target)

    def _schedule_play(self) -> None:
        self._play_timer = self.set_timer(PLAY_TICK, self._play_tick, name="replay-play")

    def _play_tick(self) -> None:
        self._play_timer = None
        model = self.model
        at, end = model.at, model.end_time()
        if not model.playing or at is None or end is None:
            return
        if at >= end:
            model.playing = False
            self.notify("The end of the recording.", timeout=3)
            self._history_updated()
            return
        target = min(end, at + PLAY_TICK * model.speed)
        if model.in_page(target):
            model.set_cursor(target)
            self._history_updated()
            self._schedule_play()
        else:
            self._go_to(target)  # the page's arrival re-arms the timer

    def _no_live_sampling(self) -> bool:
        if self.model.is_replay:
            self.notify("Replaying a recording: there is no live sampling to change.")
            return True
        return False

    def action_toggle_pause(self) -> None:
        if self.model.replay is not None:
            # In a replay, space plays and pauses, as in a video player.
            self.model.playing = not self.model.playing
            if self.model.playing and self._play_timer is None:
                self._schedule_play()
            self._history_updated()
            return
        self.model.paused = not self.model.paused
        if self.model.paused:
            self._cancel_poll()
        else:
            self._schedule_poll(0)
            if self._process_timer is None:
                self._read_processes()
        self._history_updated()

    def action_step_interval(self, direction: int) -> None:
        if self.model.replay is not None:
            speed = self.model.step_speed(direction)
            self.notify(f"Playing at {speed:g}x", timeout=2)
            self._history_updated()
            return
        interval = self.model.step_interval(direction)
        self.notify(f"Sampling every {interval:g} s", timeout=2)
        if not self.model.paused and (self._poll_due or 0.0) > time.monotonic():
            # A read is waiting (not under way): it moves to the new pace.
            self._schedule_poll(interval - (time.monotonic() - self._poll_started))
        self._history_updated()

    # -- a fleet through Prometheus: the host list, and one host's dashboard ----------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Key 3 exists only with --prometheus: elsewhere it is not in the footer or help.
        return self.fleet is not None if action == "show_fleet" else True

    def action_show_fleet(self) -> None:
        if self.fleet is None:
            self.notify("No fleet: start memtui with --prometheus URL", timeout=3)
            return
        self.switch_mode("fleet")

    async def on_fleet_screen_host_opened(self, message: FleetScreen.HostOpened) -> None:
        assert self.fleet is not None
        if self._host_timer is not None:
            self._host_timer.stop()
            self._host_timer = None
        self.fleet.host = message.instance
        self.notify(f"Loading {message.instance}…", timeout=2)
        self._load_host(message.instance)

    @work(thread=True, exclusive=True, group="host", exit_on_error=False)
    def _load_host(self, instance: str) -> None:
        from memtui.core.sources.prometheus.client import PrometheusError

        assert self.fleet is not None
        source = self.fleet.source
        try:
            history = source.host_history(instance, self.fleet.history)
        except PrometheusError as error:
            self.call_from_thread(self.notify, str(error), severity="error")
            return
        try:
            oldest = source.host_oldest(instance)
        except PrometheusError:
            oldest = None  # time travel then stops at the history loaded
        self.post_message(HostLoaded(instance, history, oldest))

    async def on_host_loaded(self, message: HostLoaded) -> None:
        instance, history = message.instance, message.history
        assert self.fleet is not None
        if self.fleet.host != instance:
            return  # another host was chosen meanwhile
        latest = history.latest
        if not latest:
            self.notify(f"{instance} has no meminfo in the window", severity="warning")
            return
        scrape = self.fleet.source.scrape_interval or 1.0
        self.model = DashboardModel(
            history=history,
            chart_fields=default_fields(latest, DEFAULT_FIELDS) or sorted(latest)[:4],
            interval=max(scrape, self.model.interval),
            leak=LeakDetector(self.model.leak.settings),
            host=instance,
            remote=RemoteHost(history, message.oldest),
        )
        self.model.set_cursor(history.latest_time or 0.0)
        if self.current_mode == "dashboard":
            self.switch_mode("fleet")
        await self.remove_mode("dashboard")
        self.add_mode("dashboard", lambda: DashboardScreen(self.model))
        self.switch_mode("dashboard")
        self._host_timer = self.set_timer(self.model.interval, self._update_host, name="host-poll")

    def _update_host(self) -> None:
        self._host_timer = None
        if self.fleet is None or self.fleet.host is None or self.model.host != self.fleet.host:
            return
        if self.model.paused:
            self._host_timer = self.set_timer(self.model.interval, self._update_host)
            return
        latest = self.model.live_history.latest_time or 0.0
        self._read_host(self.fleet.host, latest + 1e-3)

    @work(thread=True, exclusive=True, group="host", exit_on_error=False)
    def _read_host(self, instance: str, after: float) -> None:
        from memtui.core.sources.prometheus.client import PrometheusError

        assert self.fleet is not None
        try:
            samples = self.fleet.source.host_samples(instance, after)
            error = None
        except PrometheusError as failure:
            samples, error = [], str(failure)
        self.call_from_thread(self._host_samples, instance, samples, error)

    @work(thread=True, exclusive=True, group="host-page", exit_on_error=False)
    def _read_host_page(self, instance: str, at: float, request: int, wanted_oldest: bool) -> None:
        from memtui.core.sources.prometheus.client import PrometheusError

        assert self.fleet is not None
        page: MeminfoHistory | None = None
        error: str | None = None
        try:
            page = self.fleet.source.host_page(instance, at, self.fleet.history)
        except PrometheusError as failure:
            error = str(failure)
        self.post_message(HostPageRead(instance, request, at, page, error, wanted_oldest))

    def on_host_page_read(self, message: HostPageRead) -> None:
        model = self.model
        remote = model.remote
        if remote is None or model.host != message.instance:
            return
        if message.request != self._host_page_request:
            return  # a newer read superseded this one
        moment = format_moment(message.at)
        self._host_error_until = time.monotonic() + ERROR_LINE_SECONDS
        if message.page is None:
            remote.loading = None
            remote.error = f"cannot read {moment}: {message.error}"
            self.notify(remote.error, severity="error")
        elif not model.load_remote_page(message.page, message.at, message.wanted_oldest):
            remote.error = f"Prometheus holds no meminfo of {message.instance} at {moment}"
            self.notify(remote.error, severity="warning")
        self._history_updated()

    def _host_samples(
        self, instance: str, samples: list[tuple[float, dict[str, int]]], error: str | None
    ) -> None:
        model = self.model
        if model.host != instance:
            return
        if error != model.last_error:
            model.last_error = error
            if error is not None:
                self.notify(error, severity="error")
        for at, sample in samples:
            model.add_sample(at, sample)
        remote = model.remote
        # A failed read's line stays long enough to be read, then goes once the server
        # answers again.
        if samples and remote is not None and time.monotonic() >= self._host_error_until:
            remote.error = None
        if samples:
            self._history_updated()
        self._host_timer = self.set_timer(model.interval, self._update_host, name="host-poll")

    def action_show_dashboard(self) -> None:
        if self.fleet is not None and self.model.host is None:
            self.notify("Choose a host: Enter on the fleet screen (3)", timeout=3)
            return
        self.switch_mode("dashboard")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()

    def action_show_processes(self) -> None:
        if self.fleet is not None:
            self.notify(
                "The process picker shows one machine: run memtui (or memtui exporter) there",
                timeout=4,
            )
            return
        from memtui.screens.process_picker_screen import ProcessPickerScreen

        self.switch_mode("processes")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ProcessPickerScreen):
            self.pop_screen()

    def on_process_picker_screen_back_requested(self, _: ProcessPickerScreen.BackRequested) -> None:
        self.action_show_dashboard()

    def on_process_picker_screen_open_requested(
        self, message: ProcessPickerScreen.OpenRequested
    ) -> None:
        self.open_memory_view(message.row.pid)

    def open_memory_view(self, pid: int) -> None:
        from memtui.screens.memory_screen import MemoryScreen

        # Only the process named with --pid --write may be written to, however reached.
        writer = self.writer if self.writer is not None and self.writer.pid == pid else None
        self.push_screen(MemoryScreen(pid, self.model.interval, writer=writer))

    def action_help(self) -> None:
        from memtui.screens.help_screen import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        # One row per action, with every key that triggers it.
        rows: dict[str, tuple[list[str], str]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.description:
                continue
            display = binding.key_display or self.get_key_display(binding)
            keys, _ = rows.setdefault(binding.action, ([], binding.tooltip or binding.description))
            if display not in keys:
                keys.append(display)
        rows.setdefault("command_palette", (["ctrl+p"], "Command palette: every action by name"))
        lines = [(" ".join(keys), text) for keys, text in rows.values()]
        # A screen with its own help text (the picker) says what it shows.
        about = getattr(self.screen, "HELP_ABOUT", None)
        self.push_screen(HelpScreen(lines, about) if isinstance(about, str) else HelpScreen(lines))

    def action_evidence(self, pid: int | None = None) -> None:
        """The evidence of the verdict, or of the process highlighted in the leak panel."""
        model = self.model
        at = model.at
        if at is None:
            return
        if model.processes_pending:
            self.notify(f"No evidence yet: {LOADING_PROCESSES}", timeout=4)
            return
        if pid is None and isinstance(self.screen, DashboardScreen):
            pid = self.screen.selected_growth_pid()
        key = None
        if pid is not None:
            row = next((r for r in model.verdict.attribution if r.pid == pid), None)
            key = row.key if row is not None else None
        if key is None and not model.verdict.suspected and not model.verdict.attribution:
            self.notify("Nothing grows at this moment: no evidence to show.", timeout=4)
            return
        processes = model.processes if model.replay is None or model.replay.has_processes else None
        from memtui.core.leak.evidence import gather_evidence
        from memtui.screens.evidence_screen import EvidenceScreen

        evidence = gather_evidence(model.verdict, model.history, processes, at, key)
        self.push_screen(EvidenceScreen(evidence, live=model.follows_now))

    def action_zoom(self, field: str) -> None:
        from memtui.screens.zoom_screen import ZoomScreen

        self.push_screen(ZoomScreen(self.model, field))

    def action_pick_fields(self) -> None:
        from memtui.screens.field_picker_screen import FieldPickerScreen

        picker = FieldPickerScreen(self.model.available_fields(), self.model.chart_fields)
        self.push_screen(picker, self._fields_picked)

    async def _fields_picked(self, fields: list[str] | None) -> None:
        if not fields:
            return
        self.model.chart_fields = fields
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen):
                await screen.rebuild_charts()

    def on_dashboard_screen_zoom_requested(self, message: DashboardScreen.ZoomRequested) -> None:
        self.action_zoom(message.field)

    def on_dashboard_screen_open_requested(self, message: DashboardScreen.OpenRequested) -> None:
        self.open_memory_view(message.pid)

    def on_dashboard_screen_fields_requested(self, _: DashboardScreen.FieldsRequested) -> None:
        self.action_pick_fields()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Dashboard", "Show the meminfo charts (1)", self.action_show_dashboard)
        yield SystemCommand(
            "Choose fields", "Pick the meminfo fields to chart (f)", self.action_pick_fields
        )
        yield SystemCommand(
            "Pause / resume", "Stop or restart sampling (space)", self.action_toggle_pause
        )
        yield SystemCommand(
            "Sample less often",
            "Longer sampling interval (+)",
            lambda: self.action_step_interval(1),
        )
        yield SystemCommand(
            "Sample more often",
            "Shorter sampling interval (-)",
            lambda: self.action_step_interval(-1),
        )
        yield SystemCommand("Help", "Every key (?)", self.action_help)
