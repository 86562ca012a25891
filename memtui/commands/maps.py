"""`memtui maps`: a process's memory mappings as a table."""

from __future__ import annotations

import argparse
import sys

from memtui.core.printable import printable
from memtui.core.process_memory.proc_maps import Mapping, read_maps
from memtui.core.process_memory.reader_errors import ReaderError
from memtui.core.units import format_bytes


def format_maps(mappings: list[Mapping], rss: dict[int, int] | None = None) -> str:
    """The table: start-end, size, (RSS,) perms, offset, path (one line per mapping).

    The path is whole, however long: a script cuts what it wants. With ``rss`` (a
    mapping's start -> resident bytes, from smaps) an RSS column follows the size;
    ``-`` where smaps had no figure.
    """
    width = 16 if any(m.end > 1 << 48 for m in mappings) else 12
    range_width = 2 * width + 1
    rss_head = f"  {'RSS':>10}" if rss is not None else ""
    lines = [f"{'START-END':<{range_width}}  {'SIZE':>10}{rss_head}  PERMS  {'OFFSET':>8}  PATH"]
    for m in mappings:
        span = f"{m.start:0{width}x}-{m.end:0{width}x}"
        size = format_bytes(m.size, precision=1)
        resident = ""
        if rss is not None:
            figure = rss.get(m.start)
            resident = f"  {'-' if figure is None else format_bytes(figure, precision=1):>10}"
        # Anonymous mappings keep a blank path, as in /proc/PID/maps.
        path = printable(m.path)
        lines.append(
            f"{span:<{range_width}}  {size:>10}{resident}  {m.perms:<5}  {m.offset:>8x}  {path}"
        )
    return "\n".join(lines) + "\n"


def run_maps(args: argparse.Namespace) -> int:
    """Run `memtui maps`; returns the exit code."""
    try:
        mappings = read_maps(args.pid)
    except ReaderError as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 1
    rss = None
    if args.rss:
        from memtui.core.process_memory.memory_session import read_smaps_rss

        rss = read_smaps_rss(args.pid)
        if rss is None:
            print(f"memtui: cannot read /proc/{args.pid}/smaps for --rss", file=sys.stderr)
            return 1
    sys.stdout.write(format_maps(mappings, rss))
    return 0
