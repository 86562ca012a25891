"""The recording store: its size for a day, the time to open it, the recorder's CPU.

    .venv/bin/python bench/bench_store.py size [--hours 24] [--processes 500]
    .venv/bin/python bench/bench_store.py open --store FILE.db [--repeat 5] [--baseline DIR]
    .venv/bin/python bench/bench_store.py cpu [--processes 500] [--seconds 120]
        [--interval 1] [--process-interval 5]

``size``: a synthetic machine (tests/targets/synthetic_machine.py: ``normal_day``,
steady daemons, churning workers, caches that warm up, short jobs reusing pids) of
``--processes`` processes drives the *real* recorder (its histories, detector and
writer) for ``--hours`` simulated hours at 1 s meminfo and 5 s process samples.
Reported: the file's size, per series and level, and per day.

``open``: the time from starting ``memtui --replay FILE`` (a real process) to its first
frame with data (the charts: the page's meminfo), and to the frame with its processes
(the verdict, the growing processes, the picker), read off the replay worker inside
the running app (the first: once the page is in, when the screen has refreshed with
it; not once the app is idle, as the processes are still being read); and the page
loads alone (meminfo, then processes), median of ``--repeat``. With ``--baseline DIR``
(``git archive main | tar -x -C DIR``), the same starts with that tree's memtui, run
by run in turn with this one's.

``cpu``: starts ``--processes`` idle processes, then runs `memtui record` and `atop -w
FILE INTERVAL` side by side for ``--seconds``, both at ``--interval``, and reads each
one's CPU time from /proc/PID/stat. Run it on a quiet machine: both read every process
each interval (memtui only each ``--process-interval``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from memtui.core.store.recorder import Recorder  # noqa: E402
from memtui.core.store.recording_store import StoreWriter  # noqa: E402
from tests.targets.synthetic_machine import START, SyntheticMachine, normal_day  # noqa: E402

MIB = 1 << 20
TICKS = os.sysconf("SC_CLK_TCK")


def size(hours: float, processes: int, path: Path, verdicts: bool) -> None:
    machine = SyntheticMachine(normal_day(processes))
    writer = StoreWriter(str(path), process_interval=5.0)
    clock = [START]
    recorder = Recorder(writer, process_interval=5.0, clock=lambda: clock[0], verdicts=verdicts)
    began = time.perf_counter()
    seconds = hours * 3600
    fired = []
    for t, processes_due in machine.ticks(seconds, 1.0, 5.0):
        clock[0] = START + t
        if processes_due:
            recorder.take_processes(START + t, machine.table(t))
        recorder.take_meminfo(START + t, machine.meminfo(t))
        verdict = recorder.verdict
        if verdict is not None and verdict.suspected and (not fired or fired[-1][1] != verdict.pid):
            fired.append((t, verdict.pid, verdict.text))
        if t % 3600 == 0 and t:
            print(
                f"  {t / 3600:.0f} h simulated in {time.perf_counter() - began:.0f} s", flush=True
            )
    recorder.close()
    elapsed = time.perf_counter() - began
    total = path.stat().st_size
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT series, level, COUNT(*), SUM(LENGTH(data)) FROM frame GROUP BY 1, 2"
    ).fetchall()
    processes_stored = db.execute("SELECT COUNT(*) FROM process").fetchone()[0]
    db.close()
    print(f"simulated {hours:g} h of {processes} processes in {elapsed:.0f} s")
    print(f"store: {total / MIB:.1f} MiB, {total / MIB * 24 / hours:.1f} MiB per day")
    print(f"processes stored (incarnations): {processes_stored}")
    names = {0: "meminfo", 1: "processes", 2: "pressure"}
    for series, level, count, data in rows:
        label = "raw" if level == 0 else f"{level} s means"
        print(f"  {names[series]:9} {label:12} {count:8} frames {data / MIB:7.2f} MiB of data")
    print(f"verdicts that fired on a normal day: {len(fired)}")
    for t, _pid, text in fired[:10]:
        print(f"  at {t / 3600:.2f} h: {text}")


def compile_bytecode(tree: Path) -> None:
    """Write the .pyc files of ``tree``'s memtui package, as an install does: under
    PYTHONDONTWRITEBYTECODE (set on this project's machines) an editable install or a
    ``git archive`` has none, and each start would compile memtui from source."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "memtui")],
        check=True,
        capture_output=True,
    )


def open_time(store: Path, repeat: int, baseline: Path | None = None) -> None:
    from memtui.core.sources.replay_source import ReplaySource

    loads, process_loads = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        source = ReplaySource.open(str(store))
        page = source.load(source.last, with_processes=False)
        loads.append(time.perf_counter() - began)
        began = time.perf_counter()
        source.with_processes(page)
        process_loads.append(time.perf_counter() - began)
        source.close()
    probe = (
        "import time, asyncio, sys\n"
        "began = float(sys.argv[2])\n"
        "from memtui.app import MemtuiApp\n"
        "from memtui.cli import build_parser\n"
        "from memtui.commands.dashboard import build_model\n"
        "app = MemtuiApp(build_model(build_parser().parse_args(['--replay', sys.argv[1]])))\n"
        "async def main():\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        while app.model.replay.loading is not None:\n"
        "            await asyncio.sleep(0.005)\n"
        "        drawn = asyncio.Event()\n"
        "        app.call_after_refresh(drawn.set)\n"
        "        await drawn.wait()\n"
        "        first = time.time() - began\n"
        "        while app.model.replay.processes_pending:\n"
        "            await asyncio.sleep(0.005)\n"
        "        await pilot.pause()\n"
        "        print(first, time.time() - began)\n"
        "asyncio.run(main())\n"
    )
    # Each tree's probe runs in that tree (its memtui comes first on sys.path), the
    # trees in turn, so the machine's noise falls on both alike.
    trees = {"memtui": ROOT} if baseline is None else {"memtui": ROOT, "baseline": baseline}
    for tree in trees.values():
        compile_bytecode(tree)
    firsts: dict[str, list[float]] = {name: [] for name in trees}
    wholes: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(repeat):
        for name, tree in trees.items():
            result = subprocess.run(
                [sys.executable, "-c", probe, str(store.resolve()), repr(time.time())],
                capture_output=True,
                text=True,
                check=True,
                cwd=tree,
            )
            first, whole = result.stdout.strip().splitlines()[-1].split()
            firsts[name].append(float(first))
            wholes[name].append(float(whole))
    print(f"store {store} ({store.stat().st_size / MIB:.1f} MiB)")
    print(
        f"page load alone: meminfo median {statistics.median(loads) * 1000:.0f} ms, then"
        f" processes {statistics.median(process_loads) * 1000:.0f} ms, of {repeat}"
    )
    for name in trees:
        label = f"{name} ({trees[name]})"
        print(
            f"{label}: process start to the first frame with data: median"
            f" {statistics.median(firsts[name]):.2f} s, max {max(firsts[name]):.2f} s;"
            f" to the frame with the processes: median {statistics.median(wholes[name]):.2f}"
            f" s, max {max(wholes[name]):.2f} s"
        )


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as file:
        fields = file.read().rpartition(b")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu(processes: int, seconds: float, interval: float, process_interval: float) -> None:
    if shutil.which("atop") is None:
        raise SystemExit("atop is not installed: apt-get install atop")
    idle = [subprocess.Popen(["sleep", str(seconds + 60)]) for _ in range(processes)]
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        memtui = subprocess.Popen(
            [sys.executable, "-m", "memtui", "record", "--output", str(work / "r.db"),
             "--interval", str(interval), "--process-interval", str(process_interval)],
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        atop = subprocess.Popen(
            ["atop", "-w", str(work / "atop.raw"), str(int(interval))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(5)  # start-up (imports, atop's first full read) is not the steady cost
        start = {p.pid: _cpu_seconds(p.pid) for p in (memtui, atop)}
        time.sleep(seconds)
        end = {p.pid: _cpu_seconds(p.pid) for p in (memtui, atop)}
        for proc in (memtui, atop):
            proc.terminate()
            proc.wait(timeout=20)
        used = {pid: (end[pid] - start[pid]) / seconds * 100 for pid in start}
        mine, theirs = used[memtui.pid], used[atop.pid]
        print(f"{processes} idle processes and the machine's own, {seconds:g} s at {interval:g} s")
        print(f"memtui record (processes every {process_interval:g} s): {mine:.2f} % of a core")
        print(f"atop -w (every process each {interval:g} s): {theirs:.2f} % of a core")
        print(f"ratio memtui/atop: {mine / max(theirs, 1e-9):.2f}")
        print(f"sizes: store {(work / 'r.db').stat().st_size / 1024:.0f} KiB,"
              f" atop {(work / 'atop.raw').stat().st_size / 1024:.0f} KiB")  # fmt: skip
    finally:
        for proc in idle:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("size")
    s.add_argument("--hours", type=float, default=24.0)
    s.add_argument("--processes", type=int, default=500)
    s.add_argument("--output", type=Path, default=None)
    s.add_argument(
        "--no-verdicts",
        action="store_true",
        help="skip the detector (a verdict row is a few bytes a minute): 10x faster",
    )
    o = sub.add_parser("open")
    o.add_argument("--store", type=Path, required=True)
    o.add_argument("--repeat", type=int, default=5)
    o.add_argument(
        "--baseline",
        type=Path,
        help="also open it with the memtui of this source tree (git archive main | tar -x -C DIR)",
    )
    c = sub.add_parser("cpu")
    c.add_argument("--processes", type=int, default=500)
    c.add_argument("--seconds", type=float, default=120.0)
    c.add_argument("--interval", type=float, default=1.0)
    c.add_argument("--process-interval", type=float, default=5.0)
    args = parser.parse_args()
    if args.what == "size":
        path = args.output or Path(tempfile.mkdtemp(prefix="bench-store-")) / "day.db"
        size(args.hours, args.processes, path, not args.no_verdicts)
        print(f"(the store is at {path}; `bench_store.py open --store {path}` times opening it)")
    elif args.what == "open":
        open_time(args.store, args.repeat, args.baseline)
    else:
        cpu(args.processes, args.seconds, args.interval, args.process_interval)


if __name__ == "__main__":
    main()
