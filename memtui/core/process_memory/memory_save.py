"""Saving a mapping, or a range, of a live process to a file: the memory view's ``s``.

What the user types (:func:`parse_save_request`):

- ``PATH``: the selection (``v``), if there is one, else the whole mapping under the
  cursor;
- ``START..END PATH`` or ``START..+LENGTH PATH``: that range. START and END are what
  ``g`` accepts (``0x7f…``, ``[heap]+0x100``); LENGTH is ``4096``, ``0x1000`` or ``16M``.

A PATH ending in ``.txt`` or ``.hex`` gets hex text (the rows of ``memtui dump``),
any other raw bytes. The file is created as dump's are (:mod:`memtui.core.output_file`:
mode 0600, no links followed, no other user's file taken over), with dump's own
writer and formatter, and put in place only when the save is whole: a save that
fails or is cancelled leaves any old file as it was. The save runs a 1 MiB chunk
per step on the view's session thread, each chunk read under its own freeze (in
freeze mode), so a large mapping does not stop the process for the whole save.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from memtui.core.input_echo import shorten, shorten_path
from memtui.core.output_file import OutputFile, OutputFileError
from memtui.core.process_memory.address_expression import resolve_address
from memtui.core.process_memory.dump_output import (
    CHUNK,
    describe_spans,
    hex_rows,
    is_hex_text_path,
    write_all,
)
from memtui.core.process_memory.hex_rows import address_digits
from memtui.core.process_memory.memory_reader import MemoryReader, Span, merge_spans
from memtui.core.process_memory.proc_maps import Mapping, find_mapping
from memtui.core.units import parse_size

USAGE = (
    "FILE saves the mapping at the cursor; START..END FILE or START..+LENGTH FILE a range "
    "(e.g. [heap]..+4K heap.bin); FILE.txt or FILE.hex is hex text, anything else raw"
)


@dataclass(frozen=True, slots=True)
class SaveRequest:
    address: int
    length: int
    path: str
    hex_text: bool

    @property
    def end(self) -> int:
        return self.address + self.length


@dataclass(frozen=True, slots=True)
class SaveProgress:
    """How far a save is; when ``done``, ``error`` or the unreadable spans say how it ended."""

    written: int
    total: int
    done: bool = False
    error: str | None = None
    unreadable: list[Span] = field(default_factory=list)


def parse_save_request(
    text: str,
    mappings: Sequence[Mapping],
    cursor: int | None,
    selection: tuple[int, int] | None = None,
) -> SaveRequest:
    """What to save where; ValueError with a message for the user if it makes no sense.

    ``selection`` (start, length) is what a bare PATH saves, when there is one.
    """
    text = text.strip()
    if not text:
        raise ValueError(f"type a file name: {USAGE}")
    first, _, rest = text.partition(" ")
    if ".." in first and rest.strip():
        address, length = _parse_range(first, mappings)
        path = rest.strip()
    elif ".." in first and _is_range(first, mappings):
        raise ValueError(f"type a file name after the range: {USAGE}")
    elif selection is not None:
        path = text
        address, length = selection
    else:
        path = text
        mapping = find_mapping(mappings, cursor) if cursor is not None else None
        if mapping is None:
            raise ValueError(f"the cursor is on no mapping: {USAGE}")
        address, length = mapping.start, mapping.size
    path = os.path.expanduser(path)
    return SaveRequest(address, length, path, is_hex_text_path(path))


def _is_range(text: str, mappings: Sequence[Mapping]) -> bool:
    """Whether ``text`` reads as START..END (a file may be called ``a..b`` too)."""
    try:
        _parse_range(text, mappings)
    except ValueError:
        return False
    return True


def _parse_range(text: str, mappings: Sequence[Mapping]) -> tuple[int, int]:
    start_text, _, end_text = text.partition("..")
    address = resolve_address(start_text, mappings)
    if end_text.startswith("+"):
        length = parse_size(end_text[1:])
    else:
        length = resolve_address(end_text, mappings) - address
    if length <= 0:
        raise ValueError(f"{shorten(text)}: the range is empty or ends before it starts")
    if address + length > 1 << 64:
        raise ValueError(f"{shorten(text)} runs past the end of the address space")
    return address, length


def describe_write_error(path: str, error: OSError) -> str:
    """A one-line reason for a failed write, naming the full disk plainly."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"disk full: could not write all of {shorten_path(path)} ({error.strerror})"
    return f"cannot write {shorten_path(path)}: {error.strerror or error}"


def save_steps(reader: MemoryReader, request: SaveRequest) -> Iterator[SaveProgress | None]:
    """Read and write the range a chunk per step; the last report has ``done`` set.

    Unreadable bytes are written as zeros in a raw file and as ``??`` in hex text;
    the final report lists them. A write error ends the save with ``error`` set, and
    so does a path that may not be written; the file takes its place at the path
    only when the save is whole (closing the steps early drops it).
    """
    total = request.length
    try:
        output = OutputFile(request.path)
    except OutputFileError as error:
        yield SaveProgress(0, total, True, str(error))
        return
    width = address_digits(request.end)
    buffer = bytearray(min(CHUNK, total))
    view = memoryview(buffer)
    unreadable: list[Span] = []
    written = 0
    try:
        with output:
            while written < total:
                address = request.address + written
                part = view[: min(CHUNK, total - written)]
                spans = reader.read_into(address, part)
                unreadable.extend(spans)
                if request.hex_text:
                    write_all(output.fd, hex_rows(address, part, spans, width).encode("ascii"))
                else:
                    write_all(output.fd, part)
                written += len(part)
                yield SaveProgress(written, total)
    except OutputFileError as error:  # putting the whole file in place failed
        yield SaveProgress(written, total, True, str(error))
        return
    except OSError as error:
        yield SaveProgress(written, total, True, describe_write_error(request.path, error))
        return
    finally:
        view.release()
    yield SaveProgress(written, total, True, unreadable=merge_spans(unreadable))


def save_summary(request: SaveRequest, progress: SaveProgress) -> str:
    """What the view says when a save has ended."""
    if progress.error is not None:
        return progress.error
    kind = "hex text" if request.hex_text else "raw"
    where = f"0x{request.address:x} to {shorten_path(request.path)}"
    text = f"saved {progress.written:,} bytes at {where} ({kind})"
    if progress.unreadable:
        count = sum(end - start for start, end in progress.unreadable)
        shown = "??" if request.hex_text else "zeros"
        text += (
            f"; {count:,} bytes could not be read and were written as {shown}: "
            f"{describe_spans(progress.unreadable)}"
        )
    return text
