"""Search throughput across a process holding 1 GiB of data.

    /tmp/venv/bin/python bench/bench_search.py [--mib 1024] [--repeat 3]

Starts tests/targets/pattern_target.c with a ``--mib`` MiB anonymous mapping (every
8 bytes hold their own offset), then runs
:func:`memtui.core.process_memory.memory_search.search_process` over the whole process,
from the lowest address, for each query below, in freeze mode (a freeze per 4 MiB
chunk) and without stopping the process:

- text that is nowhere (a full scan: the cost of every search that finds little);
- a u64 that is there once (an offset inside the mapping);
- hex bytes of an offset (found once);
- an f64 with a tolerance that nothing matches (the float path: ``find`` on the bytes
  its range shares, then a check of each hit);
- an f64 with a tolerance so wide its values share no two bytes (the slow path: the
  top byte of every aligned word).

Throughput is the bytes scanned (the whole process's readable memory) over the
wall time of the search, median of ``--repeat``. Raw results go to bench/results/.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_results import machine, save_results

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_search import parse_query, search_process

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "targets" / "pattern_target.c"


def queries(big: int, size: int) -> list[tuple[str, str]]:
    offset = size // 2 + 8 * 12345
    return [
        ("text, not found (full scan)", "memtui-no-such-text-anywhere"),
        ("u64, found once", f"u64:{offset}"),
        ("hex bytes, found once", "x:" + offset.to_bytes(8, "little").hex(" ")),
        ("f64 with tolerance, none match", "f64:123456.789~0.001"),
        ("f64 wide tolerance (slow path)", "f64:1e300~1e299"),
    ]


def run(pid: int, big: int, size: int, repeat: int) -> list[dict[str, Any]]:
    rows = []
    for label, query in queries(big, size):
        pattern = parse_query(query)
        for freeze in (True, False):
            times, scanned, found = [], 0, 0
            for _ in range(repeat):
                with MemoryReader(pid, freeze=freeze) as reader:
                    started = time.perf_counter()
                    result = search_process(reader, pattern)
                    times.append(time.perf_counter() - started)
                scanned, found = result.scanned, len(result.matches)
            seconds = statistics.median(times)
            rows.append(
                {
                    "query": label,
                    "text": query,
                    "mode": "freeze per chunk" if freeze else "no-stop",
                    "scanned_bytes": scanned,
                    "matches": found,
                    "seconds": round(seconds, 4),
                    "gb_per_s": round(scanned / seconds / 1e9, 2),
                }
            )
            print(
                f"| {label} | `{query}` | {rows[-1]['mode']} | {scanned / 2**20:.0f} MiB "
                f"| {found} | {seconds * 1000:.0f} ms | {rows[-1]['gb_per_s']:.2f} GB/s |",
                flush=True,
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        print("needs gcc or cc", file=sys.stderr)
        return 1
    print("| query | as typed | mode | scanned | matches | time (median) | throughput |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "pattern_target"
        subprocess.run([compiler, "-O2", "-o", str(binary), str(SOURCE)], check=True)
        target = subprocess.Popen(
            [str(binary), "-", str(args.mib)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        try:
            assert target.stdout is not None
            fields = dict(part.split("=", 1) for part in target.stdout.readline().decode().split())
            rows = run(target.pid, int(fields["big"], 16), int(fields["big_size"]), args.repeat)
        finally:
            target.kill()
            target.wait()
    config = {"mib": args.mib, "repeat": args.repeat, **machine()}
    save_results("search", {"rows": rows, "config": config})
    return 0


if __name__ == "__main__":
    sys.exit(main())
