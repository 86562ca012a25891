"""Writes through the memory view (memtui --pid PID --write), driven as a user would.

Without a writer no key of the view may change the target: the test checksums every
writable mapping of an idle target (blocked reading its stdin, so it changes nothing
itself) before and after pressing every key the view binds, typing into every prompt
they open. With one, ``e`` writes at the cursor after one confirmation, and ``u``
undoes; the target's bytes are read by the test itself through /proc/PID/mem.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import model_from_argv
from targets import Target, assert_running, peek, stopped_tasks
from targets.values import COUNTER_AT, U64_AT, running_values_target
from test_memory_view import ViewApp, go_to, open_view, wait_until
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static

from memtui.app import MemtuiApp
from memtui.core.process_memory.memory_writer import WRITE_OFF, MemoryWriter
from memtui.core.process_memory.proc_maps import read_maps
from memtui.screens.confirm_screen import ConfirmScreen
from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.hex_view import HexView
from memtui.widgets.mappings_table import MappingsTable

pytest_plugins = ["targets.fixtures"]


# The kernel writes the CPU a thread runs on into its rseq area (in glibc's thread
# control block) whenever it moves: as it may when a freeze lets it go. Without rseq
# registered, nothing but the program itself changes its memory.
NO_RSEQ = {"GLIBC_TUNABLES": "glibc.pthread.rseq=0"}


@pytest.fixture
def values(values_binary: Path) -> Iterator[Target]:
    with running_values_target(values_binary, environment=NO_RSEQ) as target:
        yield target
        if target.process.poll() is None:
            assert stopped_tasks(target.pid) == []


def writable_checksum(pid: int) -> dict[str, str]:
    """A digest of each writable mapping, read through /proc/PID/mem."""
    digests = {}
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for mapping in read_maps(pid):
            if "w" not in mapping.perms:
                continue
            mem.seek(mapping.start)
            data = mem.read(mapping.size)
            digests[f"{mapping.start:x} {mapping.path}"] = hashlib.sha256(data).hexdigest()
    return digests


def wait_blocked_reading(pid: int) -> None:
    """Wait until the target sleeps in read(2) on its stdin: past its start, where the
    dynamic linker still writes (binding getchar lazily), it changes nothing."""
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}/syscall").read_text().split()[0] != "0":
        assert time.monotonic() < deadline, "the target never blocked in read"
        time.sleep(0.01)


def notes(app: App[None]) -> list[str]:
    return [notification.message for notification in app._notifications]


def title(screen: MemoryScreen) -> str:
    return str(screen.query_one("#memory-title", Static).content)


def bound_keys(bindings: object) -> list[str]:
    keys = []
    for binding in bindings:  # type: ignore[attr-defined]
        key = binding[0] if isinstance(binding, tuple) else binding.key
        keys += [k.strip() for k in str(key).split(",") if k.strip() != "escape"]
    return keys


def view_keys() -> list[tuple[str, type[Widget]]]:
    """Every key the memory view, its hex view and its table bind, but Esc (it leaves),
    each with the widget that has the focus when it is pressed."""
    keys = [(key, HexView) for key in bound_keys(MemoryScreen.BINDINGS)]
    keys += [(key, HexView) for key in bound_keys(HexView.BINDINGS)]
    keys += [(key, MappingsTable) for key in bound_keys(MappingsTable.BINDINGS)]
    keys += [(key, MappingsTable) for key in ("tab", "enter", "e", "u")]
    # Keys other parts of memtui may take, pressed in case they take them.
    others = ["e", "u", "E", "U", "w", "W", "c", "v", "V", "y", "Y", "x", "X", "ctrl+z"]
    keys += [(key, HexView) for key in others]
    return keys


async def settle(pilot: Pilot[None], screen: MemoryScreen) -> None:
    """Let a search or save end, and close whatever screen was pushed on top."""
    await pilot.pause()
    await wait_until(pilot, lambda: screen._search_job is None and screen._save_job is None, 20)
    while pilot.app.screen is not screen:
        await pilot.press("escape")
        await pilot.pause()


async def back_to_the_view(pilot: Pilot[None], screen: MemoryScreen) -> None:
    """Answer whatever a key opened: type into a prompt, close screens pushed on top."""
    await settle(pilot, screen)
    prompt = pilot.app.focused
    if isinstance(prompt, Input):
        for text in ["41 42", '"hi"', "u32:5", "f64:2.5", f"{screen.pid:x}", "dump.bin"]:
            prompt.value = ""
            await pilot.press(*text, "enter")
            await settle(pilot, screen)
            if pilot.app.focused is not prompt:
                break
        if pilot.app.focused is prompt:
            await pilot.press("escape")


async def test_without_write_no_key_of_the_view_changes_the_targets_memory(
    values: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where `s` saves
    wait_blocked_reading(values.pid)
    before = writable_checksum(values.pid)
    assert writable_checksum(values.pid) == before  # the target changes nothing by itself
    app = ViewApp(values.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        assert screen.writer is None and not screen.query("#edit")
        assert "WRITE" not in title(screen)
        await go_to(pilot, f"{values.values + COUNTER_AT:x}")
        table = screen.query_one(MappingsTable)
        pressed = 0
        said: set[str] = set()  # toasts expire: a slow run would lose the early ones
        for key, focus in view_keys():
            (hex_view if focus is HexView else table).focus()
            await pilot.press(key)
            said.update(notes(app))
            await back_to_the_view(pilot, screen)
            pressed += 1
        assert pressed > 30
        assert WRITE_OFF in said  # e said so
        assert "--write" in WRITE_OFF
    assert writable_checksum(values.pid) == before
    assert stopped_tasks(values.pid) == []


async def test_a_write_is_confirmed_once_read_back_by_the_program_and_undone(
    values: Target,
) -> None:
    counter = values.values + COUNTER_AT
    u64 = values.values + U64_AT
    old_u64 = peek(values.pid, u64, 8)
    app = ViewApp(values.pid, auto_refresh=False, writer=MemoryWriter(values.pid))
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        assert title(screen).startswith(f"PID {values.pid} ") and " │ WRITE │ " in title(screen)
        await go_to(pilot, f"{counter:x}")
        await wait_until(pilot, lambda: hex_view.cursor_address == counter)

        await pilot.press("e", *"u8:0x41", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert peek(values.pid, counter, 1) == b"\x00"  # nothing before the yes
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert "Nothing written" in notes(app) and peek(values.pid, counter, 1) == b"\x00"

        await pilot.press("e", *"u8:0x41", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))  # asked again
        await pilot.press("y")
        await wait_until(pilot, lambda: peek(values.pid, counter, 1) == b"A")
        await wait_until(pilot, lambda: "WRITE (1 to undo)" in title(screen))
        assert f"Wrote 41 at 0x{counter:x} (was 00), read back the same; u undoes it" in notes(app)
        values.command("c", "changed")  # the program increments what was written
        assert peek(values.pid, counter, 1) == b"B"

        # Said yes once: the next write is not asked about. A typed value, little-endian.
        await go_to(pilot, f"{u64:x}")
        await wait_until(pilot, lambda: hex_view.cursor_address == u64)
        await pilot.press("e", *"u64:0x0102030405060708", "enter")
        await wait_until(pilot, lambda: peek(values.pid, u64, 8) == bytes(range(8, 0, -1)))
        assert app.screen is screen
        await wait_until(pilot, lambda: "WRITE (2 to undo)" in title(screen))
        # The view shows the new bytes.
        await wait_until(pilot, lambda: hex_view.bytes_at(u64, 8) == bytes(range(8, 0, -1)))

        await pilot.press("u")
        await wait_until(pilot, lambda: peek(values.pid, u64, 8) == old_u64)
        assert f"Undone: 0x{u64:x} holds {old_u64.hex(' ')} again; 1 more to undo" in notes(app)
        # The counter moved on since it was written: undo says so and leaves it.
        await pilot.press("u")
        await wait_until(pilot, lambda: "WRITE │" in title(screen))
        assert any(f"not undone: 0x{counter:x} holds 42 now" in note for note in notes(app))
        assert peek(values.pid, counter, 1) == b"B"
    assert stopped_tasks(values.pid) == []


async def test_the_view_refuses_writes_to_read_only_and_unmapped_memory(target: Target) -> None:
    known = peek(target.pid, target.known, 16)
    writer = MemoryWriter(target.pid)
    writer.confirmed = True  # asked in an earlier test
    app = ViewApp(target.pid, auto_refresh=False, writer=writer)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        text = next(m for m in screen.mappings if m.perms == "r-xp")
        await go_to(pilot, f"{text.start:x}")
        await wait_until(pilot, lambda: hex_view.cursor_address == text.start)
        code = peek(target.pid, text.start, 2)
        await pilot.press("e", *"90 90", "enter")
        message = (
            f"0x{text.start:x} is in {text.name} (r-xp), which is not writable: nothing written"
        )
        await wait_until(pilot, lambda: message in notes(app))
        assert peek(target.pid, text.start, 2) == code

        await go_to(pilot, f"{target.unmap:x}")
        await wait_until(pilot, lambda: hex_view.cursor_address == target.unmap)
        target.command("u", "unmapped")  # the view has not seen it go
        await pilot.press("e", *'"x"', "enter")
        message = f"0x{target.unmap:x} is not mapped: nothing written"
        await wait_until(pilot, lambda: message in notes(app))

        # And a bad edit keeps the prompt open, saying why in one line.
        await go_to(pilot, f"{target.known:x}")
        await pilot.press("e", *"hello", "enter")
        await pilot.pause()
        assert screen.query_one("#edit", Input).has_class("-shown")
        assert any(note.startswith("not hex bytes: 'hello'") for note in notes(app))
        await pilot.press("escape")
        assert writer.undo_count == 0
    assert peek(target.pid, target.known, 16) == known
    assert_running(target)


async def test_only_the_process_named_with_pid_gets_the_writer(
    values: Target, target: Target
) -> None:
    writer = MemoryWriter(values.pid)
    app = MemtuiApp(model_from_argv("--fields", "MemFree"), start_pid=values.pid, writer=writer)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen))
        assert isinstance(app.screen, MemoryScreen) and app.screen.writer is writer
        await pilot.press("escape")
        app.open_memory_view(target.pid)  # another process, as the picker opens it
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen))
        other = app.screen
        assert isinstance(other, MemoryScreen) and other.pid == target.pid
        assert other.writer is None and not other.query("#edit")
        await pilot.press("e")
        await pilot.pause()
        assert WRITE_OFF in notes(app)


def test_write_without_pid_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "--write"],
        capture_output=True,
        text=True,
        env={**os.environ, "TERM": "xterm"},
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == "memtui: --write goes with --pid PID, the process it may write to\n"
