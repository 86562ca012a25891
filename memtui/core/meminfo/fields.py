"""What each /proc/meminfo field means, and which ones the dashboard shows first.

The meanings of the leak-relevant fields follow the seed notes (the book's hacks on
/proc/meminfo); the rest follow the kernel's Documentation/filesystems/proc.rst.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# The fields that reveal a leak come first; the rest fill the grid where space allows.
DEFAULT_FIELDS: tuple[str, ...] = (
    "Committed_AS",
    "AnonPages",
    "MemFree",
    "Cached",
    "SwapFree",
    "MemAvailable",
    "Slab",
    "PageTables",
    "Mapped",
    "Buffers",
)

CONSTANT_FIELDS = frozenset(
    {"MemTotal", "SwapTotal", "Hugepagesize", "VmallocTotal", "HugePages_Total"}
    | {"DirectMap4k", "DirectMap2M", "DirectMap1G", "DirectMap4M"}
)
"""Fields that stay put while the machine runs: a tile of one is a flat line."""
SWAP_FIELDS = frozenset({"SwapFree", "SwapCached", "Zswap", "Zswapped"})
"""Fields that are zero for good on a machine without swap."""


def moving_fields(names: Sequence[str], sample: Mapping[str, int] | None = None) -> list[str]:
    """``names`` less the ones a tile would show flat: the constant fields, and, when
    ``sample`` says the machine has no swap (SwapTotal 0), the swap fields."""
    no_swap = sample is not None and sample.get("SwapTotal", 0) == 0
    return [
        name
        for name in names
        if name not in CONSTANT_FIELDS and not (no_swap and name in SWAP_FIELDS)
    ]


FIELD_MEANINGS: dict[str, str] = {
    "MemTotal": "usable RAM: physical memory less reserved bits and the kernel binary",
    "MemFree": "total free memory; grows as memory is released",
    "MemAvailable": "estimate of memory available for new programs without swapping",
    "Buffers": "buffer cache: cached data of block devices; grows with device-file I/O",
    "Cached": "page cache: contents of ordinary files (excludes Buffers and SwapCached)",
    "SwapCached": "swapped-out pages swapped back in, still on swap: freed without I/O",
    "Active": "pages on the Active LRU lists, used recently",
    "Inactive": "pages on the Inactive LRU lists, candidates for reclaim",
    "Active(anon)": "anonymous pages on the Active LRU list",
    "Inactive(anon)": "anonymous pages on the Inactive LRU list",
    "Active(file)": "file-backed pages on the Active LRU list",
    "Inactive(file)": "file-backed pages on the Inactive LRU list",
    "Unevictable": "pages that cannot be reclaimed (mlocked, ramfs, ...)",
    "Mlocked": "pages locked into memory with mlock()",
    "SwapTotal": "total swap space",
    "SwapFree": "free swap space; falls as memory is pushed out to swap",
    "Zswap": "memory used by the zswap compressed cache",
    "Zswapped": "amount of anonymous memory stored in zswap, uncompressed",
    "Dirty": "memory waiting to be written back to disk",
    "Writeback": "memory being written back to disk right now",
    "AnonPages": "pages of anonymous regions, mostly process heaps; grows with heap growth",
    "Mapped": "pages mapped to files: code of running processes, mmap(MAP_SHARED)",
    "Shmem": "shared memory and tmpfs pages",
    "KReclaimable": "kernel allocations the kernel can reclaim under pressure",
    "Slab": "kernel slab allocator: the kernel's and drivers' small allocations",
    "SReclaimable": "part of Slab that can be reclaimed, such as caches",
    "SUnreclaim": "part of Slab that cannot be reclaimed under memory pressure",
    "KernelStack": "memory of the kernel stacks of all tasks",
    "ShadowCallStack": "memory of shadow call stacks (arm64)",
    "PageTables": "memory used by page tables; grows with the address space in use",
    "SecPageTables": "secondary page tables (KVM and IOMMU)",
    "NFS_Unstable": "NFS pages sent to the server but not yet committed",
    "Bounce": "memory used for block device bounce buffers",
    "WritebackTmp": "memory used by FUSE for temporary writeback buffers",
    "CommitLimit": "total memory that can be committed under strict overcommit",
    "Committed_AS": "memory processes have committed, even unbacked: best single leak sign",
    "VmallocTotal": "total size of the vmalloc virtual address space",
    "VmallocUsed": "vmalloc space in use",
    "VmallocChunk": "largest free contiguous block of vmalloc space",
    "Percpu": "memory used by per-CPU allocations",
    "HardwareCorrupted": "memory the kernel set aside because of hardware errors",
    "AnonHugePages": "anonymous transparent huge pages mapped into user space",
    "ShmemHugePages": "shared memory and tmpfs backed by huge pages",
    "ShmemPmdMapped": "shared memory mapped into user space with huge pages",
    "FileHugePages": "file-backed memory (page cache) held in huge pages",
    "FilePmdMapped": "file-backed huge pages mapped into user space",
    "CmaTotal": "memory reserved for the contiguous memory allocator",
    "CmaFree": "free memory in the CMA reserves",
    "Unaccepted": "memory the guest has not accepted yet (confidential VMs)",
    "Balloon": "memory returned to the host by the balloon driver",
    "HugePages_Total": "size of the huge page pool (a count of pages)",
    "HugePages_Free": "huge pages in the pool not yet allocated (a count)",
    "HugePages_Rsvd": "huge pages reserved but not yet allocated (a count)",
    "HugePages_Surp": "surplus huge pages above the configured pool (a count)",
    "Hugepagesize": "default size of a huge page",
    "Hugetlb": "total memory used by huge pages of all sizes",
    "DirectMap4k": "kernel identity mapping done with 4 KiB pages",
    "DirectMap2M": "kernel identity mapping done with 2 MiB pages",
    "DirectMap4M": "kernel identity mapping done with 4 MiB pages",
    "DirectMap1G": "kernel identity mapping done with 1 GiB pages",
}


def is_count_field(name: str) -> bool:
    """HugePages_* values are page counts, not sizes: never format them as bytes."""
    return name.startswith("HugePages_")


def field_meaning(name: str) -> str:
    """A one-line meaning for any field, known or not."""
    return FIELD_MEANINGS.get(name, "reported by this kernel; see proc(5) for its meaning")
