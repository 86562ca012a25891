"""Sending a signal to a process the picker lists: the one action that changes another
process, so it goes to exactly the process that was shown, or to none."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

import psutil

# How far the start time psutil reads now may differ from the one the row was read
# with: both come from the same boot-time-relative tick count.
START_TIME_TOLERANCE = 0.05


@dataclass(frozen=True, slots=True)
class SignalChoice:
    name: str
    number: int
    meaning: str


SIGNALS: tuple[SignalChoice, ...] = (
    SignalChoice("SIGTERM", signal.SIGTERM, "ask it to end (it may clean up)"),
    SignalChoice("SIGKILL", signal.SIGKILL, "end it at once, no clean-up"),
    SignalChoice("SIGINT", signal.SIGINT, "interrupt, as Ctrl-C"),
    SignalChoice("SIGHUP", signal.SIGHUP, "hang up; many daemons reload"),
    SignalChoice("SIGQUIT", signal.SIGQUIT, "quit, with a core dump"),
    SignalChoice("SIGSTOP", signal.SIGSTOP, "stop (pause) it"),
    SignalChoice("SIGCONT", signal.SIGCONT, "let a stopped process go on"),
    SignalChoice("SIGUSR1", signal.SIGUSR1, "the program's own meaning"),
    SignalChoice("SIGUSR2", signal.SIGUSR2, "the program's own meaning"),
)
DEFAULT_SIGNAL = "SIGTERM"


def signal_named(name: str) -> SignalChoice:
    for choice in SIGNALS:
        if choice.name == name:
            return choice
    raise ValueError(f"unknown signal {name!r}")


def send_signal(pid: int, start_time: float, signum: int, name: str = "") -> str | None:
    """Send ``signum`` to the process ``pid`` started at ``start_time``.

    None when it was sent; otherwise one line that says why not. A pid whose start
    time changed is another process by now (the pid was reused): nothing is sent.
    """
    label = f"{name} (pid {pid})" if name else f"pid {pid}"
    try:
        now_started = psutil.Process(pid).create_time()
        if abs(now_started - start_time) > START_TIME_TOLERANCE:
            return f"{label} has exited and its pid now belongs to another process: nothing sent"
        os.kill(pid, signum)
    except (psutil.NoSuchProcess, ProcessLookupError):
        return f"{label} has already exited: nothing sent"
    except (psutil.AccessDenied, PermissionError):
        return f"permission denied: {label} belongs to another user (run as root or its owner)"
    except OSError as error:
        return f"cannot signal {label}: {error.strerror or error}"
    return None
