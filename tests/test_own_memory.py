"""memtui's own memory stays flat over hours: what once made it creep must not return.

Its worker threads (a new one for each read of /proc) once got malloc arenas of their
own from glibc, whose freed pieces were never given back: on a machine where
processes come and go, memtui's RSS crept up by megabytes an hour with its Python
heap flat (docs/performance.md, "memtui's own memory over an hour").
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

from test_terminals import terminal_env

from memtui.core.process_memory.proc_maps import Mapping, read_maps

HEAP_MAX_SIZE = 64 << 20
"""What glibc reserves for each arena but the main one (on 64-bit), aligned to its size."""


def thread_arenas(mappings: list[Mapping]) -> list[Mapping]:
    """The heaps of glibc's thread arenas: anonymous, starting at a multiple of
    HEAP_MAX_SIZE, the used part readable and the rest of the reservation not."""
    # A lone 2 MiB anonymous mapping can start there too: the kernel aligns large
    # anonymous mappings to 2 MiB, one in 32 of them lands on 64 MiB (seen in CI).
    # A heap is the whole reservation: its used part, then the rest, inaccessible.
    by_start = {m.start: m for m in mappings}
    heaps = []
    for m in mappings:
        if m.path or m.start % HEAP_MAX_SIZE or not m.perms.startswith("rw"):
            continue
        rest = by_start.get(m.end)
        if m.end - m.start == HEAP_MAX_SIZE or (
            rest is not None
            and rest.perms.startswith("---")
            and rest.end == m.start + HEAP_MAX_SIZE
        ):
            heaps.append(m)
    return heaps


def drain(fd: int, seconds: float) -> None:
    """Read what the app writes for ``seconds``, so it never blocks on a full pty."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], min(left, 0.1))
        if ready:
            try:
                if not os.read(fd, 65536):
                    return
            except OSError:  # EIO: the child closed the pty
                return


def test_worker_threads_allocate_from_the_main_arena() -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the dashboard on the pty, as a user runs it
        os.execve(sys.executable, [sys.executable, "-m", "memtui"], terminal_env())
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    try:
        # Meminfo is read every second, the processes at once and every 6 s, the
        # deferred imports after 1 s: each read on a thread of its own.
        drain(fd, 5.0)
        threads_seen = len(os.listdir(f"/proc/{pid}/task"))
        arenas = thread_arenas(read_maps(pid))
        os.write(fd, b"q")
        drain(fd, 10.0)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert threads_seen >= 2  # Textual's input and writer threads at least
    assert arenas == [], [f"{m.start:x}-{m.end:x}" for m in arenas]


FRAGMENT_AND_GIVE_BACK = """
import sys
from memtui.core.malloc_arena import give_back_free_memory, use_one_arena

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

use_one_arena()
start = rss_kib()
# 64 MiB in 4 KiB pieces (malloc's heap, not mmap), then one piece kept at the top:
# free() can trim the heap only from its top, so the rest stays resident.
pieces = [bytes(4000) for _ in range(16000)]
keep = bytes(4000)
del pieces
kept = rss_kib() - start
give_back_free_memory()
print(kept, rss_kib() - start)
"""


def test_free_memory_inside_the_heap_is_given_back() -> None:
    # A neighbour's burst of processes once left 60 MiB of memtui's heap free but
    # resident (its RSS from 65 to 126 MiB, docs/performance.md): malloc gives back
    # only the top of the heap on its own.
    result = subprocess.run(
        [sys.executable, "-c", FRAGMENT_AND_GIVE_BACK], capture_output=True, text=True, check=True
    )
    kept, after = (int(part) for part in result.stdout.split())
    assert kept > 48 * 1024  # the freed pieces were still resident
    assert after < 16 * 1024, result.stdout
