"""The fleet screen's rows as text, sorted and filtered as the process picker's are.

Textual-free: the screen draws what these return.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from memtui.core.sources.prometheus.fleet import HostRow
from memtui.core.time_expression import format_moment
from memtui.core.units import format_bytes_short, format_rate

SORT_KEYS = ("host", "available", "trend", "verdict")
SORT_TITLES = {"host": "Host", "available": "MemAvailable", "trend": "Trend", "verdict": "Verdict"}
SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Iterable[float], width: int) -> str:
    """The last ``width`` values as block characters, scaled to their own range."""
    points = list(values)[-width:] if width > 0 else []
    known = [value for value in points if not math.isnan(value)]
    if not known:
        return " " * len(points)
    low, high = min(known), max(known)
    span = high - low or 1.0
    return "".join(
        " " if math.isnan(value) else SPARKS[int((value - low) / span * (len(SPARKS) - 1))]
        for value in points
    )


def state_text(row: HostRow) -> str:
    """The verdict, or why there is none to trust: stale, a field absent."""
    if row.stale:
        seen = format_moment(row.last_seen) if row.last_seen is not None else "never"
        return f"stale: last seen {seen}"
    if "MemTotal" in row.missing or (row.mem_available is None and not row.spark):
        return "no meminfo from this host"
    if row.missing:
        return f"{row.verdict_text} ({', '.join(row.missing)} absent)"
    return row.verdict_text


def trend_text(row: HostRow) -> str:
    if row.trend_rate is None or row.trend_field is None:
        return "—"
    return f"{row.trend_field} {format_rate(row.trend_rate)}"


def available_text(row: HostRow) -> str:
    return format_bytes_short(row.mem_available) if row.mem_available is not None else "—"


def filter_hosts(rows: Iterable[HostRow], query: str) -> tuple[HostRow, ...]:
    """Hosts whose name or state contains ``query`` (case-insensitive)."""
    needle = query.strip().casefold()
    if not needle:
        return tuple(rows)
    return tuple(
        row
        for row in rows
        if needle in row.instance.casefold() or needle in state_text(row).casefold()
    )


def sort_hosts(
    rows: Iterable[HostRow], key: str, *, descending: bool = False
) -> tuple[HostRow, ...]:
    """Sorted by ``key`` (one of SORT_KEYS); unknown values last, ties by host name."""
    if key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {key!r}")
    by_name = sorted(rows, key=lambda row: row.instance)
    if key == "host":
        return tuple(reversed(by_name)) if descending else tuple(by_name)
    if key == "verdict":
        # Suspected first when descending: what needs looking at.
        by_name.sort(key=lambda row: (row.suspected, not row.stale), reverse=descending)
        return tuple(by_name)

    def value(row: HostRow) -> float | None:
        return row.mem_available if key == "available" else row.trend_rate

    known = [row for row in by_name if value(row) is not None]
    unknown = [row for row in by_name if value(row) is None]
    known.sort(key=lambda row: value(row) or 0.0, reverse=descending)
    return (*known, *unknown)
