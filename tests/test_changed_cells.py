"""Which cells of a line go to the terminal again."""

from __future__ import annotations

import itertools

from memtui.widgets.changed_cells import changed_span


def test_a_shorter_line_repaints_the_cells_its_old_end_left() -> None:
    # "61.5 MiB" became "127 MiB": the old last cell ("s") must be blanked, though both
    # lines end in "s" (a common suffix of lines of different lengths is not the
    # same cells). It stayed on screen as "rate in 59ss".
    old = "Committed_AS 61.5 MiB  rate in 60s"
    new = "Committed_AS 127 MiB  rate in 59s"
    assert changed_span(old, new) == (13, len(old))
    assert changed_span(new, old) == (13, len(old))


def test_lines_of_one_length_repaint_only_from_the_first_to_the_last_change() -> None:
    assert changed_span("rate in 60s", "rate in 59s") == (8, 10)
    assert changed_span("same", "same") is None


def _by_each_cell(old: str, new: str) -> tuple[int, int] | None:
    """The span found a character at a time, for lines of one-cell characters."""
    if old == new:
        return None
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    if len(old) != len(new):
        return start, max(len(old), len(new))
    end = len(new)
    while end > start and old[end - 1] == new[end - 1]:
        end -= 1
    return start, end


def test_the_span_is_the_one_a_cell_by_cell_walk_finds() -> None:
    # The prefix and suffix are found by halving (slices compared in C): a bar row
    # took 20 us a character at a time. Every pair of short lines over a small
    # alphabet, with bars and blanks, against the plain walk.
    alphabet = "a▁█ "
    lines = ["".join(chars) for n in range(5) for chars in itertools.product(alphabet, repeat=n)]
    for old in lines:
        for new in lines:
            assert changed_span(old, new) == _by_each_cell(old, new), (old, new)
    bars = "▁▂▃▄▅▆▇█" * 14
    assert changed_span(bars, bars[:-1] + "▅") == (len(bars) - 1, len(bars))
    assert changed_span(bars, "▅" + bars[1:]) == (0, 1)
