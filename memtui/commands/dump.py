"""`memtui dump`: print (hex) or save (raw) a range of a live process's memory.

Large ranges stream through one reused buffer, chunk by chunk, under a single
freeze, so a 64 MiB dump costs 1 MiB of memory and one stop of the target.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys

from memtui.core.memory_reader import PEEK_NEEDS_FREEZE, MemoryReader, Span
from memtui.core.reader_errors import ReaderError

ROW = 16
# A whole number of rows, so rows never straddle two chunks; 1 MiB stays in the CPU
# cache between the read and the write, and measured faster than 4 or 16 MiB.
CHUNK = 1 << 20
_SPANS_SHOWN = 8
_ASCII = bytes(c if 0x20 <= c < 0x7F else ord(".") for c in range(256))
_UNREADABLE_ASCII = "?"


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _open_output(path: str | None) -> int:
    if path is None:
        sys.stdout.flush()
        return sys.stdout.fileno()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    # O_CREAT's mode applies only to a new file; an existing one keeps its mode
    # unless we change it. Devices (/dev/null) are not ours to chmod.
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fchmod(fd, 0o600)
    return fd


def describe_spans(spans: list[Span]) -> str:
    """``0x1000-0x2000, ...`` for the first few spans, with a count of the rest."""
    shown = ", ".join(f"0x{start:x}-0x{end:x}" for start, end in spans[:_SPANS_SHOWN])
    if len(spans) > _SPANS_SHOWN:
        shown += f" and {len(spans) - _SPANS_SHOWN} more"
    return shown


def hex_rows(
    address: int, data: bytes | bytearray | memoryview, unreadable: list[Span], width: int
) -> str:
    """xxd-like rows (address, 16 bytes in pairs, ASCII); unreadable bytes show as ??."""
    raw = bytes(data)
    lines = []
    span_index = 0
    for offset in range(0, len(raw), ROW):
        row_address = address + offset
        row = raw[offset : offset + ROW]
        row_end = row_address + len(row)
        while span_index < len(unreadable) and unreadable[span_index][1] <= row_address:
            span_index += 1
        touched = span_index < len(unreadable) and unreadable[span_index][0] < row_end
        if not touched:
            hex_text = row.hex(" ", -2)
            ascii_text = row.translate(_ASCII).decode("ascii")
        else:
            hex_text, ascii_text = _masked_row(row_address, row, unreadable[span_index:])
        lines.append(f"{row_address:0{width}x}: {hex_text:<39}  {ascii_text}\n")
    return "".join(lines)


def _masked_row(row_address: int, row: bytes, spans: list[Span]) -> tuple[str, str]:
    cells = []
    ascii_chars = []
    for index, byte in enumerate(row):
        where = row_address + index
        if any(start <= where < end for start, end in spans[:3]):
            cells.append("??")
            ascii_chars.append(_UNREADABLE_ASCII)
        else:
            cells.append(f"{byte:02x}")
            ascii_chars.append(chr(_ASCII[byte]))
    pairs = ["".join(cells[i : i + 2]) for i in range(0, len(cells), 2)]
    return " ".join(pairs), "".join(ascii_chars)


def _usage_error(message: str) -> int:
    print(f"memtui dump: error: {message}", file=sys.stderr)
    return 2


def run_dump(args: argparse.Namespace) -> int:
    """Run `memtui dump`; returns the exit code."""
    pid: int = args.pid
    address: int = args.address
    length: int = args.length
    if args.method == "peek" and args.no_freeze:
        return _usage_error(PEEK_NEEDS_FREEZE)
    if address + length > 1 << 64:
        return _usage_error(f"0x{address:x} + {length} runs past the end of the address space")
    width = 16 if address + length > 1 << 48 else 12
    unreadable: list[Span] = []
    output = -1
    try:
        with MemoryReader(pid, method=args.method, freeze=not args.no_freeze) as reader:
            output = _open_output(args.output)
            for chunk_address, chunk, spans in reader.stream(address, length, CHUNK):
                # Merge as we go: a hole spanning many chunks is one span, not one per chunk.
                for start, end in spans:
                    if unreadable and unreadable[-1][1] == start:
                        unreadable[-1] = (unreadable[-1][0], end)
                    else:
                        unreadable.append((start, end))
                if args.format == "raw":
                    _write_all(output, chunk)
                else:
                    text = hex_rows(chunk_address, chunk, spans, width)
                    _write_all(output, text.encode("ascii"))
    except ReaderError as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # the CLI treats a closed pipe (`| head`) as a normal end
    except OSError as error:
        target = args.output or "stdout"
        print(f"memtui: cannot write {target}: {error.strerror or error}", file=sys.stderr)
        return 1
    finally:
        if args.output and output >= 0:
            os.close(output)
    if not unreadable:
        return 0
    total = sum(end - start for start, end in unreadable)
    if args.format == "raw":
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
