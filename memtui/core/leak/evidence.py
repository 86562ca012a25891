"""The evidence behind a verdict, or behind one growing process: what the evidence screen
draws and says, so that a user can judge the verdict rather than believe it.

For the process: its RSS+swap over the fitted span and some time before, the line the
detector fitted, its rate and r², the window it was fitted over and when the growth
began. For the system: AnonPages and Committed_AS over the same span, with their own
lines. Pure data; the screen renders it.
"""

from __future__ import annotations

from dataclasses import dataclass

from memtui.core.leak.leak_detector import Fit, LeakVerdict, ProcessGrowth, fit_line
from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.processes.process_history import ProcessHistories, ProcessKey

MIN_SPAN = 60.0
LEAD = 0.5
"""Shown before the fitted span, as a share of it: the flat time before a leak began."""


@dataclass(frozen=True, slots=True)
class EvidenceSeries:
    """One series and the line fitted to it."""

    label: str
    times: list[float]
    values: list[float]
    fit: Fit | None
    """The fit the verdict used (a steady one), or a plain fit over the span."""
    steady: bool


@dataclass(frozen=True, slots=True)
class Evidence:
    at: float
    start: float
    """The charts' left edge."""
    verdict: LeakVerdict
    process: ProcessGrowth | None
    series: tuple[EvidenceSeries, ...]
    """The process's (when there is one) first, then the system fields."""


def gather_evidence(
    verdict: LeakVerdict,
    history: MeminfoHistory,
    processes: ProcessHistories | None,
    at: float,
    key: ProcessKey | None = None,
) -> Evidence:
    """The evidence for the process ``key`` (default: the one the verdict names, or the
    first row of the attribution) at the moment ``at``."""
    rows = verdict.attribution
    process = None
    if key is not None:
        process = next((row for row in rows if row.key == key), None)
    elif verdict.pid is not None:
        process = verdict.culprit()
    elif rows:
        process = rows[0]
    fits = [row.fit for row in ([process] if process is not None else [])]
    fits += [trend.fit for trend in verdict.system if trend.steady and trend.fit is not None]
    if verdict.fit is not None:
        fits.append(verdict.fit)
    span = max([MIN_SPAN, *(fit.span for fit in fits)])
    start = at - span * (1 + LEAD)
    series: list[EvidenceSeries] = []
    if process is not None and processes is not None:
        times, values = processes.growth_series(process.key, start, at)
        series.append(
            EvidenceSeries(f"{process.name} (pid {process.pid}) RSS+swap", times, values,
                           process.fit, process.steady)
        )  # fmt: skip
    for trend in verdict.system:
        times, values = history.series(trend.field, at - start, at)
        points = [(t, v) for t, v in zip(times, values, strict=True) if v == v]
        times, values = [t for t, _ in points], [v for _, v in points]
        fit = trend.fit if trend.steady else None
        if fit is None and process is not None:
            # The same span as the process's line: did the system rise with it?
            first = next((i for i, t in enumerate(times) if t >= at - process.fit.span), 0)
            fit = fit_line(times[first:], values[first:], 3)
        series.append(EvidenceSeries(trend.field, times, values, fit, trend.steady))
    return Evidence(at, start, verdict, process, tuple(series))


def line_points(fit: Fit, start: float, end: float) -> tuple[list[float], list[float]]:
    """Two points of the fitted line, over the part of [start, end] it was fitted on."""
    low = max(start, fit.start)
    high = min(end, fit.start + fit.span)
    slope = fit.rate_per_minute / 60.0
    return [low, high], [
        fit.intercept + slope * (low - fit.start),
        fit.intercept + slope * (high - fit.start),
    ]
