"""Headless start-up and a whole 64 MiB dump, side by side with their floors.

    flock /tmp/memtui-heavy.lock python bench/bench_startup_headless.py [--runs 30]
        [--baseline OTHER/.venv/bin/memtui]

Each command runs as a whole process, round-robin so that they share the machine's
noise, ``--runs`` times after a warm-up; the table gives the median wall time.

- start-up: ``python3 -c pass`` (the interpreter alone), ``memtui --version``,
  ``memtui maps PID`` and ``memtui dump PID ADDR 16 --format raw --output /dev/null``
  (a headless command up to its first read, and a little beyond); the goal is a
  first read within 15 ms of ``python3 -c pass``;
- dump: ``memtui dump PID ADDR 64M --format raw --output /dev/null`` against a C loop
  that preads /proc/PID/mem in 1 MiB reads to /dev/null; the goal is within 2x.

The first read itself is timed too, under ``strace --seccomp-bpf`` (which stops
memtui only at the few system calls it is told to): from the execve to the first
preadv2 of /proc/PID/mem for ``memtui dump PID ADDR 16``, against the execve to the
exit_group of ``python3 -c pass``, the median of ``--runs`` runs each, interleaved.
The whole-process time of a dump also holds its write and the interpreter's
teardown (5 ms or so), which come after the first read.

The target is bench/c/reader_bench.c's, holding 64 MiB of PRNG bytes. memtui runs as
installed: the console script pip made, the one users start (``memtui`` beside this
Python, or on PATH). ``--baseline`` runs every memtui command a second time with
another installed memtui (say, main's, in a venv of its own), in the same rounds,
so that before and after share the machine's moment.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_reader import build, whole_process_medians

SIZE = 64 << 20
C_CHUNK = 1 << 20
C_LOOP = "C pread loop, 1 MiB reads, 64 MiB"


def memtui_script() -> str:
    script = Path(sys.executable).parent / "memtui"
    found = str(script) if script.exists() else shutil.which("memtui")
    if found is None:
        raise SystemExit("memtui is not installed beside this Python: pip install -e .")
    return found


def memtui_commands(memtui: str, pid: str, address: str) -> dict[str, list[str]]:
    raw = ["--format", "raw", "--output", "/dev/null"]
    return {
        "memtui --version": [memtui, "--version"],
        "memtui maps PID": [memtui, "maps", pid],
        "memtui dump PID ADDR 16 (raw, /dev/null)": [memtui, "dump", pid, address, "16", *raw],
        "memtui dump PID ADDR 64M (raw, /dev/null)": [memtui, "dump", pid, address, "64M", *raw],
    }


def first_event_seconds(argv: list[str], event: str, scratch: Path) -> float:
    """Seconds from the execve of ``argv`` to its first ``event`` system call."""
    trace = scratch / "strace.txt"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        ["strace", "-f", "--seccomp-bpf", "-ttt", "-o", str(trace),
         "-e", "trace=execve,preadv,preadv2,exit_group", *argv],
        stdout=subprocess.DEVNULL, check=True, env=env,
    )  # fmt: skip
    started = None
    for line in trace.read_text().splitlines():
        _, stamp, call = line.split(None, 2)  # strace pads short pids
        if started is None and call.startswith("execve("):
            started = float(stamp)
        elif started is not None and call.startswith(event + "("):
            return float(stamp) - started
    raise SystemExit(f"no {event} in the trace of {argv}:\n{trace.read_text()}")


def first_read_medians(
    commands: dict[str, tuple[list[str], str]], runs: int, scratch: Path
) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs + 1):
        for name, (argv, event) in commands.items():
            seconds = first_event_seconds(argv, event, scratch)
            if round_:
                times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--baseline", metavar="MEMTUI", help="another installed memtui script to run beside"
    )
    args = parser.parse_args()
    memtui = memtui_script()
    with tempfile.TemporaryDirectory() as scratch:
        binary = build(Path(scratch))
        target = subprocess.Popen(
            [str(binary), "target", str(SIZE), "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        try:
            assert target.stdout is not None
            address = target.stdout.readline().decode().strip()
            pid = str(target.pid)
            # The interpreter memtui runs on (a pyenv shim in PATH costs 100 ms more).
            commands = {"python3 -c pass": [sys.executable, "-c", "pass"]}
            commands[C_LOOP] = [str(binary), "pread", pid, address, str(SIZE), str(C_CHUNK)]
            ours = memtui_commands(memtui, pid, address)
            commands.update(ours)
            if args.baseline:
                baseline = memtui_commands(args.baseline, pid, address)
                commands.update({f"{name} [baseline]": argv for name, argv in baseline.items()})
            medians = whole_process_medians(commands, args.runs)
            raw = ["--format", "raw", "--output", "/dev/null"]
            first_reads = {
                "python3 -c pass: execve to exit_group": (
                    commands["python3 -c pass"], "exit_group",
                ),
                "memtui dump PID ADDR 16: execve to first read": (
                    [memtui, "dump", pid, address, "16", *raw], "preadv2",
                ),
            }  # fmt: skip
            if args.baseline:
                first_reads["memtui dump PID ADDR 16 [baseline]: execve to first read"] = (
                    [args.baseline, "dump", pid, address, "16", *raw], "preadv2",
                )  # fmt: skip
            reads = first_read_medians(first_reads, args.runs, Path(scratch))
        finally:
            assert target.stdin is not None
            target.stdin.close()
            target.wait(timeout=10)
    floor = medians["python3 -c pass"]
    c_loop = medians[C_LOOP]
    print(f"median of {args.runs} runs each, round-robin; memtui: {memtui}")
    if args.baseline:
        print(f"baseline: {args.baseline}")
    print()
    print("| command | wall time | - python3 -c pass | / C pread loop |")
    print("|---|---|---|---|")
    for name, seconds in medians.items():
        over = f"+{(seconds - floor) * 1000:.1f} ms" if name != C_LOOP else ""
        ratio = f"{seconds / c_loop:.2f}x" if "64" in name else ""
        print(f"| {name} | {seconds * 1000:.1f} ms | {over} | {ratio} |")
    print(f"\nunder strace --seccomp-bpf, median of {args.runs} runs each\n")
    print("| what | time | - python3 -c pass |")
    print("|---|---|---|")
    read_floor = next(iter(reads.values()))
    for name, seconds in reads.items():
        print(f"| {name} | {seconds * 1000:.1f} ms | +{(seconds - read_floor) * 1000:.1f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
