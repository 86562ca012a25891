"""The leak verdict: is memory growing steadily, and which process is doing it.

``evaluate(history, processes, at)`` answers for any moment ``at`` the histories hold:
the live dashboard asks for now, a replay for its time cursor, and both get the same
answer from the same data, because the verdict is a function of the data alone.

Why several signals (seed notes): glibc reserves per-thread arena heaps with
MAP_NORESERVE, so Committed_AS may not move at all while a process leaks; AnonPages
and the process's RSS do. So the system condition is "AnonPages *or* Committed_AS
climbs steadily", and the culprit is named from per-process RSS+swap growth.

"Steadily" is a least-squares line that fits well (r²), climbs fast enough, and is
still climbing at its end, tested at many time scales: from a quarter of the window
(15 s by default) up to as much history as there is (days). Up to the window, a scale
must show the same total rise as the whole window at the threshold rate, so short
scales only speak for fast leaks: 1 GiB/min is named in seconds. Beyond the window
the same total rise over a longer scale means a slower rate, down to a floor, so a
leak of 1 MiB/min is named once its 8 MiB have built up over minutes, and 10 MiB an
hour over about an hour. Churn (a step, a burst, a sawtooth) fits no line well at any
scale, and growth that has stopped fails the "still climbing" test within a quarter
of every scale that saw it.

Nothing here imports Textual; the dashboard panel renders ``LeakVerdict``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.meminfo.stats import linear_fit, slope_with_error
from memtui.core.processes.process_history import ProcessHistories, ProcessKey

MIB = 1 << 20
MINUTE = 60.0
HOUR = 3600.0

LEAK_SUSPECTED = "Leak suspected"
"""The words scripts grep for; every firing verdict's text starts with them."""
NO_LEAK = "No leak suspected"

GROWTH_BASIS = "rss+swap"
"""What a ProcessGrowth measures. PSS is not used for growth: smaps_rollup is read at
most every few seconds per process (it is costly), too few points for a fit over a
one-minute window; a leak is private anonymous memory, whose RSS and PSS grow alike.
Swap is added so that pages pushed out under the leak's own pressure do not read as
freed."""

LONG_SCALES: tuple[float, ...] = tuple(
    minutes * MINUTE for minutes in (2, 5, 10, 20, 40, 90, 180, 360, 720, 1440, 2880, 5760, 10080)
)
"""Fit windows beyond the leak window, each about twice the one before, up to a week."""

CACHE_FROM = 600.0

PEAK_LOOKBACK = 4.0
"""A climb counts only if it takes the series to a new high: past the highest point of
the time before it (this many times the scale, at least 10 minutes) by at least half
the climb. A sawtooth (a garbage collector, a batch worker) climbs in lines as good
as a leak's, but each tooth only returns to where the last one peaked."""

STARTUP_CONTEXT = 60.0
"""How long a series that was there before watching began must be watched before its
climb can be a leak: a minute, longer than the teeth of most allocate-and-free
cycles. A process started while memtui watches is judged from its first sample."""

BORN_GRACE = 10.0
"""A process started up to this long before the history began counts as watched from
its birth (memtui and the program were started together)."""

HOLD_GAP = 30.0
"""A verdict that fired holds on weaker evidence (see ``RELAX``) while the verdict
before it, at most this many seconds earlier, named the same process."""
SELF_EVIDENT_SPAN = 600.0
SELF_EVIDENT_R_SQUARED = 0.98
"""A process line at least this long (10 minutes) and this clean stands without the
system's corroboration, unless the system refutes it (see
``LeakDetector._system_cannot_refute``). On a busy machine others' churn swings
AnonPages by hundreds of MiB a minute, so a 1 MiB/min leak is never corroborated; but
nothing else draws a line that straight for that long."""
REFUTE_SIGMAS = 3.0
"""How sure the system's flatness must be to refute a self-evident process line: its
slope plus this many standard errors still below the share it should have risen by."""
CHURN_CORRELATION = 30.0
"""Seconds over which others' churn (a test run, a build job) keeps the system's
residuals on one side of its line: one independent point per this much time."""
RELAX = 0.5
"""What holding asks of a scale: this share of the rate that firing needed, an r²
0.1 lower, and a still-climbing end of this share too. A leak right at a threshold
then does not flicker on and off with every sample."""
"""Scales from this long on fit only complete bucket means, which change once a
bucket closes: their fits are cached until then."""


@dataclass(frozen=True, slots=True)
class LeakSettings:
    """When the verdict fires. Rates are in bytes per minute, times in seconds.

    The defaults were chosen with bench/bench_leak_detection.py on a noisy shared
    2-core machine (docs/performance.md, "Leak detection").
    """

    window: float = 60.0
    """The leak window: the span the thresholds are rates over. Scales up to it need
    the window's total rise; longer ones the same total, at a slower rate."""
    system_threshold: float = 16.0 * MIB
    """AnonPages or Committed_AS must climb at least this fast over the window (over a
    scale s, at ``threshold * window / s``: the same total rise) to hold the condition
    on their own. In the bench's quiet runs the system series peaked at 500-2,000
    MiB/min (everyone's processes starting and exiting) and only the fit (r²) kept
    them out; slower leaks are found through their process and its corroboration."""
    min_r_squared: float = 0.8
    """How well a line must fit the system rise. A single step (a process that
    allocated once and holds it) fits at most 0.75 when it sits mid-window, so 0.8
    rejects steps while a real leak under other processes' churn still fits."""
    process_threshold: float = 8.0 * MIB
    """A process's RSS+swap must climb at least this fast over the window to be named
    (same scaling: 32 MiB/min over 15 s, 0.4 MiB/min over 20 min)."""
    process_min_r_squared: float = 0.9
    """How well a line must fit the process's growth. Stricter than the system's: a
    single process's series has no one else's noise in it, so a leak fits very well
    (0.97+ measured for demo-leak) and bursty allocators fit far worse."""
    process_floor: float = MIB / 30.0
    """The slowest process growth ever named: 2 MiB an hour (48 MiB a day). It binds
    on scales over four hours, where 8 MiB alone would be a crawl."""
    system_floor: float = 1.0 * MIB
    """The slowest system-wide rise named without a process to blame: 1 MiB/min. Over
    hours AnonPages follows what people run; a slower rise is named only through a
    process that grows with it."""
    ongoing: float = 0.25
    """Over the newest quarter of a scale the series must still rise at least this
    share of the line's rate: growth that stopped (a cache that filled) is no leak,
    and its verdict clears within a quarter of the scale that saw it."""
    min_duration: float = 3.0
    """The condition must also hold on the data up to this many seconds earlier, so
    one lucky fit of noise does not flash a verdict."""
    min_span: float = 12.0
    """The shortest time scale fitted. Below ~12 s a program's start-up (imports,
    caches filling) can fit a steep, clean line."""
    system_min_span: float = 30.0
    """The shortest scale on which a system field alone (SYSTEM_FIT) makes the
    condition hold. Over 15 s a test run ramping its memory fits a line often enough
    to raise system-wide verdicts on a shared machine (seen in the bench)."""
    min_points: int = 5
    """Fewer points than this make no fit (r² of 3 points is near 1 by chance)."""
    top: int = 5
    """How many processes the attribution lists."""
    system_fields: tuple[str, ...] = ("AnonPages", "Committed_AS")
    """The meminfo fields whose steady rise is the system condition (either one)."""
    corroboration: float = 0.5
    """The second way the system condition holds: a process grows steadily and a
    system field rose at least this share of the process's rate over the same span,
    whatever that field's fit. Requiring the system to rise too keeps memory that
    merely moves between processes from counting as a leak."""

    def __post_init__(self) -> None:
        if self.window <= 0 or self.min_span <= 0 or self.min_span > self.window:
            raise ValueError("need 0 < min_span <= window")
        if self.system_min_span < self.min_span:
            raise ValueError("system_min_span must not be below min_span")
        if self.min_points < 3 or self.top < 1:
            raise ValueError("min_points must be at least 3 and top at least 1")
        if self.min_duration < 0:
            raise ValueError("min_duration must not be negative")

    def scales(
        self, min_span: float | None = None, longest: float | None = None
    ) -> tuple[float, ...]:
        """The fit windows tried, shortest first: a quarter, a half and the whole of
        the window (none under ``min_span``, the window at least), then the longer
        scales of :data:`LONG_SCALES` up to ``longest``."""
        floor = self.min_span if min_span is None else min_span
        short = [s for s in (self.window / 4, self.window / 2, self.window) if s >= floor]
        if not short:
            short = [self.window]
        limit = math.inf if longest is None else longest
        long = [s for s in LONG_SCALES if self.window < s <= limit * 1.1]
        return (*short, *long)

    def needed_rate(self, scale: float, threshold: float, floor: float) -> float:
        """The rate a line over ``scale`` must climb at: the window's total rise over
        the scale, and beyond the window at least ``floor``."""
        rate = threshold * self.window / scale
        return rate if scale <= self.window else max(rate, floor)


@dataclass(frozen=True, slots=True)
class Fit:
    """A least-squares line over one time scale of one series."""

    rate_per_minute: float
    """Bytes per minute."""
    r_squared: float
    span: float
    """Seconds between the first and last point fitted."""
    points: int
    start: float = 0.0
    """Time of the first point fitted."""
    intercept: float = 0.0
    """The line's value at ``start``: with the rate, it redraws the line."""


@dataclass(frozen=True, slots=True)
class SystemTrend:
    """One system field over the window."""

    field: str
    current: float | None
    """The newest value in bytes; None if the kernel does not report the field."""
    fit: Fit | None
    """The fit that made it steady (the best qualifying scale), else the fit over the
    window; None with too few points."""
    steady: bool
    """Climbs fast enough with a good enough fit: this field meets the condition."""
    began_at: float | None = None
    """Where its longest steady scale begins: when the climb started, as far as the
    fits can tell; None when not steady."""


@dataclass(frozen=True, slots=True)
class ProcessGrowth:
    """One process's memory growth: an attribution row."""

    pid: int
    create_time: float
    name: str
    current: int
    """Bytes of ``basis`` at the newest sample."""
    fit: Fit
    """As for SystemTrend.fit: the best steady scale, else the window."""
    steady: bool
    """Grows fast enough and fits well enough to be named as the leaker."""
    basis: str = GROWTH_BASIS
    """What ``current`` and the rate measure (see GROWTH_BASIS)."""
    began_at: float | None = None
    """As for SystemTrend.began_at."""

    @property
    def rate_per_minute(self) -> float:
        return self.fit.rate_per_minute

    @property
    def r_squared(self) -> float:
        return self.fit.r_squared

    @property
    def key(self) -> ProcessKey:
        return (self.pid, self.create_time)


@dataclass(frozen=True, slots=True)
class LeakVerdict:
    """The detector's answer for one moment; ``text`` is what the dashboard shows."""

    suspected: bool
    pid: int | None
    """The process named as the leaker; None when none is, or when system-wide."""
    name: str | None
    rate_per_minute: float | None
    """The named process's rate, or the system rate for a system-wide verdict; None
    when not suspected."""
    held_for: float
    """Seconds the growth has been steady: from ``began_at`` to ``at`` (0 when not
    suspected). The "for T s" of the text."""
    evidence: str
    """Why the condition holds: SYSTEM_FIT (a system field fits a steady climb on its
    own), PROCESS_FIT (a process grows steadily and the system rose with it), or ""."""
    system: tuple[SystemTrend, ...]
    attribution: tuple[ProcessGrowth, ...]
    """Up to ``top`` processes that grew: the steady growers first (the named culprit
    is the first row), then the others, each group fastest first."""
    mem_available_exhausted_in: float | None
    """Seconds until MemAvailable reaches 0 at its steady fall over the evidence's
    span; only while a leak is suspected, None otherwise."""
    commit_limit_reached_in: float | None
    """Seconds until Committed_AS reaches CommitLimit at its steady rise over the
    evidence's span (0 if already over); only while suspected."""
    at: float | None = None
    """The moment this verdict is for."""
    began_at: float | None = None
    """When the steady growth began, as far as the fits can tell."""
    fit: Fit | None = None
    """The fit the verdict rests on (the culprit's, or the system field's)."""
    mem_available_rate: float | None = None
    """MemAvailable's rate (bytes/min, negative) behind its estimate."""
    commit_rate: float | None = None
    """Committed_AS's rate behind its estimate."""

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

    def culprit(self) -> ProcessGrowth | None:
        """The attribution row of the process named, if one is."""
        if self.pid is None:
            return None
        return next((row for row in self.attribution if row.pid == self.pid), None)


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
    if not any(map(math.isnan, values)):
        return list(times), list(values)  # the usual case, checked at C speed
    points = [(t, v) for t, v in zip(times, values, strict=True) if not math.isnan(v)]
    return [t for t, _ in points], [v for _, v in points]


def fit_line(times: Sequence[float], values: Sequence[float], min_points: int) -> Fit | None:
    """The least-squares line through the points; None with fewer than ``min_points``."""
    if len(times) < min_points:
        return None
    slope, r_squared = linear_fit(times, values)
    mean_t = sum(times) / len(times)
    mean_v = sum(values) / len(values)
    intercept = mean_v - slope * (mean_t - times[0])
    return Fit(slope * 60.0, r_squared, times[-1] - times[0], len(times), times[0], intercept)


def _still_rising(
    times: Sequence[float], values: Sequence[float], fit: Fit, share: float, direction: int
) -> bool:
    """Over the newest quarter of the fitted span, has the series moved at least
    ``share`` of what the line predicts?"""
    if share <= 0:
        return True
    quarter_from = times[-1] - fit.span / 4
    first = bisect.bisect_left(times, quarter_from)
    if len(times) - first < 2:
        return False
    elapsed = times[-1] - times[first]
    if elapsed <= 0:
        return False
    moved = direction * (values[-1] - values[first])
    return moved >= share * direction * fit.rate_per_minute * elapsed / 60.0


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
    floor: float = 0.0,
    ongoing: float = 0.0,
) -> Fit | None:
    """The best fit among the scales on which the series moves steadily, or None.

    A convenience over one list of points (the detector reads each scale from the
    tier that suits it). Best is the highest r² (to two decimals), then the longest.
    """
    if not times:
        return None
    end = times[-1]
    best: Fit | None = None
    for scale in sorted(scales):
        first = bisect.bisect_left(times, end - scale)
        fit = _qualify(
            times[first:],
            values[first:],
            scale,
            end,
            needed=threshold * window / scale
            if scale <= window
            else max(threshold * window / scale, floor),
            min_r_squared=min_r_squared,
            min_points=min_points,
            direction=direction,
            ongoing=ongoing,
        )
        if fit is not None and (
            best is None or round(fit.r_squared, 2) >= round(best.r_squared, 2)
        ):
            best = fit
    return best


def _qualify(
    times: Sequence[float],
    values: Sequence[float],
    scale: float,
    end: float,
    *,
    needed: float,
    min_r_squared: float,
    min_points: int,
    direction: int,
    ongoing: float,
) -> Fit | None:
    """The fit over these points if it makes the scale steady, else None."""
    if not times or end - times[0] < 0.9 * scale:
        return None
    fit = fit_line(times, values, min_points)
    if fit is None:
        return None
    return _passes(fit, times, values, needed, min_r_squared, direction, ongoing)


def _passes(
    fit: Fit,
    times: Sequence[float],
    values: Sequence[float],
    needed: float,
    min_r_squared: float,
    direction: int,
    ongoing: float,
) -> Fit | None:
    """``fit`` if it makes its scale steady: r² >= ``min_r_squared``, moving in
    ``direction`` at ``needed`` bytes/min or more, and still moving at the end. (The
    points must also cover the scale, the first at least 90 % of it back, allowing
    for the sampling cadence: the caller checks that.)"""
    if fit.r_squared < min_r_squared:
        return None
    moving = direction * fit.rate_per_minute
    if moving <= 0 or moving < needed:
        return None
    if not _still_rising(times, values, fit, ongoing, direction):
        return None
    return fit


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
class _Steady:
    """What the scales of one series said: the best steady fit and the longest."""

    best: Fit | None = None
    longest: Fit | None = None
    window_fit: Fit | None = None
    current: float | None = None
    began: float | None = None
    """When the climb began: within the longest steady scale, the last moment the
    series still stood at its starting level (a scale may hold flat time before a
    leak and still fit well, so its own start would say too early)."""

    def take(self, fit: Fit, times: Sequence[float], values: Sequence[float]) -> None:
        if self.best is None or round(fit.r_squared, 2) >= round(self.best.r_squared, 2):
            self.best = fit
        if self.longest is None or fit.span >= self.longest.span:
            self.longest = fit
            self.began = _climb_start(times, values, fit)


def _new_high(
    read: Callable[[float, float], tuple[list[float], list[float]]],
    fit: Fit,
    values: Sequence[float],
    scale: float,
    watched_for: float | None,
) -> bool:
    """Does the climb end above everything before it (see PEAK_LOOKBACK)?

    ``watched_for`` is how long the series has been watched, or None when it has been
    watched from its birth (a process started while memtui watched). A climb seen in a
    series that was already there counts only after STARTUP_CONTEXT of watching: until
    then the first tooth of a sawtooth, joined mid-climb, would pass for a leak.
    """
    if watched_for is not None and watched_for < STARTUP_CONTEXT:
        return False
    lookback = max(PEAK_LOOKBACK * scale, 600.0)
    _, before = read(fit.start - lookback, fit.start - 1e-3)
    if not before:
        return True
    rise = values[-1] - values[0]
    return values[-1] >= max(before) + 0.5 * rise


def _quarter_rise(values: Sequence[float]) -> float:
    """The mean of the last quarter of the points less the mean of the first quarter."""
    quarter = max(1, len(values) // 4)
    if len(values) < 4:
        return 0.0
    return sum(values[-quarter:]) / quarter - sum(values[:quarter]) / quarter


def _climb_start(times: Sequence[float], values: Sequence[float], fit: Fit) -> float:
    """The last time the series was within 5 % of its whole rise of where it started."""
    direction = 1 if fit.rate_per_minute >= 0 else -1
    base = values[0]
    rise = direction * (values[-1] - base)
    if rise <= 0:
        return times[0]
    level = 0.05 * rise
    began = times[0]
    for t, v in zip(times, values, strict=True):
        if direction * (v - base) <= level:
            began = t
    return began


@dataclass
class _Cache:
    """Fits of series that did not change since they were last fitted."""

    fits: dict[tuple[object, ...], Fit | None] = field(default_factory=dict)

    def get(self, key: tuple[object, ...]) -> tuple[bool, Fit | None]:
        if key in self.fits:
            return True, self.fits[key]
        return False, None

    def put(self, key: tuple[object, ...], fit: Fit | None) -> None:
        # A few scales of a few series are cached at a time: a small bound keeps
        # memtui's memory flat rather than saw-toothing by a megabyte.
        if len(self.fits) > 512:
            self.fits.clear()
        self.fits[key] = fit


class LeakDetector:
    """Answers ``evaluate()`` for any moment; keeps only caches, no verdict state.

    ``exclude`` holds pids never named (memtui's own). Not thread-safe: call it from
    the thread that owns the histories.
    """

    def __init__(
        self, settings: LeakSettings | None = None, *, exclude: Iterable[int] = ()
    ) -> None:
        self.settings = settings if settings is not None else LeakSettings()
        self.exclude = frozenset(exclude)
        self._cache = _Cache()
        self._candidates: tuple[tuple[int, float], list[ProcessKey]] | None = None
        self._rows: tuple[tuple[int, float], tuple[ProcessGrowth, ...]] | None = None

    def evaluate(
        self,
        history: MeminfoHistory,
        processes: ProcessHistories | None = None,
        at: float | None = None,
        previous: LeakVerdict | None = None,
    ) -> LeakVerdict:
        """The verdict at ``at`` (default: the newest meminfo sample). ``previous``, the
        verdict of a moment just before, lets a firing verdict hold (see HOLD_GAP)."""
        now = history.latest_time if at is None else at
        if now is None:
            return NO_VERDICT
        s = self.settings
        first = history.first_time
        longest = now - first if first is not None else 0.0
        held = self._condition(history, processes, now, longest)
        evidence, culprit, system, attribution = held
        suspected = bool(evidence)
        if suspected and s.min_duration > 0 and longest > s.min_duration:
            suspected = self._still_held(history, processes, now - s.min_duration, held)
        if not suspected and previous is not None:
            kept = self._hold(history, processes, now, longest, previous)
            if kept is not None:
                evidence, culprit, system = kept
                suspected = True
        if not suspected:
            return LeakVerdict(
                suspected=False,
                pid=None,
                name=None,
                rate_per_minute=None,
                held_for=0.0,
                evidence="",
                system=system,
                attribution=attribution,
                mem_available_exhausted_in=None,
                commit_limit_reached_in=None,
                at=now,
            )
        pid: int | None = None
        name: str | None = None
        if culprit is not None:
            pid, name, basis_fit, began = culprit.pid, culprit.name, culprit.fit, culprit.began_at
        else:
            trend = max(
                (t for t in system if t.steady and t.fit is not None),
                key=lambda t: t.fit.rate_per_minute if t.fit is not None else 0.0,
            )
            assert trend.fit is not None
            basis_fit, began = trend.fit, trend.began_at
        span = max(basis_fit.span, s.system_min_span)
        available, available_rate = self._estimate(history, now, span, "MemAvailable", None)
        commit, commit_rate = self._estimate(history, now, span, "Committed_AS", "CommitLimit")
        began_at = began if began is not None else now - basis_fit.span
        return LeakVerdict(
            suspected=True,
            pid=pid,
            name=name,
            rate_per_minute=basis_fit.rate_per_minute,
            held_for=max(0.0, now - began_at),
            evidence=evidence,
            system=system,
            attribution=attribution,
            mem_available_exhausted_in=available,
            commit_limit_reached_in=commit,
            at=now,
            began_at=began_at,
            fit=basis_fit,
            mem_available_rate=available_rate if available is not None else None,
            commit_rate=commit_rate if commit is not None else None,
        )

    def _hold(
        self,
        history: MeminfoHistory,
        processes: ProcessHistories | None,
        now: float,
        longest: float,
        previous: LeakVerdict,
    ) -> tuple[str, ProcessGrowth | None, tuple[SystemTrend, ...]] | None:
        """The evidence, relaxed, that keeps ``previous`` firing now; None if it went."""
        if not previous.suspected or previous.at is None or not 0 < now - previous.at <= HOLD_GAP:
            return None
        s = self.settings
        named = previous.culprit()
        if named is not None and processes is not None:
            steady = self._process_steady(processes, named.key, now, RELAX)
            if steady.best is None or named.key not in processes.info:
                return None
            info = processes.info[named.key]
            began = steady.began
            current = int(steady.current) if steady.current is not None else named.current
            row = ProcessGrowth(
                named.pid, named.create_time, info.name, current, steady.best, True, began_at=began
            )
            system = tuple(self._system_trend(history, f, now, longest) for f in s.system_fields)
            return PROCESS_FIT, row, system
        if previous.pid is None:
            was = {trend.field for trend in previous.system if trend.steady}
            system = tuple(
                self._system_trend(history, f, now, longest, RELAX if f in was else 1.0)
                for f in s.system_fields
            )
            if any(trend.steady for trend in system):
                return SYSTEM_FIT, None, system
        return None

    # -- the condition at one moment -------------------------------------------------

    def _condition(
        self,
        history: MeminfoHistory,
        processes: ProcessHistories | None,
        now: float,
        longest: float,
    ) -> tuple[str, ProcessGrowth | None, tuple[SystemTrend, ...], tuple[ProcessGrowth, ...]]:
        s = self.settings
        system = tuple(self._system_trend(history, name, now, longest) for name in s.system_fields)
        attribution = self._attribution_at(processes, now) if processes is not None else ()
        culprit = next((row for row in attribution if row.steady), None)
        evidence = ""
        if any(trend.steady for trend in system):
            evidence = SYSTEM_FIT
        elif (
            culprit is not None
            and processes is not None
            and (
                self._system_follows(history, processes, culprit, now)
                or self._system_cannot_refute(history, culprit, now)
            )
        ):
            evidence = PROCESS_FIT
        return evidence, culprit, system, attribution

    def _still_held(
        self,
        history: MeminfoHistory,
        processes: ProcessHistories | None,
        earlier: float,
        held: tuple[str, ProcessGrowth | None, tuple[SystemTrend, ...], tuple[ProcessGrowth, ...]],
    ) -> bool:
        """Did what holds now also hold ``min_duration`` ago? Checks only the series
        that made it hold: the culprit's, or the steady system fields'."""
        evidence, culprit, system, _ = held
        first = history.first_time or earlier
        longest = earlier - first
        if (
            culprit is not None
            and processes is not None
            and self._process_steady(processes, culprit.key, earlier).best is not None
        ):
            return True
        if evidence == SYSTEM_FIT:
            return any(
                self._system_trend(history, trend.field, earlier, longest).steady
                for trend in system
                if trend.steady
            )
        return False

    def _series_fit(
        self,
        cache_key: tuple[object, ...],
        times: list[float],
        values: list[float],
        scale: float,
        end: float,
        *,
        needed: float,
        min_r_squared: float,
        direction: int = 1,
        ongoing: float | None = None,
    ) -> Fit | None:
        """As ``_qualify``; the line of a series of complete buckets is cached, since
        those change only when a bucket closes."""
        s = self.settings
        if not times or end - times[0] < 0.9 * scale:
            return None
        if scale >= CACHE_FROM:
            key = (*cache_key, len(times), times[0], times[-1])
            hit, fit = self._cache.get(key)
            if not hit:
                fit = fit_line(times, values, s.min_points)
                self._cache.put(key, fit)
        else:
            fit = fit_line(times, values, s.min_points)
        if fit is None:
            return None
        share = s.ongoing if ongoing is None else ongoing
        return _passes(fit, times, values, needed, min_r_squared, direction, share)

    def _steady_over(
        self,
        cache_key: tuple[object, ...],
        scales: Sequence[float],
        read: Callable[[float, float], tuple[list[float], list[float]]],
        now: float,
        threshold: float,
        floor: float,
        min_r_squared: float,
        relax: float = 1.0,
        watched_for: float | None = None,
    ) -> _Steady:
        """Fit the series ``read(start, end)`` returns at every scale; keep the steady
        ones (``relax`` < 1: the weaker tests that keep a fired verdict holding)."""
        s = self.settings
        steady = _Steady()
        for scale in scales:
            times, values = read(now - scale, now)
            if not times:
                continue
            steady.current = values[-1]
            fit = self._series_fit(
                cache_key,
                times,
                values,
                scale,
                now,
                needed=s.needed_rate(scale, threshold, floor) * relax,
                min_r_squared=min_r_squared - (0.1 if relax < 1 else 0.0),
                ongoing=s.ongoing * relax,
            )
            if fit is not None and _new_high(read, fit, values, scale, watched_for):
                steady.take(fit, times, values)
            if scale == s.window:
                steady.window_fit = fit_line(times, values, s.min_points)
        return steady

    def _system_trend(
        self, history: MeminfoHistory, name: str, now: float, longest: float, relax: float = 1.0
    ) -> SystemTrend:
        s = self.settings

        def read(start: float, end: float) -> tuple[list[float], list[float]]:
            complete = end - start >= CACHE_FROM
            return _clean(*history.series(name, end - start, end, complete_only=complete))

        steady = self._steady_over(
            ("system", name),
            s.scales(s.system_min_span, longest),
            read,
            now,
            s.system_threshold,
            s.system_floor,
            s.min_r_squared,
            relax,
            longest,
        )
        times, values = _clean(*history.series(name, s.window, now))
        if not times:
            return SystemTrend(name, None, None, False)
        if steady.best is not None:
            began = steady.began
            return SystemTrend(name, values[-1], steady.best, True, began)
        return SystemTrend(name, values[-1], fit_line(times, values, 3), False)

    def _process_steady(
        self, processes: ProcessHistories, key: ProcessKey, now: float, relax: float = 1.0
    ) -> _Steady:
        s = self.settings
        first = processes.first_time
        longest = now - first if first is not None else 0.0

        def read(start: float, end: float) -> tuple[list[float], list[float]]:
            complete = end - start >= CACHE_FROM
            return processes.growth_series(key, start, end, complete_only=complete)

        # Started (give or take the first sample's delay) after watching began: its
        # whole life is in the history.
        since = processes.watched_since
        born_watched = since is not None and key[1] >= since - BORN_GRACE
        watched_for = None if born_watched else (now - since if since is not None else 0.0)
        return self._steady_over(
            ("process", key),
            s.scales(None, longest),
            read,
            now,
            s.process_threshold,
            s.process_floor,
            s.process_min_r_squared,
            relax,
            watched_for,
        )

    def _system_follows(
        self,
        history: MeminfoHistory,
        processes: ProcessHistories,
        culprit: ProcessGrowth,
        now: float,
    ) -> bool:
        """Did a system field rise by at least ``corroboration`` of the culprit's rise?

        Compared over the same span, at the culprit's steady scale and the few longer
        ones: others' churn rarely spoils every scale at once, and at a longer scale
        the flat time before the leak lowers both slopes alike. Each comparison is
        made twice, by the fitted slopes and by the rise from the mean of the first
        quarter of the span to the mean of the last: churn that tips one slope (a
        burst of frees at the end) seldom moves both quarter means.
        """
        s = self.settings
        first = processes.first_time
        longest = now - first if first is not None else 0.0
        for scale in s.scales(None, longest):
            if scale < 0.9 * culprit.fit.span or scale > 4 * max(culprit.fit.span, s.window):
                continue
            times, values = processes.growth_series(
                culprit.key, now - scale, now, complete_only=scale >= CACHE_FROM
            )
            own = fit_line(times, values, s.min_points)
            if own is None or own.rate_per_minute <= 0:
                continue
            needed = s.corroboration * own.rate_per_minute
            own_rise = _quarter_rise(values)
            for name in s.system_fields:
                times, values = _clean(
                    *history.series(name, scale, now, complete_only=scale >= CACHE_FROM)
                )
                fit = fit_line(times, values, s.min_points)
                if fit is not None and fit.rate_per_minute >= needed:
                    return True
                rise = _quarter_rise(values)
                if own_rise > 0 and rise >= s.corroboration * own_rise:
                    return True
        return False

    def _system_cannot_refute(
        self, history: MeminfoHistory, culprit: ProcessGrowth, now: float
    ) -> bool:
        """Does a long, near-perfect process line stand although the system did not
        corroborate it, because the system is too noisy to say it did not rise?

        Memory that moves between processes (the case corroboration guards against)
        leaves the system fields flat; on a quiet machine a flat field is flat within
        a small error, and refutes the line. On a busy one the error is far larger
        than the leak, and the line is the only evidence there can be.
        """
        s = self.settings
        fit = culprit.fit
        if fit.span < 0.9 * SELF_EVIDENT_SPAN or fit.r_squared < SELF_EVIDENT_R_SQUARED:
            return False
        needed = s.corroboration * fit.rate_per_minute / 60.0
        seen = False
        for name in s.system_fields:
            times, values = _clean(
                *history.series(name, fit.span, now, complete_only=fit.span >= CACHE_FROM)
            )
            if len(times) < s.min_points:
                continue
            seen = True
            slope, error = slope_with_error(times, values, correlated_for=CHURN_CORRELATION)
            if slope + REFUTE_SIGMAS * error < needed:
                return False
        return seen

    def _candidates_at(self, processes: ProcessHistories, now: float) -> list[ProcessKey]:
        """The processes that rose, over some scale, by at least half what a steady
        fit there would need: only they are fitted at every scale. Ranking is two
        lookups per process and scale; fitting all of them would be thousands of fits."""
        stamp = (processes.version, now)
        if self._candidates is not None and self._candidates[0] == stamp:
            return self._candidates[1]
        s = self.settings
        first = processes.first_time
        longest = now - first if first is not None else 0.0
        found: dict[ProcessKey, None] = {}
        for scale in s.scales(None, longest):
            views = processes.views(now - scale, now, complete_only=scale >= CACHE_FROM)
            if views is None:
                continue
            rss_view, swap_view = views
            needed = s.needed_rate(scale, s.process_threshold, s.process_floor) * scale / 60.0
            for key in processes.identities():
                if key[0] in self.exclude or key in found:
                    continue
                rss_first, rss_last = rss_view.endpoints(key)
                if math.isnan(rss_first) or math.isnan(rss_last):
                    continue
                swap_first, swap_last = swap_view.endpoints(key)
                rise = (rss_last - rss_first) + (
                    0.0
                    if math.isnan(swap_first) or math.isnan(swap_last)
                    else swap_last - swap_first
                )
                if rise >= 0.5 * needed:
                    found[key] = None
        keys = list(found)
        self._candidates = (stamp, keys)
        return keys

    def _attribution_at(self, processes: ProcessHistories, now: float) -> tuple[ProcessGrowth, ...]:
        """The attribution, computed once per process sample: between samples the
        newest figures are those of the last one, whatever the meminfo cadence."""
        latest = processes.latest_time
        at = min(now, latest) if latest is not None else now
        stamp = (processes.version, at)
        if self._rows is None or self._rows[0] != stamp:
            self._rows = (stamp, self._attribution(processes, at))
        return self._rows[1]

    def _attribution(self, processes: ProcessHistories, now: float) -> tuple[ProcessGrowth, ...]:
        s = self.settings
        rows: list[ProcessGrowth] = []
        named: set[ProcessKey] = set()
        for key in self._candidates_at(processes, now):
            steady = self._process_steady(processes, key, now)
            info = processes.info.get(key)
            fit = steady.best or steady.window_fit
            if info is None or fit is None or fit.rate_per_minute <= 0:
                continue
            current = steady.current
            if current is None:
                _, values = processes.growth_series(key, now - s.window, now)
                current = values[-1] if values else 0.0
            began = steady.began
            rows.append(
                ProcessGrowth(
                    key[0],
                    key[1],
                    info.name,
                    int(current),
                    fit,
                    steady.best is not None,
                    began_at=began,
                )
            )
            named.add(key)
        # Then the fastest growers over the window, steady or not, for the panel.
        views = processes.views(now - s.window, now)
        if views is not None:
            rss_view = views[0]
            rising: list[tuple[float, ProcessKey]] = []
            for key in processes.identities():
                if key[0] in self.exclude or key in named:
                    continue
                first, last = rss_view.endpoints(key)
                if not (math.isnan(first) or math.isnan(last)) and last > first:
                    rising.append((last - first, key))
            rising.sort(reverse=True)
            for _, key in rising[: s.top]:
                times, values = processes.growth_series(key, now - s.window, now)
                fit = fit_line(times, values, s.min_points)
                info = processes.info.get(key)
                if fit is None or fit.rate_per_minute <= 0 or info is None:
                    continue
                rows.append(ProcessGrowth(key[0], key[1], info.name, int(values[-1]), fit, False))
        rows.sort(key=lambda row: (not row.steady, -row.rate_per_minute))
        return tuple(rows[: s.top])

    def _estimate(
        self, history: MeminfoHistory, now: float, span: float, name: str, limit: str | None
    ) -> tuple[float | None, float | None]:
        """(seconds until MemAvailable reaches 0, or ``name`` reaches ``limit``; rate),
        from the same kind of fit as the verdict over the verdict's span; (None, None)
        when that trend does not pass the fit test."""
        s = self.settings
        times, values = _clean(*history.series(name, span, now))
        if not times:
            return None, None
        if limit is None:
            target, direction = 0.0, -1
        else:
            limit_value = history.value_at(limit, now)
            if math.isnan(limit_value):
                return None, None
            target, direction = limit_value, 1
        fit = fit_line(times, values, s.min_points)
        if fit is None or fit.r_squared < s.min_r_squared or direction * fit.rate_per_minute <= 0:
            return None, None
        if direction * (target - values[-1]) <= 0:
            return 0.0, fit.rate_per_minute  # already there (overcommit mode 0 passes the limit)
        return time_to_reach(values[-1], target, fit.rate_per_minute), fit.rate_per_minute
