"""Parsing and formatting of sizes, addresses, durations and rates.

Shared by the headless commands and the UI so that `16M` or `0x7f00` mean the same
everywhere.
"""

from __future__ import annotations

import functools
import re

from memtui.core.input_echo import echo

_BINARY_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


# Compiled when first used, not at import: 0.1-0.3 ms each, on the start-up of every
# command, most of which parse no size, address or duration at all.
@functools.cache
def _size_pattern() -> re.Pattern[str]:
    return re.compile(
        r"^\s*(0[xX][0-9a-fA-F]+|\d+)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE | re.ASCII
    )


@functools.cache
def _address_pattern() -> re.Pattern[str]:
    return re.compile(r"\s*(0[xX][0-9a-fA-F]+|\d+)\s*", re.ASCII)


@functools.cache
def _duration_pattern() -> re.Pattern[str]:
    return re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$", re.IGNORECASE | re.ASCII)


# More significant digits than 2**64 has: int() would refuse past 4,300 of them.
_MAX_DIGITS = 20
_DURATION_UNITS = {
    None: 1.0,
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
# No length of memory reaches 2**64 bytes; above it a size is a typo, not a request.
SIZE_LIMIT = 1 << 64


def plain_number(text: str) -> str:
    """``text`` stripped, if it is written as C and the shell write numbers.

    Python's ``int()`` and ``float()`` also read ``1_000``, ``0x_10`` and the digits
    of other scripts (``١٢``), which no other tool takes for a number; refuse them,
    saying why, rather than read an address or a size nobody meant.
    """
    stripped = text.strip()
    if "_" in stripped:
        raise ValueError(f"no underscores in numbers: {echo(stripped)} (write 1000 or 0x10)")
    if not stripped.isascii():
        raise ValueError(f"numbers are written in ASCII digits: {echo(stripped)}")
    return stripped


def parse_size(text: str) -> int:
    """Parse a length: decimal, ``0x`` hex, or a number with a binary K/M/G/T suffix.

    >>> parse_size("16M")
    16777216
    """
    match = _size_pattern().match(plain_number(text))
    if match is None:
        raise ValueError(f"not a size: {echo(text)} (try 4096, 0x1000 or 16M)")
    number, suffix = match.groups()
    too_large = f"size too large: {echo(text)} (the limit is 16 EiB, 2**64 bytes)"
    if _too_many_digits(number):
        raise ValueError(too_large)
    value = _whole_number(number) * _BINARY_SUFFIXES[suffix.upper()]
    if value >= SIZE_LIMIT:
        raise ValueError(too_large)
    return value


def parse_address(text: str) -> int:
    """Parse an address given as ``0x``-prefixed hex or as decimal."""
    match = _address_pattern().fullmatch(plain_number(text))
    if match is None:
        raise ValueError(f"not an address: {echo(text)} (try 0x7f0000001000)")
    number = match.group(1)
    if _too_many_digits(number) or _whole_number(number) >= 1 << 64:
        raise ValueError(f"address out of range: {echo(text)}")
    return _whole_number(number)


def _whole_number(number: str) -> int:
    """A decimal or ``0x`` number that a pattern has matched (``010`` is ten, as in C)."""
    return int(number[2:], 16) if number[:2].lower() == "0x" else int(number, 10)


def _too_many_digits(number: str) -> bool:
    """Whether a decimal or ``0x`` number has more digits than any 64-bit value."""
    digits = number[2:] if number[:2].lower() == "0x" else number
    return len(digits.lstrip("0")) > _MAX_DIGITS


def parse_duration(text: str, *, allow_zero: bool = False) -> float:
    """Parse a duration in seconds; accepts ``600``, ``90s``, ``10m``, ``1h``, ``7d``, ``250ms``.

    It is positive (or zero, with ``allow_zero``) and finite: 400 digits are no duration.
    """
    match = _duration_pattern().match(plain_number(text))
    if match is None:
        raise ValueError(f"not a duration: {echo(text)} (try 600, 10m or 1h)")
    number, unit = match.groups()
    seconds = float(number) * _DURATION_UNITS[unit.lower() if unit else None]
    import math  # here: a shared library to load, for the few commands that take a duration

    if not math.isfinite(seconds):
        raise ValueError(f"duration too long: {echo(text)}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError(f"duration must be positive: {echo(text)}")
    return seconds


# Up to EiB: a gap in the address space (below [vsyscall]) is as large as 16 EiB.
_UNITS = (
    ("EiB", 1 << 60),
    ("PiB", 1 << 50),
    ("TiB", 1 << 40),
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
)


def unit_for(magnitude: float) -> tuple[str, int]:
    """The unit (name, divisor) that shows ``magnitude`` bytes with 1-3 integer digits."""
    magnitude = abs(magnitude)
    for name, divisor in _UNITS:
        if magnitude >= divisor:
            return name, divisor
    return "B", 1


def format_bytes(value: float, precision: int = 2) -> str:
    """Format a byte count with a binary unit: ``1.21 GiB``, ``512 B``."""
    name, divisor = unit_for(value)
    if divisor == 1:
        return f"{value:.0f} B"
    return f"{value / divisor:.{precision}f} {name}"


def format_bytes_short(value: float) -> str:
    """Three significant figures, for titles where width is tight: ``537 MiB``, ``1.21 GiB``."""
    name, divisor = unit_for(value)
    scaled = value / divisor
    if divisor == 1:
        return f"{value:.0f} B"
    decimals = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
    return f"{scaled:.{decimals}f} {name}"


def format_rate(bytes_per_minute: float) -> str:
    """Format a rate of change with an explicit sign: ``+12.3 MiB/min``."""
    name, divisor = unit_for(bytes_per_minute)
    sign = "+" if bytes_per_minute >= 0 else "-"
    scaled = abs(bytes_per_minute) / divisor
    if divisor == 1:
        return f"{sign}{scaled:.0f} B/min"
    return f"{sign}{scaled:.{1 if scaled < 100 else 0}f} {name}/min"


def format_cpu_time(seconds: float) -> str:
    """CPU time as htop's TIME+: ``M:SS.cc`` under an hour, ``HhMM:SS`` under 100 hours,
    then ``DdHHh``."""
    # The epsilon keeps 3599.99 from reading as 3599.98 after the float product.
    hundredths = int(max(0.0, seconds) * 100 + 1e-6)
    total_seconds = hundredths // 100
    minutes, second = divmod(total_seconds, 60)
    hours, minute = divmod(minutes, 60)
    if minutes < 60:
        return f"{minutes}:{second:02d}.{hundredths % 100:02d}"
    if hours < 100:
        return f"{hours}h{minute:02d}:{second:02d}"
    days, hour = divmod(hours, 24)
    return f"{days}d{hour:02d}h"
