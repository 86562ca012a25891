"""Freezing every thread with SEIZE + INTERRUPT, and always letting go."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from targets import Binaries, Target, assert_running, start_target, stopped_tasks, task_states

from memtui.core.process_memory import libc_ptrace
from memtui.core.process_memory.process_freeze import ProcessFreeze, _Pauses
from memtui.core.process_memory.reader_errors import (
    FreezeThreadError,
    PermissionDenied,
    ProcessGone,
)

pytest_plugins = ["targets.fixtures"]


def test_every_thread_is_stopped_inside_and_running_after(target: Target) -> None:
    with ProcessFreeze(target.pid) as freeze:
        states = task_states(target.pid)
        assert len(states) == 4
        assert set(states.values()) == {"t"}, states
        assert freeze.tids == frozenset(states)
    assert_running(target)


def test_polls_sleep_with_a_fine_timer_slack_and_put_the_threads_back() -> None:
    # The default 50 us of slack made a freeze's first 20 us pause last 70-100 us.
    libc_ptrace.set_timer_slack(50_000)
    try:
        pauses = _Pauses()
        assert libc_ptrace.timer_slack() == 50_000  # untouched until a poll sleeps
        pauses.sleep()
        assert libc_ptrace.timer_slack() == 1000
        pauses.close()
        assert libc_ptrace.timer_slack() == 50_000
    finally:
        libc_ptrace.set_timer_slack(0)


def test_a_freeze_leaves_the_threads_timer_slack_as_it_found_it(target: Target) -> None:
    libc_ptrace.set_timer_slack(50_000)
    try:
        for _ in range(20):
            with ProcessFreeze(target.pid):
                assert libc_ptrace.timer_slack() == 50_000
        assert libc_ptrace.timer_slack() == 50_000
    finally:
        libc_ptrace.set_timer_slack(0)
    assert_running(target)


def test_an_exception_inside_releases_every_thread(target: Target) -> None:
    with pytest.raises(RuntimeError), ProcessFreeze(target.pid):
        raise RuntimeError("boom")
    assert_running(target)


def test_keyboard_interrupt_inside_releases_every_thread(target: Target) -> None:
    with pytest.raises(KeyboardInterrupt), ProcessFreeze(target.pid):
        raise KeyboardInterrupt
    assert_running(target)


def test_threads_born_and_dying_during_freezes(binaries: Binaries) -> None:
    # A churn thread creates and joins threads nonstop: freezes keep meeting tids
    # that appear after the scan or vanish (ESRCH) before the seize.
    churning = start_target(binaries.target, threads=2, churn=True)
    try:
        for _ in range(40):
            with ProcessFreeze(churning.pid) as freeze:
                listed = {int(t) for t in os.listdir(f"/proc/{churning.pid}/task")}
                # Every live thread is held; none escaped the rescan.
                assert listed <= freeze.tids | {
                    t for t, s in task_states(churning.pid).items() if s in "ZX"
                }
        assert_running(churning)
    finally:
        churning.stop()


def test_using_a_freeze_from_another_thread_is_refused(target: Target) -> None:
    errors: list[BaseException] = []
    with ProcessFreeze(target.pid) as freeze:

        def misuse() -> None:
            try:
                freeze.peek(target.known)
            except FreezeThreadError as error:
                errors.append(error)

        worker = threading.Thread(target=misuse)
        worker.start()
        worker.join(timeout=10)
        assert freeze.peek(target.known) == int.from_bytes(
            bytes((i * 7 + 3) & 0xFF for i in range(8)), sys.byteorder, signed=True
        )
    assert len(errors) == 1 and "run every read of a freeze on the thread" in str(errors[0])
    assert_running(target)


def test_an_already_traced_process_names_its_tracer(target: Target, binaries: Binaries) -> None:
    tracer = subprocess.Popen(
        [str(binaries.tracer), str(target.pid)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert tracer.stdout is not None and tracer.stdout.readline().strip() == "seized"
        with pytest.raises(PermissionDenied) as info, ProcessFreeze(target.pid):
            pass
        assert f"TracerPid {tracer.pid} (memtui-tracer)" in info.value.reason
        assert stopped_tasks(target.pid) == []
    finally:
        tracer.kill()
        tracer.wait()


def test_a_missing_process() -> None:
    with pytest.raises(ProcessGone), ProcessFreeze(4_000_000):
        pass


def test_kill_9_mid_freeze_leaves_the_target_running(big_target: Target) -> None:
    # The dump freezes the target for each chunk of its 128 MiB read (64 MiB mapped);
    # SIGKILL lands at random points: before, during and after the freeze.
    rng = random.Random(6)
    command = [
        sys.executable,
        "-m",
        "memtui",
        "dump",
        str(big_target.pid),
        hex(big_target.data),
        "128M",
        "--format",
        "raw",
        "--output",
        os.devnull,
    ]
    killed_while_stopped = 0
    for attempt in range(26):
        dump = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        if attempt % 2:
            time.sleep(rng.uniform(0.02, 0.25))
        else:
            # Kill the moment a stop is seen: certainly mid-freeze, however loaded
            # the machine is and however long the interpreter takes to start.
            deadline = time.monotonic() + 10
            while (
                not stopped_tasks(big_target.pid)
                and dump.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.0005)
        if stopped_tasks(big_target.pid):
            killed_while_stopped += 1
        dump.send_signal(signal.SIGKILL)
        dump.wait()
    assert_running(big_target)
    # The test means something only if some kills did land mid-freeze.
    assert killed_while_stopped > 0


def test_sigterm_mid_dump_releases_the_target(big_target: Target) -> None:
    command = [
        sys.executable,
        "-m",
        "memtui",
        "dump",
        str(big_target.pid),
        hex(big_target.data),
        "64M",
        "--method",
        "peek",
        "--format",
        "raw",
        "--output",
        os.devnull,
    ]
    dump = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while not stopped_tasks(big_target.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stopped_tasks(big_target.pid), "the peek dump never froze the target"
    dump.send_signal(signal.SIGTERM)
    assert dump.wait(timeout=20) == 128 + signal.SIGTERM
    assert_running(big_target)
