"""The leak detector's transient memory over a long session, on a virtual clock.

    .venv/bin/python bench/bench_detector_memory.py [--minutes 70] [--processes 300]
        [--burst 500 --burst-at 30]

Feeds the real dashboard model (its meminfo history, process histories and leak
detector) a sample a simulated second and a process table every 2 s, as the live
dashboard does, for ``--minutes`` of simulated time in a fraction of it: meminfo
read once from /proc with noise added and AnonPages/Committed_AS climbing; process
tables of ``--processes`` processes, a fifth of them growing at different rates so
that the detector fits them at every scale up to the hour. Every 5 simulated minutes
it reports the process's RSS and the tracemalloc peak of one verdict (the memory a
pass allocates and frees), and the histories' arrays. ``--burst N`` adds N
processes for 30 simulated seconds at minute ``--burst-at``.

Beside each line, the CPU time of taking in a meminfo sample (the verdict with it),
as the mean of the 5 minutes before. ``MEMTUI_TREE=DIR`` (a ``git archive`` of
another commit) runs that tree's memtui instead, to compare the two.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, os.environ.get("MEMTUI_TREE") or str(Path(__file__).resolve().parent.parent))

from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.meminfo.parser import read_meminfo
from memtui.core.model.dashboard_model import DashboardModel
from memtui.core.processes.process_table import ProcessRow, ProcessTable

MIB = 1 << 20
START = 1_800_000_000.0


def rss_mib() -> float:
    with open("/proc/self/status", "rb") as file:
        for line in file:
            if line.startswith(b"VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def row(pid: int, rss: int) -> ProcessRow:
    return ProcessRow(
        pid=pid, create_time=START - 100.0 + pid * 1e-3, user="root", uid=0, name=f"p{pid}",
        cmdline="", state="sleeping", rss=rss, swap=0, rss_growth=None, pss=None, uss=None,
        pss_read_at=None, is_kernel_thread=False,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=70.0)
    parser.add_argument("--processes", type=int, default=300)
    parser.add_argument("--burst", type=int, default=0)
    parser.add_argument("--burst-at", type=float, default=30.0)
    args = parser.parse_args()
    rng = random.Random(1)
    try:
        history = MeminfoHistory(span_seconds=600.0, interval=1.0)  # type: ignore[call-arg]
    except TypeError:  # a tree from before the history was sized by its interval
        history = MeminfoHistory(span_seconds=600.0)
    model = DashboardModel(history=history, chart_fields=[])
    meminfo = read_meminfo()
    began = time.perf_counter()
    peaks: list[float] = []
    print(" minute    RSS MiB   verdict peak MiB   histories MiB   ms a sample")
    spent = 0.0
    for second in range(int(args.minutes * 60) + 1):
        at = START + second
        if second % 2 == 0:
            count = args.processes
            if args.burst and 0 <= second - args.burst_at * 60 < 30:
                count += args.burst
            rows = tuple(
                row(
                    pid,
                    50 * MIB + rng.randrange(0, 1024) * 64 + (pid % 5 == 0) * pid * second * 2000,
                )
                for pid in range(1, count + 1)
            )
            model.add_process_table(ProcessTable(at, rows), at)
        sample = {key: value + rng.randrange(0, 1 << 16) for key, value in meminfo.items()}
        for name in ("AnonPages", "Committed_AS"):
            if name in sample:
                sample[name] += second * 40_000
        checkpoint = second % 300 == 0
        if checkpoint:
            tracemalloc.start()
        before = time.thread_time()
        model.add_sample(at, sample)
        if not checkpoint:
            spent += time.thread_time() - before
        if checkpoint:
            peak = tracemalloc.get_traced_memory()[1] / MIB
            tracemalloc.stop()
            peaks.append(peak)
            arrays = (model.history.tiered.memory_bytes() + model.processes.memory_bytes()) / MIB
            minute = second / 60
            per_sample = spent / 299 * 1000 if second else 0.0
            spent = 0.0
            print(
                f"{minute:7.0f}   {rss_mib():8.2f}   {peak:16.2f}   {arrays:13.2f}"
                f"   {per_sample:11.2f}",
                flush=True,
            )
    print(
        f"{args.minutes:g} simulated minutes in {time.perf_counter() - began:.0f} s; "
        f"largest verdict peak after minute 10: {max(peaks[2:] or peaks):.2f} MiB"
    )


if __name__ == "__main__":
    main()
