"""SIGTERM and Ctrl-C during freezes: does memtui always exit, and let its target go?

    python bench/bench_signal_release.py [--iterations 1000] [--seed 9] [--source DIR]

Issue 9's loop, many times over: start ``memtui search PID qqzzxxyy`` or ``memtui dump
PID ADDR 64M --output /dev/null`` against a running target, signal it (SIGTERM or
SIGINT), and check that it is gone within ``--exit-timeout`` seconds and that no
thread of the target is left stopped (state t or T) or traced (TracerPid). A memtui
still running then counts as a hang; one still running 10 s later is stuck, and is
killed with SIGABRT so that faulthandler prints where (in the raw results).

The iterations are shared out, in turn, over:

- targets: tests/targets/threads_target.c with 10 threads (half the iterations),
  with 4 threads plus one that creates and joins threads nonstop (three tenths),
  and with 1,000 threads (a fifth);
- commands: search and dump, alternately;
- signals: SIGTERM and SIGINT, alternately;
- timing: half sleep 0.06-0.3 s after the start, as the issue's repro did; half
  wait until a thread of the target is seen stopped and signal 0-10 ms later, so
  that the signal lands inside a freeze.

``--source DIR`` runs the memtui package found in DIR instead (e.g. a checkout of an
older commit, to see the hangs this bench was written for). Raw results go to
bench/results/.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from bench_results import machine, save_results

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "targets" / "threads_target.c"
# target name -> (workers, churn), and its share of the iterations, in tenths.
TARGETS = {"10 threads": (10, False), "churning": (4, True), "1,000 threads": (1000, False)}
SHARES = {"10 threads": 5, "churning": 3, "1,000 threads": 2}
STOPPED = ("t", "T")
HANG_GRACE = 10.0


@dataclass
class Outcome:
    target: str
    command: str
    signal: str
    timing: str
    hung: bool
    left_stopped: int
    left_traced: int
    exit_code: int | None
    seconds_to_exit: float | None
    # For a hang: where memtui sat (wchan, blocked and pending signals) and, if it
    # still had not exited HANG_GRACE seconds later, its Python stack (faulthandler).
    stuck_in: str = ""
    killed: bool = False
    stack: str = ""


class Target:
    """A running threads_target and what the loop needs to know of it."""

    def __init__(self, binary: Path, workers: int, churn: bool) -> None:
        argv = [str(binary), str(workers), *(["churn"] if churn else [])]
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        self.counters = int(line.split("counters=")[1].split()[0], 16)
        self.pid = self.process.pid

    def _states(self) -> Iterator[str]:
        for name in os.listdir(f"/proc/{self.pid}/task"):
            try:
                raw = Path(f"/proc/{self.pid}/task/{name}/stat").read_bytes()
            except OSError:
                continue
            yield raw.rpartition(b")")[2].split()[0].decode()

    def stopped(self) -> int:
        return sum(state in STOPPED for state in self._states())

    def any_stopped(self) -> bool:
        return any(state in STOPPED for state in self._states())

    def traced(self) -> int:
        count = 0
        for name in os.listdir(f"/proc/{self.pid}/task"):
            try:
                status = Path(f"/proc/{self.pid}/task/{name}/status").read_text()
            except OSError:
                continue
            count += "\nTracerPid:\t0\n" not in status
        return count

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def one_round(
    target: Target,
    name: str,
    command: str,
    signum: signal.Signals,
    timing: str,
    rng: random.Random,
    env: dict[str, str],
    exit_timeout: float,
) -> Outcome:
    # -X faulthandler: SIGABRT makes a stuck memtui print its Python stack.
    memtui = [sys.executable, "-X", "faulthandler", "-m", "memtui"]
    if command == "search":
        argv = [*memtui, "search", str(target.pid), "qqzzxxyy"]
    else:
        argv = [*memtui, "dump", str(target.pid), hex(target.counters), "64M"]
        argv += ["--output", os.devnull]
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
    )
    if timing == "sleep":
        time.sleep(rng.uniform(0.06, 0.3))
    else:
        deadline = time.monotonic() + 10
        while not target.any_stopped() and process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.01))
    sent = time.monotonic()
    process.send_signal(signum)
    hung, stuck_in, killed, stack = False, "", False, ""
    try:
        process.communicate(timeout=exit_timeout)
    except subprocess.TimeoutExpired:
        hung, stuck_in = True, where_stuck(process.pid)
    # Counted while a hung memtui still holds the target, before it is killed.
    stopped, traced = target.stopped(), target.traced()
    if hung:
        try:
            process.communicate(timeout=HANG_GRACE)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            killed, stack = True, process.communicate()[1][-4000:]
    code = process.returncode
    seconds = None if killed else time.monotonic() - sent
    return Outcome(
        name, command, signum.name, timing, hung, stopped, traced, code, seconds,
        stuck_in, killed, stack,
    )  # fmt: skip


def where_stuck(pid: int) -> str:
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "(exited)"
    masks = [line for line in status if line.startswith(("State", "SigPnd", "ShdPnd", "SigBlk"))]
    return f"wchan={wchan} " + " ".join(line.replace("\t", "") for line in masks)


def plan(iterations: int) -> list[str]:
    """Which target each iteration uses, in the SHARES proportions, interleaved."""
    cycle = [name for name, share in SHARES.items() for _ in range(share)]
    return [cycle[index % len(cycle)] for index in range(iterations)]


def summarize(outcomes: list[Outcome]) -> list[dict[str, object]]:
    rows = []
    for name in TARGETS:
        for command in ("search", "dump"):
            for signum in ("SIGTERM", "SIGINT"):
                group = [
                    o
                    for o in outcomes
                    if (o.target, o.command, o.signal) == (name, command, signum)
                ]
                if not group:
                    continue
                exits = sorted(o.seconds_to_exit for o in group if o.seconds_to_exit is not None)
                rows.append(
                    {
                        "target": name,
                        "command": command,
                        "signal": signum,
                        "runs": len(group),
                        "hangs": sum(o.hung for o in group),
                        "stuck": sum(o.killed for o in group),
                        "left_stopped": sum(o.left_stopped > 0 for o in group),
                        "exit_median_ms": 1e3 * statistics.median(exits) if exits else None,
                        "exit_max_ms": 1e3 * exits[-1] if exits else None,
                        "exit_codes": dict(Counter(str(o.exit_code) for o in group)),
                    }
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--exit-timeout", type=float, default=3.0)
    parser.add_argument("--source", type=Path, help="run the memtui package in this directory")
    options = parser.parse_args()
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # Started in the background of a shell without job control, this bench (and
        # every memtui it starts, through exec) would ignore SIGINT: each SIGINT round
        # would then run to its end and count as a hang. A handler of our own is
        # reset to the default on exec, so the memtuis get SIGINT as a user's would.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        print("bench_signal_release: needs a C compiler (gcc or cc)", file=sys.stderr)
        return 1
    env = dict(os.environ)
    if options.source is not None:
        env["PYTHONPATH"] = str(options.source.resolve())
    rng = random.Random(options.seed)
    outcomes: list[Outcome] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        binary = Path(scratch) / "threads_target"
        subprocess.run([compiler, "-O2", "-pthread", "-o", str(binary), str(SOURCE)], check=True)
        targets = {name: Target(binary, *spec) for name, spec in TARGETS.items()}
        try:
            for index, name in enumerate(plan(options.iterations)):
                outcome = one_round(
                    targets[name],
                    name,
                    command="search" if index // 2 % 2 == 0 else "dump",
                    signum=signal.SIGTERM if index % 2 else signal.SIGINT,
                    timing="sleep" if index // 4 % 2 == 0 else "mid-freeze",
                    rng=rng,
                    env=env,
                    exit_timeout=options.exit_timeout,
                )
                outcomes.append(outcome)
                if outcome.hung or outcome.left_stopped or outcome.left_traced:
                    print(f"round {index}: {outcome}", file=sys.stderr, flush=True)
        finally:
            for target in targets.values():
                target.close()
    elapsed = time.monotonic() - started
    rows = summarize(outcomes)
    hangs = sum(o.hung for o in outcomes)
    left = sum(o.left_stopped > 0 or o.left_traced > 0 for o in outcomes)
    print(f"{len(outcomes)} signals in {elapsed:.0f} s: {hangs} hangs, {left} left threads held\n")
    print(
        "| target | command | signal | runs | hangs (> 3 s) | stuck (> 13 s) | left stopped "
        "| exit median | exit max |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        median = row["exit_median_ms"]
        worst = row["exit_max_ms"]
        print(
            f"| {row['target']} | {row['command']} | {row['signal']} | {row['runs']} "
            f"| {row['hangs']} | {row['stuck']} | {row['left_stopped']} "
            f"| {f'{median:.0f} ms' if isinstance(median, float) else '-'} "
            f"| {f'{worst:.0f} ms' if isinstance(worst, float) else '-'} |"
        )
    save_results(
        "signal-release",
        {
            "machine": machine(),
            "options": {k: str(v) for k, v in vars(options).items()},
            "seconds": elapsed,
            "rows": rows,
            "outcomes": [asdict(o) for o in outcomes],
        },
    )
    return 1 if hangs or left else 0


if __name__ == "__main__":
    raise SystemExit(main())
