"""A live process is never called gone: one that exec'd, one whose main thread exited
while its other threads run, and a zombie, which is not live and says so.

Real targets: target.c exits its main thread (``x``) or execs another program
(``e``) on cue; a zombie is a child of this test that has exited and is not waited for.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import Binaries, Target, assert_running, start_target, stopped_tasks, task_states
from targets.pattern import pattern_page, pattern_target_in
from test_memory_reader import KNOWN, METHODS, PAGE

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.proc_maps import find_mapping, read_maps
from memtui.core.process_memory.reader_errors import (
    ProcessExeced,
    ProcessExitedDuringRead,
    ZombieProcess,
)

pytest_plugins = ["targets.fixtures"]


def memtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memtui", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def leaderless(binaries: Binaries) -> Iterator[Target]:
    """A target with three workers whose main thread has exited (a zombie leader)."""
    running = start_target(binaries.target, threads=3)
    try:
        running.exit_leader()
        yield running
        assert_running(running)
    finally:
        running.stop()


@pytest.fixture
def zombie() -> Iterator[int]:
    """A child of this test that has exited and that nobody has waited for yet."""
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 5
    while task_states(child.pid).get(child.pid) != "Z":
        assert time.monotonic() < deadline, "the child did not become a zombie"
        time.sleep(0.01)
    try:
        yield child.pid
    finally:
        child.wait()


# -- a main thread that exited while the others run ------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_a_process_whose_main_thread_exited_is_read_through_a_live_thread(
    leaderless: Target, method: str
) -> None:
    assert task_states(leaderless.pid)[leaderless.pid] == "Z"
    for freeze in (True, False) if method != "peek" else (True,):
        with MemoryReader(leaderless.pid, method=method, freeze=freeze) as reader:
            result = reader.read(leaderless.known, PAGE)
            assert result.complete and bytes(result.data) == KNOWN
            assert reader.task != leaderless.pid  # read through one of the workers
    assert stopped_tasks(leaderless.pid) == []


def test_maps_dump_and_search_read_a_process_whose_main_thread_exited(
    leaderless: Target,
) -> None:
    mapping = find_mapping(read_maps(leaderless.pid), leaderless.known)
    assert mapping is not None and mapping.readable
    listed = memtui("maps", str(leaderless.pid))
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"^0*{mapping.start:x}-0*{mapping.end:x} ", listed.stdout, re.M)
    assert "[stack]" in listed.stdout
    dumped = memtui("dump", str(leaderless.pid), hex(leaderless.known), "16")
    assert dumped.returncode == 0, dumped.stderr
    assert "".join(dumped.stdout.split()[1:9]) == KNOWN[:16].hex()
    found = memtui("search", str(leaderless.pid), KNOWN[100:116].hex(), "--type", "hex")
    assert found.returncode == 0, found.stderr
    assert f"0x{leaderless.known + 100:x} [anon]" in found.stdout.splitlines()


# -- a zombie ---------------------------------------------------------------------------


def test_a_zombie_is_said_to_be_one_not_shown_as_an_empty_table(zombie: int) -> None:
    with pytest.raises(ZombieProcess, match="zombie"):
        read_maps(zombie)
    with pytest.raises(ZombieProcess):
        MemoryReader(zombie)
    parent = f"{os.getpid()} ({Path('/proc/self/comm').read_text().strip()})"
    for command in (["maps"], ["dump", "0x1000", "16"], ["search", "x"]):
        result = memtui(command[0], str(zombie), *command[1:])
        assert result.returncode == 1, command
        assert result.stdout == ""
        assert result.stderr == (
            f"memtui: process {zombie} (true) has exited but its parent {parent} has not "
            "reaped it yet (a zombie): it has no memory left to read\n"
        )


# -- exec -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("leader", ["main thread", "worker after the main thread exited"])
def test_a_reader_follows_an_exec_and_says_so(
    binaries: Binaries, pattern_binary: Path, method: str, leader: str
) -> None:
    running = start_target(binaries.target, threads=2)
    try:
        if leader != "main thread":
            running.exit_leader()
        with MemoryReader(running.pid, method=method) as reader:
            assert bytes(reader.read(running.known, PAGE).data) == KNOWN
            running.exec_program(pattern_binary)
            image = pattern_target_in(running.process)  # the new program's line
            with pytest.raises(ProcessExeced) as info:
                reader.read(image.pattern, PAGE)
            assert str(info.value) == (
                f"process {running.pid} exec'd pattern_target: the memory it had is gone"
            )
            assert info.value.name == "pattern_target"
            # The reader now reads the new program.
            assert reader.task == running.pid
            result = reader.read(image.pattern, PAGE)
            assert result.complete and bytes(result.data) == pattern_page(PAGE)
        assert stopped_tasks(running.pid) == []
    finally:
        running.stop()


def test_an_exec_seen_while_idle_and_an_exit_after_it(
    binaries: Binaries, pattern_binary: Path
) -> None:
    running = start_target(binaries.target, threads=1)
    try:
        with MemoryReader(running.pid, freeze=False) as reader:
            reader.check_address_space()  # nothing happened: no error
            running.exec_program(pattern_binary)
            pattern_target_in(running.process)
            with pytest.raises(ProcessExeced):
                reader.check_address_space()
            reader.check_address_space()  # once said, the new program is the one read
            running.stop()
            with pytest.raises(ProcessExitedDuringRead):
                reader.check_address_space()
    finally:
        running.stop()


def test_dump_says_the_process_execd_rather_than_that_it_is_gone(
    binaries: Binaries, pattern_binary: Path
) -> None:
    # The exec lands between the reader's open and its first read: the dump must not
    # mix two programs' bytes, nor call the process gone.
    running = start_target(binaries.target, threads=1)
    try:
        reader = MemoryReader(running.pid)
        running.exec_program(pattern_binary)
        pattern_target_in(running.process)
        with reader, pytest.raises(ProcessExeced, match="exec'd pattern_target"):
            list(reader.stream(running.known, PAGE))
    finally:
        running.stop()
