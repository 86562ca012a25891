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

POINTER_TYPES = ("u64", "i64", "u64be", "i64be")
"""The types whose value may be an address expression: what a pointer holds."""


def _may_be_an_address(kind: str, value: str) -> bool:
    """``value`` of ``kind`` is no number, but might be what the view's ``g`` takes."""
    from memtui.cli import MAX_ADDRESS_EXPRESSION

    text = value.strip()
    if not text or len(text) > MAX_ADDRESS_EXPRESSION or text[:1].isdigit() or text[0] in "+-":
        return False
    return kind in POINTER_TYPES


def _pointer_pattern(pid: int, kind: str, value: str) -> SearchPattern:
    """The pointers to what ``value`` names in process ``pid`` (``[heap]+0x10``, ``malloc``)."""
    from memtui.core.process_memory.address_expression import resolve_in_process

    address = resolve_in_process(pid, value)
    pattern = compile_pattern(kind, hex(address))
    return SearchPattern(pattern.kind, f"pointers to {value.strip()}", pattern.needle)


def run_search(args: argparse.Namespace) -> int:
    """Run `memtui search`; returns the exit code."""
    try:
        pattern: SearchPattern = compile_pattern(args.type, args.pattern)
    except QueryError as error:
        if not _may_be_an_address(args.type, args.pattern):
            print(f"memtui search: error: {error}", file=sys.stderr)
            return 2
        try:
            pattern = _pointer_pattern(args.pid, args.type, args.pattern)
        except ReaderError as failure:
            print(f"memtui: {failure}", file=sys.stderr)
            return 1
        except ValueError as failure:  # QueryError too
            print(f"memtui search: error: {failure}", file=sys.stderr)
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
