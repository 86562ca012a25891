"""Checking a user's choice of meminfo fields against what this kernel reports."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from memtui.core.input_echo import echo


class UnknownFieldError(ValueError):
    """A requested field that the kernel does not report, with a suggestion."""


ALL = "all"
"""Every field there is, in the kernel's order."""
# How close (difflib's ratio, of the lowercased names) a name must be to be offered:
# at 0.6, difflib's default, ``all`` was offered ``Balloon``.
SUGGESTION_CUTOFF = 0.75


def suggest_field(name: str, known: Sequence[str]) -> str | None:
    """The known field ``name`` was most likely meant to be, if one is close."""
    lowered = {field.lower(): field for field in known}
    close = difflib.get_close_matches(name.lower(), lowered, n=1, cutoff=SUGGESTION_CUTOFF)
    return lowered[close[0]] if close else None


def validate_fields(requested: Sequence[str], available: Iterable[str]) -> list[str]:
    """The requested fields, without duplicates, or raise naming the unknown one.

    Names match whatever their case (``committed_as``); ``all`` is every field.
    """
    known = list(available)
    by_lower = {field.lower(): field for field in known}
    chosen: list[str] = []
    for name in requested:
        if name.lower() == ALL:
            names = known
        elif name in known or name.lower() in by_lower:
            names = [name if name in known else by_lower[name.lower()]]
        else:
            close = suggest_field(name, known)
            hint = f"; did you mean {close}?" if close else f" (`{ALL}` chooses every field)"
            raise UnknownFieldError(f"this kernel reports no meminfo field {echo(name)}{hint}")
        chosen.extend(field for field in names if field not in chosen)
    return chosen


def default_fields(available: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """The preferred fields this kernel actually reports, in the preferred order."""
    known = set(available)
    return [name for name in preferred if name in known]
