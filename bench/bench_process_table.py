"""Cost of one ProcessTableSampler.sample() with 1,000 extra idle processes.

    /tmp/venv/bin/python bench/bench_process_table.py [--processes 1000] [--calls 30]

Spawns N ``sleep`` processes, then times ``sample()`` (wall and CPU of the calling
thread, median and p95 over ``--calls`` calls) in three configurations:

- ``no-smaps-no-cpu``: PSS/USS and CPU%/TIME+/ppid off, what the leak attribution
  and the recorder sample;
- ``no-smaps``: PSS/USS off (``pss_budget=0``), the floor of the picker's table;
- ``throttled``: the defaults (each pid every 10 s, at most 100 per sample) plus a
  screenful of 40 watched pids, what the picker does;
- ``all-smaps``: smaps_rollup for every process every sample, the cost that the
  throttle avoids.

Each call passes ``now`` one second after the previous one, so the throttle behaves
as it does at the picker's 1 Hz while the calls run back to back. It also reports
the memory the sampler keeps (histories and PSS cache) once the growth window is
full. Raw results go to bench/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

from memtui.core.processes.process_table import ProcessTableSampler

RESULTS = Path(__file__).resolve().parent / "results"
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # If the bench is killed with SIGKILL no finally runs; the kernel kills the sleeps.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def idle_processes(count: int) -> Iterator[list[int]]:
    """``count`` sleeping processes in one process group, killed on every way out."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _raise_exit)
    procs: list[subprocess.Popen[bytes]] = []
    group = 0
    try:
        for _ in range(count):
            proc = subprocess.Popen(
                ["sleep", "3600"], process_group=group, preexec_fn=_die_with_parent
            )
            group = group or proc.pid
            procs.append(proc)
        yield [proc.pid for proc in procs]
    finally:
        if group:
            with suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        for proc in procs:
            proc.wait()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_samples(sampler: ProcessTableSampler, calls: int, start: float) -> dict[str, Any]:
    walls: list[float] = []
    cpus: list[float] = []
    rows = 0
    for call in range(calls):
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        table = sampler.sample(now=start + call)
        cpus.append(time.thread_time() - cpu0)
        walls.append(time.perf_counter() - wall0)
        rows = len(table.rows)
    return {
        "rows": rows,
        "calls": calls,
        "wall_ms": [round(w * 1e3, 3) for w in walls],
        "cpu_ms": [round(c * 1e3, 3) for c in cpus],
        "wall_median_ms": statistics.median(walls) * 1e3,
        "wall_p95_ms": percentile(walls, 0.95) * 1e3,
        "cpu_median_ms": statistics.median(cpus) * 1e3,
        "cpu_p95_ms": percentile(cpus, 0.95) * 1e3,
    }


def run(processes: int, calls: int) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "cpu": _cpu_model(),
        },
        "extra_processes": processes,
        "configs": {},
    }
    with idle_processes(processes) as pids:
        time.sleep(0.5)  # let every child reach its sleep
        configs = {
            # The leak attribution's and the recorder's: no CPU%, TIME+ or ppid.
            "no-smaps-no-cpu": ProcessTableSampler(pss_budget=0, with_cpu=False),
            "no-smaps": ProcessTableSampler(pss_budget=0),
            "throttled": ProcessTableSampler(),
            "all-smaps": ProcessTableSampler(pss_max_age=0.0, pss_budget=1_000_000),
        }
        configs["throttled"].watch(pids[:40])
        for name, sampler in configs.items():
            wall0 = time.perf_counter()
            sampler.sample(now=0.0)  # first call: psutil builds its Process objects
            first_ms = (time.perf_counter() - wall0) * 1e3
            stats = time_samples(sampler, calls, start=1.0)
            stats["first_call_wall_ms"] = first_ms
            results["configs"][name] = stats

        # What the sampler keeps once a full growth window of history exists.
        tracemalloc.start()
        sampler = ProcessTableSampler()
        before = tracemalloc.get_traced_memory()[0]
        for second in range(70):
            table = sampler.sample(now=float(second))
        del table
        results["retained_bytes"] = tracemalloc.get_traced_memory()[0] - before
        results["tracked_processes"] = sampler.tracked()
        tracemalloc.stop()
    return results


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    results = run(args.processes, args.calls)

    print(
        f"{results['machine']['cpus']} CPUs, {results['machine']['cpu']}, "
        f"Linux {results['machine']['kernel']}, Python {results['machine']['python']}"
    )
    print(
        f"{'config':<11} {'rows':>5} {'wall med':>9} {'wall p95':>9} {'cpu med':>8} {'cpu p95':>8}"
    )
    for name, stats in results["configs"].items():
        print(
            f"{name:<11} {stats['rows']:>5} {stats['wall_median_ms']:>7.1f}ms "
            f"{stats['wall_p95_ms']:>7.1f}ms {stats['cpu_median_ms']:>6.1f}ms "
            f"{stats['cpu_p95_ms']:>6.1f}ms   (first call {stats['first_call_wall_ms']:.0f} ms)"
        )
    print(
        f"sampler state after a full 60 s window: {results['retained_bytes'] / 1024:.0f} KiB "
        f"for {results['tracked_processes']} processes"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"process_table-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"raw: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
