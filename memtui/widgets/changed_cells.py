"""Which cells of a line changed: only those need to go to the terminal again."""

from __future__ import annotations

from rich.cells import cell_len


def changed_span(old: str, new: str) -> tuple[int, int] | None:
    """The cells ``[start, end)`` from the first to the last that differ between two
    lines, or None if they are equal; the whole line where a character is not one
    cell wide. Textual sends a repainted span as a cursor move, a colour escape and
    its characters: the unchanged ends of a line need not go again."""
    if old == new:
        return None
    if cell_len(old) != len(old) or cell_len(new) != len(new):
        return 0, max(cell_len(old), cell_len(new))
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    if len(old) != len(new):
        # A common suffix of lines of different lengths sits in different cells.
        return start, max(len(old), len(new))
    end = len(new)
    while end > start and old[end - 1] == new[end - 1]:
        end -= 1
    return start, end
