"""Partial line updates start where the change starts (bytes over SSH)."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from memtui.widgets.narrow_updates import NarrowChopsUpdate, narrowed

AXIS = Style(color="grey50")
BARS = Style(color="yellow")


def console() -> Console:
    return Console(color_system="truecolor", force_terminal=True, width=80, legacy_windows=False)


def tile_line(bars: str) -> Strip:
    """A tile's bar row as the tile draws it: the label and axis, then the bars."""
    return Strip([Segment("  210M ▏", AXIS), Segment(bars.rjust(30), BARS)])


def update(strip: Strip, x1: int, x2: int) -> ChopsUpdate:
    """One line, three chops (two tiles of 40 cells and what is right of them); the
    region x1..x2 of the first tile changed."""
    other = Strip([Segment(" " * 40)])
    chops = [{0: strip, 40: other, 80: None}]
    return ChopsUpdate(chops, [(0, x1, x2)], [[40, 80, 80]])


def test_a_change_at_the_right_of_a_tile_sends_only_the_changed_cells() -> None:
    # The newest bar (column 37) moved up: Textual sent the row from the tile's left
    # edge (the label, the axis and every bar); only the bar need go.
    strip = tile_line("▂▃▄▅▆▇█▃")
    whole = update(strip, 37, 38).render_segments(console())
    narrow = NarrowChopsUpdate.of(update(strip, 37, 38)).render_segments(console())
    assert "210M" in whole and "▏" in whole
    assert narrow.startswith("\x1b[1;38H")  # the cursor goes to the changed cell
    assert "210M" not in narrow and "▏" not in narrow
    assert narrow.count("█") == 0 and "▃" in narrow  # column 37 holds the last bar
    assert len(narrow) < len(whole) / 2


def test_the_cells_sent_are_those_textual_would_have_put_there() -> None:
    # Painted on top of the full line, the narrow update gives the same screen.
    before = tile_line("▂▃▄▅▆▇▁▁")
    after = tile_line("▂▃▄▅▆▇▆▇")
    narrow = NarrowChopsUpdate.of(update(after, 36, 38)).render_segments(console())
    screen = list(before.text)
    column = int(narrow.split(";")[1].split("H")[0]) - 1
    text = "".join(ch for ch in narrow.split("H", 1)[1] if ch in "▁▂▃▄▅▆▇█ ")
    assert (column, text) == (36, "▆▇")
    screen[column : column + len(text)] = text
    assert "".join(screen) == after.text


def test_a_line_holding_a_wide_character_is_sent_from_the_chop_start() -> None:
    # Cropping between the halves of a wide character would leave the terminal half
    # of one: such a chop goes out whole, as Textual writes it.
    strip = Strip([Segment("名前 python", AXIS), Segment(" " * 31)])
    narrow = NarrowChopsUpdate.of(update(strip, 30, 31)).render_segments(console())
    assert narrow.startswith("\x1b[1;1H") and "名前" in narrow


def test_a_whole_chop_is_sent_as_it_is() -> None:
    strip = tile_line("▂▃")
    whole = update(strip, 0, 40).render_segments(console())
    assert NarrowChopsUpdate.of(update(strip, 0, 40)).render_segments(console()) == whole


def test_only_partial_updates_are_narrowed() -> None:
    # Full frames (LayoutUpdate) and anything else pass as they are; the app's own
    # output is checked on a real pty (test_terminals).
    partial = update(tile_line("▂"), 37, 38)
    assert type(narrowed(partial)) is NarrowChopsUpdate
    assert narrowed(None) is None
    other = Strip([Segment("x")])
    assert narrowed(other) is other  # type: ignore[arg-type]
