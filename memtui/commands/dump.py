"""`memtui dump`: print (hex) or save (raw) a range of a live process's memory.

Large ranges stream through one reused buffer, 4 MiB at a time. In freeze mode each
chunk is read under its own freeze and written after it is released: the target
runs between chunks and while the output (a pipe nobody reads, a slow disk) keeps
the dump waiting, so it is never stopped for longer than one chunk's read. Each
chunk is one consistent moment; the dump as a whole is not.
"""

from __future__ import annotations

import argparse
import sys

from memtui.core.input_echo import shorten_path
from memtui.core.output_file import OutputFileError
from memtui.core.process_memory.dump_output import (
    CHUNK,
    describe_spans,
    hex_rows,
    is_hex_text_path,
    open_output,
    write_all,
)
from memtui.core.process_memory.memory_reader import PEEK_NEEDS_FREEZE, MemoryReader, Span
from memtui.core.process_memory.reader_errors import ReaderError


def _usage_error(message: str) -> int:
    print(f"memtui dump: error: {message}", file=sys.stderr)
    return 2


def output_format(requested: str | None, output: str | None) -> str:
    """``--format``, else what the output's name says, as the view's save reads it."""
    if requested is not None:
        return requested
    return "raw" if output is not None and not is_hex_text_path(output) else "hex"


def run_dump(args: argparse.Namespace) -> int:
    """Run `memtui dump`; returns the exit code."""
    pid: int = args.pid
    length: int = args.length
    if args.method == "peek" and args.no_freeze:
        return _usage_error(PEEK_NEEDS_FREEZE)
    if isinstance(args.address, str):
        # Imported only for an expression: a plain number needs no mappings or symbols.
        from memtui.core.process_memory.address_expression import resolve_in_process

        try:
            address = resolve_in_process(pid, args.address)
        except ReaderError as error:
            print(f"memtui: {error}", file=sys.stderr)
            return 1
        except ValueError as error:
            return _usage_error(str(error))
    else:
        address = args.address
    raw = output_format(args.format, args.output) == "raw"
    if address + length > 1 << 64:
        return _usage_error(f"0x{address:x} + {length} runs past the end of the address space")
    width = 16 if address + length > 1 << 48 else 12
    unreadable: list[Span] = []
    try:
        with (
            MemoryReader(pid, method=args.method, freeze=not args.no_freeze) as reader,
            open_output(args.output) as output,
        ):
            for chunk_address, chunk, spans in reader.stream(address, length):
                # Merge as we go: a hole spanning many chunks is one span, not one per chunk.
                for start, end in spans:
                    if unreadable and unreadable[-1][1] == start:
                        unreadable[-1] = (unreadable[-1][0], end)
                    else:
                        unreadable.append((start, end))
                if raw:
                    write_all(output.fd, chunk)
                    continue
                for offset in range(0, len(chunk), CHUNK):
                    piece = chunk[offset : offset + CHUNK]
                    text = hex_rows(chunk_address + offset, piece, spans, width)
                    write_all(output.fd, text.encode("ascii"))
    except (ReaderError, OutputFileError) as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # the CLI treats a closed pipe (`| head`) as a normal end
    except OSError as error:
        target = args.output or "stdout"
        print(
            f"memtui: cannot write {shorten_path(target)}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    if not unreadable:
        return 0
    total = sum(end - start for start, end in unreadable)
    if raw:
        print(
            f"memtui: {total} bytes could not be read (unmapped or not readable) and were "
            f"written as zeros: {describe_spans(unreadable)}",
            file=sys.stderr,
        )
        return 1
    print(
        f"memtui: {total} bytes could not be read (unmapped or not readable), shown as ??: "
        f"{describe_spans(unreadable)}",
        file=sys.stderr,
    )
    # Exit 0 only when everything was read, whatever the format: a script must be
    # able to tell a partial dump from a whole one without parsing the ?? out.
    return 1
