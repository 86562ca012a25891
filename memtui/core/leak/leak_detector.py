"""The leak verdict: is memory growing steadily, and which process is doing it.

Fed once per meminfo sample with the dashboard's ``MeminfoHistory`` and, whenever
there is a new one, the latest ``ProcessTable`` (the process table may be sampled far
less often than meminfo; every fit uses each source's own timestamps, so any cadence
works and the two clocks are never compared).

Why several signals (seed notes): glibc reserves per-thread arena heaps with
MAP_NORESERVE, so Committed_AS may not move at all while a process leaks; AnonPages
and the process's RSS do. So the system condition is "AnonPages *or* Committed_AS
climbs steadily", and the culprit is named from per-process RSS+swap growth.

"Steadily" is a least-squares line that fits well (r²) and climbs fast enough, tested
at several time scales: the whole window, its half and its quarter (never under
``min_span``). A short scale must show the same total rise as the whole window at the
threshold rate, so it only speaks for fast leaks: a 1 GiB/min leak is named in
seconds while a 10 MiB/min one needs the whole window of evidence, and churn (a step,
a burst, a sawtooth) fits no line well at any scale. The condition must then hold for
``min_duration`` before the verdict fires.

Nothing here imports Textual; the dashboard panel renders ``LeakVerdict``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.meminfo.stats import linear_fit
from memtui.core.processes.process_table import ProcessTable

MIB = 1 << 20

LEAK_SUSPECTED = "Leak suspected"
"""The words scripts grep for; every firing verdict's text starts with them."""
NO_LEAK = "No leak suspected"

GROWTH_BASIS = "rss+swap"
"""What a ProcessGrowth measures. PSS is not used for growth: smaps_rollup is read at
most every few seconds per process (it is costly), too few points for a fit over a
one-minute window; a leak is private anonymous memory, whose RSS and PSS grow alike.
Swap is added so that pages pushed out under the leak's own pressure do not read as
freed."""


@dataclass(frozen=True, slots=True)
class LeakSettings:
    """When the verdict fires. Rates are in bytes per minute, times in seconds.

    The defaults were chosen with bench/bench_leak_detection.py on a noisy shared
    2-core machine (docs/performance.md, "Leak detection").
    """

    window: float = 60.0
    """The longest fit, and the window of the attribution rates. A minute holds
    enough of a 10 MiB/min leak (10 MiB) to stand above the noise of a busy machine,
    yet forgets a finished burst of activity within a minute."""
    system_threshold: float = 16.0 * MIB
    """AnonPages or Committed_AS must climb at least this fast over the whole window
    (over a shorter scale s, at ``threshold * window / s``: the same total rise) to
    hold the condition on their own. The rate is not what rejects churn: in the
    bench's quiet runs the system series peaked at 500-2,000 MiB/min (everyone's
    processes starting and exiting) and only the fit (r²) kept them out. It sets how
    slow a growth may go unnoticed by the system alone; slower leaks, such as
    10 MiB/min, are found through their process and its corroboration instead."""
    min_r_squared: float = 0.8
    """How well a line must fit the system rise. A single step (a process that
    allocated once and holds it) fits at most 0.75 when it sits mid-window, so 0.8
    rejects steps while a real leak under other processes' churn still fits."""
    process_threshold: float = 8.0 * MIB
    """A process's RSS+swap must climb at least this fast over the whole window to be
    named (same scaling: 32 MiB/min over 15 s). Below the 10 MiB/min that the
    issue benchmarks, so such a leak is named once the window holds enough of it;
    a process series has nobody else's noise in it, so 8 MiB in a minute on a
    good fit is already evidence."""
    process_min_r_squared: float = 0.9
    """How well a line must fit the process's growth. Stricter than the system's: a
    single process's series has no one else's noise in it, so a leak fits very well
    (0.97+ measured for demo-leak) and bursty allocators fit far worse."""
    min_duration: float = 3.0
    """The condition must hold this long before the verdict fires: three samples at
    the dashboard's 1 s, so one lucky fit of noise does not flash a verdict. Longer
    buys little (every fit already spans 12 s or more, so consecutive fits agree)
    and costs detection time one for one."""
    min_span: float = 12.0
    """The shortest time scale fitted. Below ~12 s a program's start-up (imports,
    caches filling) can fit a steep, clean line."""
    system_min_span: float = 30.0
    """The shortest scale on which a system field alone (SYSTEM_FIT) makes the
    condition hold. The system series carries everyone's activity: over 15 s a
    test run ramping its memory fits a line often enough to raise system-wide
    verdicts on a shared machine (seen in the bench). Fast leaks do not need it:
    their process's own fit (PROCESS_FIT) names them first."""
    min_points: int = 5
    """Fewer points than this make no fit (r² of 3 points is near 1 by chance)."""
    top: int = 5
    """How many processes the attribution lists."""
    system_fields: tuple[str, ...] = ("AnonPages", "Committed_AS")
    """The meminfo fields whose steady rise is the system condition (either one)."""
    corroboration: float = 0.5
    """The second way the system condition holds: a process grows steadily (it
    qualifies by the process settings) and a system field rose at least this share
    of the process's rate over the same span, whatever that field's fit. On a shared
    machine other processes starting and exiting scatter AnonPages by hundreds of
    MiB, so its fit alone held only about half the time during a real 100 MiB/min
    leak; the leaker's own series stays clean. Requiring the system to rise too
    keeps memory that merely moves between processes from counting as a leak."""

    def __post_init__(self) -> None:
        if self.window <= 0 or self.min_span <= 0 or self.min_span > self.window:
            raise ValueError("need 0 < min_span <= window")
        if self.system_min_span < self.min_span:
            raise ValueError("system_min_span must not be below min_span")
        if self.min_points < 3 or self.top < 1:
            raise ValueError("min_points must be at least 3 and top at least 1")
        if self.min_duration < 0:
            raise ValueError("min_duration must not be negative")

    def scales(self, min_span: float | None = None) -> tuple[float, ...]:
        """The fit windows tried, longest first: window, window/2, window/4, of at
        least ``min_span`` (default: the ``min_span`` setting); the window at least."""
        floor = self.min_span if min_span is None else min_span
        found = [s for s in (self.window, self.window / 2, self.window / 4) if s >= floor]
        return tuple(found) if found else (self.window,)


@dataclass(frozen=True, slots=True)
class Fit:
    """A least-squares line over one time scale of one series."""

    rate_per_minute: float
    """Bytes per minute."""
    r_squared: float
    span: float
    """Seconds between the first and last point fitted."""
    points: int


@dataclass(frozen=True, slots=True)
class SystemTrend:
    """One system field over the window."""

    field: str
    current: float | None
    """The newest value in bytes; None if the kernel does not report the field."""
    fit: Fit | None
    """The fit that made it steady (the best qualifying scale, see steady_fit), else the fit
    over the whole window; None with too few points."""
    steady: bool
    """Climbs fast enough with a good enough fit: this field meets the condition."""


@dataclass(frozen=True, slots=True)
class ProcessGrowth:
    """One process's memory growth over the window: an attribution row."""

    pid: int
    create_time: float
    name: str
    current: int
    """Bytes of ``basis`` at the newest sample."""
    fit: Fit
    """As for SystemTrend.fit: the best steady scale, else the whole window."""
    steady: bool
    """Grows fast enough and fits well enough to be named as the leaker."""
    basis: str = GROWTH_BASIS
    """What ``current`` and the rate measure (see GROWTH_BASIS)."""

    @property
    def rate_per_minute(self) -> float:
        return self.fit.rate_per_minute

    @property
    def r_squared(self) -> float:
        return self.fit.r_squared


@dataclass(frozen=True, slots=True)
class LeakVerdict:
    """The detector's answer after one update; ``text`` is what the dashboard shows."""

    suspected: bool
    pid: int | None
    """The process named as the leaker; None when none is, or when system-wide."""
    name: str | None
    rate_per_minute: float | None
    """The named process's rate, or the system rate for a system-wide verdict; None
    when not suspected."""
    held_for: float
    """Seconds the condition has held continuously (0 when it does not hold). The
    verdict fires once it reaches ``LeakSettings.min_duration``."""
    evidence: str
    """Why the condition holds now: SYSTEM_FIT (a system field fits a steady climb
    on its own), PROCESS_FIT (a process grows steadily and the system rose with it),
    or "" when it does not hold."""
    system: tuple[SystemTrend, ...]
    attribution: tuple[ProcessGrowth, ...]
    """Up to ``top`` processes that grew over the window: the steady growers first
    (the named culprit is the first row), then the others, each group fastest first.
    Empty when no process grew."""
    mem_available_exhausted_in: float | None
    """Seconds until MemAvailable reaches 0 at its steady fall; None if not falling
    steadily."""
    commit_limit_reached_in: float | None
    """Seconds until Committed_AS reaches CommitLimit at its steady rise (0 if already
    over); None if not rising steadily or CommitLimit is unknown."""
    at: float | None = None
    """The meminfo timestamp this verdict is for."""

    @property
    def text(self) -> str:
        """``Leak suspected: NAME (pid N) +X MiB/min for T s`` or ``No leak suspected``."""
        if not self.suspected:
            return NO_LEAK
        rate = format_leak_rate(self.rate_per_minute or 0.0)
        seconds = int(self.held_for)
        if self.pid is None:
            return f"{LEAK_SUSPECTED}: system-wide {rate} for {seconds} s"
        return f"{LEAK_SUSPECTED}: {self.name} (pid {self.pid}) {rate} for {seconds} s"


SYSTEM_FIT = "system fit"
PROCESS_FIT = "process fit"

NO_VERDICT = LeakVerdict(
    suspected=False,
    pid=None,
    name=None,
    rate_per_minute=None,
    held_for=0.0,
    evidence="",
    system=(),
    attribution=(),
    mem_available_exhausted_in=None,
    commit_limit_reached_in=None,
)


def format_leak_rate(bytes_per_minute: float) -> str:
    """``+12.3 MiB/min``: always MiB with one decimal, so scripts can parse it.

    Unlike ``units.format_rate`` the unit never changes with the magnitude; the
    sign and the one-decimal style follow it.
    """
    sign = "+" if bytes_per_minute >= 0 else "-"
    return f"{sign}{abs(bytes_per_minute) / MIB:.1f} MiB/min"


def _clean(times: Sequence[float], values: Sequence[float]) -> tuple[list[float], list[float]]:
    points = [(t, v) for t, v in zip(times, values, strict=True) if not math.isnan(v)]
    return [t for t, _ in points], [v for _, v in points]


def _fit(times: Sequence[float], values: Sequence[float], min_points: int) -> Fit | None:
    if len(times) < min_points:
        return None
    slope, r_squared = linear_fit(times, values)
    return Fit(slope * 60.0, r_squared, times[-1] - times[0], len(times))


def steady_fit(
    times: Sequence[float],
    values: Sequence[float],
    *,
    scales: Sequence[float],
    threshold: float,
    window: float,
    min_r_squared: float,
    min_points: int,
    direction: int = 1,
) -> Fit | None:
    """The best fit among the scales on which the series moves steadily, or None.

    Best is the highest r² (to two decimals), then the longest scale: soon after a
    leak starts, the longer scales still hold the flat time before it, which fits
    worse and understates the rate, while the short scale sees only the leak.

    ``times`` ascending. A scale counts only when the series covers it (its first
    point is at least 90 % of the scale back, allowing for the sampling cadence), the
    line fits with r² >= ``min_r_squared``, and it moves in ``direction`` at least
    ``threshold * window / scale`` bytes per minute: the same total rise at every scale.
    ``threshold`` 0 accepts any steady trend in that direction.
    """
    if not times:
        return None
    end = times[-1]
    best: Fit | None = None
    for scale in scales:
        if end - times[0] < 0.9 * scale:
            continue
        first = bisect.bisect_left(times, end - scale)
        fit = _fit(times[first:], values[first:], min_points)
        if fit is None or fit.r_squared < min_r_squared:
            continue
        needed = threshold * window / scale
        rising = direction * fit.rate_per_minute
        better = best is None or round(fit.r_squared, 2) > round(best.r_squared, 2)
        if rising > 0 and rising >= needed and better:
            best = fit
    return best


def time_to_reach(current: float, target: float, rate_per_minute: float) -> float | None:
    """Seconds until a series at ``current`` reaches ``target`` moving at this rate.

    0 at the target; None when the rate is 0 or moves away from the target.
    """
    gap = target - current
    if gap == 0:
        return 0.0
    if rate_per_minute == 0 or (gap > 0) != (rate_per_minute > 0):
        return None
    return gap / (rate_per_minute / 60.0)


@dataclass(slots=True)
class _Series:
    """One process's (time, bytes) points within the window, flat in two lists."""

    name: str
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add(self, now: float, value: float, keep: float) -> None:
        if self.times and now <= self.times[-1]:
            self.values[-1] = value  # a repeated clock reading updates the newest point
            return
        self.times.append(now)
        self.values.append(value)
        cut = bisect.bisect_left(self.times, now - keep)
        if cut:
            del self.times[:cut]
            del self.values[:cut]


class LeakDetector:
    """Call ``update()`` after every meminfo sample; it returns the current verdict.

    Not thread-safe: call it from one thread (the one that owns the history).
    """

    def __init__(self, settings: LeakSettings | None = None) -> None:
        self.settings = settings if settings is not None else LeakSettings()
        self._series: dict[tuple[int, float], _Series] = {}
        self._table_at: float | None = None
        self._held_since: float | None = None
        self._verdict = NO_VERDICT

    @property
    def verdict(self) -> LeakVerdict:
        """The verdict of the latest update."""
        return self._verdict

    def process_history(self, pid: int) -> tuple[tuple[float, float], ...]:
        """The (table time, rss+swap bytes) points the detector holds for ``pid``."""
        keys = [key for key in self._series if key[0] == pid]
        if not keys:
            return ()
        series = self._series[max(keys, key=lambda key: key[1])]
        return tuple(zip(series.times, series.values, strict=True))

    def reset(self) -> None:
        """Forget everything (e.g. after a long pause: old points would skew fits)."""
        self._series.clear()
        self._table_at = None
        self._held_since = None
        self._verdict = NO_VERDICT

    def update(self, history: MeminfoHistory, table: ProcessTable | None = None) -> LeakVerdict:
        """Take the newest meminfo history and, if there is one, a process table.

        Passing the same table again is harmless: a table is taken in only once.
        """
        if table is not None and (self._table_at is None or table.taken_at > self._table_at):
            self._take_table(table)
        s = self.settings
        system = tuple(self._system_trend(history, name) for name in s.system_fields)
        attribution = self._attribution()
        now = history.latest_time
        culprit = next((row for row in attribution if row.steady), None)
        evidence = ""
        if any(trend.steady for trend in system):
            evidence = SYSTEM_FIT
        elif culprit is not None and (
            self._system_follows(history, culprit)
            # Once fired, the verdict holds while the process it named keeps growing
            # steadily: others' churn in the system series must not make it flicker.
            or (self._verdict.suspected and self._verdict.pid == culprit.pid)
        ):
            evidence = PROCESS_FIT
        if not evidence or now is None:
            self._held_since = None
        elif self._held_since is None or now < self._held_since:
            self._held_since = now
        held_for = 0.0 if self._held_since is None or now is None else now - self._held_since
        suspected = self._held_since is not None and held_for >= s.min_duration

        pid: int | None = None
        name: str | None = None
        rate: float | None = None
        if suspected:
            if culprit is not None:
                pid, name, rate = culprit.pid, culprit.name, culprit.rate_per_minute
            else:
                rate = max(t.fit.rate_per_minute for t in system if t.steady and t.fit is not None)
        self._verdict = LeakVerdict(
            suspected=suspected,
            pid=pid,
            name=name,
            rate_per_minute=rate,
            held_for=held_for,
            evidence=evidence,
            system=system,
            attribution=attribution,
            mem_available_exhausted_in=self._exhaustion(history, "MemAvailable", None),
            commit_limit_reached_in=self._exhaustion(history, "Committed_AS", "CommitLimit"),
            at=now,
        )
        return self._verdict

    def _system_follows(self, history: MeminfoHistory, culprit: ProcessGrowth) -> bool:
        """Did a system field rise by at least ``corroboration`` of the culprit's rise?

        Compared over the same span, at the culprit's steady scale and every longer
        one: others' churn rarely spoils every scale at once, and at a longer scale
        the flat time before the leak lowers both slopes alike.
        """
        s = self.settings
        key = (culprit.pid, culprit.create_time)
        series = self._series.get(key)
        if series is None:
            return False
        for scale in s.scales():
            if scale < 0.9 * culprit.fit.span:
                continue
            first = bisect.bisect_left(series.times, series.times[-1] - scale)
            own = _fit(series.times[first:], series.values[first:], s.min_points)
            if own is None or own.rate_per_minute <= 0:
                continue
            needed = s.corroboration * own.rate_per_minute
            for name in s.system_fields:
                times, values = _clean(*history.series(name, scale))
                fit = _fit(times, values, s.min_points)
                if fit is not None and fit.rate_per_minute >= needed:
                    return True
        return False

    def _take_table(self, table: ProcessTable) -> None:
        now = table.taken_at
        self._table_at = now
        # Keep a little more than the window so the longest scale is always covered.
        keep = self.settings.window * 1.25
        alive: set[tuple[int, float]] = set()
        for row in table.rows:
            if row.rss is None:
                continue  # kernel threads, zombies, unreadable: nothing to fit
            key = (row.pid, row.create_time)
            alive.add(key)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series(row.name)
            series.name = row.name
            series.add(now, float(row.rss + (row.swap or 0)), keep)
        # Exited processes (and old incarnations of reused pids) go, bounding memory.
        for gone in self._series.keys() - alive:
            del self._series[gone]

    def _steady(
        self,
        times: Sequence[float],
        values: Sequence[float],
        threshold: float,
        min_r_squared: float,
        direction: int = 1,
    ) -> Fit | None:
        s = self.settings
        return steady_fit(
            times,
            values,
            scales=s.scales(),
            threshold=threshold,
            window=s.window,
            min_r_squared=min_r_squared,
            min_points=s.min_points,
            direction=direction,
        )

    def _system_trend(self, history: MeminfoHistory, name: str) -> SystemTrend:
        s = self.settings
        times, values = _clean(*history.series(name, s.window * 1.25))
        if not times:
            return SystemTrend(name, None, None, False)
        fit = steady_fit(
            times,
            values,
            scales=s.scales(s.system_min_span),
            threshold=s.system_threshold,
            window=s.window,
            min_r_squared=s.min_r_squared,
            min_points=s.min_points,
        )
        if fit is not None:
            return SystemTrend(name, values[-1], fit, True)
        first = bisect.bisect_left(times, times[-1] - s.window)
        return SystemTrend(name, values[-1], _fit(times[first:], values[first:], 3), False)

    def _attribution(self) -> tuple[ProcessGrowth, ...]:
        s = self.settings
        # Fitting every process at every scale would cost ~1,000 fits per update.
        # Most processes are flat, so rank cheaply by net change over the window and
        # fit only the first few: a leaker's net change is its whole climb.
        candidates: list[tuple[float, tuple[int, float], _Series]] = []
        for key, series in self._series.items():
            if len(series.times) < s.min_points:
                continue
            first = bisect.bisect_left(series.times, series.times[-1] - s.window)
            values = series.values[first:]
            if len(values) < s.min_points:
                continue
            if values[-1] <= values[0]:
                continue  # did not grow: not a row of "top processes by growth"
            candidates.append((values[-1] - values[0], key, series))
        candidates.sort(key=lambda c: c[0], reverse=True)
        rows: list[ProcessGrowth] = []
        for _, key, series in candidates[: max(4 * s.top, 20)]:
            fit = self._steady(
                series.times, series.values, s.process_threshold, s.process_min_r_squared
            )
            steady = fit is not None
            if fit is None:
                first = bisect.bisect_left(series.times, series.times[-1] - s.window)
                fit = _fit(series.times[first:], series.values[first:], s.min_points)
            if fit is None or fit.rate_per_minute <= 0:
                continue
            rows.append(
                ProcessGrowth(
                    pid=key[0],
                    create_time=key[1],
                    name=series.name,
                    current=int(series.values[-1]),
                    fit=fit,
                    steady=steady,
                )
            )
        # Steady growers first (the named culprit is the fastest of them), then the rest.
        rows.sort(key=lambda row: (not row.steady, -row.rate_per_minute))
        return tuple(rows[: s.top])

    def _exhaustion(self, history: MeminfoHistory, name: str, limit: str | None) -> float | None:
        """MemAvailable falling to 0 (``limit`` None), or ``name`` rising to ``limit``."""
        s = self.settings
        times, values = _clean(*history.series(name, s.window * 1.25))
        if not times:
            return None
        if limit is None:
            target, direction = 0.0, -1
        else:
            limit_value = history.latest.get(limit)
            if limit_value is None:
                return None
            target, direction = float(limit_value), 1
        if direction * (target - values[-1]) <= 0:
            return 0.0  # already there (overcommit mode 0 lets Committed_AS pass CommitLimit)
        # Any steady trend counts here, however slow: the estimate is then just far off.
        fit = self._steady(times, values, 0.0, s.min_r_squared, direction)
        return None if fit is None else time_to_reach(values[-1], target, fit.rate_per_minute)
