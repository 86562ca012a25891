"""Signals to real processes: the right one, or none, with a one-line reason."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import psutil

from memtui.core.processes.process_signal import send_signal


def test_the_signal_reaches_the_process_started_then() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        started = psutil.Process(child.pid).create_time()
        assert send_signal(child.pid, started, signal.SIGUSR1, "sleep") is None
        assert child.wait(timeout=10) == -signal.SIGUSR1
    finally:
        child.kill()
        child.wait()


def test_a_reused_pid_gets_nothing() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        started = psutil.Process(child.pid).create_time()
        # The row was of a process that started a second earlier: not this one.
        error = send_signal(child.pid, started - 1.0, signal.SIGTERM, "sleep")
        assert error is not None and "another process: nothing sent" in error
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()


def test_an_exited_process_says_so() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    error = send_signal(child.pid, 0.0, signal.SIGTERM, "true")
    assert error == f"true (pid {child.pid}) has already exited: nothing sent"


def test_another_users_process_is_permission_denied_in_one_line() -> None:
    # As nobody, signalling root's process in another session is refused with
    # EPERM. (SIGCONT would pass within one session, and CI may run the suite in
    # the session of its pid 1, so the target is a child of our own.)
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        started = psutil.Process(child.pid).create_time()
        code = (
            "import json, signal; from memtui.core.processes.process_signal import send_signal; "
            f"print(json.dumps(send_signal({child.pid}, {started!r}, signal.SIGTERM, 'sleep')))"
        )
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        result = subprocess.run(
            [*as_nobody, sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        error = json.loads(result.stdout)
        assert error is not None, "nobody could signal root's process"
        assert error.startswith(f"permission denied: sleep (pid {child.pid})") and "\n" not in error
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()
