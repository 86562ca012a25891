"""A process with a readable mapping whose middle cannot be read, then tiny floats.

    python beyond_eof_target.py

Maps four pages in a row: a private mapping of a one-page file (0xff bytes) three
pages long, so its last two pages lie beyond the end of the file (reading them
through /proc/PID/mem fails with EIO, though the maps call them readable), then an
anonymous page of f64s alternating 5e-324 (the smallest positive) and -0.0. Prints
``base=0x... page=N``, then waits until stdin closes.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import struct
import sys
import tempfile

MAP_FIXED = 0x10


def libc_with_mmap() -> ctypes.CDLL:
    """libc, its mmap typed to take and return addresses (MAP_FIXED needs libc's)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long,
    ]  # fmt: skip
    return libc


def main() -> None:
    libc = libc_with_mmap()
    page = mmap.PAGESIZE
    writable = mmap.PROT_READ | mmap.PROT_WRITE
    base = libc.mmap(None, 4 * page, writable, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    descriptor, path = tempfile.mkstemp()
    os.write(descriptor, b"\xff" * page)
    os.unlink(path)
    if libc.mmap(base, 3 * page, writable, mmap.MAP_PRIVATE | MAP_FIXED, descriptor, 0) != base:
        raise SystemExit(f"mmap: {os.strerror(ctypes.get_errno())}")
    words = [5e-324 if index % 2 == 0 else -0.0 for index in range(page // 8)]
    ctypes.memmove(base + 3 * page, struct.pack(f"<{len(words)}d", *words), page)
    print(f"base={base:#x} page={page}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
