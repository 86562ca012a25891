"""A 4 MiB readable region with unreadable pages inside it, in both of its halves.

    python eof_holes_target.py

An anonymous mapping of 1024 pages, page N filled with the byte N & 0xff, over which
two private mappings of a one-page file (0xff bytes), three pages long each, are laid
at pages 100 and 700: their last two pages lie beyond the end of the file, so the
maps call them readable but /proc/PID/mem fails there with EIO. A large read of the
region is split between two threads; each half meets a hole. Prints
``base=0x... page=N``, then waits until stdin closes.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
import tempfile

from beyond_eof_target import MAP_FIXED, libc_with_mmap  # this script's directory

PAGES = 1024
HOLES_AT = (100, 700)


def main() -> None:
    libc = libc_with_mmap()
    page = mmap.PAGESIZE
    writable = mmap.PROT_READ | mmap.PROT_WRITE
    anonymous = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    base = libc.mmap(None, PAGES * page, writable, anonymous, -1, 0)
    for index in range(PAGES):
        ctypes.memset(base + index * page, index & 0xFF, page)
    descriptor, path = tempfile.mkstemp()
    os.write(descriptor, b"\xff" * page)
    os.unlink(path)
    for at in HOLES_AT:
        address = base + at * page
        got = libc.mmap(address, 3 * page, writable, mmap.MAP_PRIVATE | MAP_FIXED, descriptor, 0)
        if got != address:
            raise SystemExit(f"mmap: {os.strerror(ctypes.get_errno())}")
    print(f"base={base:#x} page={page}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
