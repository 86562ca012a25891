"""One malloc arena for the whole process, and its free pages given back: so that
memtui's own memory stays flat over hours.

glibc gives each new thread that allocates an arena of its own, up to eight per
core, and rarely gives their freed pages back. memtui reads /proc on worker threads
(Textual starts a thread for each read); what they allocate the main thread keeps a
while and frees, and on a machine where processes come and go those arenas
fragmented: the dashboard's RSS crept up by megabytes an hour while its Python heap
stayed flat (docs/performance.md). Python allocates under the GIL, so threads gain
nothing from arenas of their own.
"""

from __future__ import annotations

import ctypes

M_ARENA_MAX = -8
"""mallopt's parameter for the most arenas (glibc's malloc.h)."""


def use_one_arena() -> bool:
    """Keep every thread on the main arena; call before the first thread starts.

    Returns False where the C library is not glibc (musl has no thread arenas)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, 1))


def give_back_free_memory() -> bool:
    """Return the free pages inside malloc's heap to the system (``malloc_trim``).

    free() gives back only the top of the heap: after a neighbour's burst of processes
    memtui's heap held 60 MiB free but resident, below what it still used
    (docs/performance.md). About a millisecond with 32 MiB free in 8,000 holes, far
    less once given back. False off glibc."""
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    malloc_trim.argtypes = (ctypes.c_size_t,)
    malloc_trim.restype = ctypes.c_int
    malloc_trim(0)
    return True
