"""`memtui demo-leak`: the book's leak experiment as a real process to watch.

N threads each allocate a random size from 1 B to ``--max-alloc`` with libc's own
malloc (through ctypes, so glibc's per-thread arenas behave as in the seed notes:
Committed_AS may not move while AnonPages and RSS climb), touch the block with
probability 0.5, and forget to free it with probability ``--leak``. ``--no-leak``
frees everything: the control, whose curves must stay flat.

``--rate MIB_PER_MIN`` replaces the random leak with a paced one for benchmarks: on
top of the same random churn, the threads leak touched blocks so that the leaked
resident bytes follow ``rate x elapsed`` within one allocation's worth.

It never leaks more than a quarter of MemAvailable as measured at start: at that cap
it stops leaking, says so on stderr, and keeps churning as a steady state. It frees
everything on the way out (after ``--duration``, Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import FrameType

from memtui.core.meminfo.parser import read_meminfo
from memtui.core.units import format_bytes, format_rate
from memtui.entry_point import INTERRUPTED

MIB = 1 << 20
# psutil and the leak verdict show this name (/proc/PID/comm), whatever the launcher.
PROCESS_NAME = "demo-leak"


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.restype = None
    libc.free.argtypes = [ctypes.c_void_p]
    libc.memset.restype = ctypes.c_void_p
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    return libc


@dataclass
class LeakState:
    """What the threads share; every field is guarded by ``lock``."""

    cap: int
    """Most bytes that may be leaked (a quarter of MemAvailable at start)."""
    rate: float | None
    """Paced leak in bytes per minute of touched memory, or None for the random leak."""
    started: float
    """When leaking begins (monotonic): start plus ``--start-after``."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    leaked: list[tuple[int, int]] = field(default_factory=list)
    """(address, size) of every leaked block, so the process can free them at exit."""
    leaked_bytes: int = 0
    touched_bytes: int = 0
    allocations: int = 0
    capped: bool = False

    def reserve(self, size: int) -> bool:
        """May ``size`` more bytes be leaked? Marks the cap reached when not."""
        if self.leaked_bytes + size > self.cap:
            self.capped = True
            return False
        return True

    def paced_debt(self, now: float) -> int:
        """Bytes the paced leak is behind its schedule (0 without ``--rate``)."""
        if self.rate is None or now < self.started:
            return 0
        return int(self.rate * (now - self.started) / 60.0) - self.touched_bytes


def _worker(
    libc: ctypes.CDLL,
    state: LeakState,
    stop: threading.Event,
    *,
    max_alloc: int,
    leak: float,
    period: float,
    seed: int,
) -> None:
    rng = random.Random(seed)
    next_tick = time.monotonic()
    while not stop.is_set():
        size = rng.randint(1, max_alloc)
        block = libc.malloc(size)
        if block is None:
            # malloc failed: memory is short; back off rather than crash the demo.
            stop.wait(period)
            continue
        touched = rng.random() < 0.5
        if touched:
            libc.memset(block, 0x5A, size)
        keep = state.rate is None and rng.random() < leak and time.monotonic() >= state.started
        with state.lock:
            state.allocations += 1
            if keep and state.reserve(size):
                state.leaked.append((block, size))
                state.leaked_bytes += size
                state.touched_bytes += size if touched else 0
                block = None
        if block is not None:
            libc.free(block)
        if state.rate is not None:
            _pay_paced_debt(libc, state, max_alloc)
        next_tick += period
        delay = next_tick - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            next_tick = time.monotonic()  # fell behind: do not burst to catch up


def _guarded(
    work: Callable[[], None], failures: list[BaseException], stop: threading.Event
) -> Callable[[], None]:
    """``work`` as a thread's target that, if it fails, records why and stops the demo:
    a thread's exception would otherwise be printed as a traceback and forgotten, and
    the demo would go on (and exit 0) without it."""

    def run() -> None:
        try:
            work()
        except BaseException as error:  # the main thread reports it and exits 1
            failures.append(error)
            stop.set()

    return run


def _pay_paced_debt(libc: ctypes.CDLL, state: LeakState, max_alloc: int) -> None:
    with state.lock:
        debt = min(state.paced_debt(time.monotonic()), max_alloc)
        if debt <= 0 or not state.reserve(debt):
            return
        # Claim the bytes before the memset so another thread does not pay them too.
        state.leaked_bytes += debt
        state.touched_bytes += debt
    block = libc.malloc(debt)
    if block is None:
        with state.lock:
            state.leaked_bytes -= debt
            state.touched_bytes -= debt
        return
    libc.memset(block, 0x5A, debt)
    with state.lock:
        state.leaked.append((block, debt))


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _name_process() -> None:
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write(PROCESS_NAME)
    except OSError:
        pass  # only cosmetic: the verdict then shows "python3" or "memtui"


def run_demo_leak(args: argparse.Namespace) -> int:
    """Run the demo; the parser has checked every option (memtui.cli)."""
    try:
        available = read_meminfo().get("MemAvailable")
    except OSError as error:
        print(f"memtui: cannot read /proc/meminfo: {error.strerror}", file=sys.stderr)
        return 1
    if available is None:
        print("memtui demo-leak: /proc/meminfo has no MemAvailable", file=sys.stderr)
        return 1
    leak = 0.0 if args.no_leak else args.leak
    rate = None if args.no_leak or args.rate is None else args.rate * MIB
    began = time.monotonic()
    # A smaller --cap is honoured; a larger one is not: a quarter is the promise.
    cap = available // 4 if args.cap is None else min(args.cap, available // 4)
    state = LeakState(cap=cap, rate=rate, started=began + args.start_after)
    libc = _libc()
    _name_process()
    signal.signal(signal.SIGTERM, _raise_exit)

    what = (
        "no leak (control)"
        if args.no_leak
        else f"leaking {format_rate(rate)} paced"
        if rate is not None
        else f"leaking {leak:.0%} of blocks"
    )
    print(
        f"demo-leak pid {os.getpid()}: {args.threads} threads x {args.allocs:g} allocs/s, "
        f"1 B..{format_bytes(args.max_alloc, 1)}, {what}, "
        f"cap {format_bytes(state.cap, 1)}, for {args.duration:g} s"
        + (f", leaking from {args.start_after:g} s" if args.start_after else ""),
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()
    interrupted = False
    failures: list[BaseException] = []
    threads: list[threading.Thread] = []
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    try:
        for i in range(args.threads):
            work = partial(
                _worker,
                libc,
                state,
                stop,
                max_alloc=args.max_alloc,
                leak=leak,
                period=1.0 / args.allocs,
                seed=seed + i,
            )
            thread = threading.Thread(
                target=_guarded(work, failures, stop), name=f"leaker-{i}", daemon=True
            )
            try:
                thread.start()
            except RuntimeError as error:  # no memory or no task left for its stack
                print(
                    f"memtui demo-leak: cannot start thread {i + 1} of {args.threads}: {error}",
                    file=sys.stderr,
                )
                return 1
            threads.append(thread)
        _report_until(state, stop, began, began + args.duration, args.status_interval)
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C ends the demo like --duration does, and says so: 130
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        with state.lock:
            for block, _size in state.leaked:
                libc.free(block)
            state.leaked.clear()
    if failures:
        failure = failures[0]
        print(
            f"memtui demo-leak: a worker thread failed: {str(failure) or type(failure).__name__}",
            file=sys.stderr,
        )
        return 1
    return INTERRUPTED if interrupted else 0


def _report_until(
    state: LeakState, stop: threading.Event, began: float, deadline: float, every: float
) -> None:
    """A status line every ``every`` seconds until ``deadline`` or a failed thread."""
    told_capped = False
    while (now := time.monotonic()) < deadline and not stop.is_set():
        stop.wait(min(every, deadline - now))
        if stop.is_set():
            return
        with state.lock:
            leaked, touched, capped = state.leaked_bytes, state.touched_bytes, state.capped
        elapsed = max(time.monotonic() - began, 1e-9)
        if capped and not told_capped:
            told_capped = True
            print(
                f"demo-leak: cap reached ({format_bytes(state.cap, 1)}; never more than a "
                "quarter of MemAvailable at start): no more leaking, steady state from now on",
                file=sys.stderr,
                flush=True,
            )
        print(
            f"demo-leak: {elapsed:5.0f} s  leaked {format_bytes(leaked, 1)} "
            f"({format_bytes(touched, 1)} touched)  "
            f"{format_rate(leaked * 60.0 / elapsed)} on average",
            file=sys.stderr,
            flush=True,
        )
