"""Workloads that must NOT raise the leak verdict, run as real processes.

    python tests/targets/leak_workloads.py churn|bursty|steady [--seconds S] [--dir D]

- ``churn``: page-cache churn. Writes a large file (256 MiB by default) with fsync,
  reads it back, drops it from the cache (posix_fadvise DONTNEED) and starts over,
  alternating between two files: Cached, Dirty and MemFree swing by hundreds of MiB
  while no process memory grows.
- ``bursty``: allocates 64-256 MiB in one burst (touched, via libc malloc like a C
  program), holds it 1-3 s, frees it, pauses 1-2 s, over and over.
- ``steady``: allocates and touches 128 MiB once, then keeps re-touching it (so it
  stays resident and busy) without growing.
- ``plateau``: a cache warming up: grows by ``--size-mib`` (300 by default) over
  ``--grow-seconds`` (120), then holds flat; prints ``plateau`` when it stops growing.
- ``compile``: a compile loop: one short job after another (a child that allocates
  32-160 MiB, touches it and exits within a few seconds), two at a time.

Each prints ``ready`` on stdout when started and names itself (/proc/PID/comm) so
tests and the bench can tell it from everything else. ``watch()`` feeds a
LeakDetector from the real samplers while they run. Shared by
tests/test_leak_detection.py and bench/bench_leak_detection.py.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from memtui.core.leak.leak_detector import LeakDetector, LeakSettings, LeakVerdict
from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.meminfo.parser import read_meminfo
from memtui.core.processes.process_history import ProcessHistories
from memtui.core.processes.process_table import ProcessTableSampler

MIB = 1 << 20


def _name(name: str) -> None:
    with open("/proc/self/comm", "w") as comm:
        comm.write(name[:15])


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    return libc


def churn(seconds: float, directory: str, size: int) -> None:
    _name("wl-churn")
    chunk = os.urandom(4 * MIB)
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(dir=directory, prefix="memtui-churn-") as tmp:
        paths = [os.path.join(tmp, f"churn-{i}") for i in range(2)]
        print("ready", flush=True)
        turn = 0
        while time.monotonic() < deadline:
            path = paths[turn % 2]
            turn += 1
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                for _ in range(size // len(chunk)):
                    os.write(fd, chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
            fd = os.open(path, os.O_RDONLY)
            try:
                while os.read(fd, 4 * MIB):
                    pass
                # Drop it so the next round reads and writes for real, not from cache.
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def bursty(seconds: float) -> None:
    _name("wl-bursty")
    libc = _libc()
    rng = random.Random(5)
    deadline = time.monotonic() + seconds
    print("ready", flush=True)
    while time.monotonic() < deadline:
        blocks = []
        for _ in range(rng.randint(16, 64)):
            block = libc.malloc(4 * MIB)
            libc.memset(block, 1, 4 * MIB)
            blocks.append(block)
        time.sleep(rng.uniform(1.0, 3.0))
        for block in blocks:
            libc.free(block)
        time.sleep(rng.uniform(1.0, 2.0))


def steady(seconds: float) -> None:
    _name("wl-steady")
    libc = _libc()
    size = 128 * MIB
    block = libc.malloc(size)
    libc.memset(block, 1, size)
    deadline = time.monotonic() + seconds
    print("ready", flush=True)
    while time.monotonic() < deadline:
        libc.memset(block, 2, size)
        time.sleep(0.5)
    libc.free(block)


def plateau(seconds: float, size: int, grow_seconds: float) -> None:
    _name("wl-plateau")
    libc = _libc()
    step = 4 * MIB
    blocks = []
    began = time.monotonic()
    print("ready", flush=True)
    while len(blocks) * step < size:
        due = (time.monotonic() - began) / grow_seconds * size
        while len(blocks) * step < min(due, size):
            block = libc.malloc(step)
            libc.memset(block, 1, step)
            blocks.append(block)
        time.sleep(0.1)
    print("plateau", flush=True)
    deadline = began + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)


_COMPILE_JOB = (
    "import ctypes, random, time\n"
    "libc = ctypes.CDLL('libc.so.6')\n"
    "libc.malloc.restype = ctypes.c_void_p\n"
    "libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]\n"
    "for _ in range(random.randint(8, 40)):\n"
    "    block = libc.malloc(4 << 20)\n"
    "    libc.memset(block, 1, 4 << 20)\n"
    "    time.sleep(random.uniform(0.01, 0.08))\n"
)


def compile_loop(seconds: float) -> None:
    _name("wl-compile")
    deadline = time.monotonic() + seconds
    print("ready", flush=True)
    jobs: list[subprocess.Popen[bytes]] = []
    while time.monotonic() < deadline:
        jobs = [job for job in jobs if job.poll() is None]
        while len(jobs) < 2:
            jobs.append(subprocess.Popen([sys.executable, "-c", _COMPILE_JOB]))
        time.sleep(0.1)
    for job in jobs:
        job.wait()


@dataclass(frozen=True)
class Observation:
    """One detector update while watching: seconds since the watch began, and the verdict."""

    at: float
    verdict: LeakVerdict


def watch(
    seconds: float,
    *,
    interval: float = 0.5,
    table_interval: float = 0.5,
    settings: LeakSettings | None = None,
    until: Callable[[Observation], bool] | None = None,
    started: float | None = None,
) -> list[Observation]:
    """Feed a LeakDetector from the real samplers, as the dashboard does, for ``seconds``.

    meminfo every ``interval``, the process table every ``table_interval``; stops
    early when ``until`` returns True. ``started`` (monotonic) is the zero of ``at``.
    """
    detector = LeakDetector(settings, exclude={os.getpid()})
    span = detector.settings.window * 1.5
    history = MeminfoHistory(span_seconds=span, capacity=int(span / min(interval, 0.25)) + 2)
    processes = ProcessHistories()
    sampler = ProcessTableSampler(pss_budget=0)  # growth uses RSS+swap; PSS would only cost
    zero = time.monotonic() if started is None else started
    begin = time.monotonic()
    observations: list[Observation] = []
    next_table = begin
    tick = 0
    while (now := time.monotonic()) < begin + seconds:
        if now >= next_table:
            processes.add_table(sampler.sample(), time.time())
            next_table += table_interval
        history.append(time.time(), read_meminfo())
        observation = Observation(now - zero, detector.evaluate(history, processes))
        observations.append(observation)
        if until is not None and until(observation):
            break
        tick += 1
        delay = begin + tick * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return observations


def start_workload(argv: list[str], ready_on: str) -> subprocess.Popen[str]:
    """Start a workload and wait for its first line on ``ready_on`` (stdout or stderr)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stream = proc.stderr if ready_on == "stderr" else proc.stdout
    assert stream is not None
    assert stream.readline(), f"{argv} exited before it was ready"
    return proc


def stop_workload(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, then SIGKILL after 10 s; return what it wrote on stderr."""
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=("churn", "bursty", "steady", "plateau", "compile"))
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--grow-seconds", type=float, default=120.0)
    args = parser.parse_args()
    if args.workload == "churn":
        churn(args.seconds, args.dir, args.size_mib * MIB)
    elif args.workload == "bursty":
        bursty(args.seconds)
    elif args.workload == "plateau":
        plateau(args.seconds, args.size_mib * MIB, args.grow_seconds)
    elif args.workload == "compile":
        compile_loop(args.seconds)
    else:
        steady(args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
