"""The watch tests' target (watch_target.c): counters that SIGUSR1 moves.

Built once per session into a temporary directory, like the other targets.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from targets import Target, compile_c, start_address_line

SOURCE = Path(__file__).resolve().parent / "watch_target.c"
COUNTER_START = 41
LEVEL_START = 0.5
LEVEL_STEP = 0.25
# Offsets in the fixed page.
FIXED_COUNTER_AT, FIXED_LEVEL_AT, FIXED_TEXT_AT = 0x10, 0x18, 0x40
FIXED_TEXT = b"memtui watch page"


def build_watch_target(out_dir: Path) -> Path:
    return compile_c(SOURCE, out_dir / "watch_target", "-rdynamic")


def start_watch_target(binary: Path, fixed: int | None = None) -> Target:
    """Start it; its addresses are ``counter``, ``level`` and ``fixed`` (0 without)."""
    argv = [str(binary), f"{fixed:x}" if fixed else "-"]
    process, values = start_address_line(argv, "watch target")
    return Target(process, values)


def read_counter(target: Target) -> int:
    """The target's memtui_watch_counter now, read through /proc/PID/mem."""
    with open(f"/proc/{target.pid}/mem", "rb", buffering=0) as mem:
        return int.from_bytes(os.pread(mem.fileno(), 4, target.counter), "little")


def bump(target: Target, times: int = 1, timeout: float = 5.0) -> int:
    """Have the target move its counters ``times`` times; returns the counter then.

    One SIGUSR1 at a time, each waited for: signals sent at once may merge into one.
    Sent with os.kill, not Popen.send_signal: that polls the child first, and the
    target is this process's child, so its waitpid would take the report of a stop
    that memtui's freeze (in this process too) waits for. The freeze then timed out,
    and Popen took the ptrace-stop for an exit by SIGTRAP (returncode -5) and sent
    nothing more.
    """
    counter = read_counter(target)
    for _ in range(times):
        os.kill(target.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while read_counter(target) == counter:
            if time.monotonic() > deadline:
                raise AssertionError("the watch target did not count the signal")
            time.sleep(0.005)
        counter += 1
    return counter
