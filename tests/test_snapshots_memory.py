"""Snapshots of the memory view, made deterministic despite ASLR and live processes.

The target maps its pattern page at a fixed address (MAP_FIXED_NOREPLACE at
0x700000000000), and the screen under test keeps only the four pages it mapped
there, so the table, the rows and the scrollbar are the same on every run. The PID
and the read timing, which change every run, are replaced by fixed text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from targets.pattern import (
    FIXED_ADDRESS,
    PatternTarget,
    at_fixed_address,
    build_pattern_target,
    start_pattern_target,
)
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from memtui.core.process_memory.memory_session import MapsRead
from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.hex_view import HexView

SnapCompare = Callable[..., bool]
FIXED_PID = 4242


@pytest.fixture(scope="module")
def fixed_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PatternTarget]:
    binary = build_pattern_target(tmp_path_factory.mktemp("snapshot-target"))
    with at_fixed_address(lambda: start_pattern_target(binary, fixed=FIXED_ADDRESS)) as target:
        yield target


class FixedMemoryScreen(MemoryScreen):
    """The memory view with only the target's fixed pages and no per-run text."""

    def _show_mappings(self, event: MapsRead) -> None:
        low, high = FIXED_ADDRESS - 0x1000, FIXED_ADDRESS + 0x3000
        fixed = [m for m in event.mappings if low <= m.start and m.end <= high]
        super()._show_mappings(MapsRead(fixed, event.rss))

    def _show_title(self) -> None:
        self.status = "read 12.0 KiB, 0.1 ms, frozen" if self.mappings else self.status
        super()._show_title()
        title = self.query_one("#memory-title", Static)
        title.update(str(title.content).replace(f"PID {self.pid} ", f"PID {FIXED_PID} "))


class SnapshotApp(App[None]):
    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid

    def on_mount(self) -> None:
        self.push_screen(FixedMemoryScreen(self.pid, auto_refresh=False))


async def show_pattern(pilot: Pilot[None]) -> None:
    """Go to the pattern (cursor on its byte 5) and wait for every row to arrive."""
    app = pilot.app
    for _ in range(250):
        if isinstance(app.screen, MemoryScreen) and app.screen.mappings:
            break
        await pilot.pause(0.02)
    await pilot.press("g", *f"{FIXED_ADDRESS + 5:x}", "enter")
    screen = app.screen
    assert isinstance(screen, MemoryScreen)
    hex_view = screen.query_one(HexView)
    for _ in range(250):
        if hex_view.visible_rows_loaded() and "read" in screen.status:
            break
        await pilot.pause(0.02)
    await pilot.pause()


def test_memory_view_120x40(snap_compare: SnapCompare, fixed_target: PatternTarget) -> None:
    app = SnapshotApp(fixed_target.pid)
    assert snap_compare(app, terminal_size=(120, 40), run_before=show_pattern)


def test_memory_view_80x24(snap_compare: SnapCompare, fixed_target: PatternTarget) -> None:
    app = SnapshotApp(fixed_target.pid)
    assert snap_compare(app, terminal_size=(80, 24), run_before=show_pattern)


def test_memory_view_160x40_side_by_side(
    snap_compare: SnapCompare, fixed_target: PatternTarget
) -> None:
    app = SnapshotApp(fixed_target.pid)
    assert snap_compare(app, terminal_size=(160, 40), run_before=show_pattern)


def test_snapshot_target_holds_its_pages_at_the_fixed_address(fixed_target: PatternTarget) -> None:
    assert (fixed_target.pattern, fixed_target.guard) == (FIXED_ADDRESS, FIXED_ADDRESS + 0x1000)
    assert Path(f"/proc/{fixed_target.pid}").exists()
