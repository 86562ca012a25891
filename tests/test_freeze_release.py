"""A freeze always lets go: under SIGTERM and Ctrl-C, of threads that cannot stop,
while its output waits, and when another memtui holds the target for a moment."""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import (
    Binaries,
    Target,
    assert_running,
    start_threads_target,
    stopped_tasks,
    task_states,
    traced_tasks,
)

from memtui.core.process_memory.process_freeze import ProcessFreeze
from memtui.core.process_memory.reader_errors import FreezeTimedOut

pytest_plugins = ["targets.fixtures"]

MEMTUI = [sys.executable, "-m", "memtui"]
# Far longer than a release may take; a memtui still running then is stuck.
EXIT_TIMEOUT = 10.0


@contextlib.contextmanager
def running(binaries: Binaries, threads: int, churn: bool = False) -> Iterator[Target]:
    target = start_threads_target(binaries.threads, threads, churn=churn)
    try:
        yield target
    finally:
        target.stop()


def signal_mid_freeze(command: list[str], target: Target, signum: int, rng: random.Random) -> str:
    """Run ``command``, signal it a moment after the target is first seen stopped, and say
    what went wrong ("" if it exited and left every thread running)."""
    memtui = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + EXIT_TIMEOUT
    while not stopped_tasks(target.pid) and memtui.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.0005)
    time.sleep(rng.uniform(0, 0.01))
    memtui.send_signal(signum)
    try:
        _, errors = memtui.communicate(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        stuck = len(stopped_tasks(target.pid))
        memtui.kill()
        memtui.communicate()
        return f"memtui hung after {signal.Signals(signum).name} with {stuck} threads stopped"
    # A detach takes effect at once; only a thread left traced stays stopped.
    left = stopped_tasks(target.pid) or traced_tasks(target.pid)
    if left:
        return f"threads left stopped or traced: {left}"
    # The signal ends memtui (130, 143), unless it came after the work was done
    # (1: nothing found, or unmapped bytes in the dump), or while the interpreter shut
    # down, after the release, when the default action is back (-2, -15); never with
    # a traceback.
    ended = (1, 128 + signal.SIGINT, 128 + signal.SIGTERM, -signal.SIGINT, -signal.SIGTERM)
    if memtui.returncode not in ended:
        return f"exit {memtui.returncode}"
    return "a traceback" if "Traceback" in errors else ""


def commands_for(target: Target) -> list[list[str]]:
    pid = str(target.pid)
    return [
        [*MEMTUI, "search", pid, "qqzzxxyy"],
        [*MEMTUI, "dump", pid, hex(target.counters), "64M", "--output", os.devnull],
    ]


@pytest.mark.parametrize(
    ("threads", "churn", "rounds"),
    [(10, False, 32), (4, True, 8), (1000, False, 4)],
    ids=["10-threads", "churning", "1000-threads"],
)
def test_sigterm_and_sigint_mid_freeze_never_hang(
    threads: int, churn: bool, rounds: int, binaries: Binaries
) -> None:
    # The release used to wait, blocking and with SIGINT/SIGTERM held, for a stop
    # report that had already been collected: memtui hung and the threads stayed in t.
    rng = random.Random(9)
    with running(binaries, threads, churn) as target:
        commands = commands_for(target)
        failures = []
        for attempt in range(rounds):
            signum = signal.SIGTERM if attempt % 2 else signal.SIGINT
            problem = signal_mid_freeze(commands[attempt // 2 % 2], target, signum, rng)
            if problem:
                failures.append(f"round {attempt}: {problem}")
        assert failures == []
        assert_running(target)


def test_a_thread_that_cannot_stop_neither_hangs_nor_stays_held(binaries: Binaries) -> None:
    # A thread waiting for its vfork child sleeps uninterruptibly: PTRACE_INTERRUPT
    # cannot stop it until the child exits. The freeze must give up and say so, a
    # SIGTERM must end memtui at once, and once the child is gone the thread must run.
    stalled = start_threads_target(binaries.threads, 3, vfork_seconds=6)
    try:
        command = [*MEMTUI, "dump", str(stalled.pid), hex(stalled.counters), "64"]
        timed_out = subprocess.run(
            command, capture_output=True, text=True, timeout=EXIT_TIMEOUT, check=False
        )
        assert timed_out.returncode == 1
        assert "did not stop within" in timed_out.stderr
        assert "uninterruptible" in timed_out.stderr
        assert len(timed_out.stderr.splitlines()) == 1
        assert stopped_tasks(stalled.pid) == []

        dump = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + EXIT_TIMEOUT
        while len(stopped_tasks(stalled.pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert len(stopped_tasks(stalled.pid)) == 4, task_states(stalled.pid)
        dump.send_signal(signal.SIGTERM)
        assert dump.wait(timeout=EXIT_TIMEOUT) == 128 + signal.SIGTERM
        assert stopped_tasks(stalled.pid) == []

        # The vfork child exits 6 s after the start; then the thread must run on, not
        # enter a stop that an interrupt left pending.
        deadline = time.monotonic() + 15
        while "D" in task_states(stalled.pid).values() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "D" not in task_states(stalled.pid).values()
        assert_running(stalled)
    finally:
        stalled.stop()


def test_a_long_lived_thread_lets_go_of_a_thread_that_stopped_late(binaries: Binaries) -> None:
    # In the memory view the freezing thread lives on, so the kernel's detach at
    # its exit comes too late: the next freeze on that thread must let go of a thread
    # that a timed-out freeze had to leave seized, once it has stopped.
    stalled = start_threads_target(binaries.threads, 2, vfork_seconds=3)
    outcome: list[object] = []

    def view_thread() -> None:
        try:
            with pytest.raises(FreezeTimedOut), ProcessFreeze(stalled.pid, stop_timeout=0.3):
                pass
            outcome.append(stopped_tasks(stalled.pid))
            deadline = time.monotonic() + 15
            while "D" in task_states(stalled.pid).values() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.1)
            with ProcessFreeze(stalled.pid) as freeze:
                outcome.append(len(freeze.tids))
            outcome.append(stopped_tasks(stalled.pid) + traced_tasks(stalled.pid))
        except BaseException as error:  # reported below, on the test thread
            outcome.append(error)

    try:
        worker = threading.Thread(target=view_thread)
        worker.start()
        worker.join(timeout=30)
        assert outcome == [[], 4, []]  # the main thread, two workers, the vfork parent
        assert_running(stalled)
    finally:
        stalled.stop()


def pipe_writer_blocked(pid: int) -> bool:
    try:
        return "pipe" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def test_a_dump_waiting_on_its_output_leaves_the_target_running(
    big_target: Target, big_bytes: bytes
) -> None:
    # `memtui dump ... | sleep 5` used to keep every thread stopped while the write
    # waited: the freeze must cover a chunk's read, never a write.
    digest, code = dump_into_a_full_pipe(big_target, big_target.data)
    assert code == 0
    assert digest == hashlib.sha256(big_bytes).hexdigest()


def test_a_dump_waiting_on_its_output_leaves_1000_threads_running(binaries: Binaries) -> None:
    with running(binaries, 1000) as target:
        dump_into_a_full_pipe(target, target.counters)


def dump_into_a_full_pipe(target: Target, address: int) -> tuple[str, int]:
    """Dump 64 MiB into a pipe read only once the dump waits on it; check the target
    runs meanwhile; return the output's sha256 and the exit code."""
    dump = subprocess.Popen(
        [*MEMTUI, "dump", str(target.pid), hex(address), "64M", "--format", "raw"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert dump.stdout is not None
    try:
        deadline = time.monotonic() + EXIT_TIMEOUT
        while not pipe_writer_blocked(dump.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pipe_writer_blocked(dump.pid)
        for _ in range(20):
            assert stopped_tasks(target.pid) == []
            assert traced_tasks(target.pid) == []
            time.sleep(0.01)
        assert pipe_writer_blocked(dump.pid)
        digest = hashlib.sha256(dump.stdout.read()).hexdigest()
    finally:
        dump.stdout.close()
        dump.wait(timeout=EXIT_TIMEOUT)
    assert_running(target)
    return digest, dump.returncode


def test_two_memtuis_on_one_target_do_not_fail_each_other(big_target: Target) -> None:
    # A second memtui freezing the same process (a view, a search) holds it a few
    # milliseconds at a time; meeting such a freeze is waited out, not an error.
    pid = str(big_target.pid)
    search = [*MEMTUI, "search", pid, "qqzzxxyy"]
    dump = [*MEMTUI, "dump", pid, hex(big_target.data), "64M", "--format", "raw"]
    dump += ["--output", os.devnull]
    done = threading.Event()
    failures: list[str] = []

    def run(command: list[str], expected: int) -> None:
        ran = subprocess.run(command, capture_output=True, text=True, check=False)
        if ran.returncode != expected:
            failures.append(ran.stderr)

    def other_memtui() -> None:
        while not done.is_set():
            run(search, 1)

    looping = threading.Thread(target=other_memtui)
    looping.start()
    try:
        for _ in range(10):
            run(search, 1)
            run(dump, 0)
    finally:
        done.set()
        looping.join(timeout=60)
    assert failures == []
    assert_running(big_target)


def test_a_debugger_holding_the_target_fails_the_dump_at_once(
    target: Target, binaries: Binaries, tmp_path: Path
) -> None:
    # Only another memtui's freeze is waited for: a debugger keeps its tracee, so the
    # dump fails on its first attempt, naming it.
    tracer = subprocess.Popen(
        [str(binaries.tracer), str(target.pid)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert tracer.stdout is not None and tracer.stdout.readline().strip() == "seized"
        log = tmp_path / "ptrace.log"
        dump = subprocess.run(
            [
                "strace", "-f", "-qq", "-e", "trace=ptrace", "-o", str(log),
                *MEMTUI, "dump", str(target.pid), hex(target.known), "64",
            ],
            capture_output=True,
            text=True,
            timeout=EXIT_TIMEOUT,
            check=False,
        )  # fmt: skip
        assert dump.returncode == 1
        assert f"TracerPid {tracer.pid} (memtui-tracer)" in dump.stderr
        assert "detach that debugger" in dump.stderr
        assert log.read_text().count("PTRACE_SEIZE") == 1
    finally:
        tracer.kill()
        tracer.wait()
