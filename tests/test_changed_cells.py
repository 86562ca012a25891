"""Which cells of a line go to the terminal again."""

from __future__ import annotations

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
