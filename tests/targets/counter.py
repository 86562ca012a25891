"""The narrowing scans' target (counter_target.c): a counter that SIGUSR1 bumps, and
decoys that start equal to it. Built once per session into a temporary directory."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from targets import compile_c, start_address_line, stop_process

SOURCE = Path(__file__).resolve().parent / "counter_target.c"
START = 1_513_920_225
"""The value everything starts at: 0x5a3c96e1, found nowhere else in the process."""
FIXED_ADDRESS = 0x720000000000
"""Where the counter's page goes for snapshots (far from anything the kernel picks)."""


def build_counter_target(out_dir: Path) -> Path:
    binary = compile_c(SOURCE, out_dir / "counter_target")
    os.chmod(out_dir, 0o755)
    return binary


@dataclass
class CounterTarget:
    process: subprocess.Popen[bytes]
    counter: int
    steady: int
    climbers: int
    fallers: int
    counts: tuple[int, int, int]
    """How many steady, climbing and falling decoys there are."""

    @property
    def pid(self) -> int:
        return self.process.pid

    def addresses(self, group: str) -> set[int]:
        """The decoys of ``group`` (steady, climbers, fallers), one u32 each."""
        index = ("steady", "climbers", "fallers").index(group)
        first: int = getattr(self, group)
        return {first + 4 * i for i in range(self.counts[index])}

    def bump(self) -> None:
        """SIGUSR1: the counter +1, climbers +2, fallers -1; returns once it is done."""
        assert self.process.stdout is not None
        os.kill(self.pid, signal.SIGUSR1)
        assert self.process.stdout.readline() == b"bumped\n"

    def stop(self) -> None:
        stop_process(self.process)


def start_counter_target(
    binary: Path,
    steady: int = 3,
    climbers: int = 2,
    fallers: int = 2,
    fixed: int | None = None,
    start: int = START,
) -> CounterTarget:
    argv = [str(binary), str(start), str(steady), str(climbers), str(fallers)]
    argv.append(f"{fixed:x}" if fixed else "-")
    # An empty environment: nothing of pytest's lands on the target's stack.
    process, values = start_address_line(argv, "counter target", env={})
    del values["fixed"]
    return CounterTarget(process, counts=(steady, climbers, fallers), **values)


@contextmanager
def running_counter_target(binary: Path, **options: int | None) -> Iterator[CounterTarget]:
    target = start_counter_target(binary, **options)  # type: ignore[arg-type]
    try:
        yield target
    finally:
        target.stop()
