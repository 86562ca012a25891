"""One narrowing rescan of 1,000,000 candidates, beside a pread loop and scanmem.

    flock /tmp/memtui-heavy.lock python bench/bench_narrowing.py [--count 1000000] [--repeat 5]

Starts tests/targets/counter_target.c with ``--count`` u32 decoys all equal to the
counter's start value (then another with twice as many, for the scattered layout).
Then, on the same process:

- **memtui, dense**: the candidates of a memtui search for that value (the decoys
  side by side, the counter, a stray copy), rescanned by
  :func:`memtui.core.process_memory.narrowing_scan.rescan` with ``=`` (nothing
  changed: every candidate kept, the compare short-cut), ``= V`` (every one kept,
  compared one by one), ``+`` (every one compared, none kept) and ``!``; in freeze
  mode (one freeze per rescan) and without stopping the process.
- **memtui, scattered**: ``--count`` candidates one u32 in two (8 bytes apart), so
  no two are side by side: dense enough that their pages are read whole and the
  values cut out of them (:mod:`memtui.core.process_memory.value_gather`).
- **memtui, scattered at random**: ``--count`` of the ``2 * --count`` decoys picked
  at random (seeded), so the gaps between them vary; read the same way.
- **read only, whole pages or one iovec each**: ``MemoryReader.read_values`` alone
  (one freeze, no compare) over both scattered layouts, with the pages read whole
  and with one iovec per candidate (the way before it read pages, a thousand iovecs
  per process_vm_readv).
- **pread per page**: a Python loop of ``os.pread(fd, 4096, page)`` over
  /proc/PID/mem, one per page the candidates touch, reading only (no values cut
  out, no compare): the floor of any page-at-a-time rescan from Python.
- **scanmem**: ``scanmem -p PID`` driven through its stdin: ``option scan_data_type
  int32``, the value (its first scan, not timed), then ``=`` (its rescan), timed
  from writing ``=`` to its ``we currently have N matches`` line; scanmem attaches
  (PTRACE_ATTACH) and detaches around it.

Times are the median of ``--repeat`` runs. Raw results go to bench/results/.
"""

from __future__ import annotations

import argparse
import os
import random
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

from bench_results import machine, save_results

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_search import SearchProgress, parse_query, search_steps
from memtui.core.process_memory.narrowing_scan import (
    Candidates,
    NarrowCondition,
    candidates_from_search,
    rescan,
    value_kind,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "targets" / "counter_target.c"
START = 1_513_920_225
PAGE = os.sysconf("SC_PAGE_SIZE")


def start_target(binary: Path, decoys: int) -> tuple[subprocess.Popen[bytes], int]:
    """The counter target with ``decoys`` steady u32 decoys; returns it and where they start."""
    argv = [str(binary), str(START), str(decoys), "0", "0", "-"]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={})
    assert process.stdout is not None
    fields = dict(part.split("=", 1) for part in process.stdout.readline().decode().split())
    return process, int(fields["steady"], 16)


def searched(pid: int, limit: int) -> Candidates:
    """The candidates of a memtui search for the value, as the view's c starts from."""
    pattern = parse_query(f"u32:{START}")
    last: SearchProgress | None = None
    with MemoryReader(pid) as reader:
        for progress in search_steps(reader, pattern, limit=limit, keep=0):
            last = progress or last
    assert last is not None and last.addresses is not None
    return candidates_from_search(pattern, last.addresses, last.values)


def one_in_two(steady: int, count: int) -> Candidates:
    """``count`` decoys 8 bytes apart: no two side by side."""
    kind = value_kind(parse_query(f"u32:{START}"))
    spread = array("Q", range(steady, steady + 8 * count, 8))
    return Candidates(kind, spread, START.to_bytes(4, "little") * count, False)


def random_half(steady: int, count: int) -> Candidates:
    """``count`` of the ``2 * count`` decoys, picked at random: gaps of 4 bytes and up."""
    kind = value_kind(parse_query(f"u32:{START}"))
    picked = sorted(random.Random(12).sample(range(2 * count), count))
    spread = array("Q", (steady + 4 * index for index in picked))
    return Candidates(kind, spread, START.to_bytes(4, "little") * count, False)


def time_read_values(pid: int, candidates: Candidates, repeat: int) -> dict[str, float]:
    """``read_values`` alone, pages whole and one iovec each, under one freeze."""
    timed: dict[str, float] = {}
    with MemoryReader(pid) as reader:
        for pages in (True, False):
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                reader.read_values(candidates.addresses, 4, candidates.overlapping, pages)
                times.append(time.perf_counter() - started)
            timed["pages" if pages else "iovecs"] = round(statistics.median(times), 4)
    return timed


def time_memtui(pid: int, candidates: Candidates, repeat: int) -> list[dict[str, Any]]:
    rows = []
    conditions = [
        NarrowCondition("="),
        NarrowCondition("=", START),
        NarrowCondition("+"),
        NarrowCondition("!"),
    ]
    for condition in conditions:
        for freeze in (True, False):
            times, kept = [], 0
            with MemoryReader(pid, freeze=freeze) as reader:
                for _ in range(repeat):
                    result = rescan(reader, candidates, condition)
                    times.append(result.seconds)
                    kept = len(result.candidates)
            rows.append(
                {
                    "step": condition.text,
                    "mode": "one freeze" if freeze else "no-stop",
                    "candidates": len(candidates),
                    "kept": kept,
                    "seconds": round(statistics.median(times), 4),
                }
            )
    return rows


def time_pread_pages(pid: int, candidates: Candidates, repeat: int) -> dict[str, Any]:
    pages = sorted({address - address % PAGE for address in candidates.addresses})
    times = []
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            for page in pages:
                os.pread(fd, PAGE, page)
            times.append(time.perf_counter() - started)
    finally:
        os.close(fd)
    return {"pages": len(pages), "seconds": round(statistics.median(times), 4)}


def _read_until(process: subprocess.Popen[bytes], marker: bytes, timeout: float) -> bytes:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen.rpartition(b"\n")[0]:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeError(f"scanmem said no {marker!r}: {seen[-300:]!r}")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError(f"scanmem ended: {seen[-300:]!r}")
        seen += chunk
    return seen


def time_scanmem(pid: int, repeat: int) -> dict[str, Any] | None:
    scanmem = shutil.which("scanmem")
    if scanmem is None:
        return None
    times, matches = [], ""
    for _ in range(repeat):
        process = subprocess.Popen(
            [scanmem, "-p", str(pid)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert process.stdin is not None
        try:
            process.stdin.write(f"option scan_data_type int32\n{START}\n".encode())
            process.stdin.flush()
            _read_until(process, b"we currently have", 120)
            started = time.perf_counter()
            process.stdin.write(b"=\n")
            process.stdin.flush()
            said = _read_until(process, b"we currently have", 120)
            times.append(time.perf_counter() - started)
            matches = said.split(b"we currently have")[-1].split(b"matches")[0].strip().decode()
            process.stdin.write(b"exit\n")
            process.stdin.flush()
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return {"matches": matches, "seconds": round(statistics.median(times), 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        print("needs gcc or cc", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "counter_target"
        subprocess.run([compiler, "-O2", "-o", str(binary), str(SOURCE)], check=True)
        results: dict[str, Any] = {}
        # Dense: a search finds the decoys side by side, the counter and a stray copy.
        target, _ = start_target(binary, args.count)
        try:
            dense = searched(target.pid, 10 * args.count)
            results["memtui_dense"] = time_memtui(target.pid, dense, args.repeat)
            results["pread_dense"] = time_pread_pages(target.pid, dense, args.repeat)
            results["scanmem"] = time_scanmem(target.pid, args.repeat)
        finally:
            target.kill()
            target.wait()
        target, steady = start_target(binary, 2 * args.count)
        try:
            scattered = one_in_two(steady, args.count)
            results["memtui_scattered"] = time_memtui(target.pid, scattered, args.repeat)
            results["pread_scattered"] = time_pread_pages(target.pid, scattered, args.repeat)
            at_random = random_half(steady, args.count)
            results["memtui_random"] = time_memtui(target.pid, at_random, args.repeat)
            results["pread_random"] = time_pread_pages(target.pid, at_random, args.repeat)
            results["read_values"] = {
                "scattered": time_read_values(target.pid, scattered, args.repeat),
                "random": time_read_values(target.pid, at_random, args.repeat),
            }
        finally:
            target.kill()
            target.wait()
    print("| who | layout | step | mode | candidates | kept | time (median) |")
    print("|---|---|---|---|---|---|---|")
    for layout in ("dense", "scattered", "random"):
        for row in results[f"memtui_{layout}"]:
            print(
                f"| memtui | {layout} | `{row['step']}` | {row['mode']} | {row['candidates']:,} "
                f"| {row['kept']:,} | {row['seconds'] * 1000:.0f} ms |"
            )
        pread = results[f"pread_{layout}"]
        print(
            f"| pread per page | {layout} | (read only) | no-stop | {pread['pages']:,} pages "
            f"| — | {pread['seconds'] * 1000:.0f} ms |"
        )
    if results["scanmem"] is not None:
        scan = results["scanmem"]
        print(
            f"| scanmem 0.17 | dense | `=` | PTRACE_ATTACH | {scan['matches']} "
            f"| {scan['matches']} | {scan['seconds'] * 1000:.0f} ms |"
        )
    print()
    print("| read only (read_values) | whole pages | one iovec each |")
    print("|---|---|---|")
    for layout, timed in results["read_values"].items():
        print(f"| {layout} | {timed['pages'] * 1000:.0f} ms | {timed['iovecs'] * 1000:.0f} ms |")
    config = {"count": args.count, "repeat": args.repeat, **machine()}
    save_results("narrowing", {"results": results, "config": config})
    return 0


if __name__ == "__main__":
    sys.exit(main())
