"""Watches, selection and copy in the memory view, against real processes.

The watch target counts SIGUSR1 in a u32 and an f64 (targets/watch_target.c); the
pattern target holds known bytes beside a PROT_NONE guard page.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import Target, stopped_tasks
from targets.pattern import PatternTarget, pattern_page, running_pattern_target
from targets.watch import (
    COUNTER_START,
    LEVEL_START,
    LEVEL_STEP,
    build_watch_target,
    bump,
    start_watch_target,
)
from test_memory_view import ViewApp, go_to, open_view, wait_until
from textual.pilot import Pilot
from textual.widgets import Input, Static

from memtui.core.process_memory.memory_copy import COPY_LIMIT, ascii_text, hex_text
from memtui.core.process_memory.read_result import ReadResult
from memtui.core.process_memory.watches import HISTORY, MAX_WATCHES, WatchError, WatchList
from memtui.screens.memory_layout import MIN_HEX_ROWS, LayoutPlan, plan_layout
from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.data_inspector import DataInspector
from memtui.widgets.hex_view import HexView
from memtui.widgets.watch_pane import WatchPane

pytest_plugins = ["targets.fixtures"]


@pytest.fixture(scope="session")
def watch_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_watch_target(tmp_path_factory.mktemp("watch"))


@pytest.fixture
def counter_target(watch_binary: Path) -> Iterator[Target]:
    running = start_watch_target(watch_binary)
    try:
        yield running
        if running.process.poll() is None:
            assert stopped_tasks(running.pid) == []
    finally:
        running.stop()


@pytest.fixture
def pattern(pattern_binary: Path) -> Iterator[PatternTarget]:
    with running_pattern_target(pattern_binary) as running:
        yield running


# -- the watch list alone ------------------------------------------------------------------


def test_a_watch_counts_changes_keeps_a_bounded_history_and_never_reads_zeros() -> None:
    watches = WatchList()
    watch = watches.add(0x1000, "u32", struct.pack("<I", 5))
    assert (watch.value, watch.text, watch.changes) == (5, "5", 0)
    for value in (5, 6, 6, 9):
        watches.update([ReadResult(0x1000, struct.pack("<I", value))])
    assert (watch.value, watch.changes) == (9, 2)
    # Unreadable now: no value (not 0), and no change counted when it comes back.
    watches.update([ReadResult(0x1000, bytes(4), [(0x1000, 0x1004)])])
    assert (watch.value, watch.text, watch.changes) == (None, "—", 2)
    watches.update([ReadResult(0x1000, struct.pack("<I", 9))])
    assert (watch.value, watch.changes) == (9, 2)
    assert math.isnan(list(watch.history)[-2])
    for value in range(HISTORY * 2):
        watches.update([ReadResult(0x1000, struct.pack("<I", value))])
    assert len(watch.history) == HISTORY and watch.history[-1] == HISTORY * 2 - 1


def test_the_watch_list_is_bounded_and_refuses_a_watch_twice() -> None:
    watches = WatchList()
    watches.add(0x2000, "f64", struct.pack("<d", 2.5))
    with pytest.raises(WatchError, match="already"):
        watches.add(0x2000, "f64", b"")
    for index in range(1, MAX_WATCHES):
        watches.add(0x3000 + 8 * index, "u64", b"")
    with pytest.raises(WatchError, match=f"At most {MAX_WATCHES} watches"):
        watches.add(0x9000, "u8", b"")


def test_copy_text_forms() -> None:
    assert hex_text(b"Hi\x00\xff") == "48 69 00 ff"
    assert ascii_text(b"Hi\x00\xff~ ") == "Hi..~ "


# -- the layout -----------------------------------------------------------------------------


def test_the_plan_keeps_eight_hex_rows_at_80x24() -> None:
    # 24 rows: title and footer leave 22; a table of 7 rows above the bytes.
    plan = plan_layout(22, table_above=7, inspector_below=True, panes=[18])
    assert plan.compact_inspector and plan.table_rows == 0
    assert 22 - 9 - sum(plan.pane_rows) >= MIN_HEX_ROWS
    roomy = plan_layout(60, table_above=10, inspector_below=True, panes=[18])
    assert not roomy.compact_inspector and roomy.pane_rows == (18,)


def test_the_plan_counts_the_narrowing_prompt() -> None:
    # History and message lines, and the input (3 rows with its border).
    alone = plan_layout(
        22, table_above=7, inspector_below=True, panes=[], prompt_lines=2, prompt_input=True
    )
    assert alone.compact_inspector and alone.table_rows == 0 and not alone.compact_prompt
    assert MIN_HEX_ROWS <= 22 - 2 - 3 - 9
    # With a pane, the pane gives up its rows, then the input its border: 7 rows left,
    # as with the inspector and both panes.
    pane = plan_layout(
        22, table_above=7, inspector_below=True, panes=[18], prompt_lines=2, prompt_input=True
    )
    assert pane.pane_rows == (3,) and pane.compact_prompt
    assert MIN_HEX_ROWS - 1 == 22 - 2 - 1 - 9 - 3
    # The prompt closed, its history line still counts; the input's border is kept
    # where there is room.
    closed = plan_layout(22, table_above=7, inspector_below=True, panes=[18], prompt_lines=1)
    assert closed.pane_rows == (4,) and not closed.compact_prompt
    roomy = plan_layout(
        60, table_above=10, inspector_below=True, panes=[18], prompt_lines=2, prompt_input=True
    )
    assert roomy == LayoutPlan(False, None, (18,), False)


async def hex_rows_shown(pilot: Pilot[None], screen: MemoryScreen) -> int:
    await pilot.pause()
    await pilot.pause()
    return screen.query_one(HexView).scrollable_content_region.height


@pytest.mark.parametrize("pane", ["p", "w"])
async def test_at_80x24_the_inspector_and_a_pane_leave_eight_rows_of_hex(
    counter_target: Target, pane: str
) -> None:
    app = ViewApp(counter_target.pid, auto_refresh=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, f"{counter_target.counter:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        await pilot.press("i")
        assert await hex_rows_shown(pilot, screen) >= MIN_HEX_ROWS
        await pilot.press(pane)
        assert await hex_rows_shown(pilot, screen) >= MIN_HEX_ROWS
        # The pane is there to see, and the inspector still shows every type.
        shown = screen.query_one(WatchPane if pane == "w" else "Telescope")
        assert shown.display and shown.outer_size.height >= 3
        inspector = screen.query_one(DataInspector)
        assert inspector.size.height >= 7 and inspector.compact


async def test_at_120x40_inspector_telescope_and_watches_leave_eight_rows_of_hex(
    counter_target: Target,
) -> None:
    app = ViewApp(counter_target.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, f"{counter_target.counter:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        await pilot.press("i", "p", "w")
        assert await hex_rows_shown(pilot, screen) >= MIN_HEX_ROWS


# -- watches in the view -------------------------------------------------------------------


async def wait_for_refresh(pilot: Pilot[None], screen: MemoryScreen) -> None:
    """Press r and wait until the watches took the read it asked for."""
    generation = screen.query_one(HexView).generation + 1
    await pilot.press("r")
    await wait_until(pilot, lambda: screen._watched_generation >= generation)


async def test_a_watch_follows_the_counter_through_refreshes_and_gotos(
    counter_target: Target,
) -> None:
    target = counter_target
    app = ViewApp(target.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await wait_until(pilot, lambda: screen.symbols is not None)
        await go_to(pilot, f"{target.counter:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        await pilot.press("w")  # as i32, the inspector's type at first
        pane = screen.query_one(WatchPane)
        assert pane.display
        await pilot.press("g", *f"{target.level:x}", "enter")
        await pilot.press("t", "t", "t", "t")  # i32 -> u64 -> i64 -> f32 -> f64
        assert screen.query_one(DataInspector).type_name == "f64"
        await pilot.press("w")
        counter, level = screen.watches.watches
        assert (counter.value, counter.changes) == (COUNTER_START, 0)
        assert (level.value, level.type_name) == (LEVEL_START, "f64")
        assert pane.lines[0].startswith("watch_target!memtui_watch_counter ")

        bump(target, 2)
        await wait_for_refresh(pilot, screen)
        assert (counter.value, counter.changes) == (COUNTER_START + 2, 1)
        assert level.value == LEVEL_START + 2 * LEVEL_STEP
        bump(target)
        await wait_for_refresh(pilot, screen)
        assert (counter.value, counter.changes) == (COUNTER_START + 3, 2)
        assert f" {COUNTER_START + 3} " in pane.lines[0] and "2x" in pane.lines[0]
        assert pane.lines[0].rstrip().endswith("▁▆█")  # 41, 43, 44

        # Away to the stack and back by Enter on the watch: the watches stay and count.
        await go_to(pilot, "[stack]")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        bump(target)
        await wait_for_refresh(pilot, screen)
        assert (counter.value, counter.changes) == (COUNTER_START + 4, 3)
        pane.focus()
        pane.highlighted = 0
        await pilot.press("enter")
        assert hex_view.cursor_address == target.counter
        assert app.focused is hex_view

        # x in the pane removes the highlighted watch; W hides and shows the pane.
        pane.focus()
        pane.highlighted = 1
        await pilot.press("x")
        assert [w.address for w in screen.watches.watches] == [target.counter]
        hex_view.focus()
        await pilot.press("W")
        assert not pane.display
        await pilot.press("W")
        assert pane.display


async def test_auto_refresh_moves_the_watches_and_a_33rd_is_refused(
    counter_target: Target,
) -> None:
    target = counter_target
    app = ViewApp(target.pid, interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, f"{target.counter:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        await pilot.press("w")
        watch = screen.watches.watches[0]
        bump(target)
        await wait_until(pilot, lambda: watch.value == COUNTER_START + 1)
        assert watch.changes == 1
        for index in range(1, MAX_WATCHES):
            screen.watches.add(target.counter + index, "u8", b"")
        await pilot.press("l", "w")
        assert len(screen.watches) == MAX_WATCHES
        assert any(f"At most {MAX_WATCHES} watches" in str(n.message) for n in app._notifications)


# -- selection and copy -------------------------------------------------------------------


async def test_a_selection_copies_as_hex_and_text_and_saves_exactly_itself(
    pattern: PatternTarget, tmp_path: Path
) -> None:
    page = pattern_page(pattern.page)
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, f"{pattern.pattern + 2:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        # Without a selection, y copies the byte at the cursor.
        await pilot.press("y")
        await wait_until(pilot, lambda: app.clipboard != "")
        assert app.clipboard == f"{page[2]:02x}"
        await pilot.press("v", "l", "l", "j")  # 2 .. 2 + 2 + 16: 19 bytes
        assert hex_view.selection == (pattern.pattern + 2, 19)
        assert "selected 19 B" in str(screen.query_one("#memory-title", Static).content)
        await pilot.press("y")
        await wait_until(pilot, lambda: app.clipboard == page[2:21].hex(" "))
        await pilot.press("Y")
        await wait_until(pilot, lambda: app.clipboard == ascii_text(page[2:21]))
        assert app.clipboard.startswith("MTUI-PATTERN-")
        assert any("Copied 19 bytes" in str(n.message) for n in app._notifications)

        # The selection is drawn: its bytes carry the selection's style.
        marks = hex_view.highlights(pattern.pattern)
        assert [i for i, name in marks if name == "hexview--selection"] == list(range(2, 16))

        saved = tmp_path / "selection.bin"
        await pilot.press("s")
        screen.query_one("#save", Input).value = str(saved)  # typed: 60 key presses
        await pilot.press("enter")
        await wait_until(pilot, lambda: saved.exists() and screen._save_job is None)
        assert saved.read_bytes() == page[2:21]

        # Escape ends the selection (and stays in the view); y then copies one byte.
        await pilot.press("escape")
        assert hex_view.selection is None and isinstance(app.screen, MemoryScreen)
        assert hex_view.highlights(pattern.pattern) == []


async def test_a_selection_over_unreadable_bytes_copies_nothing(pattern: PatternTarget) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        _, hex_view = await open_view(pilot)
        await go_to(pilot, f"{pattern.guard - 0x10:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        await pilot.press("v", "j")  # into the PROT_NONE guard page
        assert hex_view.selection == (pattern.guard - 0x10, 17)
        await pilot.press("y")
        await wait_until(
            pilot, lambda: any("cannot be read" in str(n.message) for n in app._notifications)
        )
        assert app.clipboard == ""


async def test_a_copy_larger_than_the_limit_says_so(pattern_binary: Path) -> None:
    with running_pattern_target(pattern_binary, big_mib=2) as pattern:
        await copy_too_much(pattern)


async def copy_too_much(pattern: PatternTarget) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        _, hex_view = await open_view(pilot)
        await go_to(pilot, f"{pattern.big:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert pattern.big_size > COPY_LIMIT
        await pilot.press("v", "end")
        await pilot.press("y")
        assert any("copy at most 1.00 MiB" in str(n.message) for n in app._notifications)
        assert app.clipboard == ""
