"""The default screen: a grid of live meminfo charts under a one-line header."""

from __future__ import annotations

import bisect
import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from memtui.core.leak.mapping_growth import MappingGrowth, MappingGrowthTracker
from memtui.core.meminfo.fields import is_count_field
from memtui.core.meminfo.stats import field_stats
from memtui.core.model.chart_series import build_series, still_current
from memtui.core.model.dashboard_model import DashboardModel
from memtui.core.process_memory.reader_errors import ReaderError
from memtui.messages import HistoryUpdated
from memtui.widgets.key_footer import KeyFooter
from memtui.widgets.leak_panel import (
    LOADING_PROCESSES,
    GrowthPanel,
    LeakVerdictBar,
    mappings_line,
)
from memtui.widgets.meminfo_chart import MeminfoChart
from memtui.widgets.memory_header import MemoryHeader

# smaps walks every page table entry of a process: read it at most this often.
MAPPINGS_INTERVAL = 5.0

# Until a tile has a complete bucket it also draws the one still filling (for at
# most one bucket, ~10 s: it repaints every sample meanwhile),
# so charts show data from the first sample on.
FIRST_BUCKETS_LIVE = 1
# Below this a tile's axes and labels crowd out the line itself.
MIN_TILE_WIDTH = 36
# A title and five rows of bars: six tiles at 80x24 (MemAvailable is the sixth).
MIN_TILE_HEIGHT = 6


def grid_shape(width: int, height: int, charts: int) -> tuple[int, int]:
    """Columns and rows of tiles that fit, for at most ``charts`` charts."""
    if charts <= 0:
        return 1, 1
    columns = max(1, min(charts, width // MIN_TILE_WIDTH))
    rows = max(1, height // MIN_TILE_HEIGHT)
    rows = min(rows, -(-charts // columns))
    return columns, rows


class DashboardScreen(Screen[None]):
    BINDINGS = [
        Binding("f", "pick_fields", "Fields", tooltip="Choose the fields to chart, in order"),
        Binding(
            "p",
            "leak_panel",
            "Panel",
            tooltip="Go to the growing processes, on the one the verdict names; again hides them",
        ),
        Binding("left,h", "move_focus(-1, 0)", "Left", show=False),
        Binding("right,l", "move_focus(1, 0)", "Right", show=False),
        Binding("up,k", "move_focus(0, -1)", "Up", show=False),
        Binding("down,j", "move_focus(0, 1)", "Down", show=False),
    ]

    class ZoomRequested(Message):
        def __init__(self, field: str) -> None:
            super().__init__()
            self.field = field

    class FieldsRequested(Message):
        pass

    class OpenRequested(Message):
        """Open the memory view of a process named in the leak panel."""

        def __init__(self, pid: int) -> None:
            super().__init__()
            self.pid = pid

    def __init__(self, model: DashboardModel) -> None:
        super().__init__()
        self.model = model
        self._columns = 1
        self._shown_fields: list[str] = []
        self._tiles: list[MeminfoChart] = []
        """The tiles, as mounted: refreshing them each sample walked the DOM for them."""
        self._refresh_pending = False
        # Held, not queried: five DOM queries each sample were 60 us a second.
        self._header = MemoryHeader(id="memory-header")
        self._verdict_bar = LeakVerdictBar(id="leak-verdict")
        self._panel = GrowthPanel(model.leak.settings.window, id="growth-panel")
        self._tracker: MappingGrowthTracker | None = None
        self._mappings_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._verdict_bar
        # The tiles come with the screen, not in a second mount once it is up: one
        # layout before the first frame, and the first tile (not the panel's list)
        # takes the focus.
        self._tiles = [MeminfoChart(name) for name in self.model.chart_fields]
        with Grid(id="charts"):
            yield from self._tiles
        yield self._panel
        yield KeyFooter()

    def on_mount(self) -> None:
        self._apply_layout()
        self.refresh_charts()
        self._focus_first_chart()

    def _panel_note(self) -> None:
        replay = self.model.replay
        if replay is not None and replay.page is not None and not replay.has_processes:
            # A CSV holds meminfo only: no processes to attribute growth to.
            panel = self._panel
            if panel.display:
                panel.display = False
                panel.show_note("this recording has no per-process data: meminfo only")
                self._apply_layout()

    def on_screen_resume(self) -> None:
        self.refresh_charts()

    def on_resize(self) -> None:
        self._apply_layout()
        self.refresh_charts()

    async def rebuild_charts(self) -> None:
        """Recreate the tiles after the field choice changed."""
        grid = self.query_one("#charts", Grid)
        self._tiles = []
        await grid.remove_children()
        tiles = [MeminfoChart(name) for name in self.model.chart_fields]
        await grid.mount_all(tiles)
        self._tiles = tiles
        self._apply_layout()
        self.refresh_charts()
        if self._tiles:
            self._tiles[0].focus()

    def _apply_layout(self) -> None:
        grid = self.query_one("#charts", Grid)
        tiles = list(grid.query(MeminfoChart))
        # The header, the verdict and the footer take a row each; the panel its height.
        panel = self._panel
        panel_rows = panel.rows_needed if panel.display else 0
        used = 3 + panel_rows
        columns, rows = grid_shape(self.size.width, max(1, self.size.height - used), len(tiles))
        self._columns = columns
        grid.styles.grid_size_columns = columns
        grid.styles.grid_size_rows = rows
        for index, tile in enumerate(tiles):
            tile.display = index < columns * rows
        self._shown_fields = [tile.field for tile in tiles if tile.display]

    @property
    def shown_fields(self) -> list[str]:
        """The fields whose charts fit on screen now, in order."""
        return list(self._shown_fields)

    def on_history_updated(self, _: HistoryUpdated) -> None:
        self.refresh_charts()

    def refresh_charts(self) -> None:
        model = self.model
        history = model.history
        self._panel_note()
        end, window = model.chart_end(), model.chart_window()
        rate_window = model.rate_window()
        rate_from = end - rate_window
        figures = history.latest if model.follows_now else history.sample_at(end)
        self._header.show(figures, model.status_text())
        panel = self._panel
        if model.processes_pending:
            self._verdict_bar.show_note(LOADING_PROCESSES)
            if panel.display:
                panel.show_note(LOADING_PROCESSES)
        else:
            self._verdict_bar.show(model.verdict)
            if panel.display:
                panel.show(model.verdict)
                self._track_mappings()
        # Live, each tile keeps its axis while the new value fits on it (a new axis
        # redraws every bar); moving through time shows each moment's own.
        keep_axes = model.follows_now
        # The rate window's times, found once for every title.
        rate_view = history.window(rate_window, end) if keep_axes else None
        for tile in self._tiles:
            if not tile.display:
                continue
            if keep_axes and tile.series is not None:
                # Live, the picture changes only when a bucket completes: until then
                # the title is all there is to update, from the rate window alone.
                stats = (
                    field_stats(rate_view.times, rate_view.values(tile.field))
                    if rate_view is not None
                    else None
                )
                latest = stats.current if stats is not None else None
                if still_current(tile.series, end, window, tile.plot_columns, latest):
                    tile.update_title(stats, rate_window)
                    continue
            timestamps, values = history.series(tile.field, window, end)
            first = bisect.bisect_left(timestamps, rate_from)
            stats = field_stats(timestamps[first:], values[first:])
            series = build_series(
                timestamps,
                values,
                end=end,
                window=window,
                columns=tile.plot_columns,
                count_field=is_count_field(tile.field),
                include_partial=model.is_replay,
                min_complete=FIRST_BUCKETS_LIVE,
                latest=stats.current if stats is not None else None,
                axis=tile.series.axis if keep_axes and tile.series is not None else None,
            )
            tile.update_chart(stats, series, rate_window)

    def selected_growth_pid(self) -> int | None:
        """The process the user highlighted in the leak panel, if they are in it."""
        panel = self._panel
        return panel.highlighted_pid if panel.display and panel.has_focus_within else None

    def on_growth_panel_height_changed(self, message: GrowthPanel.HeightChanged) -> None:
        message.stop()
        self._apply_layout()
        self.refresh_charts()

    def on_meminfo_chart_width_changed(self, message: MeminfoChart.WidthChanged) -> None:
        message.stop()
        if not self._refresh_pending:
            self._refresh_pending = True
            self.call_after_refresh(self._refresh_after_resize)

    def _refresh_after_resize(self) -> None:
        self._refresh_pending = False
        self.refresh_charts()

    def on_meminfo_chart_zoom_requested(self, message: MeminfoChart.ZoomRequested) -> None:
        self.post_message(self.ZoomRequested(message.field))

    def action_pick_fields(self) -> None:
        self.post_message(self.FieldsRequested())

    def action_leak_panel(self) -> None:
        """Hidden: show it and go into it. Shown: go into it. In it: hide it."""
        panel = self._panel
        if panel.display and panel.has_focus_within:
            panel.display = False
            self._focus_first_chart()
        else:
            if not panel.display:
                panel.display = True
            panel.enter()
        self._apply_layout()
        self.refresh_charts()

    def _focus_first_chart(self) -> None:
        tiles = [tile for tile in self.query(MeminfoChart) if tile.display]
        if tiles:
            tiles[0].focus()

    # -- which mappings of the highlighted process grow (smaps, throttled) --

    def on_growth_panel_highlighted(self, _: GrowthPanel.Highlighted) -> None:
        self._track_mappings()

    def on_descendant_focus(self) -> None:
        self._track_mappings()

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._track_mappings)

    def _track_mappings(self) -> None:
        """Read the mappings of the process the user selected in the panel, or of the
        one a firing verdict names; otherwise none: smaps is too costly to read for a
        row nobody is looking at (it was a third of the dashboard's CPU)."""
        panel = self._panel
        pid = panel.highlighted_pid
        selected = panel.has_focus_within or (
            self.model.verdict.suspected and pid == self.model.verdict.pid
        )
        if pid is None or not self.model.follows_now or not selected:
            pid = None  # smaps tells what grows now: not for a moment in the past
        if self._tracker is not None and self._tracker.pid == pid:
            return
        if self._mappings_timer is not None:
            self._mappings_timer.stop()
            self._mappings_timer = None
        if pid is None:
            self._tracker = None
            hint = (
                "tab into this list to see which mappings grow"
                if self.model.follows_now
                else "which mappings grow is known live only"
            )
            panel.show_mappings(hint)
            return
        self._tracker = MappingGrowthTracker(pid, window=self.model.leak.settings.window)
        panel.show_mappings(mappings_line(pid, None, None))
        self._read_mappings(self._tracker)

    @work(thread=True, exclusive=True, group="mapping-growth", exit_on_error=False)
    def _read_mappings(self, tracker: MappingGrowthTracker) -> None:
        rows: list[MappingGrowth] | None = None
        error: str | None = None
        try:
            rows = tracker.sample(time.monotonic())
        except ReaderError as failure:
            error = str(failure)
        self.app.call_from_thread(self._show_mappings, tracker, rows, error)

    def _show_mappings(
        self, tracker: MappingGrowthTracker, rows: list[MappingGrowth] | None, error: str | None
    ) -> None:
        if tracker is not self._tracker:
            return  # the highlight moved on meanwhile
        self._panel.show_mappings(mappings_line(tracker.pid, rows, error))
        if error is None:
            self._mappings_timer = self.set_timer(
                MAPPINGS_INTERVAL, lambda: self._read_mappings(tracker), name="mapping-growth"
            )

    def on_growth_panel_open_requested(self, message: GrowthPanel.OpenRequested) -> None:
        self.post_message(self.OpenRequested(message.pid))

    def action_move_focus(self, dx: int, dy: int) -> None:
        tiles = [tile for tile in self.query(MeminfoChart) if tile.display]
        if not tiles:
            return
        focused = self.focused
        index = tiles.index(focused) if isinstance(focused, MeminfoChart) else 0
        target = index + dx + dy * self._columns
        if 0 <= target < len(tiles):
            tiles[target].focus()
