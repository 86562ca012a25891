"""Which reads fetch a small value at each of many addresses, in few system calls.

A narrowing scan re-reads the value at every candidate address, a million of them
perhaps. One system call per value would cost a million calls, and any Python loop
over a million candidates costs a tenth of a second per operation. So the plan asks
the kernel for one iovec per candidate, end to end into one buffer, and
process_vm_readv takes them :data:`IOV_MAX` at a time: the values come out in
order, with nothing to cut apart afterwards. Candidates that sit side by side (an
array of counters, all equal at first) are merged into one iovec, a block of
:data:`BLOCK` candidates at a time: a block whose addresses are contiguous is one
read, any other block one read per candidate.

Nothing here loops over candidates in Python: slices and slice assignment of
``array('Q')`` do the work in C. Figures: docs/performance.md, "Narrowing scans".
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

# The kernel takes at most this many iovecs per process_vm_readv (UIO_MAXIOV).
IOV_MAX = 1024
# Candidates looked at together for contiguity: small enough that a dense array next
# to scattered matches is still found dense, large enough that the blocks of a
# million candidates are a short loop.
BLOCK = 4096


@dataclass(frozen=True, slots=True)
class GatherPlan:
    """The reads that fetch ``width`` bytes at each of ``count`` sorted addresses.

    ``iovecs`` holds (address, length) pairs laid out as the kernel's ``struct
    iovec`` array; read end to end, they fill a buffer of ``count * width`` bytes
    that holds candidate ``j``'s value at ``j * width``.
    """

    width: int
    count: int
    iovecs: array[int]

    @property
    def reads(self) -> int:
        return len(self.iovecs) // 2

    @property
    def total(self) -> int:
        return self.count * self.width

    def batches(self) -> list[tuple[int, int, int]]:
        """(first iovec, iovec count, bytes) of each process_vm_readv call, in order."""
        lengths = self.iovecs[1::2]
        return [
            (first, min(IOV_MAX, self.reads - first), sum(lengths[first : first + IOV_MAX]))
            for first in range(0, self.reads, IOV_MAX)
        ]


def plan_gather(addresses: array[int], width: int, overlapping: bool = True) -> GatherPlan:
    """One read per candidate (``array('Q')``, ascending), one per contiguous block.

    ``overlapping`` says whether two candidates may be less than ``width`` apart
    (``u16:0`` matches at every byte of a run of zeros); when they cannot, a block
    whose ends are ``width`` apart per candidate is contiguous, which costs nothing
    to see; when they can, only blocks that are checked address by address are.
    """
    count = len(addresses)
    iovecs = array("Q")
    widths = array("Q", [width]) * min(count, BLOCK)
    for first in range(0, count, BLOCK):
        size = min(BLOCK, count - first)
        start = addresses[first]
        if addresses[first + size - 1] - start == (size - 1) * width and (
            not overlapping
            or addresses[first : first + size]
            == array("Q", range(start, start + size * width, width))
        ):
            iovecs.append(start)
            iovecs.append(size * width)
            continue
        block = array("Q", bytes(16 * size))
        block[0::2] = addresses[first : first + size]
        block[1::2] = widths[:size]
        iovecs.extend(block)
    return GatherPlan(width, count, iovecs)
