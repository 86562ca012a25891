"""Writing dumped memory: xxd-like hex rows with ?? for unreadable bytes, into files
created as :mod:`memtui.core.output_file` says (0600: memory may hold secrets).

Shared by `memtui dump` and the memory view's save. It adds no import that `memtui
dump` does not already make: the dump's start-up time is measured.
"""

from __future__ import annotations

import os
import sys

from memtui.core.output_file import OutputFile
from memtui.core.process_memory.memory_reader import Span

ROW = 16
HEX_SUFFIXES = (".txt", ".hex")
"""A file named so gets hex text, any other raw bytes (the view's save, dump --output)."""
# A whole number of rows, so rows never straddle two chunks. Hex text is made this
# much at a time, so about 4.3 MiB of text is all that is held at once.
CHUNK = 1 << 20
_SPANS_SHOWN = 8
PRINTABLE_ASCII = bytes(c if 0x20 <= c < 0x7F else ord(".") for c in range(256))
"""A bytes.translate table: printable ASCII stays, any other byte becomes ``.``."""
_UNREADABLE_ASCII = "?"


def write_all(fd: int, data: bytes | memoryview) -> None:
    """os.write until every byte is written (a pipe may take less at a time)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def open_output(path: str | None) -> OutputFile:
    """Where a dump goes: PATH (in place once it is whole), or stdout if None.

    Raises OutputFileError when PATH may not be written.
    """
    if path is None:
        sys.stdout.flush()
        return OutputFile("stdout", descriptor=sys.stdout.fileno())
    return OutputFile(path)


def is_hex_text_path(path: str) -> bool:
    """Whether a dump or save into ``path`` writes hex text rather than raw bytes."""
    return path.lower().endswith(HEX_SUFFIXES)


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
            ascii_text = row.translate(PRINTABLE_ASCII).decode("ascii")
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
            ascii_chars.append(chr(PRINTABLE_ASCII[byte]))
    pairs = ["".join(cells[i : i + 2]) for i in range(0, len(cells), 2)]
    return " ".join(pairs), "".join(ascii_chars)
