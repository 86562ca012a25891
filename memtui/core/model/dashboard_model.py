"""What the dashboard shows, apart from how: history, chosen fields, the time cursor.

One model for both modes. A live dashboard appends samples as they are read and its
time cursor follows the newest one; a replay loads pages of a recording and its
cursor moves where the user steps. Either way the charts end at the cursor and the
verdict is the detector's answer for the cursor's moment, so stepping back through
a live session shows what a replay of it would.

Textual-free so it can be tested alone; the app owns one and its screens read it.
"""

from __future__ import annotations

import bisect
import os
from collections import deque
from dataclasses import dataclass, field

from memtui.core.leak.leak_detector import NO_VERDICT, LeakDetector, LeakSettings, LeakVerdict
from memtui.core.meminfo.history import MIN_INTERVAL, MeminfoHistory
from memtui.core.processes.process_history import ProcessHistories
from memtui.core.processes.process_table import ProcessTable
from memtui.core.sources.history_page import HistoryPage
from memtui.core.time_expression import format_moment

# The steps + and - move through, as btop's +/- do: + samples less often, - more often.
INTERVAL_STEPS: tuple[float, ...] = (MIN_INTERVAL, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# How fast a replay plays, times real time; + and - move through them while replaying.
SPEED_STEPS: tuple[float, ...] = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# A tile shows the last five minutes, in buckets of about ten seconds (a bucket per
# column), so each tile repaints its bars about every ten seconds; the rate in its
# title is over the last two minutes.
CHART_WINDOW = 300.0
RATE_WINDOW = 120.0
MIN_ZOOM = 60.0
MARKS_KEPT = 200


def _format_interval(seconds: float) -> str:
    return f"{seconds:g}s" if seconds < 60 else f"{seconds / 60:.3g}m"


def format_span(seconds: float) -> str:
    """``90s``, ``5m``, ``2h``, ``3d``: a span as the header and zoom title show it."""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.3g}h"
    return f"{seconds / 86400:.3g}d"


@dataclass
class Replay:
    """The recording a replay shows: its name, and where loading stands."""

    source: str
    """The file, as given."""
    loading: str | None = "opening…"
    """What loading is doing now; None once the first page is in."""
    error: str | None = None
    truncated: str | None = None
    """Said when a CSV had more rows than a replay reads."""
    page: HistoryPage | None = None
    has_processes: bool = False
    processes_pending: bool = False
    """The page shown has its meminfo but not yet its processes: the verdict, the
    growth panel and the picker wait for them."""


@dataclass
class RemoteHost:
    """A host whose meminfo a server keeps (Prometheus): its live history, and how far
    back time travel can read pages of it."""

    live: MeminfoHistory
    """The ``--history`` span loaded when the host was opened, kept up to date; the
    model shows it except while the cursor is on a page read from further back."""
    oldest: float | None = None
    """The server's first sample of the host; None: travel stops at the live history."""
    loading: str | None = None
    """What is being read now, for the status line; None when nothing is."""
    error: str | None = None
    """Why the last read failed, for the status line, until a read works again."""


@dataclass
class DashboardModel:
    history: MeminfoHistory
    chart_fields: list[str]
    interval: float = 1.0
    paused: bool = False
    replay: Replay | None = None
    last_error: str | None = None
    leak: LeakDetector = field(default_factory=lambda: LeakDetector(exclude={os.getpid()}))
    processes: ProcessHistories = field(default_factory=ProcessHistories)
    verdict: LeakVerdict = NO_VERDICT
    """The leak verdict at the cursor."""
    cursor: float | None = None
    """The moment the screens show; None follows the newest sample (live)."""
    playing: bool = False
    speed: float = 10.0
    zoom_span: float | None = None
    """The zoomed chart's span (z / Z); None: its default (see zoom_window)."""
    marks: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=MARKS_KEPT))
    host: str | None = None
    """The host shown, when its meminfo comes from Prometheus; None: this machine."""
    remote: RemoteHost | None = None
    """The host's server-side history, when ``host`` is set."""
    """When a verdict fired, and its words: the zoomed chart marks them."""

    @classmethod
    def for_replay(
        cls, source: str, fields: list[str], leak_settings: LeakSettings | None = None
    ) -> DashboardModel:
        """An empty model whose pages a replay worker will load."""
        return cls(
            history=MeminfoHistory(span_seconds=60.0),
            chart_fields=fields,
            replay=Replay(source),
            leak=LeakDetector(leak_settings),
        )

    # -- taking data in ------------------------------------------------------------

    def add_sample(self, timestamp: float, sample: dict[str, int]) -> LeakVerdict:
        """Append a live meminfo sample; when the cursor follows now, update the verdict."""
        self.live_history.append(timestamp, sample)
        if self.cursor is None:
            self._evaluate()
        return self.verdict

    @property
    def live_history(self) -> MeminfoHistory:
        """Where live samples go: the history shown, unless it is a remote host's page
        of the past."""
        return self.remote.live if self.remote is not None else self.history

    def load_remote_page(self, page: MeminfoHistory, at: float, wanted_oldest: bool) -> bool:
        """A page of a remote host's past arrived: show it with the cursor at ``at``
        (``wanted_oldest``: the read was for the server's first sample, which the page
        then pins down). False, and nothing changed, if the page is empty."""
        assert self.remote is not None
        first = page.first_time
        self.remote.loading = None
        if first is None:
            return False
        self.remote.error = None
        if wanted_oldest:
            self.remote.oldest = first
        self.history = page
        self.cursor = self._snap(max(at, first))
        self._evaluate()
        return True

    def add_process_table(self, table: ProcessTable, at: float | None = None) -> None:
        """A new live process sample (``at``: its wall-clock time), for the next verdict;
        the first one is judged at once, as the screens wait for it (processes_pending)."""
        first = self.processes.watched_since is None
        self.processes.add_table(table, at)
        if first:
            self._evaluate()

    def load_page(self, page: HistoryPage, cursor: float) -> None:
        """A replay's page arrived: show it, with the cursor at ``cursor``."""
        assert self.replay is not None
        self.replay.page = page
        self.replay.loading = None
        self.replay.has_processes = page.has_processes
        self.replay.processes_pending = page.processes_pending
        self.history = page.history
        self.processes = page.processes
        self.leak.exclude = page.exclude
        self.marks.clear()
        self.marks.extend(page.marks)
        self.cursor = self._snap(cursor)
        self._evaluate()

    def load_processes(self, page: HistoryPage) -> None:
        """The processes of the page shown arrived (``page`` is it, with them): the
        cursor stays where the user took it meanwhile."""
        assert self.replay is not None
        self.replay.page = page
        self.replay.processes_pending = False
        self.processes = page.processes
        self._evaluate()

    def _evaluate(self) -> None:
        at = self.at
        if at is None:
            return
        if self.replay is not None and self.replay.processes_pending:
            # Without its processes the verdict could only be a system-wide guess.
            self.verdict = NO_VERDICT
            return
        was = self.verdict.suspected
        processes = self.processes if self.replay is None or self.replay.has_processes else None
        self.verdict = self.leak.evaluate(self.history, processes, at, previous=self.verdict)
        if self.verdict.suspected and not was and self.replay is None and self.cursor is None:
            self.marks.append((at, self.verdict.text))

    @property
    def processes_pending(self) -> bool:
        """The verdict has no processes to judge yet: a replay's page is in without
        them, or a live dashboard has not read its first process table (it is read
        once the first frame is drawn)."""
        if self.replay is not None:
            return self.replay.processes_pending
        return self.host is None and self.processes.watched_since is None

    # -- the time cursor -------------------------------------------------------------

    @property
    def at(self) -> float | None:
        """The moment shown: the cursor, or the newest sample."""
        return self.cursor if self.cursor is not None else self.history.latest_time

    @property
    def follows_now(self) -> bool:
        return self.replay is None and self.cursor is None

    def _bounds(self) -> tuple[float, float] | None:
        if self.replay is not None and self.replay.page is not None:
            page = self.replay.page
            return page.first, page.last
        first, last = self.live_history.first_time, self.live_history.latest_time
        if self.remote is not None and self.remote.oldest is not None and first is not None:
            first = min(first, self.remote.oldest)
        if first is None or last is None:
            return None
        return first, last

    def _snap(self, at: float) -> float:
        """``at`` clamped to what there is, on the newest sample at or before it."""
        bounds = self._bounds()
        if bounds is None:
            return at
        at = min(max(at, bounds[0]), bounds[1])
        times = self.history.tiered.raw_times()
        index = bisect.bisect_right(times, at) - 1
        if index >= 0 and at - times[index] < 3600:
            return times[index]
        return at

    def set_cursor(self, at: float) -> None:
        """Show the moment ``at`` (live: past the newest sample, follow now again)."""
        live = self.live_history
        if self.history is not live and live.first_time is not None and at >= live.first_time:
            self.history = live  # back from a remote host's page
        latest = live.latest_time
        if self.replay is None and latest is not None and at >= latest:
            self.cursor = None
        else:
            self.cursor = self._snap(at)
        self._evaluate()

    def step_target(self, direction: int) -> float | None:
        """The sample time one step forward (1) or back (-1) from the cursor, or None
        past either end."""
        at = self.at
        if at is None:
            return None
        times = self.history.tiered.raw_times()
        if direction > 0:
            index = bisect.bisect_right(times, at)
            if index < len(times):
                return times[index]
            bounds = self._bounds()
            return None if bounds is None or at >= bounds[1] else at + self.interval
        index = bisect.bisect_left(times, at) - 1
        if index >= 0:
            return times[index]
        bounds = self._bounds()
        return None if bounds is None or at <= bounds[0] else at - self.interval

    def in_page(self, at: float) -> bool:
        """Whether a replay's loaded page, or a remote host's loaded history, can show
        ``at`` without another read."""
        if self.remote is not None:
            live, shown = self.remote.live, self.history
            if live.first_time is not None and live.first_time <= at:
                return True
            first, last = shown.first_time, shown.latest_time
            return first is not None and last is not None and first <= at <= last
        if self.replay is None:
            return True
        page = self.replay.page
        return page is not None and page.covers(at)

    def start_time(self) -> float | None:
        bounds = self._bounds()
        return bounds[0] if bounds is not None else None

    def end_time(self) -> float | None:
        bounds = self._bounds()
        return bounds[1] if bounds is not None else None

    # -- what the screens read -----------------------------------------------------

    def memory_growing(self) -> bool:
        """Whether anything grows enough to be worth watching processes closely: the
        verdict holds, a process grows steadily, or a system field rises, roughly in
        a line, faster than a process would have to for the verdict to name it."""
        verdict = self.verdict
        threshold = self.leak.settings.process_threshold
        return (
            verdict.suspected
            or any(row.steady for row in verdict.attribution)
            or any(
                trend.fit is not None
                and trend.fit.rate_per_minute > threshold
                # A rise at all like a line: churn (r² near 0) keeps the slow pace.
                and trend.fit.r_squared >= 0.5
                for trend in verdict.system
            )
        )

    @property
    def is_replay(self) -> bool:
        return self.replay is not None

    @property
    def replay_source(self) -> str | None:
        return self.replay.source if self.replay is not None else None

    def available_fields(self) -> list[str]:
        return self.history.fields

    def chart_end(self) -> float:
        """The right edge of every chart: the cursor's moment."""
        at = self.at
        return at if at is not None else 0.0

    def chart_window(self) -> float:
        bounds = self._bounds()
        if self.is_replay and bounds is not None:
            return max(1.0, min(CHART_WINDOW, bounds[1] - bounds[0]))
        return min(CHART_WINDOW, self.history.span_seconds)

    def rate_window(self) -> float:
        """The span the tiles' titles fit their rate over."""
        return min(RATE_WINDOW, self.chart_window())

    def zoom_window(self) -> float:
        """The zoomed chart's span: as z and Z set it; by default the raw history live,
        the whole recording in a replay."""
        total = self.total_span()
        if self.zoom_span is not None:
            return min(self.zoom_span, max(total, MIN_ZOOM))
        if self.is_replay:
            return max(1.0, total)
        return self.history.span_seconds

    def total_span(self) -> float:
        bounds = self._bounds()
        return bounds[1] - bounds[0] if bounds is not None else 0.0

    def zoom(self, factor: float) -> float:
        """z (factor 2) widens the zoomed chart's span, Z (0.5) narrows it: from a minute
        to everything there is."""
        span = self.zoom_window() * factor
        self.zoom_span = min(max(span, MIN_ZOOM), max(self.total_span(), MIN_ZOOM))
        return self.zoom_span

    def status_text(self) -> str:
        span = f"tiles {format_span(self.chart_window())}"
        at = self.at
        moment = format_moment(at) if at is not None else ""
        if self.replay is not None:
            name = os.path.basename(self.replay.source)
            if self.replay.loading is not None:
                return f"replay {name}  {self.replay.loading}"
            state = f"playing {self.speed:g}x" if self.playing else "paused"
            return f"replay {name}  {moment}  {state}  {span}"
        where = f"{self.host}  " if self.host is not None else ""
        if self.remote is not None and self.remote.loading is not None:
            return f"{where}{self.remote.loading}"
        if self.remote is not None and self.remote.error is not None:
            return f"{where}{self.remote.error}"
        if self.cursor is not None:
            return f"{where}at {moment}  (t: forward, live again at the end)  {span}"
        state = "PAUSED" if self.paused else "live"
        first, latest = self.history.first_time, self.history.latest_time
        # The tiles are full once the history spans their window, give or take half a
        # sample: the samples come on a fixed beat, so a full ring spans the window
        # within the jitter of a read, either side of it.
        if (
            first is not None
            and latest is not None
            and latest - first < self.chart_window() - self.interval / 2
        ):
            span = "warming up"  # the tiles are not full yet, nor their rates
        return f"{where}{state} {_format_interval(self.interval)}  {span}"

    def step_interval(self, direction: int) -> float:
        """Move to the next longer (+1) or shorter (-1) interval step."""
        longer = [step for step in INTERVAL_STEPS if step > self.interval]
        shorter = [step for step in INTERVAL_STEPS if step < self.interval]
        if direction > 0 and longer:
            self.interval = longer[0]
        elif direction < 0 and shorter:
            self.interval = shorter[-1]
        if self.replay is None and self.remote is None:
            self.history.set_interval(self.interval)  # live /proc samples: their count
        return self.interval

    def step_speed(self, direction: int) -> float:
        """A replay's play speed: the next faster (+1) or slower (-1) step."""
        faster = [step for step in SPEED_STEPS if step > self.speed]
        slower = [step for step in SPEED_STEPS if step < self.speed]
        if direction > 0 and faster:
            self.speed = faster[0]
        elif direction < 0 and slower:
            self.speed = slower[-1]
        return self.speed
