"""`memtui search`: print the addresses where a value sits in a live process.

The same scan as the memory view's `/` (:mod:`memtui.core.process_memory.memory_search`), from the
lowest address up, so it prints matches in address order, one per line:
``0x7f12ab340010 [heap]``.

Exit codes follow grep: 0 when something matched, 1 when nothing did (and nothing
is printed) or on an error (one line on stderr), 2 for a usage error such as a
value that does not fit its type.
"""

from __future__ import annotations

import argparse
import sys

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_search import (
    QueryError,
    SearchPattern,
    compile_pattern,
    search_process,
)
from memtui.core.process_memory.reader_errors import ReaderError


def run_search(args: argparse.Namespace) -> int:
    """Run `memtui search`; returns the exit code."""
    try:
        pattern: SearchPattern = compile_pattern(args.type, args.pattern)
    except QueryError as error:
        print(f"memtui search: error: {error}", file=sys.stderr)
        return 2
    try:
        with MemoryReader(args.pid, freeze=not args.no_freeze) as reader:
            result = search_process(reader, pattern, limit=args.limit)
    except ReaderError as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 1
    found = sorted((m.address, m.mapping.display_path) for m in result.matches)
    sys.stdout.write("".join(f"0x{address:x} {path}\n" for address, path in found))
    sys.stdout.flush()
    if result.truncated:
        print(
            f"memtui: stopped at {args.limit} matches (--limit); there may be more",
            file=sys.stderr,
        )
    return 0 if found else 1
