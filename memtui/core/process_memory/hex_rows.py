"""The rows of the hex view: how one 16-byte row is drawn, and which row shows which address.

Pure logic, no Textual: the widget styles the segments returned here by their kind.

A row is ``address  8 bytes of hex  8 bytes of hex │ASCII``: 79 columns with a 12-digit
address, so it fits an 80-column terminal beside a one-column scrollbar.

The rows of a process are the concatenation of its mappings (see :class:`HexLayout`):
the address space itself (128 TiB and more) has far too many empty rows to scroll
through, while the mappings of even a large process are a few GiB of rows.

Rows above 2**48, such as those of the [vsyscall] page at 0xffffffffff600000, need
all 16 digits. They get them, but only they: so that one unreadable page at the top
of every x86-64 process does not push every row past 80 columns.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from memtui.core.process_memory.proc_maps import Mapping
from memtui.core.units import format_bytes_short

ROW_BYTES = 16
GROUP_BYTES = 8
# 2**48 is the top of user space with 4-level page tables (x86-64, arm64): 12 digits
# cover every user address there; 5-level paging needs the full 16.
_SHORT_ADDRESS_LIMIT = 1 << 48
# An unreadable mapping larger than this (a guard reservation, a JIT cage of a TiB)
# is one marker row instead of millions of rows of ``??``.
COLLAPSE_UNREADABLE_ABOVE = 64 << 10

SegmentKind = Literal[
    "address",
    "hex",
    "hex_unreadable",
    "hex_pending",
    "ascii",
    "ascii_unreadable",
    "ascii_pending",
    "sep",
    "marker",
]
Segment = tuple[str, SegmentKind]
Span = tuple[int, int]

UNREADABLE_HEX = "??"
UNREADABLE_ASCII = "░"
PENDING_HEX = "··"
PENDING_ASCII = "·"
ASCII_SEPARATOR = " │"


def address_digits(highest_address: int) -> int:
    """Hex digits of the address column for addresses below ``highest_address``."""
    return 12 if highest_address <= _SHORT_ADDRESS_LIMIT else 16


def row_width(digits: int) -> int:
    """Columns of one formatted row."""
    return digits + 1 + (3 * ROW_BYTES - 1) + 1 + len(ASCII_SEPARATOR) + ROW_BYTES


def hex_column(index: int, digits: int) -> int:
    """The column where byte ``index`` of a row starts in the hex part."""
    return digits + 1 + 3 * index + (1 if index >= GROUP_BYTES else 0)


def ascii_column(index: int, digits: int) -> int:
    """The column of byte ``index`` of a row in the ASCII part."""
    return row_width(digits) - ROW_BYTES + index


def _printable(byte: int) -> str:
    return chr(byte) if 0x20 <= byte < 0x7F else "."


def unreadable_mask(address: int, length: int, unreadable: Sequence[Span]) -> list[bool]:
    """One flag per byte of [address, address+length): True where it could not be read."""
    mask = [False] * length
    end = address + length
    for start, stop in unreadable:
        low, high = max(start, address), min(stop, end)
        for position in range(low, high):
            mask[position - address] = True
    return mask


def format_row(
    address: int,
    data: bytes | None,
    unreadable: Sequence[Span] = (),
    digits: int = 12,
) -> list[Segment]:
    """The segments of the row at ``address``.

    ``data`` holds the row's bytes, or None while they have not been read (drawn as
    dim dots). Bytes inside ``unreadable`` (absolute address spans) are drawn as
    ``??`` and a shaded block: the reader zeroes them, and a zero is a lie there.
    One segment per byte, so the widget can highlight a cursor or a changed byte.
    """
    segments: list[Segment] = [(f"{address:0{digits}x}", "address"), (" ", "sep")]
    mask = (
        unreadable_mask(address, ROW_BYTES, unreadable) if data is not None else [False] * ROW_BYTES
    )
    size = len(data) if data is not None else ROW_BYTES
    ascii_part: list[Segment] = []
    for index in range(ROW_BYTES):
        if index:
            segments.append(("  " if index == GROUP_BYTES else " ", "sep"))
        if data is None:
            segments.append((PENDING_HEX, "hex_pending"))
            ascii_part.append((PENDING_ASCII, "ascii_pending"))
        elif index >= size or mask[index]:
            segments.append((UNREADABLE_HEX, "hex_unreadable"))
            ascii_part.append((UNREADABLE_ASCII, "ascii_unreadable"))
        else:
            byte = data[index]
            segments.append((f"{byte:02x}", "hex"))
            ascii_part.append((_printable(byte), "ascii"))
    segments.append((ASCII_SEPARATOR, "sep"))
    segments.extend(ascii_part)
    return segments


def segments_text(segments: Sequence[Segment]) -> str:
    return "".join(text for text, _ in segments)


def format_row_text(
    address: int, data: bytes | None, unreadable: Sequence[Span] = (), digits: int = 12
) -> str:
    """The row as plain text (what a test or a copy sees)."""
    return segments_text(format_row(address, data, unreadable, digits))


# -- which row shows which address --------------------------------------------------


@dataclass(frozen=True, slots=True)
class LayoutBlock:
    """A run of rows: the bytes [start, end) of one mapping, or one marker row.

    A marker row stands for a gap between mappings (``mapping`` is None) or for a
    large unreadable mapping collapsed to one row. ``digits`` is the width of the
    address column of its rows.
    """

    first_row: int
    rows: int
    start: int
    end: int
    mapping: Mapping | None
    marker: bool
    digits: int

    @property
    def last_row(self) -> int:
        return self.first_row + self.rows - 1


def marker_text(block: LayoutBlock) -> str:
    """What a marker row says: what is there and how large it is."""
    size = format_bytes_short(block.end - block.start)
    span = f"{block.start:x}-{block.end:x}"
    if block.mapping is None:
        return f"┄┄ {span} unmapped ({size}) ┄┄"
    mapping = block.mapping
    return f"┄┄ {span} {mapping.perms} {mapping.name}: not readable ({size}) ┄┄"


class HexLayout:
    """Rows for a list of mappings: each readable mapping row by row, in address order.

    Unreadable mappings up to :data:`COLLAPSE_UNREADABLE_ABOVE` (guard pages) keep
    their rows, drawn as ``??``; larger ones and gaps between mappings take one
    marker row each, so End and Page Down run on from one mapping into the next.

    ``digits`` is the address width that every row with readable bytes shares (their
    columns line up); the rows of an unreadable mapping above them, all ``??``, may
    be wider (:attr:`LayoutBlock.digits`).
    """

    def __init__(self, mappings: Sequence[Mapping]) -> None:
        shown = sorted((m for m in mappings if m.end > m.start), key=lambda m: m.start)
        self.mappings: list[Mapping] = shown
        self.digits = address_digits(max((m.end for m in shown if m.readable), default=0))
        blocks: list[LayoutBlock] = []
        row = 0
        previous_end: int | None = None
        for mapping in shown:
            digits = max(self.digits, address_digits(mapping.end))
            if previous_end is not None and mapping.start > previous_end:
                gap = LayoutBlock(row, 1, previous_end, mapping.start, None, True, digits)
                blocks.append(gap)
                row += 1
            if not mapping.readable and mapping.size > COLLAPSE_UNREADABLE_ABOVE:
                blocks.append(
                    LayoutBlock(row, 1, mapping.start, mapping.end, mapping, True, digits)
                )
                row += 1
            else:
                # Mappings are page-aligned, so every row is a whole 16 bytes.
                rows = -(-mapping.size // ROW_BYTES)
                blocks.append(
                    LayoutBlock(row, rows, mapping.start, mapping.end, mapping, False, digits)
                )
                row += rows
            previous_end = mapping.end
        self.blocks = blocks
        self.total_rows = row
        self._first_rows = [block.first_row for block in blocks]
        self._starts = [block.start for block in blocks]

    def block_at_row(self, row: int) -> LayoutBlock | None:
        if not 0 <= row < self.total_rows:
            return None
        return self.blocks[bisect.bisect_right(self._first_rows, row) - 1]

    def row_address(self, row: int) -> int | None:
        """The address of the first byte on ``row``, or None for a marker row."""
        block = self.block_at_row(row)
        if block is None or block.marker:
            return None
        return block.start + (row - block.first_row) * ROW_BYTES

    def block_of_address(self, address: int) -> LayoutBlock | None:
        index = bisect.bisect_right(self._starts, address) - 1
        if index >= 0 and self.blocks[index].start <= address < self.blocks[index].end:
            return self.blocks[index]
        return None

    def row_of(self, address: int) -> int | None:
        """The row showing ``address``, or None if no row shows it."""
        block = self.block_of_address(address)
        if block is None:
            return None
        if block.marker:
            return block.first_row
        return block.first_row + (address - block.start) // ROW_BYTES

    def data_row_nearest(self, address: int) -> int | None:
        """The first row with bytes at or after ``address``, else the last one before it
        (where to go when ``address`` is not mapped any more)."""
        row = self.row_of(address)
        if row is None:
            index = bisect.bisect_right(self._starts, address)
            row = self.blocks[index].first_row if index < len(self.blocks) else None
        found = None if row is None else self.data_row_near(row, 1)
        return found if found is not None else self.data_row_near(self.total_rows - 1, -1)

    def data_row_near(self, row: int, step: int) -> int | None:
        """``row`` if it holds bytes, else the next such row in the direction of ``step``."""
        while 0 <= row < self.total_rows:
            block = self.block_at_row(row)
            assert block is not None
            if not block.marker:
                return row
            row = block.first_row + (block.rows if step > 0 else -1)
        return None

    def read_ranges(self, first_row: int, last_row: int) -> list[tuple[int, int]]:
        """The (address, length) runs of bytes shown on rows first_row..last_row.

        Contiguous mappings merge into one run, so a screen is one or a few reads.
        """
        ranges: list[tuple[int, int]] = []
        first_row = max(first_row, 0)
        last_row = min(last_row, self.total_rows - 1)
        if last_row < first_row:
            return ranges
        index = bisect.bisect_right(self._first_rows, first_row) - 1
        for block in self.blocks[index:]:
            if block.first_row > last_row:
                break
            if block.marker:
                continue
            low = block.start + (max(first_row, block.first_row) - block.first_row) * ROW_BYTES
            high = min(
                block.end,
                block.start + (min(last_row, block.last_row) - block.first_row + 1) * ROW_BYTES,
            )
            if ranges and ranges[-1][0] + ranges[-1][1] == low:
                ranges[-1] = (ranges[-1][0], high - ranges[-1][0])
            else:
                ranges.append((low, high - low))
        return ranges
