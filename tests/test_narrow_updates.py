"""Partial line updates start where the change starts (bytes over SSH)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import model_from_argv
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from memtui.app import MemtuiApp
from memtui.widgets.narrow_updates import NarrowChopsUpdate, NarrowCompositor, narrowed

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


def _cells(update: ChopsUpdate, y: int, x1: int, x2: int) -> list[tuple[str, Style | None]]:
    """What ``update`` paints in cells x1..x2 of line y, cell by cell."""
    painted: list[tuple[str, Style | None]] = []
    for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
        if strip is None or end <= x1 or x >= x2:
            continue
        piece = strip.crop(max(x1 - x, 0), min(end, x2) - x)
        painted += [(char, segment.style) for segment in piece for char in segment.text]
    return painted


@pytest.mark.parametrize(
    ("keys", "screen", "frames"),
    [
        ((), "DashboardScreen", 6),  # ten titles a second, a bar column now and then
        (("2", "j", "j", "d", "j"), "ProcessPickerScreen", 6),  # a table, a cursor, a pane
        (("enter",), "ZoomScreen", 6),  # one chart drawn large
        (("?", "down", "down", "down"), "HelpScreen", 2),  # a modal over the dashboard
    ],
)
async def test_the_narrow_compositor_paints_what_textuals_paints_and_renders_less(
    monkeypatch: pytest.MonkeyPatch, keys: tuple[str, ...], screen: str, frames: int
) -> None:
    # Textual rendered every line of every widget inside the box around all the
    # changes; the narrow compositor renders the changed lines of the widgets that
    # show in a changed span. Frame by frame, live, both must paint the same cells.
    app = MemtuiApp(model_from_argv("--interval", "0.25"))
    compared: list[str] = []
    rendered: dict[str, int] = {"textual": 0, "narrow": 0}
    narrow_update = NarrowCompositor.render_partial_update
    original_render_lines = Widget.render_lines
    counting: list[str] = []

    def render_lines(widget: Widget, crop: Region) -> list[Strip]:
        if counting:
            rendered[counting[0]] += crop.height
        return original_render_lines(widget, crop)

    def counted(name: str, update: Callable[[], ChopsUpdate | None]) -> ChopsUpdate | None:
        counting.append(name)
        try:
            return update()
        finally:
            counting.clear()

    def both(compositor: NarrowCompositor) -> ChopsUpdate | None:
        # Each goes first on every other frame: the narrow one must not depend on
        # what Textual's rendered (style caches marked clean, say).
        dirty = compositor._dirty_regions.copy()
        textual_first = len(compared) % 2 == 0

        def textual() -> ChopsUpdate | None:
            compositor._dirty_regions.update(dirty)
            return counted("textual", lambda: Compositor.render_partial_update(compositor))

        def narrow() -> ChopsUpdate | None:
            compositor._dirty_regions.update(dirty)
            return counted("narrow", lambda: narrow_update(compositor))

        if textual_first:
            theirs, ours = textual(), narrow()
        else:
            ours, theirs = narrow(), textual()
        assert (theirs is None) == (ours is None)
        if theirs is not None and ours is not None:
            assert ours.spans == theirs.spans
            for y, x1, x2 in theirs.spans:
                assert _cells(ours, y, x1, x2) == _cells(theirs, y, x1, x2), (y, x1, x2)
                assert sum(cell_len(char) for char, _ in _cells(ours, y, x1, x2)) == x2 - x1
            compared.append(type(app.screen).__name__)
        return ours

    monkeypatch.setattr(Widget, "render_lines", render_lines)
    monkeypatch.setattr(NarrowCompositor, "render_partial_update", both)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.3)
        assert type(app.screen).__name__ == screen
        assert type(app.screen._compositor) is NarrowCompositor
        for _ in range(40):
            if compared.count(screen) >= frames:
                break
            await pilot.pause(0.25)
    assert compared.count(screen) >= frames
    assert rendered["narrow"] * 2 < rendered["textual"], rendered
