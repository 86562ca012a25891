"""The values target: known values at known offsets (see values_target.c).

Built once per session into a temporary directory, like the other targets.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from targets import Target

SOURCE = Path(__file__).resolve().parent / "values_target.c"
NEEDLE = "MEMTUI-NEEDLE-42"
WIDE = "wide-needle"
U64 = 0x1122334455667788
E = 2.718281828459045
I32 = -123456
# Offsets in the values page.
NEEDLE_AT, SECOND_NEEDLE_AT = 0x000, 0x800
U64_AT, F64_AT, POINTER_AT, I32_AT, F32_AT, WIDE_AT, HEAP_POINTER_AT, COUNTER_AT = (
    0x20,
    0x28,
    0x30,
    0x38,
    0x3C,
    0x40,
    0x60,
    0x70,
)


def build_values_target(out_dir: Path) -> Path:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError("the memory view tests need a C compiler (gcc or cc)")
    binary = out_dir / "values_target"
    subprocess.run([compiler, "-O2", "-Wall", "-o", str(binary), str(SOURCE)], check=True)
    return binary


def start_values_target(
    binary: Path, fixed: int | None = None, environment: dict[str, str] | None = None
) -> Target:
    """Start it; its addresses are ``values``, ``other`` (the 'B' page) and ``block``."""
    argv = [str(binary), f"{fixed:x}" if fixed else "-"]
    # An empty environment (unless one is given): pytest's (PYTEST_CURRENT_TEST names
    # the test, and with it a needle) would put another copy of a value on the stack.
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment or {}
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line:
        process.kill()
        process.wait()
        raise RuntimeError(f"values target did not start: {argv}")
    addresses = {key: int(value, 0) for key, value in re.findall(r"(\w+)=(0x[0-9a-f]+|\d+)", line)}
    return Target(process, addresses)


@contextmanager
def running_values_target(
    binary: Path, fixed: int | None = None, environment: dict[str, str] | None = None
) -> Iterator[Target]:
    target = start_values_target(binary, fixed, environment)
    try:
        yield target
    finally:
        target.stop()
