"""Why a freeze or a read is refused, said truly: a tracer on any thread is named, memtui
says it cannot freeze itself before it tries, and a refusal by a security module
says which modules /sys/kernel/security/lsm lists, or that it cannot tell.

Real processes: tracer.c or strace on one worker thread of target.c, memtui
exec'd in place of a shell so that the pid it is given is its own, and memtui in a
Landlock sandbox (tests/targets/landlocked.py) refused a target outside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import Binaries, Target, assert_running, stopped_tasks
from test_memory_view import ViewApp, open_view, wait_until
from textual.widgets import Static

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.process_facts import (
    LSM_LIST,
    describe_security_modules,
    explain_permission_denied,
    security_modules,
)
from memtui.core.process_memory.process_freeze import ProcessFreeze
from memtui.core.process_memory.reader_errors import CannotFreezeItself, PermissionDenied
from memtui.core.processes.process_table import ProcessTableSampler
from memtui.screens.process_picker_screen import row_detail

pytest_plugins = ["targets.fixtures"]

LANDLOCKED = Path(__file__).parent / "targets" / "landlocked.py"
NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
# A process of nobody's that sets its dumpable flag to argv[1] (prctl PR_SET_DUMPABLE).
SLEEPER = (
    "import ctypes, sys, time; ctypes.CDLL(None).prctl(4, int(sys.argv[1]), 0, 0, 0); "
    "print('ready', flush=True); time.sleep(120)"
)


def memtui(*args: str, via: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    command = via or [sys.executable, "-m", "memtui"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)


def worker_of(target: Target) -> int:
    return max(int(name) for name in os.listdir(f"/proc/{target.pid}/task"))


def wait_traced(pid: int, tid: int) -> int:
    """The TracerPid of thread ``tid`` once it has one."""
    deadline = time.monotonic() + 10
    while True:
        for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
            if line.startswith("TracerPid:") and line.split()[1] != "0":
                return int(line.split()[1])
        assert time.monotonic() < deadline, f"thread {tid} was not traced"
        time.sleep(0.01)


@pytest.fixture
def traced_worker(target: Target, binaries: Binaries) -> Iterator[tuple[int, int]]:
    """(thread, tracer): tracer.c holds one worker thread of ``target`` traced."""
    tid = worker_of(target)
    tracer = subprocess.Popen([str(binaries.tracer), str(tid)], stdout=subprocess.PIPE, text=True)
    try:
        assert tracer.stdout is not None and tracer.stdout.readline().strip() == "seized"
        yield tid, tracer.pid
    finally:
        tracer.kill()
        tracer.wait()


# -- a tracer on a thread other than the main one ---------------------------------------


def test_a_tracer_on_one_worker_thread_is_named(
    target: Target, traced_worker: tuple[int, int]
) -> None:
    tid, tracer = traced_worker
    with pytest.raises(PermissionDenied) as info, ProcessFreeze(target.pid):
        pass
    assert info.value.reason == (
        f"its thread {tid} is already traced by TracerPid {tracer} (memtui-tracer); a "
        "thread can have one tracer only: detach that debugger, or read with --no-freeze"
    )
    assert stopped_tasks(target.pid) == []


def test_strace_on_one_thread_is_named_by_dump(target: Target) -> None:
    tid = worker_of(target)
    strace = subprocess.Popen(
        ["strace", "-o", os.devnull, "-p", str(tid)], stderr=subprocess.DEVNULL
    )
    try:
        assert wait_traced(target.pid, tid) == strace.pid
        result = memtui("dump", str(target.pid), hex(target.known), "16")
        assert result.returncode == 1
        assert result.stderr == (
            f"memtui: may not read process {target.pid}: its thread {tid} is already traced "
            f"by TracerPid {strace.pid} (strace); a thread can have one tracer only: detach "
            "that debugger, or read with --no-freeze\n"
        )
        assert (
            memtui("dump", str(target.pid), hex(target.known), "16", "--no-freeze").returncode == 0
        )
    finally:
        strace.terminate()
        strace.wait()
    assert_running(target)


# -- memtui on itself -------------------------------------------------------------------


def as_itself(command: str) -> tuple[str, subprocess.CompletedProcess[str]]:
    """(pid, result) of memtui run in place of a shell that passes it its own pid ($$)."""
    line = f"echo $$; exec {sys.executable} -m memtui {command}"
    result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=60)
    pid, _, output = result.stdout.partition("\n")
    return pid, subprocess.CompletedProcess(result.args, result.returncode, output, result.stderr)


def test_memtui_says_it_cannot_freeze_itself_before_trying() -> None:
    for command in ("dump $$ 0x1000 16", "search $$ memtui"):
        pid, result = as_itself(command)
        assert result.returncode == 1, command
        assert result.stdout == ""
        assert result.stderr == (
            f"memtui: process {pid} is memtui itself, and a process cannot freeze (ptrace) "
            "itself: add --no-freeze to read it without stopping it\n"
        )
    # Without the freeze it reads itself: its own command line is in its memory.
    _, found = as_itself("search $$ memtui-reads-itself --no-freeze --limit 1")
    assert found.returncode == 0 and found.stdout.startswith("0x"), found.stderr
    with pytest.raises(CannotFreezeItself):
        MemoryReader(os.getpid())
    assert "memtui itself" in explain_permission_denied(os.getpid())


def test_the_picker_says_memtui_cannot_freeze_itself() -> None:
    sampler = ProcessTableSampler(pss_budget=0)
    row = next(row for row in sampler.sample().rows if row.pid == os.getpid())
    assert row_detail(row).endswith(
        ": memtui itself: enter opens its memory without freezing it (a process cannot "
        "freeze itself)"
    )


async def test_the_view_of_itself_reads_without_freezing_and_says_why() -> None:
    app = ViewApp(os.getpid(), auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        banner = screen.query_one("#memory-banner", Static)
        assert str(banner.content) == (
            f"Process {os.getpid()} is memtui itself: a process cannot freeze itself, so it "
            "is read without stopping it (rows may be torn)"
        )
        assert not screen.freeze and "no-stop" in str(
            screen.query_one("#memory-title", Static).content
        )
        await wait_until(pilot, lambda: screen.status.endswith(", not stopped"))
        assert hex_view.visible_rows_loaded()
        await pilot.press("f")
        assert not screen.freeze
        assert any("memtui cannot freeze itself" in n.message for n in app._notifications)


# -- refusals by a security module -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("capability,landlock,lockdown,yama,bpf\n", "loaded: landlock, lockdown, yama, bpf"),
        ("capability,selinux", "loaded: selinux"),
        ("capability", None),
        ("", None),
    ],
)
def test_the_security_modules_of_saved_lsm_text(text: str, clause: str | None) -> None:
    assert describe_security_modules(text) == clause


def test_a_missing_or_unreadable_lsm_list_is_said_so(tmp_path: Path) -> None:
    assert security_modules(str(tmp_path / "lsm")) == (
        f"which one is unknown: {tmp_path / 'lsm'} does not exist (securityfs is not mounted)"
    )
    assert security_modules(str(tmp_path)) == (
        f"which one is unknown: {tmp_path} cannot be read (Is a directory)"
    )


def expected_security_clause() -> str:
    """What the real /sys/kernel/security/lsm says, read here independently."""
    try:
        text = Path(LSM_LIST).read_text()
    except FileNotFoundError:
        return f"which one is unknown: {LSM_LIST} does not exist (securityfs is not mounted)"
    except OSError as error:
        return f"which one is unknown: {LSM_LIST} cannot be read ({error.strerror})"
    modules = [name for name in text.strip().split(",") if name and name != "capability"]
    return "loaded: " + ", ".join(modules)


def test_a_refusal_by_a_security_module_says_which_are_loaded(target: Target) -> None:
    # As root, with CAP_SYS_PTRACE, refused by Landlock: memtui runs in a sandbox of
    # its own, and the target outside it.
    result = memtui(
        "dump", str(target.pid), hex(target.known), "16", via=[sys.executable, str(LANDLOCKED)]
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"memtui: may not read process {target.pid}: the kernel refused although memtui "
        f"has CAP_SYS_PTRACE, so a security module did; {expected_security_clause()}\n"
    )
    assert "SELinux or AppArmor?" not in result.stderr
    assert security_modules() == expected_security_clause()


@pytest.fixture
def nobodys_processes() -> Iterator[tuple[int, int]]:
    """(dumpable, not dumpable): two processes of user nobody."""
    started = [
        subprocess.Popen(
            [*AS_NOBODY, sys.executable, "-c", SLEEPER, flag], stdout=subprocess.PIPE, text=True
        )
        for flag in ("1", "0")
    ]
    try:
        for process in started:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
        yield started[0].pid, started[1].pid
    finally:
        for process in started:
            process.kill()
            process.wait()


def test_without_cap_sys_ptrace_not_dumpable_and_a_security_module_are_told_apart(
    nobodys_processes: tuple[int, int],
) -> None:
    dumpable, undumpable = nobodys_processes
    assert (
        memtui("maps", str(dumpable), via=[*AS_NOBODY, sys.executable, "-m", "memtui"]).returncode
        == 0
    )
    refused = memtui("maps", str(undumpable), via=[*AS_NOBODY, sys.executable, "-m", "memtui"])
    assert (refused.returncode, refused.stderr) == (
        1,
        f"memtui: may not read process {undumpable}: it is not dumpable (a set-uid or "
        "set-gid program, or it called prctl(PR_SET_DUMPABLE, 0)): run memtui as root\n",
    )
    sandboxed = memtui("maps", str(dumpable), via=[*AS_NOBODY, sys.executable, str(LANDLOCKED)])
    assert (sandboxed.returncode, sandboxed.stderr) == (
        1,
        f"memtui: may not read process {dumpable}: the kernel refused although it runs as "
        f"you and is dumpable, so a security module did; {expected_security_clause()}\n",
    )
