"""Many hosts through Prometheus: one row each, sortable and filterable like the picker."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from memtui.core.input_echo import shorten
from memtui.core.sources.prometheus.fleet import FleetSnapshot, FleetSource, HostRow
from memtui.core.sources.prometheus.fleet_view import (
    SORT_KEYS,
    SORT_TITLES,
    available_text,
    filter_hosts,
    sort_hosts,
    sparkline,
    state_text,
    trend_text,
)
from memtui.widgets.key_footer import KeyFooter
from memtui.widgets.measured_table import MeasuredTable

MIN_POLL = 1.0


class FleetScreen(Screen[None]):
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("less_than_sign,comma", "sort_column(-1)", "Sort ←", key_display="<"),
        Binding("greater_than_sign,full_stop", "sort_column(1)", "Sort →", key_display=">"),
        Binding("i", "invert_sort", "Invert"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    DEFAULT_CSS = """
    FleetScreen #fleet-status { height: 1; padding: 0 1; background: $boost; }
    FleetScreen #fleet-banner { height: 1; padding: 0 1; background: $error; color: $text;
        display: none; }
    FleetScreen #fleet-banner.-shown { display: block; }
    FleetScreen #fleet-table { height: 1fr; }
    FleetScreen #fleet-filter { dock: bottom; display: none; height: 1; border: none;
        padding: 0 1; }
    FleetScreen #fleet-filter.-active { display: block; }
    """

    class HostOpened(Message):
        def __init__(self, instance: str) -> None:
            super().__init__()
            self.instance = instance

    def __init__(self, source: FleetSource, url: str) -> None:
        super().__init__()
        self.source = source
        self.url = url
        self.snapshot: FleetSnapshot | None = None
        self.query_text = ""
        self.sort_key = "host"
        self.descending = False
        self.shown: tuple[HostRow, ...] = ()
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Asking {self.url}…", id="fleet-status", markup=False)
        yield Static("", id="fleet-banner", markup=False)
        yield MeasuredTable[str](id="fleet-table", cursor_type="row", zebra_stripes=True)
        yield Input(placeholder="filter by host or state", id="fleet-filter")
        yield KeyFooter()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#fleet-table", DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self._poll()

    # -- polling: one at a time, re-armed when the last is in --

    @work(thread=True, exclusive=True, group="fleet-poll", exit_on_error=False)
    def _poll(self) -> None:
        snapshot = self.source.poll()
        self.app.call_from_thread(self._show, snapshot)

    def _show(self, snapshot: FleetSnapshot) -> None:
        self.snapshot = snapshot
        banner = self.query_one("#fleet-banner", Static)
        if snapshot.error is not None:
            banner.update(f"{snapshot.error} — showing the last known state, retrying")
            banner.add_class("-shown")
        else:
            banner.remove_class("-shown")
        self._apply_view()
        delay = max(MIN_POLL, snapshot.scrape_interval or MIN_POLL)
        self._timer = self.set_timer(delay, self._poll, name="fleet-poll")

    def _apply_view(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        rows = sort_hosts(
            filter_hosts(snapshot.hosts, self.query_text), self.sort_key, descending=self.descending
        )
        self.shown = rows
        table = self.table
        selected = self.selected()
        spark_width = 10 if self.size.width < 110 else 16
        table.clear(columns=True)
        for key in ("host", "available", "verdict", "spark", "trend"):
            title = SORT_TITLES.get(key, "MemAvailable over the window")
            if key == "spark":
                title = "history"
            if key == self.sort_key:
                title += " ▼" if self.descending else " ▲"
            table.add_column(title, key=key)
        for row in rows:
            table.add_row(
                row.instance,
                available_text(row),
                state_text(row),
                sparkline(row.spark, spark_width),
                trend_text(row),
                key=row.instance,
            )
        if selected is not None:
            index = next((i for i, row in enumerate(rows) if row.instance == selected), None)
            if index is not None:
                table.move_cursor(row=index)
        total = len(snapshot.hosts)
        leaking = sum(1 for row in snapshot.hosts if row.suspected)
        stale = sum(1 for row in snapshot.hosts if row.stale)
        status = f"{len(rows)} of {total} hosts  {leaking} leaking  {stale} stale"
        if self.query_text:
            status += f"  filter: {shorten(self.query_text)}"
        status += f"  sorted by {SORT_TITLES[self.sort_key]} {'▼' if self.descending else '▲'}"
        self.query_one("#fleet-status", Static).update(status)

    def selected(self) -> str | None:
        table = self.table
        if not self.shown or table.cursor_row is None:
            return None
        if 0 <= table.cursor_row < len(self.shown):
            return self.shown[table.cursor_row].instance
        return None

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        message.stop()
        if message.row_key.value is not None:
            self.post_message(self.HostOpened(str(message.row_key.value)))

    # -- sort and filter, as in the process picker --

    def action_sort_column(self, direction: int) -> None:
        index = (SORT_KEYS.index(self.sort_key) + direction) % len(SORT_KEYS)
        self.sort_key = SORT_KEYS[index]
        self._apply_view()

    def action_invert_sort(self) -> None:
        self.descending = not self.descending
        self._apply_view()

    def action_filter(self) -> None:
        field = self.query_one("#fleet-filter", Input)
        field.add_class("-active")
        field.value = self.query_text
        field.focus()

    def on_input_changed(self, message: Input.Changed) -> None:
        self.query_text = message.value
        self._apply_view()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        self.query_one("#fleet-filter", Input).remove_class("-active")
        self.table.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#fleet-filter", Input)
        field.remove_class("-active")
        self.query_text = ""
        self._apply_view()
        self.table.focus()
