"""Reproduce the book's read-size table on this machine, side by side in one run.

    python bench/bench_reader.py            # full run (about a minute)
    python bench/bench_reader.py --quick    # fewer repetitions, no peek above 1 MiB

A C target holds 128 MiB of PRNG bytes. For each read size it times memtui's
three methods (procmem and vm_readv into one reused page-aligned buffer, without a
freeze; peek under one held freeze, as it must be), C process_vm_readv into a reused
buffer (the goal: memtui within 1.25x), and an in-process memcpy (the physical
limit). Freeze and release are timed separately, and `memtui dump` of 64 MiB raw to
/dev/null is timed as a whole process against a C pread loop.

Prints a Markdown table; raw figures go to bench/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import mmap
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from memtui.core.process_memory.libc_ptrace import buffer_address
from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.process_freeze import ProcessFreeze
from memtui.core.units import format_bytes

HERE = Path(__file__).resolve().parent
REGION = 128 << 20
SIZES = [4 << 10, 64 << 10, 1 << 20, 16 << 20, 128 << 20]
PEEK_LIMIT = 16 << 20  # peek of 128 MiB takes about 40 s; it is extrapolated instead
DUMP_SIZE = 64 << 20


def build(out: Path) -> Path:
    binary = out / "reader_bench"
    subprocess.run(
        ["gcc", "-O2", "-Wall", "-pthread", "-o", str(binary), str(HERE / "c" / "reader_bench.c")],
        check=True,
    )
    return binary


def repetitions(size: int, quick: bool) -> int:
    budget = (64 if quick else 512) << 20
    return max(5, min(200, budget // size))


def time_median(action: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def c_seconds(binary: Path, *args: str) -> float:
    out = subprocess.run([str(binary), *args], capture_output=True, text=True, check=True)
    return float(out.stdout)


def whole_process_medians(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command, run round-robin so they share the same noise."""
    # Time the interpreter as installed: with bytecode cached, whatever the caller's
    # PYTHONDONTWRITEBYTECODE says, after one warm-up run that writes it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: dict[str, list[float]] = {name: [] for name in commands}
    with open(os.devnull, "wb") as sink:
        for round_ in range(runs + 1):
            for name, argv in commands.items():
                began = time.perf_counter()
                subprocess.run(argv, stdout=sink, check=True, env=env)
                if round_:
                    times[name].append(time.perf_counter() - began)
    return {name: statistics.median(values) for name, values in times.items()}


def rate(size: int, seconds: float) -> str:
    if seconds <= 0:
        return "-"
    per_second = size / seconds
    if per_second >= 1 << 30:
        return f"{per_second / (1 << 30):.2f} GiB/s"
    return f"{per_second / (1 << 20):.1f} MiB/s"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def freeze_costs(pid: int, reps: int) -> tuple[float, float]:
    enters, exits = [], []
    for _ in range(reps):
        freeze = ProcessFreeze(pid)
        began = time.perf_counter()
        freeze.__enter__()
        middle = time.perf_counter()
        freeze.__exit__(None, None, None)
        enters.append(middle - began)
        exits.append(time.perf_counter() - middle)
    return statistics.median(enters), statistics.median(exits)


def start_target(binary: Path, size: int, threads: int) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [str(binary), "target", str(size), str(threads)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline(), 16)


def stop(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    quick: bool = options.quick
    results: dict[str, object] = {
        "machine": f"{cpu_model()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
        f"Python {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        binary = build(Path(scratch))
        target, address = start_target(binary, REGION, 1)
        buffer = mmap.mmap(-1, REGION)
        view = memoryview(buffer)
        ctypes.memset(buffer_address(view), 1, REGION)  # fault the pages in once
        source = mmap.mmap(-1, REGION)
        ctypes.memset(buffer_address(memoryview(source)), 2, REGION)
        try:
            procmem = MemoryReader(target.pid, "procmem", freeze=False)
            vm = MemoryReader(target.pid, "vm_readv", freeze=False)
            peek = MemoryReader(target.pid, "peek")
            for size in SIZES:
                reps = repetitions(size, quick)
                part = view[:size]
                src, dst = buffer_address(memoryview(source)), buffer_address(part)
                # Side by side: each figure is the best of three interleaved rounds.
                keys = ("c", "cpread", "pm", "vm", "cp")
                measured: dict[str, list[float]] = {k: [] for k in keys}
                c_args = (str(target.pid), hex(address), str(size), str(reps))
                for _ in range(3):
                    measured["c"].append(c_seconds(binary, "vm_readv", *c_args))
                    measured["cpread"].append(c_seconds(binary, "preadmem", *c_args))
                    measured["pm"].append(
                        time_median(partial(procmem.read_into, address, part), reps)
                    )
                    measured["vm"].append(time_median(partial(vm.read_into, address, part), reps))
                    measured["cp"].append(
                        time_median(partial(ctypes.memmove, dst, src, size), reps)
                    )
                best = {key: min(values) for key, values in measured.items()}
                peek_limit = (1 << 20) if quick else PEEK_LIMIT
                if size <= peek_limit:
                    peek_reps = max(1, min(reps, (1 << 20) // size * 4 if size < (1 << 20) else 1))
                    began = time.perf_counter()
                    peek.read_many([(address, size)] * peek_reps)  # one freeze, many reads
                    best["peek"] = (time.perf_counter() - began) / peek_reps
                    peek_note = ""
                else:
                    best["peek"] = rows[-1]["peek"] * size / rows[-1]["size"]
                    peek_note = " (extrapolated)"
                rows.append({"size": size, "reps": reps, **best, "peek_note": peek_note})
            for reader in (procmem, vm, peek):
                reader.close()
        finally:
            # The buffers are left to the garbage collector: timing closures still
            # hold views of them, and an mmap with live views refuses to close.
            stop(target)

        freezes = {}
        for threads in (1, 8):
            process, _ = start_target(binary, 1 << 20, threads)
            try:
                freezes[threads] = freeze_costs(process.pid, 50 if quick else 200)
            finally:
                stop(process)

        target, address = start_target(binary, DUMP_SIZE, 1)
        try:
            runs = 7 if quick else 21
            base = [sys.executable, "-m", "memtui", "dump", str(target.pid), hex(address)]
            base += ["64M", "--format", "raw", "--output", os.devnull]
            dumps = whole_process_medians(
                {
                    "c_pread": [
                        str(binary),
                        "pread",
                        str(target.pid),
                        hex(address),
                        str(DUMP_SIZE),
                    ],
                    "memtui_dump": base,
                    "memtui_dump_no_freeze": [*base, "--no-freeze"],
                    "memtui_dump_vm_readv": [*base, "--method", "vm_readv"],
                    "memtui_version": [sys.executable, "-m", "memtui", "--version"],
                    "python_startup": [sys.executable, "-c", "pass"],
                },
                runs,
            )
        finally:
            stop(target)

    results.update({"rows": rows, "freeze": freezes, "dump": dumps})
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    out_file = out_dir / f"reader-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out_file.write_text(json.dumps(results, indent=2))

    print(f"Machine: {results['machine']}\n")
    print(
        "| read size | peek | procmem | vm_readv | C pread /proc/PID/mem | C process_vm_readv "
        "| memcpy (limit) | vm_readv / C vm_readv | procmem / C vm_readv | procmem / C pread "
        "| peek / procmem |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        size = int(row["size"])

        def cell(key: str, row: dict[str, object] = row, size: int = size) -> str:
            seconds = float(row[key])  # type: ignore[arg-type]
            return f"{seconds * 1e3:.3f} ms ({rate(size, seconds)})"

        print(
            f"| {format_bytes(size, 0)} | {cell('peek')}{row['peek_note']} | {cell('pm')} | "
            f"{cell('vm')} | {cell('cpread')} | {cell('c')} | {cell('cp')} | "
            f"{float(row['vm']) / float(row['c']):.2f}x | "  # type: ignore[arg-type]
            f"{float(row['pm']) / float(row['c']):.2f}x | "  # type: ignore[arg-type]
            f"{float(row['pm']) / float(row['cpread']):.2f}x | "  # type: ignore[arg-type]
            f"{float(row['peek']) / float(row['pm']):.0f}x |"  # type: ignore[arg-type]
        )
    print()
    for threads, (enter, leave) in freezes.items():
        print(
            f"Freeze of a {threads}-thread target: {enter * 1e6:.0f} us to stop, "
            f"{leave * 1e6:.0f} us to release"
        )
    print()
    c_time = dumps["c_pread"]
    for key, seconds in dumps.items():
        ratio = "" if key == "c_pread" else f" ({seconds / c_time:.2f}x C)"
        print(f"{key}: {seconds * 1e3:.1f} ms{ratio}")
    print(f"\nraw results: {out_file.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    if shutil.which("gcc") is None:
        sys.exit("bench_reader needs gcc to build its C baselines")
    sys.exit(main())
