"""memtui's own RSS over a long run of the memory view, auto-refreshing every 0.25 s.

    .venv/bin/python bench/bench_memory_view_rss.py [--minutes 10] [--every 30]
        [--warmup 30] [--size 120x40] [--memtui COMMAND]

Two variants at once, each ``memtui --pid TARGET --interval 0.25`` (the memory view,
auto-refresh on, the dashboard sampling beneath it) in its own pane of a private
tmux server (as bench/bench_dashboard.py runs them), TERM=tmux-256color:

- ``still``: the target is tests/targets/target.c, whose mappings and RSS stand still;
- ``rss-churn``: tests/targets/rss_churn.py, which touches one more page of a 1 MiB
  region every 2 ms and drops them all at the end, so every smaps read (every 5 s)
  finds new RSS figures for the mappings table: the case that made the table's
  render caches grow.

Every ``--every`` seconds the bench reads VmRSS from /proc/PID/status of each memtui.
The first reading is taken ``--warmup`` seconds after start, once the app has drawn
and its first reads are done. It prints RSS over time, the growth over the first and
the second half of the run (MiB/min), and what each pane shows last. Flat means the
second half's growth is near zero: caches full, nothing else accumulating.
``--memtui`` runs another build, e.g. ``"env PYTHONPATH=/tmp/old python -m memtui"``
for a checkout of an older commit. Raw results go to bench/results/.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_dashboard import _raise_exit, memtui_path, parse_size, rss_kib, tmux_server
from bench_results import machine, save_results

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "tests" / "targets" / "target.c"
RSS_CHURN = ROOT / "tests" / "targets" / "rss_churn.py"


def start_targets(tmp: Path) -> dict[str, subprocess.Popen[bytes]]:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise SystemExit("needs gcc or cc")
    binary = tmp / "target"
    subprocess.run([compiler, "-O2", "-pthread", "-o", str(binary), str(TARGET)], check=True)
    still = subprocess.Popen(
        [str(binary), "3", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    churn = subprocess.Popen([sys.executable, str(RSS_CHURN)], stdout=subprocess.DEVNULL)
    return {"still": still, "rss-churn": churn}


def growth(points: list[tuple[float, float]]) -> float:
    """MiB per minute between the first and the last of ``points`` (seconds, MiB)."""
    (t0, r0), (t1, r1) = points[0], points[-1]
    return (r1 - r0) / ((t1 - t0) / 60.0) if t1 > t0 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run (10)")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between readings")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before (30)")
    parser.add_argument("--size", type=parse_size, default=(120, 40), help="WxH (120x40)")
    parser.add_argument("--memtui", default=shlex.quote(memtui_path()), help="the command")
    args = parser.parse_args()
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _raise_exit)
    series: dict[str, list[tuple[float, float]]] = {}
    screens: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = start_targets(Path(tmp))
        try:
            time.sleep(0.5)
            with tmux_server("memory-view-rss") as tmux:
                pids = {
                    name: tmux.new_session(
                        name,
                        args.size,
                        f"{args.memtui} --interval 0.25 --pid {target.pid}",
                        {"COLORTERM": "truecolor"},
                    )
                    for name, target in targets.items()
                }
                series = {name: [] for name in pids}
                time.sleep(args.warmup)
                start = time.monotonic()
                end = start + args.minutes * 60.0
                while True:
                    now = time.monotonic()
                    for name, pid in pids.items():
                        series[name].append((now - start, rss_kib(pid) / 1024))
                    line = "  ".join(f"{name} {p[-1][1]:6.1f}" for name, p in series.items())
                    print(f"{now - start:6.0f} s  RSS MiB: {line}", flush=True)
                    if now >= end:
                        break
                    time.sleep(min(args.every, max(0.0, end - time.monotonic())))
                screens = {name: tmux.capture(name) for name in pids}
        finally:
            for target in targets.values():
                target.kill()
                target.wait()
    print(
        f"\n| variant | RSS at start | at {args.minutes / 2:g} min | at {args.minutes:g} min "
        "| growth, first half | growth, second half |"
    )
    print("|---|---|---|---|---|---|")
    for name, points in series.items():
        middle = min(points, key=lambda p: abs(p[0] - points[-1][0] / 2))
        first, second = points[: points.index(middle) + 1], points[points.index(middle) :]
        print(
            f"| {name} | {points[0][1]:.1f} MiB | {middle[1]:.1f} MiB | {points[-1][1]:.1f} MiB "
            f"| {growth(first):+.2f} MiB/min | {growth(second):+.2f} MiB/min |"
        )
    for name, screen in screens.items():
        print(f"\n{name}, last screen (top):\n" + "\n".join(screen.splitlines()[:4]))
    save_results(
        "memory_view_rss",
        {
            "machine": machine(),
            "memtui": args.memtui,
            "minutes": args.minutes,
            "warmup": args.warmup,
            "size": args.size,
            "series": series,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
