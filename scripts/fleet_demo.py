"""A fleet on one machine: a real Prometheus scraping fake hosts, for the README and tests.

    python scripts/fleet_demo.py [--hosts 3] [--leak-rate 600] [--no-exporter]

Starts Prometheus (scraping every second, its storage in a temporary directory) and
one prometheus-node-exporter per fake host, each reading its own fake procfs: a
directory whose ``meminfo`` this script rewrites every second. host-0 leaks (its
AnonPages and Committed_AS rise steadily, MemAvailable falls); the others churn. A
memtui exporter is scraped as host-0 too. It prints the Prometheus URL, then runs until
Ctrl-C, and stops everything it started on every path. tests/targets/fleet.py
drives the same class.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROMETHEUS = "/usr/bin/prometheus"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
MIB = 1 << 20
KIB = 1024
MEM_TOTAL = 16 << 30
LEAK_RATE = 600.0
"""MiB/min host-0 leaks at by default: steep, so the verdict names it about as soon as
the detector may (a minute of history) and long before it runs out."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing_binaries() -> list[str]:
    return [path for path in (PROMETHEUS, NODE_EXPORTER) if not os.access(path, os.X_OK)]


@dataclass
class FakeHost:
    """One host's fake procfs: a meminfo that leaks or churns as time goes by."""

    name: str
    procfs: Path
    leaking: bool
    leak_rate: float = LEAK_RATE * MIB
    """Bytes per minute."""
    started: float = field(default_factory=time.time)
    rng: random.Random = field(default_factory=random.Random)
    last: dict[str, int] = field(default_factory=dict)

    def values(self, now: float) -> dict[str, int]:
        """The fields in bytes (HugePages_* in pages), as written at ``now``."""
        minutes = (now - self.started) / 60.0
        base_anon = 2 << 30
        if self.leaking:
            grown = int(self.leak_rate * minutes)
            anon = base_anon + grown
            cached = 4 << 30
        else:
            grown = 0
            anon = base_anon + self.rng.randint(-64, 64) * MIB
            cached = (4 << 30) + int(512 * MIB * math.sin(now / 7.0))
        committed = (3 << 30) + (grown if self.leaking else self.rng.randint(-64, 64) * MIB)
        free = max(64 * MIB, MEM_TOTAL - anon - cached - (1 << 30))
        return {
            "MemTotal": MEM_TOTAL,
            "MemFree": free,
            "MemAvailable": free + cached,
            "Buffers": 256 * MIB,
            "Cached": cached,
            "SwapCached": 0,
            "Active": anon + cached // 2,
            "Inactive": cached // 2,
            "Active(anon)": anon,
            "Inactive(anon)": 0,
            "Active(file)": cached // 2,
            "Inactive(file)": cached // 2,
            "SwapTotal": 2 << 30,
            "SwapFree": 2 << 30,
            "Dirty": 4 * MIB,
            "AnonPages": anon,
            "Mapped": 512 * MIB,
            "Shmem": 64 * MIB,
            "Slab": 300 * MIB,
            "CommitLimit": MEM_TOTAL // 2 + (2 << 30),
            "Committed_AS": committed,
            "HugePages_Total": 0,
            "HugePages_Free": 0,
            "Hugepagesize": 2 * MIB,
        }

    def write(self, now: float) -> None:
        values = self.values(now)
        lines = []
        for name, value in values.items():
            if name.startswith("HugePages_"):
                lines.append(f"{name + ':':<16}{value:>8}")
            else:
                lines.append(f"{name + ':':<16}{value // KIB:>8} kB")
        temporary = self.procfs / "meminfo.tmp"
        temporary.write_text("\n".join(lines) + "\n")
        temporary.replace(self.procfs / "meminfo")
        self.last = values


class Fleet:
    """Prometheus, node exporters and (optionally) a memtui exporter; ``close()`` stops
    every process it started."""

    def __init__(
        self,
        hosts: int = 3,
        *,
        leak_rate: float = LEAK_RATE,
        exporter: bool = True,
        directory: Path | None = None,
    ) -> None:
        missing = missing_binaries()
        if missing:
            raise RuntimeError(
                f"missing {', '.join(missing)}: apt-get install prometheus prometheus-node-exporter"
            )
        self._own_directory = directory is None
        self.directory = (
            Path(tempfile.mkdtemp(prefix="memtui-fleet-")) if directory is None else directory
        )
        self.hosts = [
            FakeHost(f"host-{index}", self.directory / f"host-{index}", index == 0, leak_rate * MIB)
            for index in range(hosts)
        ]
        self.node_ports = [free_port() for _ in self.hosts]
        self.node_processes: list[subprocess.Popen[bytes] | None] = [None] * hosts
        self.prometheus_port = free_port()
        self.prometheus: subprocess.Popen[bytes] | None = None
        # When the first Prometheus was ready: its first scrapes come after that.
        self.scraping_from: float | None = None
        self.exporter_port = free_port() if exporter else None
        self.exporter: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._rewrite, name="fake-meminfo", daemon=True)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    def start(self) -> Fleet:
        try:
            now = time.time()
            for host in self.hosts:
                host.procfs.mkdir(parents=True, exist_ok=True)
                host.started = now
                host.write(now)
            self._writer.start()
            for index in range(len(self.hosts)):
                self.start_node(index)
            if self.exporter_port is not None:
                self.exporter = subprocess.Popen(
                    [sys.executable, "-m", "memtui", "exporter",
                     "--listen", f"127.0.0.1:{self.exporter_port}"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            self._write_config()
            self.start_prometheus()
            self.scraping_from = time.time()
        except BaseException:
            self.close()
            raise
        return self

    def _rewrite(self) -> None:
        while not self._stop.wait(1.0 - time.time() % 1.0):
            now = time.time()
            with self._lock:
                for host in self.hosts:
                    host.write(now)

    def meminfo(self, index: int) -> dict[str, int]:
        """What host ``index`` was last given (bytes; HugePages_* in pages)."""
        with self._lock:
            return dict(self.hosts[index].last)

    def _write_config(self) -> None:
        lines = [
            "global:",
            "  scrape_interval: 1s",
            "  evaluation_interval: 1s",
            "  scrape_timeout: 1s",
            "scrape_configs:",
            "  - job_name: node",
            "    static_configs:",
        ]
        for host, port in zip(self.hosts, self.node_ports, strict=True):
            lines += [
                f"      - targets: ['127.0.0.1:{port}']",
                f"        labels: {{instance: '{host.name}'}}",
            ]
        if self.exporter_port is not None:
            lines += [
                "  - job_name: memtui",
                "    static_configs:",
                f"      - targets: ['127.0.0.1:{self.exporter_port}']",
                f"        labels: {{instance: '{self.hosts[0].name}'}}",
            ]
        (self.directory / "prometheus.yml").write_text("\n".join(lines) + "\n")

    def start_node(self, index: int) -> None:
        self.node_processes[index] = subprocess.Popen(
            [NODE_EXPORTER, f"--path.procfs={self.hosts[index].procfs}",
             "--collector.disable-defaults", "--collector.meminfo",
             f"--web.listen-address=127.0.0.1:{self.node_ports[index]}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_http(f"http://127.0.0.1:{self.node_ports[index]}/metrics", self.node_processes[index])

    def stop_node(self, index: int) -> None:
        stop_process(self.node_processes[index])
        self.node_processes[index] = None

    def start_prometheus(self) -> None:
        self.prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={self.directory / 'prometheus.yml'}",
             f"--storage.tsdb.path={self.directory / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.prometheus_port}",
             "--storage.tsdb.retention.time=1d"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_http(f"{self.url}/-/ready", self.prometheus, timeout=60.0)

    def stop_prometheus(self) -> None:
        stop_process(self.prometheus)
        self.prometheus = None

    def close(self) -> None:
        self._stop.set()
        if self._writer.is_alive():
            self._writer.join(timeout=5)
        stop_process(self.prometheus)
        self.prometheus = None
        stop_process(self.exporter)
        self.exporter = None
        for index in range(len(self.node_processes)):
            stop_process(self.node_processes[index])
            self.node_processes[index] = None
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL after 10 s; reaped either way. None or gone: nothing."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_http(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 20.0) -> None:
    """Until ``url`` answers 200; RuntimeError if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")  # type: ignore[index]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:g} s")
        time.sleep(0.1)


@contextmanager
def running_fleet(hosts: int = 3, **options: object) -> Iterator[Fleet]:
    fleet = Fleet(hosts, **options)  # type: ignore[arg-type]
    fleet.start()
    try:
        yield fleet
    finally:
        fleet.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--leak-rate", type=float, default=LEAK_RATE, help="MiB/min of host-0")
    parser.add_argument("--no-exporter", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        with running_fleet(
            args.hosts, leak_rate=args.leak_rate, exporter=not args.no_exporter
        ) as fleet:
            print(f"Prometheus: {fleet.url}", flush=True)
            print(f"Try: memtui --prometheus {fleet.url} (Ctrl-C here stops the fleet)", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:
        print(f"fleet_demo: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
