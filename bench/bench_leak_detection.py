"""Time to detection of the leak verdict, and its silence under false-alarm workloads.

    .venv/bin/python bench/bench_leak_detection.py [--rates 1,10,100]
        [--baseline 60] [--timeout 1500] [--quiet-seconds 300] [--interval 1]
        [--table-interval 2] [--repeat 3] [--only leaks|quiet|plateau|slow]
    .venv/bin/python bench/bench_leak_detection.py --only store --store FILE.db --pid PID
        [--leak-start UNIX_TIME] [--step 300]

Leak runs: ``memtui demo-leak --rate R --start-after BASELINE`` churns like the book's
experiment (5 threads, 1 B..4 MiB, 10 allocations/s each) and, from BASELINE seconds
on, leaks touched memory at exactly R MiB/min. The detector runs with its default
LeakSettings, fed as the dashboard feeds it (meminfo every ``--interval``, the process
table every ``--table-interval``); time to detection is from the leak's start to the
first verdict that names the demo's pid.

False-alarm runs, each for ``--quiet-seconds`` (longer than the window, so every
time scale is exercised): the ``--no-leak`` control, page-cache churn, bursty
alloc/free, a compile loop (short jobs that grow fast and exit) and a steady process.
Reported: whether the verdict ever fired, what it named, and the peak system rates
(AnonPages, Committed_AS) fitted over the window.

``plateau``: a cache that warms up (300 MiB over 2 minutes) and then stays: whether
the verdict fired while it grew (it may), and how long after the growth stopped the
verdict cleared (it must).

``slow``: 10 MiB an hour, too slow for a live run here: a synthetic machine (a normal
day of 300 processes from tests/targets/synthetic_machine.py, and one process leaking
10 MiB/hour from hour 1) drives the real recorder into a real store for 8 hours;
then, as a replay would, the detector is asked at every 5 minutes of it. Reported:
when the leaker was first named, from the leak's start, and whether anything else
ever was.

``store``: the same question of a real recording (`memtui record --output FILE.db`
while a process leaked): when was PID first named, from ``--leak-start``.

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


def plateau_run(args: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, str(WORKLOADS), "plateau", "--seconds", "900", "--size-mib", "300",
            "--grow-seconds", "120"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    began = time.monotonic()
    stopped: list[float] = []

    def until(observation: Observation) -> bool:
        # Stop 10 minutes after the growth stopped.
        return bool(stopped) and time.monotonic() - stopped[0] > 600

    import threading

    def wait_plateau() -> None:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() == "plateau":
            stopped.append(time.monotonic())

    threading.Thread(target=wait_plateau, daemon=True).start()
    try:
        observations = watch(
            900, interval=args.interval, table_interval=args.table_interval, until=until,
            started=began,
        )  # fmt: skip
    finally:
        _stop(proc)
    grown_at = stopped[0] - began if stopped else None
    ours = [o for o in observations if o.verdict.pid == proc.pid]
    cleared = None
    if grown_at is not None:
        after = [o for o in observations if o.at >= grown_at]
        last_named = max((o.at for o in after if o.verdict.pid == proc.pid), default=None)
        cleared = None if last_named is None else round(last_named - grown_at, 1)
    return {
        "workload": "plateau (300 MiB over 120 s)",
        "growth_stopped_at_s": None if grown_at is None else round(grown_at, 1),
        "named_while_growing": bool(ours),
        "first_named_at_s": round(ours[0].at, 1) if ours else None,
        "cleared_after_growth_stopped_s": cleared if ours else 0.0,
        "named_at_the_end": bool(observations) and observations[-1].verdict.pid == proc.pid,
    }


def slow_run(hours: float = 8.0, rate_per_hour: float = 10.0) -> dict[str, Any]:
    import tempfile

    from memtui.core.leak.leak_detector import LeakDetector
    from memtui.core.sources.replay_source import ReplaySource
    from memtui.core.store.recorder import Recorder
    from memtui.core.store.recording_store import StoreWriter
    from tests.targets.synthetic_machine import (
        START,
        SyntheticMachine,
        SyntheticProcess,
        leaking,
        normal_day,
    )

    leak_from = 3600.0
    leaker = SyntheticProcess(
        99999, "slowleak", leaking(200 * MIB, rate_per_hour * MIB / 60, leak_from)
    )
    machine = SyntheticMachine([*normal_day(300), leaker])
    path = Path(tempfile.mkdtemp(prefix="bench-slow-")) / "slow.db"
    writer = StoreWriter(str(path), process_interval=5.0)
    clock = [START]
    # The verdict is asked of the replay below, as a user would: the recorder's own
    # verdict each second is not needed, and would make this hours slower.
    recorder = Recorder(writer, process_interval=5.0, clock=lambda: clock[0], verdicts=False)
    began = time.perf_counter()
    for t, due in machine.ticks(hours * 3600, 1.0, 5.0):
        clock[0] = START + t
        if due:
            recorder.take_processes(START + t, machine.table(t))
        recorder.take_meminfo(START + t, machine.meminfo(t))
    recorder.close()
    simulated = time.perf_counter() - began
    source = ReplaySource.open(str(path))
    detector = LeakDetector(exclude=source.exclude)
    named_at = None
    others: set[str] = set()
    for step in range(int(hours * 12)):
        at = START + step * 300.0
        page = source.load(at)
        verdict = detector.evaluate(page.history, page.processes, at)
        if verdict.pid == leaker.pid and named_at is None:
            named_at = at - START - leak_from
        elif verdict.suspected and verdict.pid != leaker.pid:
            others.add(verdict.text.split(" +")[0])
    source.close()
    return {
        "workload": f"{rate_per_hour:g} MiB/hour from hour 1, among a normal day of 300 processes",
        "hours_recorded": hours,
        "named_after_leak_start_h": None if named_at is None else round(named_at / 3600, 2),
        "other_verdicts": sorted(others),
        "store_mib": round(path.stat().st_size / MIB, 1),
        "simulation_s": round(simulated),
    }


def store_run(store: str, pid: int, leak_start: float | None, step: float) -> dict[str, Any]:
    from memtui.core.leak.leak_detector import LeakDetector
    from memtui.core.sources.replay_source import ReplaySource

    source = ReplaySource.open(store)
    detector = LeakDetector(exclude=source.exclude)
    start = source.first if leak_start is None else leak_start
    named_at = None
    at = source.first
    while at <= source.last:
        page = source.load(at)
        verdict = detector.evaluate(page.history, page.processes, at)
        if verdict.pid == pid:
            named_at = at
            break
        at += step
    hours = (source.last - source.first) / 3600
    source.close()
    return {
        "store": store,
        "recorded_h": round(hours, 2),
        "pid": pid,
        "named_after_leak_start_h": None
        if named_at is None
        else round((named_at - start) / 3600, 2),
    }


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # so each run's finally stops its workload


def main() -> int:
    signal.signal(signal.SIGTERM, _raise_exit)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="1,10,100")
    parser.add_argument("--baseline", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=1500.0)
    parser.add_argument("--quiet-seconds", type=float, default=300.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--table-interval", type=float, default=2.0)
    parser.add_argument("--only", choices=("leaks", "quiet", "plateau", "slow", "store"))
    parser.add_argument("--repeat", type=int, default=3, help="leak runs per rate")
    parser.add_argument("--store")
    parser.add_argument("--pid", type=int)
    parser.add_argument("--leak-start", type=float)
    parser.add_argument("--step", type=float, default=300.0)
    args = parser.parse_args()
    if args.only == "store":
        print(json.dumps(store_run(args.store, args.pid, args.leak_start, args.step)))
        return 0

    settings = LeakSettings()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release()},
        "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
        "interval": args.interval,
        "table_interval": args.table_interval,
        "leaks": [],
        "quiet": [],
    }
    results["plateau"] = []
    results["slow"] = []
    if args.only in (None, "slow"):
        row = slow_run()
        print(json.dumps(row), flush=True)
        results["slow"].append(row)
    if args.only in (None, "plateau"):
        row = plateau_run(args)
        print(json.dumps(row), flush=True)
        results["plateau"].append(row)
    if args.only in (None, "leaks"):
        for _ in range(args.repeat):
            for rate in (float(r) for r in args.rates.split(",")):
                row = leak_run(rate, args.baseline, args.timeout, args)
                print(json.dumps(row), flush=True)
                results["leaks"].append(row)
    if args.only in (None, "quiet"):
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
            (
                "compile loop",
                [sys.executable, str(WORKLOADS), "compile", "--seconds", "3600"],
                "stdout",
            ),
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
