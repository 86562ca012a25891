"""`memtui maps`: a process's memory mappings as a table."""

from __future__ import annotations

import argparse
import sys

from memtui.core.printable import printable
from memtui.core.process_memory.proc_maps import Mapping, read_maps
from memtui.core.process_memory.reader_errors import ReaderError
from memtui.core.units import format_bytes


def format_maps(mappings: list[Mapping]) -> str:
    """The table: start-end, size, perms, offset, path (one line per mapping)."""
    width = 16 if any(m.end > 1 << 48 for m in mappings) else 12
    range_width = 2 * width + 1
    lines = [f"{'START-END':<{range_width}}  {'SIZE':>10}  PERMS  {'OFFSET':>8}  PATH"]
    for m in mappings:
        span = f"{m.start:0{width}x}-{m.end:0{width}x}"
        size = format_bytes(m.size, precision=1)
        # Anonymous mappings keep a blank path, as in /proc/PID/maps.
        path = printable(m.path)
        lines.append(f"{span:<{range_width}}  {size:>10}  {m.perms:<5}  {m.offset:>8x}  {path}")
    return "\n".join(lines) + "\n"


def run_maps(args: argparse.Namespace) -> int:
    """Run `memtui maps`; returns the exit code."""
    try:
        mappings = read_maps(args.pid)
    except ReaderError as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(format_maps(mappings))
    return 0
