"""Snapshot of the narrowing prompt, made deterministic as the memory view's snapshots are.

The counter target maps its counter and decoys on a page at a fixed address; the
screen keeps only that page, and the PID and the read timing are replaced by fixed
text. The picture: one step taken (+), then a refused one, whose message stays on
the prompt's line with what was typed; at 80x24, also with the inspector and the
telescope open, where the prompt's rows count in the layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fixed_page_screen import FixedPageScreen, memory_screen_ready
from targets.counter import FIXED_ADDRESS, START, CounterTarget, build_counter_target
from targets.counter import start_counter_target as start
from targets.pattern import at_fixed_address
from textual.app import App
from textual.pilot import Pilot

from memtui.widgets.hex_view import HexView

SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def counter_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_counter_target(tmp_path_factory.mktemp("snapshot-counter"))


@pytest.fixture
def fixed_counter(counter_binary: Path) -> Iterator[CounterTarget]:
    """A fresh target for each picture: a step bumps its counter for good."""
    binary = counter_binary
    with at_fixed_address(lambda: start(binary, fixed=FIXED_ADDRESS)) as target:
        yield target


class FixedCounterScreen(FixedPageScreen):
    """The memory view with only the counter's fixed page and no per-run text."""

    fixed_address = FIXED_ADDRESS


class NarrowingApp(App[None]):
    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid

    def on_mount(self) -> None:
        self.push_screen(FixedCounterScreen(self.pid, auto_refresh=False))


def narrowed(target: CounterTarget, *panes: str) -> Callable[[Pilot[None]], object]:
    """One step and a refused one, with ``panes`` (keys: i, p, w) open."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        screen = await memory_screen_ready(pilot)
        await pilot.press("g", *f"{FIXED_ADDRESS:x}", "enter", *panes)
        await pilot.press("slash", *f"u32:{START}", "enter")
        for _ in range(1500):  # 30 s: a loaded CI machine can be slow
            if screen._search_job is None and screen.narrowing is not None:
                break
            await pilot.pause(0.02)
        assert screen.narrowing is not None, "the search did not finish"
        target.bump()
        await pilot.press("c", "+", "enter")
        for _ in range(1500):
            if screen._narrow_job is None and len(screen.narrowing.steps) == 2:  # type: ignore[union-attr]
                break
            await pilot.pause(0.02)
        assert len(screen.narrowing.steps) == 2, "the narrowing step did not finish"  # type: ignore[union-attr]
        await pilot.press(">", "enter")  # refused: > needs a value
        screen.action_refresh_now()  # r, which the open prompt would take as typed
        hex_view = screen.query_one(HexView)
        for _ in range(1500):
            # The refresh's rows, not the ones before it: it counts the changed bytes.
            if hex_view.visible_rows_loaded() and screen.changed_bytes is not None:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    return run_before


def test_narrowing_prompt_120x40(snap_compare: SnapCompare, fixed_counter: CounterTarget) -> None:
    app = NarrowingApp(fixed_counter.pid)
    assert snap_compare(app, terminal_size=(120, 40), run_before=narrowed(fixed_counter))


def test_narrowing_prompt_80x24(snap_compare: SnapCompare, fixed_counter: CounterTarget) -> None:
    app = NarrowingApp(fixed_counter.pid)
    assert snap_compare(app, terminal_size=(80, 24), run_before=narrowed(fixed_counter))


def test_narrowing_prompt_inspector_telescope_80x24(
    snap_compare: SnapCompare, fixed_counter: CounterTarget
) -> None:
    """The telescope gives up its rows, then the input its border: 7 rows of hex."""
    app = NarrowingApp(fixed_counter.pid)
    run_before = narrowed(fixed_counter, "i", "p")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
