"""Snapshot of the telescope, made deterministic as the memory view's snapshots are.

The symbols target maps a page of words at a fixed address (MAP_FIXED_NOREPLACE)
whose pointers stay within it: a chain three deep, a string, a loop of one and of
two, a number, a pointer to nowhere. The screen keeps only that page, and the PID
and the read timing are replaced by fixed text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fixed_page_screen import FixedPageApp, memory_screen_ready
from targets import Target
from targets.pattern import at_fixed_address
from targets.symbols import FIXED_ADDRESS, SymbolsBinaries, start_symbols_target
from textual.pilot import Pilot

from memtui.widgets.hex_view import HexView
from memtui.widgets.telescope import Telescope

pytest_plugins = ["targets.fixtures"]

SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def fixed_words(symbols_binaries: SymbolsBinaries) -> Iterator[Target]:
    with at_fixed_address(
        lambda: start_symbols_target(symbols_binaries.nopie, fixed=FIXED_ADDRESS)
    ) as target:
        yield target


async def show_telescope(pilot: Pilot[None]) -> None:
    screen = await memory_screen_ready(pilot)
    for _ in range(250):
        if screen.symbols is not None:
            break
        await pilot.pause(0.02)
    await pilot.press("g", *f"{FIXED_ADDRESS:x}", "enter", "p")
    hex_view = screen.query_one(HexView)
    telescope = screen.query_one(Telescope)
    for _ in range(250):
        loaded = hex_view.visible_rows_loaded() and "read" in screen.status
        if loaded and telescope.start == FIXED_ADDRESS:
            break
        await pilot.pause(0.02)
    await pilot.pause()


def test_telescope_120x40(snap_compare: SnapCompare, fixed_words: Target) -> None:
    assert fixed_words.fixed == FIXED_ADDRESS
    app = FixedPageApp(fixed_words.pid, FIXED_ADDRESS)
    assert snap_compare(app, terminal_size=(120, 40), run_before=show_telescope)
