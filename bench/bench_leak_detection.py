"""Time to detection of the leak verdict, and its silence under false-alarm workloads.

    /tmp/venv/bin/python bench/bench_leak_detection.py [--rates 10,100,1000]
        [--baseline 15] [--timeout 120] [--quiet-seconds 90] [--interval 1]
        [--table-interval 2] [--repeat 3] [--only leaks|quiet]

Leak runs: ``memtui demo-leak --rate R --start-after BASELINE`` churns like the book's
experiment (5 threads, 1 B..4 MiB, 10 allocations/s each) and, from BASELINE seconds
on, leaks touched memory at exactly R MiB/min. The detector runs with its default
LeakSettings, fed as the dashboard feeds it (meminfo every ``--interval``, the process
table every ``--table-interval``); time to detection is from the leak's start to the
first verdict that names the demo's pid.

False-alarm runs, each for ``--quiet-seconds`` (longer than the window, so every
time scale is exercised): the ``--no-leak`` control, page-cache churn, bursty
alloc/free, and a steady process. Reported: whether the verdict ever fired, what it
named, and the peak system rates (AnonPages, Committed_AS) fitted over the window.

The machine is shared, so other people's work runs alongside: a verdict naming a
process that is not ours is reported as such. Raw results go to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from memtui.core.leak.leak_detector import LeakSettings  # noqa: E402
from tests.targets.leak_workloads import Observation, watch  # noqa: E402

RESULTS = ROOT / "bench" / "results"
WORKLOADS = ROOT / "tests" / "targets" / "leak_workloads.py"
MIB = 1 << 20


def _start(argv: list[str], ready: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stream = proc.stderr if ready == "stderr" else proc.stdout
    assert stream is not None
    stream.readline()  # demo-leak's first status line / a workload's "ready"
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _peaks(observations: list[Observation]) -> dict[str, float]:
    peaks: dict[str, float] = {}
    for observation in observations:
        for trend in observation.verdict.system:
            if trend.fit is not None:
                key = f"peak_{trend.field}_mib_per_min"
                rate = trend.fit.rate_per_minute / MIB
                peaks[key] = max(peaks.get(key, -1e18), rate)
    return {key: round(value, 1) for key, value in peaks.items()}


def leak_run(
    rate: float, baseline: float, timeout: float, args: argparse.Namespace
) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "memtui",
        "demo-leak",
        "--rate",
        str(rate),
        "--start-after",
        str(baseline),
        "--duration",
        str(baseline + timeout + 5),
        "--status-interval",
        "3600",
    ]
    began = time.monotonic()
    proc = _start(argv, "stderr")
    leak_start = began + baseline
    try:
        observations = watch(
            baseline + timeout,
            interval=args.interval,
            table_interval=args.table_interval,
            until=lambda o: o.verdict.pid == proc.pid,
            started=leak_start,
        )
    finally:
        _stop(proc)
    hit = next((o for o in observations if o.verdict.pid == proc.pid), None)
    early = [o for o in observations if o.verdict.suspected and o.at < 0]
    return {
        "rate_mib_per_min": rate,
        "detected_after_s": None if hit is None else round(hit.at, 1),
        "verdict": None if hit is None else hit.verdict.text,
        "fired_before_leak": [o.verdict.text for o in early[:3]],
        **_peaks(observations),
    }


def quiet_run(
    name: str, argv: list[str], ready: str, seconds: float, args: argparse.Namespace
) -> dict[str, Any]:
    proc = _start(argv, ready)
    try:
        observations = watch(seconds, interval=args.interval, table_interval=args.table_interval)
    finally:
        _stop(proc)
    fired = [o for o in observations if o.verdict.suspected]
    ours = [o for o in fired if o.verdict.pid in (proc.pid, None)]
    return {
        "workload": name,
        "seconds": seconds,
        "fired": bool(fired),
        "fired_on_ours": bool(ours),
        "verdicts": sorted({o.verdict.text.split(" +")[0] for o in fired}),
        **_peaks(observations),
    }


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # so each run's finally stops its workload


def main() -> int:
    signal.signal(signal.SIGTERM, _raise_exit)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="10,100,1000")
    parser.add_argument("--baseline", type=float, default=15.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--quiet-seconds", type=float, default=90.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--table-interval", type=float, default=2.0)
    parser.add_argument("--only", choices=("leaks", "quiet"))
    parser.add_argument("--repeat", type=int, default=3, help="leak runs per rate")
    args = parser.parse_args()

    settings = LeakSettings()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release()},
        "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
        "interval": args.interval,
        "table_interval": args.table_interval,
        "leaks": [],
        "quiet": [],
    }
    if args.only != "quiet":
        for _ in range(args.repeat):
            for rate in (float(r) for r in args.rates.split(",")):
                row = leak_run(rate, args.baseline, args.timeout, args)
                print(json.dumps(row), flush=True)
                results["leaks"].append(row)
    if args.only != "leaks":
        memtui = [sys.executable, "-m", "memtui"]
        quiet = [
            (
                "no-leak control",
                [*memtui, "demo-leak", "--no-leak", "--duration", "3600"],
                "stderr",
            ),
            (
                "page-cache churn",
                [sys.executable, str(WORKLOADS), "churn", "--seconds", "3600"],
                "stdout",
            ),
            (
                "bursty alloc/free",
                [sys.executable, str(WORKLOADS), "bursty", "--seconds", "3600"],
                "stdout",
            ),
            ("steady", [sys.executable, str(WORKLOADS), "steady", "--seconds", "3600"], "stdout"),
        ]
        for name, argv, ready in quiet:
            row = quiet_run(name, argv, ready, args.quiet_seconds, args)
            print(json.dumps(row), flush=True)
            results["quiet"].append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"leak_detection-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
