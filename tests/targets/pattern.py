"""The memory view's target: a known ASCII pattern beside a PROT_NONE guard page.

Built from pattern_target.c into a temporary directory once per session, like the
reader's targets; see that file for what the process holds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

from targets import stop_process


class Stoppable(Protocol):
    def stop(self) -> None: ...


T = TypeVar("T", bound=Stoppable)

SOURCE = Path(__file__).resolve().parent / "pattern_target.c"
PATTERN = b"MEMTUI-PATTERN-0123456789abcdef"
# Far from where the kernel puts anything by itself, so MAP_FIXED_NOREPLACE succeeds.
FIXED_ADDRESS = 0x700000000000


def pattern_page(page: int) -> bytes:
    """The bytes of the pattern page, as the target writes them."""
    body = bytes((i * 7 + 3) & 0xFF for i in range(page))
    return PATTERN + body[len(PATTERN) :]


def build_pattern_target(out_dir: Path) -> Path:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError("the memory view tests need a C compiler (gcc or cc)")
    binary = out_dir / "pattern_target"
    subprocess.run([compiler, "-O2", "-Wall", "-o", str(binary), str(SOURCE)], check=True)
    os.chmod(out_dir, 0o755)
    return binary


@dataclass
class PatternTarget:
    process: subprocess.Popen[bytes]
    pattern: int
    guard: int
    after: int
    big: int
    big_size: int
    page: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)


def start_pattern_target(
    binary: Path, fixed: int | None = None, big_mib: int = 0, argv_prefix: list[str] | None = None
) -> PatternTarget:
    argv = [*(argv_prefix or []), str(binary), f"{fixed:x}" if fixed else "-", str(big_mib)]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return pattern_target_in(process)


def pattern_target_in(process: subprocess.Popen[bytes]) -> PatternTarget:
    """The pattern target that ``process`` runs (started as one, or exec'd into one),
    from the line of addresses it prints."""
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line:
        process.kill()
        raise RuntimeError(f"pattern target did not start: {process.args}")
    values = {
        key: (0 if value == "(nil)" else int(value, 0))
        for key, value in re.findall(r"(\w+)=(0x[0-9a-f]+|\(nil\)|\d+)", line)
    }
    return PatternTarget(process, **values)


@contextmanager
def running_pattern_target(binary: Path, **options: object) -> Iterator[PatternTarget]:
    target = start_pattern_target(binary, **options)  # type: ignore[arg-type]
    try:
        yield target
    finally:
        target.stop()


@contextmanager
def at_fixed_address(start: Callable[[], T]) -> Iterator[T]:
    """Start a target whose pages sit at FIXED_ADDRESS (for deterministic snapshots),
    skipping the test if that address is taken here; stop it afterwards."""
    try:
        target = start()
    except RuntimeError:
        pytest.skip(f"0x{FIXED_ADDRESS:x} is taken in this address space")
    try:
        yield target
    finally:
        target.stop()
