"""Which cells of a line changed: only those need to go to the terminal again."""

from __future__ import annotations

from rich.cells import cell_len


def _one_cell_each(text: str) -> bool:
    return text.isascii() or cell_len(text) == len(text)


def _common_prefix(old: str, new: str) -> int:
    """How many characters the two strings share from the start: a binary search on
    slices (compared in C), not a step a character, which was 20 us for a bar row."""
    low, high = 0, min(len(old), len(new))
    while low < high:
        middle = (low + high + 1) // 2
        if old[low:middle] == new[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(old: str, new: str, limit: int) -> int:
    """How many characters the two strings (of one length) share at the end, at
    most ``limit``."""
    length = len(old)
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if old[length - middle : length - low] == new[length - middle : length - low]:
            low = middle
        else:
            high = middle - 1
    return low


def changed_span(old: str, new: str) -> tuple[int, int] | None:
    """The cells ``[start, end)`` from the first to the last that differ between two
    lines, or None if they are equal; the whole line where a character is not one
    cell wide. Textual sends a repainted span as a cursor move, a colour escape and
    its characters: the unchanged ends of a line need not go again."""
    if old == new:
        return None
    if not (_one_cell_each(old) and _one_cell_each(new)):
        return 0, max(cell_len(old), cell_len(new))
    start = _common_prefix(old, new)
    if len(old) != len(new):
        # A common suffix of lines of different lengths sits in different cells.
        return start, max(len(old), len(new))
    return start, len(new) - _common_suffix(old, new, len(new) - start)
