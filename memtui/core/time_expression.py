"""Moments in a recording as people type them: the replay's ``b`` and `memtui export`'s
``--from``/``--to``.

- ``-2h``, ``+30m``, ``-90s``: before or after a reference moment (the time cursor,
  or the recording's end);
- ``03:10``, ``22:00:30``: that time of day, on the reference moment's day (local);
- ``2026-11-30 22:00``, ``2026-11-30T22:00:00``, ``2026-11-30``: a local date and time;
- ``1764540000``: Unix seconds.
"""

from __future__ import annotations

import re
from datetime import datetime

from memtui.core.input_echo import echo
from memtui.core.units import parse_duration

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$", re.ASCII)
_UNIX = re.compile(r"^\d{9,11}(?:\.\d+)?$", re.ASCII)


class TimeError(ValueError):
    """Text that names no moment; the message gives the forms that work."""


HINT = "try 03:10, 2026-11-30 22:00, -2h or +30m"


def parse_time(text: str, reference: float) -> float:
    """The Unix time ``text`` names, relative times and times of day taken from
    ``reference``."""
    value = text.strip()
    if not value:
        raise TimeError(f"no time given ({HINT})")
    if value[0] in "+-":
        try:
            offset = parse_duration(value[1:])
        except ValueError:
            raise TimeError(f"not a time: {echo(text)} ({HINT})") from None
        return reference + offset if value[0] == "+" else reference - offset
    if _UNIX.match(value):
        return float(value)
    clock = _CLOCK.match(value)
    if clock is not None:
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise TimeError(f"not a time of day: {echo(text)}")
        day = datetime.fromtimestamp(reference)
        return day.replace(hour=hour, minute=minute, second=second, microsecond=0).timestamp()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TimeError(f"not a time: {echo(text)} ({HINT})") from None
    return moment.timestamp()


def format_moment(at: float, with_date: bool = True) -> str:
    """``2026-11-30 22:00:05`` in local time (``22:00:05`` without the date)."""
    moment = datetime.fromtimestamp(at)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
