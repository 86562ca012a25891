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
    return [
        m
        for m in mappings
        if not m.path and m.start % HEAP_MAX_SIZE == 0 and m.perms.startswith("rw")
    ]


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
