"""Which reads fetch a small value at each of many addresses, in few system calls.

A narrowing scan re-reads the value at every candidate address, a million of them
perhaps. One system call per value would cost a million calls, and any Python loop
over a million candidates costs a tenth of a second per operation. So the plan asks
the kernel for the reads end to end into one buffer, and process_vm_readv takes
them :data:`IOV_MAX` at a time. Two ways, chosen by density:

- **One iovec per value**: the values come out in order, with nothing to cut apart
  afterwards. Candidates that sit side by side (an array of counters, all equal at
  first) are merged into one iovec, a block of :data:`BLOCK` candidates at a time:
  a block whose addresses are contiguous is one read, any other block one read per
  candidate. The kernel's cost is per iovec (about 0.4 µs: it pins the page for 4
  bytes), so a million scattered candidates take 0.4 s.
- **Whole pages**, where the candidates are dense enough (a block of them spans
  little, and a :data:`WINDOW` of address space holds enough per page read that the
  page reads and the cutting cost less than their iovecs): each page that holds a
  candidate is read once (runs of them in one iovec), and the values are cut out of
  the pages at C speed. Within a 64 KiB window a candidate's offset is its
  address's low 16 bits, one ``u16`` lane of the ``array('Q')`` of addresses, so
  no arithmetic runs per candidate: the window's pages are spread into a table of
  the value at each offset (a list, filled by slice assignment from
  ``memoryview.cast`` of the pages, for each alignment the candidates have), and
  ``map(table.__getitem__, offsets)`` picks the values into an ``array``.

Only pages that hold a candidate (and the page after, when a value runs over its
end) are read: the search read them already, so nothing is faulted in that was not.

Nothing here loops over candidates in Python: slices, slice assignment, ``bisect``
and ``map`` do the work in C, and the Python loops run per block, window or page.
Figures: docs/performance.md, "Narrowing scans".
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal

# The kernel takes at most this many iovecs per process_vm_readv (UIO_MAXIOV).
IOV_MAX = 1024
# Candidates looked at together for contiguity: small enough that a dense array next
# to scattered matches is still found dense, large enough that the blocks of a
# million candidates are a short loop.
BLOCK = 4096
PAGE = 4096
"""The unit of a page read (the kernel's page size on the machines memtui runs on;
any power of two at most :data:`WINDOW` would do, as nothing depends on the MMU's)."""
WINDOW = 1 << 16
"""Candidates are cut out of their pages a window at a time: an offset in it is the
low u16 of the address."""
# Costs measured on the machine of docs/performance.md, in nanoseconds: what a value
# read through its own iovec costs beyond one cut from a page; a page read; filling
# one table entry from a page (per lane, per alignment the candidates have).
_SAVED_PER_VALUE = 300
_PAGE_READ = 1500
_TABLE_ENTRY = 20
_LANE_CODES: dict[int, Literal["B", "H", "I", "Q"]] = {1: "B", 2: "H", 4: "I", 8: "Q"}
"""The values' bytes, as unsigned lanes: the bytes come back exactly as read."""
_DENSE_SPACING = {
    width: 3 * PAGE * _SAVED_PER_VALUE // (2 * (_PAGE_READ + PAGE // width * _TABLE_ENTRY))
    for width in _LANE_CODES
}
"""A block whose candidates lie further apart than this on average (half as far again
as where pages start to pay, at one alignment) is not looked at window by window:
planning the windows would cost more than it could save."""
# Where the lowest byte of an address lies in an array('Q')'s bytes, then the next:
# laid side by side in that order they are the address's low u16, in host order.
_LOW_BYTES = (0, 1) if sys.byteorder == "little" else (6, 7)
_LOW_BYTE = 0 if sys.byteorder == "little" else 7
_RESIDUES = {width: bytes(value % width for value in range(256)) for width in _LANE_CODES}


@dataclass(frozen=True, slots=True)
class PageRun:
    """Pages read in one iovec: ``length`` bytes at ``offset`` in a window, at
    ``position`` in the buffer."""

    offset: int
    position: int
    length: int


@dataclass(frozen=True, slots=True)
class Segment:
    """Candidates ``first`` to ``stop`` (indices), read one way.

    Without ``runs``, their values lie end to end in the buffer from ``position``.
    With them, the values are cut out of those runs of ``window``'s pages, at each of
    the ``alignments`` (address modulo the width) that the candidates have.
    """

    first: int
    stop: int
    position: int
    window: int = 0
    runs: tuple[PageRun, ...] = ()
    alignments: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class GatherPlan:
    """The reads that fetch ``width`` bytes at each of ``count`` sorted addresses.

    ``iovecs`` holds (address, length) pairs laid out as the kernel's ``struct
    iovec`` array; read end to end, they fill a buffer of ``total`` bytes, from which
    :meth:`values` takes candidate ``j``'s value to ``j * width`` of its result.
    """

    width: int
    count: int
    iovecs: array[int]
    segments: tuple[Segment, ...]

    @property
    def reads(self) -> int:
        return len(self.iovecs) // 2

    @property
    def total(self) -> int:
        return sum(self.iovecs[1::2])

    @property
    def size(self) -> int:
        """The buffer to read into: ``total``, and room for the last lane cut."""
        return self.total + self.width

    @property
    def from_pages(self) -> int:
        """How many candidates are cut out of whole pages."""
        return sum(segment.stop - segment.first for segment in self.segments if segment.runs)

    def batches(self) -> list[tuple[int, int, int]]:
        """(first iovec, iovec count, bytes) of each process_vm_readv call, in order."""
        lengths = self.iovecs[1::2]
        return [
            (first, min(IOV_MAX, self.reads - first), sum(lengths[first : first + IOV_MAX]))
            for first in range(0, self.reads, IOV_MAX)
        ]

    def values(self, buffer: bytes | bytearray, addresses: array[int]) -> bytes:
        """The candidates' values end to end, from ``buffer`` as the iovecs filled it."""
        width = self.width
        view = memoryview(buffer)
        parts: list[bytes | memoryview | array[int]] = []
        table: list[int] = []
        for segment in self.segments:
            if not segment.runs:
                end = segment.position + (segment.stop - segment.first) * width
                parts.append(view[segment.position : end])
                continue
            code = _LANE_CODES[width]
            if not table:
                table = [0] * (WINDOW + 2 * PAGE)
            for run in segment.runs:
                end = run.offset + run.length
                for alignment in segment.alignments:
                    # The lane that starts at each offset of this alignment in the run;
                    # the last few run past its end, into bytes no candidate uses.
                    offset, start = run.offset + alignment, run.position + alignment
                    lanes = len(range(offset, end, width))
                    table[offset:end:width] = view[start : start + lanes * width].cast(code)
            offsets = _window_offsets(addresses, segment.first, segment.stop)
            picked = itemgetter(*offsets)(table)
            parts.append(array(code, picked if len(offsets) > 1 else [picked]))
        return b"".join(parts)

    def unreadable_values(
        self, spans: Sequence[tuple[int, int]], addresses: array[int]
    ) -> set[int]:
        """The candidates whose value touches one of ``spans`` (offsets in the buffer)."""
        width = self.width
        pieces: list[tuple[int, Segment, PageRun | None]] = []
        for segment in self.segments:
            pieces.extend((run.position, segment, run) for run in segment.runs)
            if not segment.runs:
                pieces.append((segment.position, segment, None))
        starts = [piece[0] for piece in pieces]
        indices: set[int] = set()
        for start, stop in spans:
            # A span comes from one iovec, so it lies in one piece.
            position, segment, run = pieces[bisect_right(starts, start) - 1]
            if run is None:
                first = segment.first + (start - position) // width
                indices.update(range(first, segment.first - (-(stop - position) // width)))
                continue
            low = segment.window + run.offset + start - position
            high = low + stop - start
            first = bisect_left(addresses, low - width + 1, segment.first, segment.stop)
            indices.update(range(first, bisect_left(addresses, high, first, segment.stop)))
        return indices


def _window_offsets(addresses: array[int], first: int, stop: int) -> list[int]:
    """The offsets of candidates ``first`` to ``stop`` in their window: the low two
    bytes of each address, cut out of the array's bytes by strided slices."""
    raw = addresses[first:stop].tobytes()
    low = bytearray(2 * (stop - first))
    low[0::2] = raw[_LOW_BYTES[0] :: 8]
    low[1::2] = raw[_LOW_BYTES[1] :: 8]
    return memoryview(low).cast("H").tolist()


def plan_gather(
    addresses: array[int], width: int, overlapping: bool = True, pages: bool = True
) -> GatherPlan:
    """The reads for ``width`` bytes at each candidate (``array('Q')``, ascending).

    ``overlapping`` says whether two candidates may be less than ``width`` apart
    (``u16:0`` matches at every byte of a run of zeros); when they cannot, a block
    whose ends are ``width`` apart per candidate is contiguous, which costs nothing
    to see; when they can, only blocks that are checked address by address are.
    ``pages`` False reads every value through its own iovec (or its block's).
    """
    plan = _Planner(addresses, width, overlapping)
    count = len(addresses)
    whole_pages = pages and width in _LANE_CODES
    # Where the run of dense blocks began: together they go window by window.
    dense_from: int | None = None
    for first in range(0, count, BLOCK):
        size = min(BLOCK, count - first)
        span = addresses[first + size - 1] - addresses[first]
        dense = (
            whole_pages
            and span <= size * _DENSE_SPACING[width]
            and not plan.contiguous(first, size)
        )
        if dense:
            dense_from = first if dense_from is None else dense_from
            continue
        if dense_from is not None:
            plan.by_window(dense_from, first)
            dense_from = None
        plan.by_value(first, first + size)
    if dense_from is not None:
        plan.by_window(dense_from, count)
    return plan.done()


class _Planner:
    """The iovecs and segments of a plan, built up in candidate order."""

    def __init__(self, addresses: array[int], width: int, overlapping: bool) -> None:
        self.addresses = addresses
        self.width = width
        self.overlapping = overlapping
        self.iovecs = array("Q")
        self.segments: list[Segment] = []
        self.position = 0
        self._widths = array("Q", [width]) * min(len(addresses), BLOCK)

    def done(self) -> GatherPlan:
        return GatherPlan(self.width, len(self.addresses), self.iovecs, tuple(self.segments))

    def contiguous(self, first: int, size: int) -> bool:
        addresses, width = self.addresses, self.width
        start = addresses[first]
        return addresses[first + size - 1] - start == (size - 1) * width and (
            not self.overlapping
            or addresses[first : first + size]
            == array("Q", range(start, start + size * width, width))
        )

    def by_value(self, first: int, stop: int) -> None:
        """One iovec per candidate, or one for a block of contiguous ones."""
        width = self.width
        last = self.segments[-1] if self.segments else None
        if last is not None and not last.runs and last.stop == first:
            self.segments[-1] = Segment(last.first, stop, last.position)
        else:
            self.segments.append(Segment(first, stop, self.position))
        self.position += (stop - first) * width
        for start in range(first, stop, BLOCK):
            size = min(BLOCK, stop - start)
            if self.contiguous(start, size):
                self.iovecs.append(self.addresses[start])
                self.iovecs.append(size * width)
                continue
            block = array("Q", bytes(16 * size))
            block[0::2] = self.addresses[start : start + size]
            block[1::2] = self._widths[:size]
            self.iovecs.extend(block)

    def by_window(self, first: int, stop: int) -> None:
        """Each window of the block from its pages where that pays, else by value."""
        addresses = self.addresses
        while first < stop:
            window = addresses[first] & ~(WINDOW - 1)
            end = bisect_left(addresses, window + WINDOW, first, stop)
            runs = self._page_runs(first, end, window)
            alignments = self._alignments(first, end)
            if self._worth_pages(end - first, runs, len(alignments)):
                segment = Segment(first, end, self.position, window, runs, alignments)
                self.segments.append(segment)
                for run in runs:
                    self.iovecs.append(window + run.offset)
                    self.iovecs.append(run.length)
                self.position += sum(run.length for run in runs)
            else:
                self.by_value(first, end)
            first = end

    def _page_runs(self, first: int, stop: int, window: int) -> tuple[PageRun, ...]:
        """The pages that the values of candidates ``first`` to ``stop`` touch, in runs."""
        addresses, width = self.addresses, self.width
        spans: list[list[int]] = []
        while first < stop:
            page = addresses[first] & ~(PAGE - 1)
            end = bisect_left(addresses, page + PAGE, first, stop)
            high = page + PAGE
            if addresses[end - 1] + width > high:
                high += PAGE  # the last value runs into the next page
            if spans and spans[-1][1] >= page:
                spans[-1][1] = max(spans[-1][1], high)
            else:
                spans.append([page, high])
            first = end
        runs, position = [], self.position
        for low, high in spans:
            runs.append(PageRun(low - window, position, high - low))
            position += high - low
        return tuple(runs)

    def _alignments(self, first: int, stop: int) -> tuple[int, ...]:
        width = self.width
        if width == 1:
            return (0,)
        low_bytes = self.addresses[first:stop].tobytes()[_LOW_BYTE::8]
        present = low_bytes.translate(_RESIDUES[width])
        return tuple(alignment for alignment in range(width) if alignment in present)

    def _worth_pages(self, count: int, runs: tuple[PageRun, ...], alignments: int) -> bool:
        pages = sum(run.length for run in runs) // PAGE
        entries = pages * alignments * (PAGE // self.width)
        return count * _SAVED_PER_VALUE >= pages * _PAGE_READ + entries * _TABLE_ENTRY
