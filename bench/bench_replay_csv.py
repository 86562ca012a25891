"""`memtui --replay FILE.csv` of ever longer CSVs: is loading linear, and how soon is
the first frame up?

    .venv/bin/python bench/bench_replay_csv.py [--rows 10000,20000,40000,1000000]
        [--size 120x40] [--memtui COMMAND]

For each row count, a CSV of that many one-second samples of the ten dashboard fields
(the columns `memtui record` writes by default) is written to a temporary directory,
then replayed in a pane of a private tmux server, TERM=tmux-256color. The pane is read
every 50 ms: ``first frame`` is when the dashboard is first drawn (its replay header
is on screen, saying how far the reading is), ``loaded`` when the header shows values
(the page at the recording's end is in). Peak VmRSS is memtui's largest reading over
the run. Issue 9 (item 13) measured 3.3, 8.5 and 27 s for 10k, 20k and 40k rows, and a
blank screen for 500 s at 770 MB for 1,000,000. Raw results go to bench/results/.
"""

from __future__ import annotations

import argparse
import random
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench_dashboard import Tmux, _raise_exit, memtui_path, parse_size, rss_kib, tmux_server
from bench_results import machine, save_results

FIELDS = (
    "Committed_AS,AnonPages,MemFree,Cached,SwapFree,MemAvailable,Slab,PageTables,Mapped,Buffers"
)
START = 1_796_000_000
TIMEOUT = 900.0


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    width = FIELDS.count(",") + 1
    with path.open("w") as out:
        out.write(f"timestamp,{FIELDS}\n")
        for i in range(rows):
            values = ",".join(str(10**9 + rng.randrange(1 << 20) + i * 1000) for _ in range(width))
            out.write(f"{START + i},{values}\n")


def measure(tmux: Tmux, command: str, path: Path, size: tuple[int, int]) -> dict[str, float]:
    session = f"replay-{path.stem}"
    started = time.monotonic()
    pid = tmux.new_session(session, size, f"{command} --replay {shlex.quote(str(path))}", {})
    first = loaded = None
    peak = 0
    while loaded is None and time.monotonic() - started < TIMEOUT:
        peak = max(peak, rss_kib(pid))
        top = tmux.capture(session).split("\n", 1)[0]
        now = time.monotonic() - started
        if first is None and "replay " in top:
            first = now
        if first is not None and "Avail —" not in top and "Avail " in top and "reading" not in top:
            loaded = now
        time.sleep(0.05)
    tmux.run("kill-session", "-t", session, check=False)
    return {"first_frame_s": first or -1.0, "loaded_s": loaded or -1.0, "peak_rss_mib": peak / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10000,20000,40000,1000000", help="row counts")
    parser.add_argument("--size", type=parse_size, default=(120, 40), help="WxH (120x40)")
    parser.add_argument("--memtui", default=shlex.quote(memtui_path()), help="the command")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _raise_exit)
    runs: dict[int, dict[str, float]] = {}
    print("| rows | CSV size | first frame | loaded | per 10k rows | peak RSS |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory, tmux_server("replay") as tmux:
        for rows in (int(text) for text in args.rows.split(",")):
            path = Path(directory) / f"rows-{rows}.csv"
            write_csv(path, rows)
            run = measure(tmux, args.memtui, path, args.size)
            runs[rows] = run
            per = run["loaded_s"] / rows * 10_000
            print(
                f"| {rows:,} | {path.stat().st_size / 2**20:.1f} MiB | {run['first_frame_s']:.2f} s"
                f" | {run['loaded_s']:.2f} s | {per:.2f} s | {run['peak_rss_mib']:.0f} MiB |",
                flush=True,
            )
            path.unlink()
    save_results("replay_csv", {"machine": machine(), "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
