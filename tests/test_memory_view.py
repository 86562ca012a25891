"""The memory view driven as a user would: real child processes, key presses, Pilot.

The child holds a known ASCII pattern at an address it prints, beside a PROT_NONE
guard page; the rows the view draws are compared with those bytes.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.text import Text
from targets import Target, assert_running, stopped_tasks
from targets.pattern import (
    PatternTarget,
    pattern_page,
    running_pattern_target,
)
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from memtui.core.process_memory.address_expression import (
    parse_number,
    require_mapped,
    resolve_address,
)
from memtui.core.process_memory.hex_rows import (
    COLLAPSE_UNREADABLE_ABOVE,
    HexLayout,
    address_digits,
    format_row,
    format_row_text,
    marker_text,
    row_width,
)
from memtui.core.process_memory.memory_session import parse_smaps_rss
from memtui.core.process_memory.proc_maps import Mapping, parse_maps
from memtui.screens.help_screen import HelpScreen
from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.hex_view import HexView
from memtui.widgets.mappings_table import RENDER_CACHE_ENTRIES as MAPPINGS_TABLE_RENDERS

pytest_plugins = ["targets.fixtures"]

PROBE = Path(__file__).parent / "targets" / "memory_view_probe.py"
NOBODY = 65534


# -- pure formatting and parsing --------------------------------------------------------


def test_a_row_is_address_two_groups_of_hex_and_ascii() -> None:
    text = format_row_text(0x7F0012345670, b"Hello, world!\x00\x01\xff")
    assert text == (
        "7f0012345670 48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 00 01 ff │Hello, world!..."
    )
    assert len(text) == row_width(12) == 79


def test_unreadable_bytes_are_question_marks_never_zeros() -> None:
    data = bytes(16)  # the reader zeroes what it could not read
    text = format_row_text(0x1000, data, [(0x1004, 0x1008)])
    assert text == (
        "000000001000 00 00 00 00 ?? ?? ?? ??  00 00 00 00 00 00 00 00 │....░░░░........"
    )
    kinds = [kind for _, kind in format_row(0x1000, data, [(0x1004, 0x1008)])]
    assert kinds.count("hex_unreadable") == 4 and kinds.count("ascii_unreadable") == 4


def test_a_row_not_read_yet_is_dots_not_data() -> None:
    text = format_row_text(0x2000, None)
    assert "00" not in text[13:] and text.endswith("│" + "·" * 16)


def test_address_width_fits_user_space_and_grows_for_64_bit() -> None:
    assert address_digits(0x7FFF_FFFF_F000) == 12
    assert address_digits(1 << 56) == 16
    assert format_row_text(0xFF00_0000_0000_0000, bytes(16), digits=16).startswith(
        "ff00000000000000 "
    )


MAPS = """\
555555554000-555555556000 r--p 00000000 08:01 42  /usr/bin/demo
555555556000-555555558000 r-xp 00002000 08:01 42  /usr/bin/demo
555555559000-55555557a000 rw-p 00000000 00:00 0   [heap]
7f0000000000-7f0000001000 ---p 00000000 00:00 0
7f0000001000-7f0000002000 rw-p 00000000 00:00 0
7f1000000000-7f2000000000 ---p 00000000 00:00 0
7f3000000000-7f3000021000 r--p 00000000 08:01 7   /usr/lib/libstd++-x.so.6
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0   [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]
"""


@pytest.fixture
def mappings() -> list[Mapping]:
    return parse_maps(MAPS)


def test_layout_concatenates_mappings_with_one_row_per_gap(mappings: list[Mapping]) -> None:
    layout = HexLayout(mappings)
    assert layout.digits == 12  # [vsyscall] has rows of its own width: see below
    demo_rows = 0x4000 // 16
    assert layout.row_address(0) == 0x555555554000
    assert layout.row_address(demo_rows - 1) == 0x555555557FF0  # two mappings, no gap
    assert layout.row_address(demo_rows) is None  # the gap before [heap]
    assert layout.row_address(demo_rows + 1) == 0x555555559000
    # The small guard page keeps its rows (shown as ??); the 64 GiB reservation is one row.
    guard_row = layout.row_of(0x7F0000000010)
    assert guard_row is not None and layout.row_address(guard_row) == 0x7F0000000010
    big = layout.row_of(0x7F1800000000)
    assert big is not None and layout.row_address(big) is None
    assert COLLAPSE_UNREADABLE_ABOVE < 0xF000000000
    stack_end = layout.row_of(0x7FFC00020FF0)
    assert stack_end is not None and layout.row_address(stack_end) == 0x7FFC00020FF0
    # Rows stay few: the mappings' bytes / 16, not the address space's.
    assert layout.total_rows < 0x100000


VSYSCALL = 0xFFFFFFFFFF600000


def test_the_vsyscall_page_above_2_63_has_rows_of_question_marks(
    mappings: list[Mapping],
) -> None:
    layout = HexLayout(mappings)
    # After [stack]: one row for the 16 EiB gap, then the page's 256 rows, the last rows.
    stack = layout.row_of(0x7FFC00020FF0)
    assert stack is not None and layout.row_address(stack + 1) is None
    assert layout.row_address(stack + 2) == VSYSCALL
    assert layout.total_rows == stack + 2 + 0x1000 // 16
    assert layout.row_address(layout.total_rows - 1) == VSYSCALL + 0xFF0
    assert layout.row_of(VSYSCALL + 0x123) == stack + 2 + 0x12
    assert layout.read_ranges(stack, stack + 2) == [(0x7FFC00020FF0, 16), (VSYSCALL, 16)]
    gap = layout.block_at_row(stack + 1)
    assert gap is not None and marker_text(gap) == (
        "┄┄ 7ffc00021000-ffffffffff600000 unmapped (16.0 EiB) ┄┄"
    )
    # Its rows are as wide as its addresses; the rows of user space keep 12 digits,
    # so they still fit 80 columns.
    block = layout.block_of_address(VSYSCALL)
    assert block is not None and (block.digits, layout.digits) == (16, 12)
    row = format_row_text(VSYSCALL, bytes(16), [(VSYSCALL, VSYSCALL + 16)], block.digits)
    assert row == "ffffffffff600000 " + " ".join(["??"] * 8) + "  " + " ".join(["??"] * 8) + (
        " │" + "░" * 16
    )


def test_layout_read_ranges_merge_contiguous_mappings(mappings: list[Mapping]) -> None:
    layout = HexLayout(mappings)
    assert layout.read_ranges(0, 0x4000 // 16 + 3) == [
        (0x555555554000, 0x4000),
        (0x555555559000, 0x30),  # rows +1..+3: the gap row holds no bytes
    ]
    assert layout.read_ranges(-5, -1) == []


def test_layout_skips_marker_rows_when_moving(mappings: list[Mapping]) -> None:
    layout = HexLayout(mappings)
    gap = 0x4000 // 16
    assert layout.data_row_near(gap, 1) == gap + 1
    assert layout.data_row_near(gap, -1) == gap - 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0x7f0000001000", 0x7F0000001000),
        ("7f0000001010", 0x7F0000001010),
        ("[heap]", 0x555555559000),
        ("heap", 0x555555559000),
        ("[stack]+0x100", 0x7FFC00000100),
        ("[stack] + 100", 0x7FFC00000100),
        ("[stack]-10", 0x7FFBFFFFFFF0),
        ("[stack]+#4096", 0x7FFC00001000),
        ("demo+0x2000", 0x555555556000),  # the lowest mapping of a name is its base
        ("/usr/bin/demo", 0x555555554000),
        ("libstd++-x.so.6+10", 0x7F3000000010),  # + and - inside a name
        ("0x7f0000001000+0x20", 0x7F0000001020),
    ],
)
def test_address_expressions(mappings: list[Mapping], text: str, expected: int) -> None:
    assert resolve_address(text, mappings) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[vdso]", "no mapping named [vdso] in this process"),
        ("libz.so.1+0x10", "no mapping named libz.so.1 in this process"),
        ("hello", "not an address: hello"),
        ("", "type an address"),
        ("0x1ffffffffffffffff", "outside the 64-bit address space"),
        ("0x_10", "no underscores in numbers: '0x_10'"),
        ("7f_0000001000", "no underscores in numbers"),
        ("[heap]+0x_10", "no underscores in numbers: '0x_10'"),
        ("[stack]-#1_000", "no underscores in numbers: '#1_000'"),
    ],
)
def test_bad_address_expressions_say_why(mappings: list[Mapping], text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        resolve_address(text, mappings)


def test_numbers_and_mapped_check(mappings: list[Mapping]) -> None:
    assert parse_number("0X1F") == 31 and parse_number("#12") == 12 and parse_number("x") is None
    assert require_mapped(0x555555559010, mappings).path == "[heap]"
    with pytest.raises(ValueError, match="not mapped"):
        require_mapped(0x10, mappings)


def test_smaps_rss_per_mapping() -> None:
    text = (
        "555555554000-555555556000 r--p 00000000 08:01 42  /usr/bin/demo\n"
        "Size:                  8 kB\nRss:                   4 kB\nPss:   4 kB\n"
        "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0   [stack]\n"
        "Size:                132 kB\nRss:                  16 kB\n"
        "VmFlags: rd wr mr mw me gd ac\n"
    )
    assert parse_smaps_rss(text) == {0x555555554000: 4096, 0x7FFC00000000: 16384}


# -- the screen against real processes -------------------------------------------------


@pytest.fixture
def pattern(pattern_binary: Path) -> Iterator[PatternTarget]:
    with running_pattern_target(pattern_binary) as running:
        yield running
        if running.process.poll() is None:
            assert stopped_tasks(running.pid) == []


class ViewApp(App[None]):
    """The smallest app that shows the memory view, as the picker will push it."""

    def __init__(self, pid: int, **options: object) -> None:
        super().__init__()
        self.pid = pid
        self.options = options

    def on_mount(self) -> None:
        self.push_screen(MemoryScreen(self.pid, **self.options))  # type: ignore[arg-type]


async def wait_until(
    pilot: Pilot[None],
    condition: Callable[[], bool],
    timeout: float = 5,
    message: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for the view {message()}")
        await pilot.pause(0.02)


def focused(app: App[None]) -> Widget | None:
    """The focused widget, unnarrowed: it changes with every key press."""
    return app.focused


def memory_screen(app: App[None]) -> MemoryScreen:
    screen = app.screen
    assert isinstance(screen, MemoryScreen)
    return screen


async def open_view(pilot: Pilot[None]) -> tuple[MemoryScreen, HexView]:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, MemoryScreen))
    screen = memory_screen(pilot.app)
    await wait_until(pilot, lambda: bool(screen.mappings))
    return screen, screen.query_one(HexView)


async def go_to(pilot: Pilot[None], text: str) -> None:
    await pilot.press("g")
    await pilot.press(*text)
    await pilot.press("enter")


def screen_line(hex_view: HexView, y: int) -> str:
    """Line ``y`` of the hex view as drawn, without the padding to the widget's width."""
    return hex_view.render_line(y).text[: row_width(hex_view.row_layout.digits)]


def expected_row(address: int, data: bytes) -> str:
    return format_row_text(address, data)


async def test_mappings_list_and_goto_show_the_pattern_in_hex_and_ascii(
    pattern: PatternTarget,
) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await wait_until(pilot, lambda: app.focused is hex_view)  # the bytes have the keys
        table: DataTable[Text] = screen.query_one("#mappings", DataTable)
        row = table.get_row(str(pattern.pattern))
        assert [str(cell) for cell in row] == [
            f"{pattern.pattern:x}",
            f"{pattern.pattern + pattern.page:x}",
            "4.00 KiB",
            "4.00 KiB",
            "rw-p",
            "[anon]",
        ]
        assert str(table.get_row(str(pattern.guard))[4]) == "---p"
        heap = next(m for m in screen.mappings if m.path == "[heap]")
        assert str(table.get_row(str(heap.start))[5]) == "[heap]"  # not eaten as markup

        await go_to(pilot, f"0x{pattern.pattern + 0x20:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert hex_view.cursor_address == pattern.pattern + 0x20
        page = pattern_page(pattern.page)
        top = hex_view.row_layout.row_of(pattern.pattern)
        assert top is not None
        # The first two rows, where the ASCII pattern is, rendered as drawn on screen.
        row0 = hex_view.row_text(top)
        assert row0 == expected_row(pattern.pattern, page[:16])
        assert row0.endswith("│MEMTUI-PATTERN-0")
        row1 = hex_view.row_text(top + 1)
        assert row1 == expected_row(pattern.pattern + 16, page[16:32])
        assert row1.endswith("│123456789abcdef.")  # 0xdc is not ASCII: a dot
        # The strip on screen is that row: g puts the cursor's row at the top.
        cursor_row = hex_view.row_layout.row_of(pattern.pattern + 0x20)
        assert screen_line(hex_view, 0).startswith(f"{pattern.pattern + 0x20:012x} ")
        assert hex_view.cursor_row == cursor_row
        # The table follows the hex cursor into the pattern's mapping.
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == str(
            pattern.pattern
        )
        assert f"at {pattern.pattern + 0x20:x} [anon]+0x20" in str(
            screen.query_one("#memory-title", Static).content
        )


async def test_the_guard_page_shows_question_marks(pattern: PatternTarget) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(100, 30)) as pilot:
        _, hex_view = await open_view(pilot)
        # Start two rows above the guard page: readable bytes, then the guard.
        await go_to(pilot, f"{pattern.guard - 0x20:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        lines = [screen_line(hex_view, y) for y in range(6)]
        page = pattern_page(pattern.page)
        assert lines[0] == expected_row(pattern.guard - 0x20, page[-32:-16])
        guard = f"{pattern.guard:012x} " + " ".join(["??"] * 8) + "  " + " ".join(["??"] * 8)
        assert lines[2] == guard + " │" + "░" * 16
        assert all("4e" not in line[13:] and "N" not in line[-16:] for line in lines[2:])
        # Just past the guard, the 'H' page reads again.
        await go_to(pilot, f"{pattern.after:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert screen_line(hex_view, 0).endswith("│" + "H" * 16)


async def test_the_vsyscall_page_is_listed_and_shown_as_unreadable(pattern: PatternTarget) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        table: DataTable[Text] = screen.query_one("#mappings", DataTable)
        row = [str(cell) for cell in table.get_row(str(VSYSCALL))]
        assert row == [
            "ffffffffff600000",
            "ffffffffff601000",
            "4.00 KiB",
            "0 B",
            "--xp",
            "[vsyscall]",
        ]
        await go_to(pilot, "[vsyscall]+0x10")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert hex_view.cursor_address == VSYSCALL + 0x10
        assert "at ffffffffff600010 [vsyscall]+0x10" in str(
            screen.query_one("#memory-title", Static).content
        )
        question_marks = " ".join(["??"] * 8)
        line = hex_view.render_line(0).text
        assert line.startswith(f"ffffffffff600010 {question_marks}  {question_marks} │░░░░")
        # The rows of user space keep their 12 digits and 79 columns.
        assert hex_view.virtual_size.width == row_width(12)
        await go_to(pilot, f"{pattern.pattern:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert screen_line(hex_view, 0).startswith(f"{pattern.pattern:012x} 4d 45 4d")


async def test_mapping_name_goto_enter_in_table_tab_and_bad_input(
    pattern: PatternTarget,
) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, "[stack]+0x100")
        stack = next(m for m in screen.mappings if m.path == "[stack]")
        assert hex_view.cursor_address == stack.start + 0x100

        await go_to(pilot, "[nosuch]")
        await pilot.pause()
        assert screen.query_one("#goto", Input).has_class("-shown")  # stays open to fix
        assert any("no mapping named [nosuch]" in n.message for n in app._notifications)
        await pilot.press("escape")  # closes the input, not the view
        assert isinstance(app.screen, MemoryScreen) and app.focused is hex_view

        await pilot.press("tab")
        table: DataTable[Text] = screen.query_one("#mappings", DataTable)
        assert focused(app) is table
        table.move_cursor(row=table.get_row_index(str(pattern.pattern)))
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is hex_view and hex_view.cursor_address == pattern.pattern


PASTE = 10_000


@pytest.mark.parametrize(
    ("key", "text", "says"),
    [
        pytest.param("g", "x" * PASTE, "not an address", id="goto-text"),
        pytest.param("g", "7f" * (PASTE // 2), "outside the 64-bit", id="goto-hex"),
        pytest.param("g", "[heap]+#" + "9" * (PASTE - 8), "outside the 64-bit", id="goto-decimal"),
        pytest.param("slash", "x:" + "z" * (PASTE - 2), "not hex bytes", id="search-hex"),
        pytest.param("slash", "u32:" + "9" * (PASTE - 4), "does not fit u32", id="search-u32"),
        # A search that runs, then says it found nothing.
        pytest.param("slash", "q" * PASTE, "No match for text", id="search-text"),
        pytest.param(
            "s",
            "[heap].." + "7f" * (PASTE // 2 - 4) + " out.bin",
            "outside the 64-bit",
            id="save-end",
        ),
        pytest.param(
            "s", "[heap]..+" + "9" * (PASTE - 17) + " out.bin", "too large", id="save-size"
        ),
        # Longer than a path may be.
        pytest.param("s", "/tmp/" + "n" * (PASTE - 5), "cannot write", id="save-path"),
    ],
)
async def test_a_10_kb_paste_is_echoed_cut_short(
    pattern: PatternTarget, key: str, text: str, says: str
) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        _, hex_view = await open_view(pilot)
        await go_to(pilot, f"{pattern.pattern:x}")  # the save's FILE is the mapping there
        await wait_until(pilot, lambda: app.focused is hex_view)
        await pilot.press(key)
        await wait_until(pilot, lambda: isinstance(app.focused, Input))
        app.post_message(events.Paste(text))  # as a terminal delivers a paste
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any(says in n.message for n in app._notifications),
            timeout=20,
            message=lambda: str([n.message[:80] for n in app._notifications]),
        )
        messages = [n.message for n in app._notifications]
        assert any(re.search(r"… \([0-9]+,[0-9]{3} characters\)", message) for message in messages)
        assert max(len(message) for message in messages) < 250, messages


async def test_keys_move_across_mappings_and_mapping_ends(pattern: PatternTarget) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(80, 24)) as pilot:
        _, hex_view = await open_view(pilot)
        await go_to(pilot, f"{pattern.pattern:x}")
        await pilot.press("end")  # the last byte of the pattern's page
        assert hex_view.cursor_address == pattern.pattern + pattern.page - 1
        await pilot.press("right")  # on into the guard page, which adjoins it
        assert hex_view.cursor_address == pattern.guard
        # At the start of the guard already, Home goes on to the start of the one before.
        await pilot.press("home")
        assert hex_view.cursor_address == pattern.pattern
        await pilot.press("l", "j", "j", "k", "h")
        assert hex_view.cursor_address == pattern.pattern + 16
        before = int(hex_view.scroll_y)
        await pilot.press("pagedown")
        height = hex_view.scrollable_content_region.height
        assert int(hex_view.scroll_y) == before + height
        assert hex_view.cursor_address == pattern.pattern + 16 + 16 * height
        await wait_until(pilot, hex_view.visible_rows_loaded)
        for _ in range(3):  # End, End, End: on through the guard and 'H' pages
            await pilot.press("end")
        assert hex_view.cursor_address == pattern.after + pattern.page - 1
        await pilot.press("pagedown")  # and Page Down runs on past the mapping's end
        assert hex_view.cursor_address is not None
        assert hex_view.cursor_address > pattern.after + pattern.page


async def test_freeze_and_auto_refresh_keys_show_their_mode(pattern: PatternTarget) -> None:
    app = ViewApp(pattern.pid, interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        title = screen.query_one("#memory-title", Static)
        assert " │ freeze │ auto 0.1s │ " in str(title.content)
        reads = screen.session.reads if screen.session else 0
        await pilot.pause(0.6)
        assert screen.session is not None and screen.session.reads >= reads + 2  # refreshing
        await pilot.press("a")
        assert "auto off" in str(title.content)
        await pilot.press("f")
        assert "│ no-stop (rows may be torn) │" in str(title.content)
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert "not stopped" in screen.status
        await pilot.press("r", "f")
        await wait_until(
            pilot,
            lambda: screen.status.endswith(", frozen"),
            message=lambda: f"{screen.status} {screen.failure}",
        )
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_table: DataTable[str] = app.screen.query_one(DataTable)
        drawn = [help_table.render_line(y).text for y in range(help_table.size.height)]
        goto_line = next(line for line in drawn if "Go to an address" in line)
        assert "[heap], [stack]+0x100" in goto_line  # drawn as typed, not read as markup
        await pilot.press("escape", "escape")
        assert not isinstance(app.screen, MemoryScreen | HelpScreen)  # back to what was below


async def test_exit_shows_a_banner_and_keeps_the_last_data(pattern: PatternTarget) -> None:
    app = ViewApp(pattern.pid, interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, f"{pattern.pattern:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        shown = [screen_line(hex_view, y) for y in range(10)]
        pattern.stop()
        banner = screen.query_one("#memory-banner", Static)
        await wait_until(pilot, lambda: banner.has_class("-shown"))
        assert str(banner.content) == (
            f"Process {pattern.pid} (pattern_target) has exited — showing the last data read"
        )
        await pilot.press("r")
        await pilot.pause(0.3)
        assert [screen_line(hex_view, y) for y in range(10)] == shown
        assert shown[0].endswith("│MEMTUI-PATTERN-0")
        assert "auto off" in str(screen.query_one("#memory-title", Static).content)


async def test_a_kernel_thread_says_so_instead_of_an_empty_view() -> None:
    app = ViewApp(2, auto_refresh=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen))
        screen = memory_screen(app)
        await wait_until(pilot, lambda: screen.failure is not None)
        message = str(screen.query_one("#memory-message", Static).content)
        assert "is a kernel thread: it has no user memory to show" in message
        assert screen.has_class("-empty")


def test_a_process_of_another_user_shows_why_it_may_not_be_read(
    pattern_binary: Path,
) -> None:
    # Being refused is a property of the viewer: run the view itself as nobody (in a
    # subprocess) on a process of root's.
    if os.geteuid() != 0:
        pytest.skip("needs root to run the view as another user")
    with running_pattern_target(pattern_binary) as target:
        probe = subprocess.run(
            [
                "setpriv",
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                sys.executable,
                str(PROBE),
                str(target.pid),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=PROBE.parent,
        )
        assert probe.returncode == 0, probe.stderr
        seen = json.loads(probe.stdout)
    reason = "it runs as root (uid 0) and you are nobody (uid 65534) without CAP_SYS_PTRACE"
    assert seen["banner"].startswith(f"Cannot read process {target.pid} (pattern_target): ")
    assert reason in seen["banner"] and reason in seen["message"]
    assert seen["hex_shown"] is False and seen["status"] == "permission denied"


async def test_quitting_in_the_middle_of_refreshes_never_leaves_the_target_stopped(
    target: Target,
) -> None:
    # Refresh as fast as the timer allows, under freeze, and quit at random moments:
    # the session's close() waits for the read, whose freeze is always released.
    chance = random.Random(3)
    for _ in range(6):
        app = ViewApp(target.pid, interval=0.01, auto_refresh=False)
        async with app.run_test(size=(120, 60)) as pilot:
            screen, _ = await open_view(pilot)
            await go_to(pilot, f"{target.known:x}")
            # Pilot's press waits for a quiet app, which a 20 Hz refresh never is: so
            # turn auto-refresh on last, and only sleep after it.
            await pilot.press("a")
            session = screen.session
            assert session is not None
            reads = session.reads
            deadline = time.monotonic() + 5
            while session.reads <= reads and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert session.reads > reads  # refreshing: reads under freeze keep coming
            await asyncio.sleep(chance.uniform(0.0, 0.2))
        assert stopped_tasks(target.pid) == []
    assert_running(target)  # every thread runs and counts; no tracer is left attached


# -- the view's own memory (issue 9, item 14) ---------------------------------------------

RSS_CHURN = Path(__file__).parent / "targets" / "rss_churn.py"
REFRESHES = 200


def table_render_entries(table: DataTable[Text]) -> int:
    """Rendered cells, rows and lines the mappings table holds for later paints."""
    caches = (
        table._cell_render_cache,
        table._row_render_cache,
        table._row_renderable_cache,
        table._line_cache,
    )
    return sum(len(cache) for cache in caches)


async def refresh_rss(pilot: Pilot[None], screen: MemoryScreen, times: int) -> None:
    """Press r ``times`` times, each time until the new RSS figures are painted."""
    for _ in range(times):
        await refresh_rss_once(pilot, screen)


async def refresh_rss_once(pilot: Pilot[None], screen: MemoryScreen) -> None:
    shown = screen.rss
    await pilot.press("r")
    await wait_until(pilot, lambda: screen.rss is not shown)
    await pilot.pause()


async def test_refreshing_keeps_the_mappings_tables_render_caches_small() -> None:
    # DataTable keys its render caches by a counter that each update_cell bumps, so
    # every new RSS figure left a screenful of renders that no paint asks for again,
    # up to 10,000 cells and 3,000 rows and lines: 14 MiB of a 10-minute view.
    churn = subprocess.Popen([sys.executable, str(RSS_CHURN)], stdout=subprocess.PIPE)
    try:
        assert churn.stdout is not None and churn.stdout.readline() == b"ready\n"
        app = ViewApp(churn.pid, auto_refresh=False)
        async with app.run_test(size=(120, 40)) as pilot:
            screen, _ = await open_view(pilot)
            table: DataTable[Text] = screen.query_one("#mappings", DataTable)
            await refresh_rss(pilot, screen, REFRESHES)
            # Each refresh re-rendered the rows on screen (~12 of them, 6 cells each).
            assert table_render_entries(table) <= MAPPINGS_TABLE_RENDERS
    finally:
        churn.kill()
        churn.wait()
        assert churn.stdout is not None
        churn.stdout.close()


async def test_a_refresh_that_changes_no_figure_renders_nothing_anew(
    pattern: PatternTarget,
) -> None:
    app = ViewApp(pattern.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_view(pilot)
        table: DataTable[Text] = screen.query_one("#mappings", DataTable)
        await refresh_rss(pilot, screen, 2)
        before = table_render_entries(table)
        await refresh_rss(pilot, screen, 20)
        # The pattern target's RSS stands still: no cell was updated, none rendered.
        assert table_render_entries(table) == before
