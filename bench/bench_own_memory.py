"""memtui's own memory over a long session: flat once its history is full?

    .venv/bin/python bench/bench_own_memory.py [--minutes 70] [--every 60] [--size 120x40]
        [--warmup 10] [--burst 500 --burst-at 30]

Starts the real dashboard in a detached tmux session (a real terminal, sampling every
second, the leak panel on), reads its RSS (VmRSS) from /proc every ``--every``
seconds, and reports the growth from minute ``--warmup`` (the 10-minute raw history
is full by then) to the end. The goal (issue 10): at most 1 MiB over an hour. The
coarse tiers keep growing for hours by design (6 h of 10 s means, 2 days of 1 min):
their arrays are reported beside the RSS, from the same arithmetic as the app's.

``--burst N`` starts N sleeping processes at minute ``--burst-at`` and kills them 30 s
later, as a test suite or a build on the same machine would: the memory memtui gave
their histories must not stay behind (it once did, as a 14.5 MiB step).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", "rb") as file:
        for line in file:
            if line.startswith(b"VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def memtui_pid(session: str) -> int:
    pane = subprocess.run(
        ["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()[0]  # fmt: skip
    # The pane runs a shell running python -m memtui (or memtui directly).
    children = subprocess.run(["pgrep", "-P", pane], capture_output=True, text=True).stdout.split()
    return int(children[0]) if children else int(pane)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=70.0)
    parser.add_argument("--every", type=float, default=60.0)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=0)
    parser.add_argument("--burst-at", type=float, default=30.0)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is not installed")
    width, height = args.size.split("x")
    session = f"memtui-own-memory-{int(time.time())}"
    command = f"{sys.executable} -m memtui"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", width, "-y", height, command],
        check=True, cwd=ROOT,
    )  # fmt: skip
    burst: list[subprocess.Popen[bytes]] = []
    try:
        time.sleep(3)
        pid = memtui_pid(session)
        began = time.monotonic()
        samples: list[tuple[float, int]] = []
        burst_done = args.burst <= 0
        while (elapsed := time.monotonic() - began) < args.minutes * 60:
            samples.append((elapsed / 60, rss_kib(pid)))
            print(f"{elapsed / 60:6.1f} min  RSS {samples[-1][1] / 1024:7.2f} MiB", flush=True)
            if not burst_done and elapsed / 60 + args.every / 60 > args.burst_at:
                time.sleep(max(0.0, args.burst_at * 60 - elapsed))
                burst = [subprocess.Popen(["sleep", "600"]) for _ in range(args.burst)]
                print(f"  {args.burst} processes started", flush=True)
                time.sleep(30)
                for child in burst:
                    child.kill()
                    child.wait()
                print(f"  {args.burst} processes killed", flush=True)
                burst_done = True
                continue
            time.sleep(args.every)
        samples.append(((time.monotonic() - began) / 60, rss_kib(pid)))
    finally:
        for child in burst:
            child.kill()
            child.wait()
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    after_warmup = [kib for minute, kib in samples if minute >= args.warmup]
    first, last = after_warmup[0], after_warmup[-1]
    span = samples[-1][0] - args.warmup
    print(f"pid {pid}, {args.size}, {len(samples)} samples")
    print(
        f"RSS at minute {args.warmup:g}: {first / 1024:.2f} MiB; at minute {samples[-1][0]:.0f}: "
        f"{last / 1024:.2f} MiB; growth {(last - first) / 1024:+.2f} MiB over {span:.0f} min; "
        f"peak {max(after_warmup) / 1024:.2f} MiB"
    )


if __name__ == "__main__":
    main()
