"""What `memtui exporter` costs, side by side with node_exporter's, scraped every second.

    .venv/bin/python bench/bench_exporter.py [--seconds 120] [--warmup 10] [--top 20]
        [--baseline DIR]

Three exporters run at once, each on its own loopback port, reading the real /proc, so
the machine's noise falls on all of them alike:

- ``memtui``: ``memtui exporter --listen 127.0.0.1:PORT`` (this checkout's Python);
- ``node_exporter``: ``prometheus-node-exporter`` with its default collectors;
- ``node_exporter meminfo``: the same with ``--collector.disable-defaults
  --collector.meminfo``, the fair match for a memory-only exporter;
- with ``--baseline DIR``, also ``memtui (baseline)``: the exporter of another
  checkout (DIR holds its ``memtui`` package, e.g. ``git archive main memtui | tar -x
  -C DIR``), run by the same Python, so a change is measured in the same window.

One thread per exporter scrapes it as a Prometheus with ``scrape_interval: 1s``
would: an HTTP GET of /metrics on the second, with a 1 s timeout, asking for the
text format (``text/plain;version=0.0.4``) gzip-compressed as Prometheus does. After
``--warmup`` seconds the bench reads each exporter's utime+stime (/proc/PID/stat
fields 14-15, every thread), and again ``--seconds`` later: CPU is % of one core
over that window. Per scrape: the time to the whole answer, the bytes on the wire
(gzip) and once decoded, and the number of samples (series) prometheus_client's own
parser finds. RSS is VmRSS (and the peak, VmHWM) at the end.

Prints Markdown tables; raw results go to bench/results/ (gitignored). Every
exporter is stopped on every way out (an error, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench_dashboard import CLK_TCK, cpu_ticks
from bench_results import machine, save_results
from fleet_demo import NODE_EXPORTER, free_port, stop_process, wait_http

SCRAPE_INTERVAL = 1.0
SCRAPE_TIMEOUT = 1.0
SCRAPE_HEADERS = {
    "Accept": "text/plain;version=0.0.4;q=1,*/*;q=0.1",
    "Accept-Encoding": "gzip",
    "User-Agent": "memtui-bench-exporter (as Prometheus/2.42)",
    "X-Prometheus-Scrape-Timeout-Seconds": f"{SCRAPE_TIMEOUT:g}",
}


@dataclass(frozen=True, slots=True)
class Scrape:
    at: float
    seconds: float
    wire_bytes: int
    text_bytes: int
    series: int


@dataclass
class Target:
    name: str
    argv: list[str]
    port: int
    env: dict[str, str] | None = None
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    scrapes: list[Scrape] = field(default_factory=list)
    failures: list[tuple[float, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def targets(top: int, baseline: Path | None) -> list[Target]:
    memtui_port, node_port, meminfo_port = free_port(), free_port(), free_port()
    chosen = [
        Target(
            "memtui",
            [sys.executable, "-m", "memtui", "exporter",
             "--listen", f"127.0.0.1:{memtui_port}", "--top", str(top)],
            memtui_port,
        ),
        Target(
            "node_exporter",
            [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{node_port}"],
            node_port,
        ),
        Target(
            "node_exporter meminfo",
            [NODE_EXPORTER, "--collector.disable-defaults", "--collector.meminfo",
             f"--web.listen-address=127.0.0.1:{meminfo_port}"],
            meminfo_port,
        ),
    ]  # fmt: skip
    if baseline is not None:
        port = free_port()
        chosen.append(
            Target(
                "memtui (baseline)",
                [sys.executable, "-m", "memtui", "exporter",
                 "--listen", f"127.0.0.1:{port}", "--top", str(top)],
                port,
                env={**os.environ, "PYTHONPATH": str(baseline)},
                # python -m puts the working directory first on sys.path: not this one.
                cwd=baseline,
            )
        )  # fmt: skip
    return chosen


@contextmanager
def started(chosen: list[Target]) -> Iterator[list[Target]]:
    try:
        for target in chosen:
            target.process = subprocess.Popen(
                target.argv,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=target.env,
                cwd=target.cwd,
            )
        for target in chosen:
            wait_http(target.url, target.process)
        yield chosen
    finally:
        for target in chosen:
            stop_process(target.process)


def scrape_every_second(target: Target, stop: threading.Event) -> None:
    """Scrape ``target`` on every whole second until ``stop``; a slow scrape skips the
    seconds it overran, as Prometheus does."""
    with httpx.Client(timeout=SCRAPE_TIMEOUT, headers=SCRAPE_HEADERS) as client:
        while not stop.wait(SCRAPE_INTERVAL - time.time() % SCRAPE_INTERVAL):
            at = time.time()
            began = time.perf_counter()
            try:
                response = client.get(target.url)
                response.raise_for_status()
                text = response.text
                seconds = time.perf_counter() - began
                series = sum(len(family.samples) for family in text_string_to_metric_families(text))
            except (httpx.HTTPError, ValueError) as error:
                target.failures.append((at, f"{type(error).__name__}: {error}"))
                continue
            wire = response.num_bytes_downloaded
            target.scrapes.append(Scrape(at, seconds, wire, len(response.content), series))


def status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def process_count() -> int:
    return sum(1 for entry in os.listdir("/proc") if entry.isdigit())


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def measure(chosen: list[Target], warmup: float, seconds: float) -> dict[str, Any]:
    stop = threading.Event()
    scrapers = [
        threading.Thread(target=scrape_every_second, args=(target, stop), name=target.name)
        for target in chosen
    ]
    for scraper in scrapers:
        scraper.start()
    try:
        time.sleep(warmup)
        processes_before = process_count()
        began, wall_began = time.monotonic(), time.time()
        ticks_before = {target.name: cpu_ticks(target.pid) for target in chosen}
        time.sleep(seconds)
        ticks_after = {target.name: cpu_ticks(target.pid) for target in chosen}
        elapsed, wall_ended = time.monotonic() - began, time.time()
        rss = {
            target.name: (status_kib(target.pid, "VmRSS"), status_kib(target.pid, "VmHWM"))
            for target in chosen
        }
    finally:
        stop.set()
        for scraper in scrapers:
            scraper.join(timeout=2 * SCRAPE_TIMEOUT + 1)
    results: dict[str, Any] = {
        "window_seconds": elapsed,
        "processes_on_the_machine": [processes_before, process_count()],
        "targets": {},
    }
    for target in chosen:
        window = [s for s in target.scrapes if wall_began <= s.at < wall_ended]
        failed = [f for f in target.failures if wall_began <= f[0] < wall_ended]
        if not window:
            raise RuntimeError(f"no scrape of {target.name} succeeded: {failed[-1:]}")
        ticks = ticks_after[target.name] - ticks_before[target.name]
        results["targets"][target.name] = {
            "argv": target.argv,
            "cpu_percent": 100.0 * ticks / CLK_TCK / elapsed,
            "cpu_ticks": ticks,
            "scrapes": len(window),
            "failed_scrapes": failed,
            "scrape_seconds_median": statistics.median(s.seconds for s in window),
            "scrape_seconds_p95": p95([s.seconds for s in window]),
            "wire_bytes_median": statistics.median(s.wire_bytes for s in window),
            "text_bytes_median": statistics.median(s.text_bytes for s in window),
            "series_median": statistics.median(s.series for s in window),
            "series_range": [min(s.series for s in window), max(s.series for s in window)],
            "rss_kib": rss[target.name][0],
            "peak_rss_kib": rss[target.name][1],
        }
    return results


def report(results: dict[str, Any]) -> None:
    found = results["targets"]
    print(
        f"{results['window_seconds']:.0f} s measured, scraped every second; "
        f"{results['processes_on_the_machine'][0]} processes on the machine; "
        f"load average {results['machine']['load_average'][0]:.2f} at the start\n"
    )
    print(
        "| exporter | CPU of one core | scrapes (failed) | scrape time median (p95) "
        "| bytes per scrape, gzip (text) | series per scrape | RSS (peak) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, row in found.items():
        print(
            f"| {name} | {row['cpu_percent']:.2f} % | {row['scrapes']} "
            f"({len(row['failed_scrapes'])}) | {row['scrape_seconds_median'] * 1000:.1f} ms "
            f"({row['scrape_seconds_p95'] * 1000:.1f} ms) | "
            f"{row['wire_bytes_median'] / 1024:.1f} KiB ({row['text_bytes_median'] / 1024:.1f} "
            f"KiB) | {row['series_median']:.0f} | {row['rss_kib'] / 1024:.1f} MiB "
            f"({row['peak_rss_kib'] / 1024:.1f} MiB) |"
        )
    memtui = found.get("memtui")
    others = [name for name in found if name != "memtui"]
    if memtui is None or not others:
        return
    print("\n| memtui / … | CPU | bytes (gzip) | series | RSS |")
    print("|---|---|---|---|---|")
    for name in others:
        row = found[name]
        cpu = memtui["cpu_percent"] / row["cpu_percent"] if row["cpu_percent"] else float("inf")
        print(
            f"| {name} | {cpu:.2f}x | "
            f"{memtui['wire_bytes_median'] / row['wire_bytes_median']:.2f}x | "
            f"{memtui['series_median'] / row['series_median']:.2f}x | "
            f"{memtui['rss_kib'] / row['rss_kib']:.2f}x |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="measured (120)")
    parser.add_argument("--warmup", type=float, default=10.0, help="before measuring (10)")
    parser.add_argument("--top", type=int, default=20, help="memtui exporter --top (20)")
    parser.add_argument(
        "--baseline", type=Path, help="also run the exporter of the memtui package in DIR"
    )
    args = parser.parse_args()
    if args.baseline is not None and not (args.baseline / "memtui" / "__main__.py").is_file():
        print(f"bench_exporter: no memtui package in {args.baseline}", file=sys.stderr)
        return 2
    if not os.access(NODE_EXPORTER, os.X_OK):
        print(
            f"bench_exporter: no {NODE_EXPORTER}: apt-get install prometheus-node-exporter",
            file=sys.stderr,
        )
        return 1
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))
    at_start = machine()
    try:
        with started(targets(args.top, args.baseline)) as chosen:
            results = measure(chosen, args.warmup, args.seconds)
    except RuntimeError as error:
        print(f"bench_exporter: {error}", file=sys.stderr)
        return 1
    results["machine"] = at_start
    results["load_average_after"] = os.getloadavg()
    results["warmup"] = args.warmup
    results["top"] = args.top
    results["baseline"] = None if args.baseline is None else str(args.baseline)
    report(results)
    save_results("exporter", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
