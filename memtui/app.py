"""The memtui Textual app: owns the sampling loop and switches between screens."""

from __future__ import annotations

import time
from collections.abc import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer

from memtui.core.meminfo.parser import read_meminfo
from memtui.core.model.dashboard_model import DashboardModel
from memtui.core.processes.process_table import ProcessTableSampler
from memtui.messages import HistoryUpdated, MeminfoSampled, ProcessesSampled
from memtui.screens.dashboard_screen import DashboardScreen
from memtui.screens.field_picker_screen import FieldPickerScreen
from memtui.screens.help_screen import HelpScreen
from memtui.screens.memory_screen import MemoryScreen
from memtui.screens.process_picker_screen import ProcessPickerScreen
from memtui.screens.zoom_screen import ZoomScreen

# How often every process is read for the leak attribution: every 2 s while memory
# grows, so a 100 MiB/min leaker has the points for a fit well within 30 s; every 6 s
# while all is flat, since reading every process is most of what the leak panel costs
# (docs/performance.md).
PROCESS_INTERVAL = 2.0
PROCESS_INTERVAL_IDLE = 6.0


class MemtuiApp(App[None]):
    TITLE = "memtui"
    CSS_PATH = "memtui.tcss"

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("1", "show_dashboard", "Dashboard"),
        Binding("2", "show_processes", "Processes"),
        Binding("space", "toggle_pause", "Pause"),
        Binding("plus", "step_interval(1)", "Slower", key_display="+"),
        Binding("minus", "step_interval(-1)", "Faster", key_display="-"),
    ]

    def __init__(self, model: DashboardModel, start_pid: int | None = None) -> None:
        super().__init__()
        self.model = model
        self.start_pid = start_pid
        """`memtui --pid PID`: open this process's memory view at start."""
        self._poll_timer: Timer | None = None
        self._poll_started = 0.0
        self._process_timer: Timer | None = None
        # One sampler for the app's lifetime, so growth histories survive screen changes.
        self.process_sampler = ProcessTableSampler()
        # The leak attribution's own, lighter one: it needs names and RSS+swap only,
        # so no command lines and no smaps_rollup reads (docs/performance.md).
        self.growth_sampler = ProcessTableSampler(pss_budget=0, with_cmdline=False)
        self.add_mode("dashboard", lambda: DashboardScreen(self.model))
        self.add_mode(
            "processes", lambda: ProcessPickerScreen(self.process_sampler, self.model.interval)
        )

    def on_mount(self) -> None:
        if self.start_pid is not None:
            # Esc from the memory view then lands on the picker, as if chosen there.
            self.switch_mode("processes")
            self.open_memory_view(self.start_pid)
        else:
            self.switch_mode("dashboard")
        self._poll_started = time.monotonic()
        if not self.model.is_replay:
            self._schedule_poll(self.model.interval)
            self._read_processes()

    # -- sampling: one read at a time, re-armed only when the previous one is done --

    def _schedule_poll(self, delay: float) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        # Textual's timers divide by their delay: never hand them zero.
        self._poll_timer = self.set_timer(max(0.01, delay), self._start_poll, name="meminfo-poll")

    def _start_poll(self) -> None:
        self._poll_timer = None
        if self.model.paused:
            return
        self._poll_started = time.monotonic()
        self._read_meminfo()

    @work(thread=True, exclusive=True, group="meminfo", exit_on_error=False)
    def _read_meminfo(self) -> None:
        try:
            sample = read_meminfo()
        except OSError as error:
            self.post_message(MeminfoSampled(time.time(), None, error=str(error)))
            return
        self.post_message(MeminfoSampled(time.time(), sample))

    def on_meminfo_sampled(self, message: MeminfoSampled) -> None:
        model = self.model
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
        self.post_message(ProcessesSampled(self.growth_sampler.sample()))

    def on_processes_sampled(self, message: ProcessesSampled) -> None:
        self.model.add_process_table(message.table)
        interval = PROCESS_INTERVAL if self.model.memory_growing() else PROCESS_INTERVAL_IDLE
        self._process_timer = self.set_timer(interval, self._next_process_read, name="process-poll")

    def _next_process_read(self) -> None:
        if self.model.paused:
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

    def _no_live_sampling(self) -> bool:
        if self.model.is_replay:
            self.notify("Replaying a recording: there is no live sampling to change.")
            return True
        return False

    def action_toggle_pause(self) -> None:
        if self._no_live_sampling():
            return
        self.model.paused = not self.model.paused
        if self.model.paused:
            if self._poll_timer is not None:
                self._poll_timer.stop()
                self._poll_timer = None
        else:
            self._schedule_poll(0)
            if self._process_timer is None:
                self._read_processes()
        self._history_updated()

    def action_step_interval(self, direction: int) -> None:
        if self._no_live_sampling():
            return
        interval = self.model.step_interval(direction)
        self.notify(f"Sampling every {interval:g} s", timeout=2)
        if not self.model.paused and self._poll_timer is not None:
            self._schedule_poll(interval - (time.monotonic() - self._poll_started))
        self._history_updated()

    def action_show_dashboard(self) -> None:
        self.switch_mode("dashboard")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()

    def action_show_processes(self) -> None:
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
        self.push_screen(MemoryScreen(pid, self.model.interval))

    def action_help(self) -> None:
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
        self.push_screen(HelpScreen([(" ".join(keys), text) for keys, text in rows.values()]))

    def action_zoom(self, field: str) -> None:
        self.push_screen(ZoomScreen(self.model, field))

    def action_pick_fields(self) -> None:
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
