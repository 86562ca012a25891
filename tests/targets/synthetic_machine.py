"""A machine made of numbers, to drive the real recorder and detector through hours or
days in seconds: processes whose memory follows given curves, and a /proc/meminfo
whose AnonPages and MemAvailable move with them (the rest of the fields are this
machine's own, with a little noise on the ones that move every second).

Used by the store's tests (a leak at a known rate, a reused pid) and by the benches
(a simulated day of 300-500 processes: the store's size, the verdict's false alarms).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from memtui.core.meminfo.parser import read_meminfo
from memtui.core.processes.process_table import ProcessRow, ProcessTable

MIB = 1 << 20
START = 1_800_000_000.0  # 2027-01-15: clear of any real recording's times
_MOVING = ("MemFree", "MemAvailable", "Cached", "Active(file)", "Inactive(file)", "Slab", "Dirty")


@dataclass
class SyntheticProcess:
    pid: int
    name: str
    memory: Callable[[float], float]
    """RSS in bytes at a time (seconds since the machine started)."""
    born: float = 0.0
    dies: float = math.inf
    swap: Callable[[float], float] = lambda t: 0.0
    start_time: float = field(default=0.0)

    def alive(self, t: float) -> bool:
        return self.born <= t < self.dies


def flat(size: float) -> Callable[[float], float]:
    return lambda t: size


def leaking(size: float, rate_per_minute: float, start: float = 0.0) -> Callable[[float], float]:
    """``size``, then growing ``rate_per_minute`` bytes a minute from ``start``."""
    return lambda t: size + max(0.0, t - start) * rate_per_minute / 60.0


def plateau(size: float, grow: float, start: float, end: float) -> Callable[[float], float]:
    """``size``, growing by ``grow`` bytes between ``start`` and ``end``, then flat."""

    def memory(t: float) -> float:
        if t <= start:
            return size
        return size + grow * min(1.0, (t - start) / (end - start))

    return memory


def churning(size: float, swing: float, period: float, seed: int) -> Callable[[float], float]:
    """Allocate-and-free: a sawtooth with jitter around ``size``."""
    rng = random.Random(seed)
    phase = rng.uniform(0, period)
    jitter = [rng.uniform(-0.2, 0.2) for _ in range(64)]

    def memory(t: float) -> float:
        position = ((t + phase) % period) / period
        return size + swing * (position + jitter[int(t // period) % 64] * 0.1)

    return memory


class SyntheticMachine:
    """Processes plus a meminfo that sums them; ``meminfo(t)`` and ``table(t)``."""

    def __init__(self, processes: list[SyntheticProcess], seed: int = 1) -> None:
        self.processes = processes
        self.rng = random.Random(seed)
        self.base = dict(read_meminfo())
        for process in processes:
            if not process.start_time:
                # Those alive when the machine is first watched started long before.
                early = 86400.0 if process.born <= 0 else 1.0
                process.start_time = START + process.born - early
        self._anon_base = self.base.get("AnonPages", 512 * MIB)
        self._initial = sum(p.memory(0.0) for p in processes if p.alive(0.0))

    def meminfo(self, t: float) -> dict[str, int]:
        used = sum(p.memory(t) + p.swap(t) for p in self.processes if p.alive(t))
        grown = used - self._initial
        sample = dict(self.base)
        for name in _MOVING:
            if name in sample:
                sample[name] = max(0, int(sample[name] + self.rng.gauss(0, 2 * MIB)) // 4096 * 4096)
        sample["AnonPages"] = int(self._anon_base + grown) // 4096 * 4096
        if "Committed_AS" in sample:
            sample["Committed_AS"] = int(sample["Committed_AS"] + grown) // 4096 * 4096
        for name in ("MemAvailable", "MemFree"):
            if name in sample:
                sample[name] = max(0, int(sample[name] - grown)) // 4096 * 4096
        return sample

    def table(self, t: float) -> ProcessTable:
        rows = tuple(
            ProcessRow(
                pid=p.pid,
                create_time=p.start_time,
                user="root",
                uid=0,
                name=p.name,
                cmdline=f"/usr/bin/{p.name} --serve",
                state="sleeping",
                rss=int(p.memory(t)) // 4096 * 4096,
                swap=int(p.swap(t)) // 4096 * 4096,
                rss_growth=None,
                pss=None,
                uss=None,
                pss_read_at=None,
                is_kernel_thread=False,
            )
            for p in self.processes
            if p.alive(t)
        )
        return ProcessTable(taken_at=START + t, rows=rows)

    def ticks(
        self, seconds: float, interval: float = 1.0, process_interval: float = 5.0
    ) -> Iterator[tuple[float, bool]]:
        """(seconds since start, whether processes are due) for each meminfo sample."""
        steps = int(seconds / interval)
        every = max(1, round(process_interval / interval))
        for step in range(steps):
            yield step * interval, step % every == 0


def noisy(size: float, noise: float, seed: int) -> Callable[[float], float]:
    """A steady process whose RSS wanders by about ``noise`` bytes (pages in and out)."""
    rng = random.Random(seed)
    steps = [rng.gauss(0, noise) for _ in range(257)]
    return lambda t: size + steps[int(t // 7) % 257]


def compile_job(size: float) -> Callable[[float], float]:
    """A compiler: grows fast for its few seconds of life, then exits."""
    return lambda t: size * min(1.0, 0.2 + (t % 10) / 10)


def normal_day(count: int = 300, seed: int = 7) -> list[SyntheticProcess]:
    """A day of an ordinary server with nothing that leaks, after the issue's list:
    steady daemons whose RSS wanders a little, workers that allocate and free in
    bursts (periods of 2-60 s), short jobs one after another on reused pids, and a
    compile loop (processes that live seconds and grow fast while they do). Caches
    that warm up and a slow sawtooth are benchmarked apart (they may rightly fire
    while they climb; what matters is that the verdict clears)."""
    rng = random.Random(seed)
    processes: list[SyntheticProcess] = []
    pid = 1000
    for index in range(count):
        pid += 1
        kind = index % 20
        size = rng.uniform(2, 400) * MIB
        if kind < 11:
            memory = noisy(size, rng.uniform(0.01, 0.5) * MIB, seed + index)
            processes.append(SyntheticProcess(pid, f"daemon{index}", memory))
        elif kind < 17:
            swing = size * rng.uniform(0.05, 0.5)
            period = rng.uniform(2, 60)
            memory = churning(size, swing, period, seed + index)
            processes.append(SyntheticProcess(pid, f"worker{index}", memory))
        elif kind < 19:
            born = 0.0
            while born < 86400:
                life = rng.uniform(30, 3600)
                memory = noisy(size * 0.5, 0.2 * MIB, seed + index + int(born))
                processes.append(
                    SyntheticProcess(pid, f"job{index}", memory, born=born, dies=born + life)
                )
                born += life + rng.uniform(1, 60)
        else:
            born = 0.0
            while born < 86400:
                life = rng.uniform(2, 10)
                processes.append(
                    SyntheticProcess(pid, "cc1", compile_job(size), born=born, dies=born + life)
                )
                pid += 1
                born += life + rng.uniform(0.5, 5)
    return processes
