"""How a message repeats what the user typed: whole when short, cut when long.

A 10 kB paste into a prompt, or a 10 kB argument, echoed in full would cover half
the screen or the terminal; what the user needs is to recognise what was refused.
Every message that quotes user input (UI prompts and the command line) goes
through these, so the cut is the same everywhere.
"""

from __future__ import annotations

from memtui.core.printable import printable

ECHO_LIMIT = 40
"""Characters of the input a message shows at most (quotes and escapes included)."""
PATH_LIMIT = 160
"""The same for a file name, which a message names to say where something went."""


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` itself, or its first ``limit`` characters, ``…`` and its length.

    >>> shorten("[heap]+0x10")
    '[heap]+0x10'
    >>> shorten("A" * 10_000, 4)
    'AAAA… (10,000 characters)'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` quoted as ``repr`` quotes it, cut as :func:`shorten` cuts it.

    The cut counts the quoted form, so escapes (``\\x00`` is four characters) do not
    make a long line of a short cut.

    >>> echo("0x_10")
    "'0x_10'"
    >>> echo("A" * 10_000, 4)
    "'AA'… (10,000 characters)"
    """
    quoted = repr(text)
    if len(quoted) <= limit:
        return quoted
    shown = text[:limit]
    while shown and len(repr(shown)) > limit:
        shown = shown[:-1]
    return f"{shown!r}… ({len(text):,} characters)"


def cut_from_left(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut at its start: ``…/lib/libc.so.6``.

    For a path in a column, where the file name at the end says most.

    >>> cut_from_left("/usr/lib/x86_64-linux-gnu/libc.so.6", 16)
    '…x-gnu/libc.so.6'
    """
    if len(text) <= width:
        return text
    return "…" + text[len(text) - max(width - 1, 0) :] if width > 0 else ""


def shorten_path(path: str) -> str:
    """A file name as a message names it: escaped (:func:`printable`), and cut as
    :func:`shorten` cuts it, with room for a long path."""
    return shorten(printable(path), PATH_LIMIT)
