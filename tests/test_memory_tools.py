"""Search, the data inspector, watching bytes change and save, driven as a user would.

The child (tests/targets/values_target.c) holds a known u64, double, pointers and
strings at known offsets of a page it prints, and changes a byte on cue.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import NOBODY, Target, as_nobody, stopped_tasks
from targets.numbers_process import running_numbers_target
from targets.numbers_target import F32_NAN_AT, F64_NAN_AT, FLT_MAX_AT, FLT_MAX_BE_AT
from targets.pattern import build_pattern_target, running_pattern_target
from targets.values import (
    COUNTER_AT,
    F64_AT,
    HEAP_POINTER_AT,
    NEEDLE,
    POINTER_AT,
    SECOND_NEEDLE_AT,
    U64,
    U64_AT,
    E,
    build_values_target,
    running_values_target,
)
from test_memory_view import ViewApp, go_to, open_view, wait_until
from test_output_files import LINK_REFUSED, NOT_YOURS
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_save import parse_save_request, save_steps, save_summary
from memtui.core.process_memory.memory_search import parse_query
from memtui.core.process_memory.proc_maps import read_maps
from memtui.screens.memory_screen import MemoryScreen
from memtui.screens.search_results_screen import SearchResultsScreen
from memtui.widgets.data_inspector import DataInspector

pytest_plugins = ["targets.fixtures"]


@pytest.fixture(scope="module")
def values_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_values_target(tmp_path_factory.mktemp("values"))


@pytest.fixture
def values(values_binary: Path) -> Iterator[Target]:
    with running_values_target(values_binary) as target:
        yield target


async def search(pilot: Pilot[None], screen: MemoryScreen, query: str) -> None:
    await pilot.press("slash", *query, "enter")
    await wait_until(pilot, lambda: screen._search_job is None, timeout=20)
    await pilot.pause()


def title(screen: MemoryScreen) -> str:
    return str(screen.query_one("#memory-title", Static).content)


async def test_text_hex_and_integer_searches_find_the_known_values_and_n_moves_on(
    values: Target,
) -> None:
    app = ViewApp(values.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, f"{values.values:x}")
        # Text: the search starts after the cursor, so the first match is the second copy.
        await search(pilot, screen, NEEDLE)
        second = values.values + SECOND_NEEDLE_AT
        assert list(screen.match_addresses) == [values.values, second]
        assert hex_view.cursor_address == second and hex_view.current_match == second
        assert hex_view.match_length == len(NEEDLE)
        await pilot.press("n")  # on to the next, wrapping round to the first
        assert hex_view.cursor_address == values.values == hex_view.current_match
        await pilot.press("N")
        assert hex_view.cursor_address == second
        # The same addresses as `memtui search`.
        command = subprocess.run(
            [sys.executable, "-m", "memtui", "search", str(values.pid), NEEDLE],
            capture_output=True,
            text=True,
            timeout=60,
        )
        printed = [int(line.split()[0], 16) for line in command.stdout.splitlines()]
        assert printed == list(screen.match_addresses)
        # The results list shows both, with their mapping; Enter goes to the chosen one.
        await pilot.press("m")
        assert isinstance(app.screen, SearchResultsScreen)
        results = app.screen.query_one(DataTable)
        # End and G go to the last row (not sideways, hiding the address), Home and g
        # to the first.
        await pilot.press("end")
        assert results.cursor_row == results.row_count - 1 and results.scroll_x == 0
        await pilot.press("g")
        assert results.cursor_row == 0
        await pilot.press("G", "home", "G")
        assert results.cursor_row == results.row_count - 1
        await pilot.press("up", "enter")
        assert app.screen is screen and hex_view.cursor_address == values.values

        await search(pilot, screen, "x:" + U64.to_bytes(8, "little").hex(" "))
        assert hex_view.cursor_address == values.values + U64_AT
        await go_to(pilot, f"{values.values:x}")
        await search(pilot, screen, f"u64:{U64:#x}")
        assert list(screen.match_addresses) == [values.values + U64_AT]
        assert hex_view.cursor_address == values.values + U64_AT
        await search(pilot, screen, "f64:2.718~0.001")
        assert hex_view.cursor_address == values.values + F64_AT

        await pilot.press("slash", *"u8:300", "enter")  # a bad query says why, stays open
        assert any("300 does not fit u8" in n.message for n in app._notifications)
        assert screen.query_one("#search").has_class("-shown")


async def test_the_inspector_shows_the_known_values_and_follows_pointers(
    values: Target,
) -> None:
    app = ViewApp(values.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await pilot.press("i")
        inspector = screen.query_one(DataInspector)
        assert inspector.display and screen.has_class("-inspector")

        async def inspect(offset: int) -> dict[str, str]:
            await go_to(pilot, f"{values.values + offset:x}")
            await wait_until(pilot, hex_view.visible_rows_loaded)
            await pilot.pause()
            assert inspector.inspection is not None
            return {row.label: row.little for row in inspector.inspection.rows}

        assert (await inspect(U64_AT))["u64"] == str(U64)
        assert (await inspect(F64_AT))["f64"] == repr(E)
        await inspect(POINTER_AT)
        assert inspector.inspection is not None
        assert inspector.inspection.pointer_target is not None
        assert inspector.inspection.pointer_target.start == values.other
        assert "→ [anon]+0x10 (r--p)" in inspector.inspection.pointer_text
        await inspect(HEAP_POINTER_AT)
        assert "→ [heap]+0x" in inspector.inspection.pointer_text
        await pilot.press("enter")  # follow the pointer into the heap
        assert hex_view.cursor_address == values.block
        await pilot.press("backspace")  # and back
        assert hex_view.cursor_address == values.values + HEAP_POINTER_AT
        await inspect(0)
        assert inspector.inspection.string == f'"{NEEDLE}"'


async def test_a_byte_the_child_changes_is_highlighted_after_refresh_and_fades(
    values: Target,
) -> None:
    app = ViewApp(values.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await go_to(pilot, f"{values.values:x}")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        counter = values.values + COUNTER_AT
        row = hex_view.row_layout.row_of(counter)
        assert row is not None

        async def refresh() -> None:
            await pilot.press("r")
            await wait_until(pilot, hex_view.visible_rows_loaded)
            await pilot.pause()

        await refresh()
        assert screen.changed_bytes == 0 and "│ 0 changed │" in title(screen)
        values.command("c", "changed")
        await refresh()
        assert screen.changed_bytes == 1 and "│ 1 changed │" in title(screen)
        assert hex_view.highlights(counter - counter % 16) == [(0, "hexview--changed-0")]
        hex_cell = hex_view.row_text(row)[13:15]
        assert hex_cell == "01"
        await refresh()  # no change this time: the highlight fades
        assert screen.changed_bytes == 0
        assert hex_view.highlights(counter - counter % 16) == [(0, "hexview--changed-1")]
        await refresh()
        await refresh()
        assert hex_view.highlights(counter - counter % 16) == []
        await pilot.press("f")  # no-stop mode says a row may be torn
        assert "no-stop (rows may be torn)" in title(screen)


async def test_a_cancelled_search_leaves_the_view_responsive(tmp_path: Path) -> None:
    binary = build_pattern_target(tmp_path)
    with running_pattern_target(binary, big_mib=256) as target:
        app = ViewApp(target.pid, auto_refresh=False)
        async with app.run_test(size=(120, 40)) as pilot:
            screen, hex_view = await open_view(pilot)
            await go_to(pilot, f"{target.pattern:x}")
            # What Enter in the search box does; Pilot's press would wait for the busy
            # search (256 MiB, a fifth of a second) to end before it returns.
            screen.start_search(parse_query("not-in-there"))
            assert screen._search_job is not None
            assert screen.query_one("#job").has_class("-shown")
            await pilot.press("escape")
            assert screen._search_job is None and not screen.query_one("#job").has_class("-shown")
            assert isinstance(app.screen, MemoryScreen)  # Esc cancelled, did not leave
            started = time.monotonic()
            await pilot.press("j", "j")
            assert hex_view.cursor_address == target.pattern + 32
            await go_to(pilot, f"{target.after:x}")
            await wait_until(pilot, hex_view.visible_rows_loaded)
            assert time.monotonic() - started < 5
            assert any("Search cancelled" in n.message for n in app._notifications)
        assert stopped_tasks(target.pid) == []  # every per-chunk freeze was released


def test_save_writes_0600_raw_or_hex_and_reports_errors(values: Target, tmp_path: Path) -> None:
    mappings = read_maps(values.pid)

    def save(text: str) -> str:
        request = parse_save_request(text, mappings, values.values + 5)
        with MemoryReader(values.pid) as reader:
            progress = [p for p in save_steps(reader, request) if p is not None]
        assert progress[-1].done
        return save_summary(request, progress[-1])

    raw = tmp_path / "page.bin"
    assert save(str(raw)).startswith(f"saved 4,096 bytes at 0x{values.values:x} to {raw}")
    assert (os.stat(raw).st_mode & 0o777) == 0o600
    data = raw.read_bytes()
    assert data[: len(NEEDLE)] == NEEDLE.encode() and data[U64_AT : U64_AT + 8] == U64.to_bytes(
        8, "little"
    )
    assert len(data) == 4096  # the values page alone: the 'B' page is a mapping of its own
    text = tmp_path / "head.txt"
    assert "(hex text)" in save(f"0x{values.values:x}..+32 {text}")
    assert text.read_text().splitlines()[0].endswith("MEMTUI-NEEDLE-42")
    assert save("/dev/full").startswith("disk full: could not write all of /dev/full")
    missing = tmp_path / "no" / "such" / "dir.bin"
    assert save(str(missing)) == f"cannot write {missing}: No such file or directory"
    # The last 16 bytes of a readable mapping and 16 unmapped ones after it.
    edge = next(
        m.end for m, after in itertools.pairwise(mappings) if m.readable and after.start > m.end
    )
    summary = save(f"0x{edge - 16:x}..+32 {tmp_path / 'edge.bin'}")
    assert "16 bytes could not be read and were written as zeros" in summary
    with pytest.raises(ValueError, match="the range is empty"):
        parse_save_request("0x2000..0x1000 x.bin", mappings, None)


async def test_s_saves_the_mapping_at_the_cursor(values: Target, tmp_path: Path) -> None:
    app = ViewApp(values.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_view(pilot)
        await go_to(pilot, f"{values.other + 8:x}")
        out = tmp_path / "other.bin"
        await pilot.press("s", *str(out), "enter")
        await wait_until(pilot, lambda: screen._save_job is None and out.exists())
        await wait_until(pilot, lambda: any("saved" in n.message for n in app._notifications))
        assert out.read_bytes() == b"B" * 4096


async def test_the_inspector_shows_flt_max_and_nan_payloads_without_crashing() -> None:
    # `ff ff 7f 7f` (FLT_MAX, in libc.so.6 too) once raised OverflowError here.
    with running_numbers_target() as (pid, address):
        app = ViewApp(pid, auto_refresh=False)
        async with app.run_test(size=(120, 40)) as pilot:
            screen, hex_view = await open_view(pilot)
            await pilot.press("i")
            inspector = screen.query_one(DataInspector)

            async def inspect(offset: int) -> dict[str, tuple[str, str]]:
                await go_to(pilot, f"{address + offset:x}")
                await wait_until(pilot, hex_view.visible_rows_loaded)
                await pilot.pause()
                assert inspector.inspection is not None
                return {row.label: (row.little, row.big) for row in inspector.inspection.rows}

            assert (await inspect(FLT_MAX_AT))["f32"][0] == "3.4028235e+38"
            assert (await inspect(FLT_MAX_BE_AT))["f32"][1] == "3.4028235e+38"
            assert (await inspect(F32_NAN_AT))["f32"][0] == "nan(0x1)"  # signalling, kept
            assert (await inspect(F64_NAN_AT))["f64"][0] == "-nan(0x8000000001234)"
            assert app.is_running


async def test_s_refuses_a_planted_link_another_users_file_and_no_name(
    values: Target, shared_dir: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    link = shared_dir / "link.bin"
    as_nobody("ln", "-s", str(victim), str(link))
    planted = shared_dir / "planted.bin"
    as_nobody("sh", "-c", f"echo nobody-was-here > '{planted}'")
    app = ViewApp(values.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_view(pilot)
        await go_to(pilot, f"{values.values:x}")

        def said(text: str) -> bool:
            return any(text in n.message for n in app._notifications)

        for path, reason in ((link, LINK_REFUSED), (planted, NOT_YOURS)):
            await pilot.press("s", *str(path), "enter")
            await wait_until(pilot, lambda r=reason: said(r))
            assert said(f"cannot write {path}: it {reason}")
            assert screen._save_job is None
        for text in ("", f"0x{values.values:x}..+16"):
            await pilot.press("s", *text, "enter")
            await wait_until(pilot, lambda: said("type a file name"))
            app.clear_notifications()
            await pilot.press("escape")  # close the prompt, which stays open to be fixed
        assert not os.path.exists(f"0x{values.values:x}..+16")
    assert victim.read_bytes() == b"precious"
    assert link.is_symlink() and planted.read_bytes() == b"nobody-was-here\n"
    assert os.stat(planted).st_uid == NOBODY
    assert sorted(os.listdir(shared_dir)) == ["link.bin", "planted.bin"]
