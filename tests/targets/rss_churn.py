"""A process whose RSS never stands still, for the memory view's own memory.

    python tests/targets/rss_churn.py

It touches one more page of a 1 MiB anonymous region every 2 ms and drops them all
when it reaches the end, so every read of its smaps finds new RSS figures: each
refresh of the memory view's mappings table then has cells to update. Prints
``ready`` once the region is mapped. Shared by tests/test_memory_view.py and
bench/bench_memory_view_rss.py.
"""

from __future__ import annotations

import mmap
import time

PAGES = 256
PAGE = mmap.PAGESIZE


def main() -> None:
    region = mmap.mmap(-1, PAGES * PAGE)
    print("ready", flush=True)
    page = 0
    while True:
        region[page * PAGE] = 1
        page = (page + 1) % PAGES
        if page == 0:
            region.madvise(mmap.MADV_DONTNEED)
        time.sleep(0.002)


if __name__ == "__main__":
    main()
