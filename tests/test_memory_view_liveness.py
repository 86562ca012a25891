"""The memory view while its process changes under it: an exec, a main thread that
exits while the others run, and a mapping unmapped while on screen.

Driven as a user would (Pilot) against target.c, which does each of these on cue.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import Binaries, Target, assert_running, start_target, stopped_tasks, task_states
from targets.pattern import pattern_target_in
from test_memory_reader import KNOWN
from test_memory_view import ViewApp, go_to, open_view, screen_line, wait_until
from textual.widgets import Static

from memtui.core.process_memory.hex_rows import format_row_text
from memtui.core.process_memory.proc_maps import find_mapping
from memtui.screens.memory_screen import MemoryScreen

pytest_plugins = ["targets.fixtures"]


@pytest.fixture
def single(binaries: Binaries) -> Iterator[Target]:
    """target.c with one worker; its teardown checks nothing is left stopped."""
    running = start_target(binaries.target, threads=1)
    try:
        yield running
        if running.process.poll() is None:
            assert stopped_tasks(running.pid) == []
    finally:
        running.stop()


def banner(screen: MemoryScreen) -> Static:
    return screen.query_one("#memory-banner", Static)


def title(screen: MemoryScreen) -> str:
    return str(screen.query_one("#memory-title", Static).content)


@pytest.mark.parametrize("auto_refresh", [True, False])
async def test_an_exec_is_followed_and_said_not_called_an_exit(
    single: Target, pattern_binary: Path, auto_refresh: bool
) -> None:
    app = ViewApp(single.pid, interval=0.2, auto_refresh=auto_refresh)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, f"{single.known:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert screen_line(hex_view, 0) == format_row_text(single.known, KNOWN[:16])
        single.exec_program(pattern_binary)
        image = pattern_target_in(single.process)
        # Seen on the next refresh, or, with auto-refresh off, by the idle check.
        await wait_until(pilot, lambda: banner(screen).has_class("-shown"))
        assert str(banner(screen).content) == (
            f"Process {single.pid} exec'd pattern_target: showing the new program "
            "(the memory it had is gone)"
        )
        assert not screen.exited and not banner(screen).has_class("-error")
        await wait_until(pilot, lambda: find_mapping(screen.mappings, image.pattern) is not None)
        assert find_mapping(screen.mappings, single.known) is None or single.known in (
            image.pattern,
            image.guard,
            image.after,
        )
        await wait_until(pilot, lambda: "pattern_target" in title(screen))
        await go_to(pilot, f"{image.pattern:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert screen_line(hex_view, 0).endswith("│MEMTUI-PATTERN-0")
        assert f"at {image.pattern:x} [anon]+0x0" in title(screen)


async def test_the_view_reads_on_after_the_main_thread_exits(binaries: Binaries) -> None:
    running = start_target(binaries.target, threads=2)
    try:
        app = ViewApp(running.pid, interval=0.2)
        async with app.run_test(size=(120, 40)) as pilot:
            screen, hex_view = await open_view(pilot)
            await go_to(pilot, f"{running.known:x}")
            await wait_until(pilot, hex_view.visible_rows_loaded)
            running.exit_leader()
            await wait_until(pilot, lambda: banner(screen).has_class("-shown"))
            assert str(banner(screen).content).startswith(
                f"The main thread of process {running.pid} has exited; its other threads "
                "run on: reading through thread "
            )
            assert not screen.exited and screen.status != "exited"
            hex_view.reload()
            await wait_until(pilot, hex_view.visible_rows_loaded)
            assert screen_line(hex_view, 0) == format_row_text(running.known, KNOWN[:16])
            assert "freeze" in title(screen) and screen.status.endswith(", frozen")
        assert_running(running)
    finally:
        running.stop()


async def test_a_view_opened_after_the_main_thread_exited_shows_the_memory(
    binaries: Binaries,
) -> None:
    running = start_target(binaries.target, threads=2)
    try:
        running.exit_leader()
        app = ViewApp(running.pid, auto_refresh=False)
        async with app.run_test(size=(120, 40)) as pilot:
            screen, hex_view = await open_view(pilot)
            await go_to(pilot, f"{running.known:x}")
            await wait_until(pilot, hex_view.visible_rows_loaded)
            assert screen_line(hex_view, 0) == format_row_text(running.known, KNOWN[:16])
            assert not screen.exited
        assert_running(running)
    finally:
        running.stop()


async def test_when_the_viewed_mapping_is_unmapped_header_and_rows_agree(
    single: Target,
) -> None:
    app = ViewApp(single.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        unmapped = single.unmap + 0x1010
        await go_to(pilot, f"{unmapped:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert screen_line(hex_view, 0).endswith("│" + "U" * 16)
        single.command("u", "unmapped")
        await pilot.press("r")
        await wait_until(pilot, lambda: find_mapping(screen.mappings, unmapped) is None)
        await wait_until(pilot, hex_view.visible_rows_loaded)
        # The cursor is on a row on screen, and the header names what that row shows.
        top = int(hex_view.scroll_y)
        height = hex_view.scrollable_content_region.height
        assert top <= hex_view.cursor_row < top + height
        cursor = hex_view.cursor_address
        assert cursor is not None
        mapping = find_mapping(screen.mappings, cursor)
        assert mapping is not None
        assert f"at {cursor:x} {mapping.name}+0x{cursor - mapping.start:x}" in title(screen)
        row = hex_view.cursor_row - top
        assert screen_line(hex_view, row).startswith(f"{cursor - cursor % 16:012x} ")
        # And the view says where the bytes went.
        assert any(
            n.message.startswith(f"0x{unmapped:x} was unmapped: now at 0x{cursor:x}")
            for n in app._notifications
        ), [n.message for n in app._notifications]


async def test_a_zombie_says_it_is_one() -> None:
    child = subprocess.Popen(["true"])
    try:
        deadline = time.monotonic() + 5
        while task_states(child.pid).get(child.pid) != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        app = ViewApp(child.pid, auto_refresh=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen))
            screen = app.screen
            assert isinstance(screen, MemoryScreen)
            await wait_until(pilot, lambda: screen.failure is not None)
            text = (
                f"Process {child.pid} (true) is a zombie: it has exited, but its parent has "
                "not reaped it yet; it has no memory left to show"
            )
            assert str(banner(screen).content) == text
            assert str(screen.query_one("#memory-message", Static).content) == text
    finally:
        child.wait()
