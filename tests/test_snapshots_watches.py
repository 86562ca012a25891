"""Snapshots of the watch pane and of a selection, made deterministic as the memory
view's snapshots are.

The watch target maps a page at a fixed address (MAP_FIXED_NOREPLACE) holding its
counter and level, which SIGUSR1 moves. The screen keeps only that page, and the PID
and the read timing are replaced by fixed text; toasts are cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fixed_page_screen import FixedPageApp
from targets import Target
from targets.pattern import at_fixed_address
from targets.watch import (
    FIXED_COUNTER_AT,
    FIXED_LEVEL_AT,
    FIXED_TEXT,
    FIXED_TEXT_AT,
    build_watch_target,
    bump,
    start_watch_target,
)
from textual.pilot import Pilot

from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.hex_view import HexView

SnapCompare = Callable[..., bool]
FIXED_ADDRESS = 0x720000000000


@pytest.fixture(scope="module")
def fixed_counters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    binary: Path = build_watch_target(tmp_path_factory.mktemp("watch-snapshot"))
    with at_fixed_address(lambda: start_watch_target(binary, fixed=FIXED_ADDRESS)) as target:
        yield target


async def settle(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    for _ in range(250):
        if condition():
            break
        await pilot.pause(0.02)


async def open_fixed_page(pilot: Pilot[None], offset: int) -> tuple[MemoryScreen, HexView]:
    app = pilot.app
    await settle(pilot, lambda: isinstance(app.screen, MemoryScreen) and bool(app.screen.mappings))
    screen = app.screen
    assert isinstance(screen, MemoryScreen)
    await pilot.press("g", *f"{FIXED_ADDRESS + offset:x}", "enter")
    hex_view = screen.query_one(HexView)
    await settle(pilot, lambda: hex_view.visible_rows_loaded() and "read" in screen.status)
    return screen, hex_view


def watch_pane_at(target: Target) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        screen, hex_view = await open_fixed_page(pilot, FIXED_COUNTER_AT)
        await pilot.press("i", "w", "l", "l", "l", "l", "l", "l", "l", "l")
        await pilot.press("t", "t", "t", "t", "w")  # the level, as f64
        for generation in (hex_view.generation + 1, hex_view.generation + 2):
            bump(target)
            await pilot.press("r")
            await settle(pilot, lambda g=generation: screen._watched_generation >= g)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


def selection_at() -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        await open_fixed_page(pilot, FIXED_TEXT_AT)
        await pilot.press("v", *["l"] * (len(FIXED_TEXT) - 1))
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


def test_watch_pane_with_the_inspector_at_80x24(
    snap_compare: SnapCompare, fixed_counters: Target
) -> None:
    assert fixed_counters.fixed == FIXED_ADDRESS and FIXED_LEVEL_AT == FIXED_COUNTER_AT + 8
    app = FixedPageApp(fixed_counters.pid, FIXED_ADDRESS)
    assert snap_compare(app, terminal_size=(80, 24), run_before=watch_pane_at(fixed_counters))


def test_selection_120x40(snap_compare: SnapCompare, fixed_counters: Target) -> None:
    app = FixedPageApp(fixed_counters.pid, FIXED_ADDRESS)
    assert snap_compare(app, terminal_size=(120, 40), run_before=selection_at())
