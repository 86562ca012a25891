"""Checking a user's choice of meminfo fields against what this kernel reports."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from memtui.core.input_echo import echo


class UnknownFieldError(ValueError):
    """A requested field that the kernel does not report, with a suggestion."""


def validate_fields(requested: Sequence[str], available: Iterable[str]) -> list[str]:
    """Return the requested fields, without duplicates, or raise naming the unknown one."""
    known = list(available)
    chosen: list[str] = []
    for name in requested:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise UnknownFieldError(f"this kernel reports no meminfo field {echo(name)}{hint}")
        if name not in chosen:
            chosen.append(name)
    return chosen


def default_fields(available: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """The preferred fields this kernel actually reports, in the preferred order."""
    known = set(available)
    return [name for name in preferred if name in known]
