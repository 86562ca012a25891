"""Snapshots of search, the data inspector and changed bytes, on the fixed-address target.

The values target maps its pages at 0x700000000000 exactly, and the screen keeps only
the pages there (``FixedMemoryScreen``), so every run draws the same picture. Toasts
(which carry timings) are cleared before the picture is taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from targets import Target
from targets.pattern import FIXED_ADDRESS, at_fixed_address
from targets.values import NEEDLE, POINTER_AT, build_values_target, start_values_target
from test_snapshots_memory import SnapshotApp
from textual.pilot import Pilot

from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.hex_view import HexView

SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def fixed_values(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    binary = build_values_target(tmp_path_factory.mktemp("snapshot-values"))
    with at_fixed_address(lambda: start_values_target(binary, fixed=FIXED_ADDRESS)) as target:
        yield target


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every row on screen and any search, then drop the toasts."""
    screen = pilot.app.screen
    assert isinstance(screen, MemoryScreen)
    hex_view = screen.query_one(HexView)
    for _ in range(250):
        if hex_view.visible_rows_loaded() and screen._search_job is None:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


async def open_values(pilot: Pilot[None], offset: int = 0) -> MemoryScreen:
    app = pilot.app
    for _ in range(250):
        if isinstance(app.screen, MemoryScreen) and app.screen.mappings:
            break
        await pilot.pause(0.02)
    await pilot.press("g", *f"{FIXED_ADDRESS + offset:x}", "enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, MemoryScreen)
    return screen


async def search_needle(pilot: Pilot[None]) -> None:
    await open_values(pilot)
    await pilot.press("slash", *NEEDLE, "enter")
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)


async def results_list(pilot: Pilot[None]) -> None:
    await search_needle(pilot)
    await pilot.press("m")
    await pilot.pause()


async def inspector(pilot: Pilot[None]) -> None:
    await open_values(pilot, POINTER_AT)
    await pilot.press("i")
    await settle(pilot)


def changes_for(target: Target) -> Callable[[Pilot[None]], object]:
    async def changes(pilot: Pilot[None]) -> None:
        await open_values(pilot, 0x60)
        await pilot.press("r")
        await settle(pilot)
        target.command("c", "changed")
        await pilot.press("r")
        await settle(pilot)

    return changes


def test_search_highlights_the_matches(snap_compare: SnapCompare, fixed_values: Target) -> None:
    app = SnapshotApp(fixed_values.pid)
    assert snap_compare(app, terminal_size=(120, 40), run_before=search_needle)


def test_search_results_list(snap_compare: SnapCompare, fixed_values: Target) -> None:
    app = SnapshotApp(fixed_values.pid)
    assert snap_compare(app, terminal_size=(120, 40), run_before=results_list)


def test_inspector_beside_the_bytes(snap_compare: SnapCompare, fixed_values: Target) -> None:
    app = SnapshotApp(fixed_values.pid)
    assert snap_compare(app, terminal_size=(160, 40), run_before=inspector)


def test_inspector_below_at_80x24(snap_compare: SnapCompare, fixed_values: Target) -> None:
    app = SnapshotApp(fixed_values.pid)
    assert snap_compare(app, terminal_size=(80, 24), run_before=inspector)


def test_changed_bytes_are_highlighted(snap_compare: SnapCompare, fixed_values: Target) -> None:
    app = SnapshotApp(fixed_values.pid)
    assert snap_compare(app, terminal_size=(120, 40), run_before=changes_for(fixed_values))
