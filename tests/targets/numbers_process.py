"""Running numbers_target.py: negative numbers and awkward floats at a known address."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from targets import stop_process

SCRIPT = Path(__file__).resolve().parent / "numbers_target.py"


@contextmanager
def running_numbers_target() -> Iterator[tuple[int, int]]:
    """(pid, address) of a running numbers_target.py; it is stopped on exit."""
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        yield process.pid, int(line.partition("=")[2], 16)
    finally:
        stop_process(process)
