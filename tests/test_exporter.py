"""`memtui exporter` as Prometheus sees it: a real exporter process, scraped over HTTP,
parsed by prometheus_client's own parser, with a real process leaking beside it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families
from targets.leak_workloads import start_workload, stop_workload

from memtui.core.metrics.process_watch import IDLE_INTERVAL, ProcessWatch

NAMES = {
    "memtui_process_resident_bytes",
    "memtui_process_swap_bytes",
    "memtui_process_pss_bytes",
    "memtui_process_growth_bytes_per_second",
    "memtui_leak_suspected",
}
TOP = 3
DETECTION_BOUND = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Exporter:
    process: subprocess.Popen[str]
    url: str


def start_exporter(*options: str) -> Exporter:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "memtui", "exporter", "--listen", f"127.0.0.1:{port}", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert "serving" in line, line
    return Exporter(process, f"http://127.0.0.1:{port}/metrics")


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    running = start_exporter("--top", str(TOP))
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
        running.process.wait()


Samples = dict[str, dict[int, tuple[dict[str, str], float]]]


def scrape(url: str) -> Samples:
    """{metric: {pid: (labels, value)}}, through prometheus_client's parser."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        per_pid = found.setdefault(family.name, {})
        for sample in family.samples:
            assert sample.name == family.name
            assert set(sample.labels) == {"pid", "name", "user"}, sample
            pid = int(sample.labels["pid"])
            assert pid not in per_pid, f"two series for pid {pid} in {family.name}"
            per_pid[pid] = (sample.labels, sample.value)
    return found


def test_exporter_names_the_leaker_and_drops_what_leaves(exporter: Exporter) -> None:
    leaker = start_workload(
        [sys.executable, "-m", "memtui", "demo-leak", "--rate", "60", "--duration", "120"],
        "stderr",
    )
    named = False
    try:
        deadline = time.monotonic() + DETECTION_BOUND
        while time.monotonic() < deadline and not named:
            time.sleep(1.0)
            samples = scrape(exporter.url)
            assert set(samples) == NAMES
            assert len(samples["memtui_process_resident_bytes"]) <= TOP + 20
            assert set(samples["memtui_leak_suspected"]) == set(
                samples["memtui_process_resident_bytes"]
            )
            leak = samples["memtui_leak_suspected"].get(leaker.pid)
            named = leak is not None and leak[1] == 1.0
        assert named, f"pid {leaker.pid} never had memtui_leak_suspected 1"
        labels, resident = samples["memtui_process_resident_bytes"][leaker.pid]
        assert labels["name"] == "demo-leak" and labels["user"] == "root"
        assert resident > 16 << 20
        assert samples["memtui_process_growth_bytes_per_second"][leaker.pid][1] > 1 << 18
        assert sum(value for _, value in samples["memtui_leak_suspected"].values()) == 1.0
    finally:
        stop_workload(leaker)
    # Once it exited, its series go at the next process sample (every 2 s).
    deadline = time.monotonic() + 20.0
    while leaker.pid in scrape(exporter.url)["memtui_process_resident_bytes"]:
        assert time.monotonic() < deadline, "the exited leaker's series stayed"
        time.sleep(0.5)
    exporter.process.terminate()
    assert exporter.process.wait(timeout=10) == 0


@pytest.mark.parametrize("listen", ["nope", "127.0.0.1:0", "127.0.0.1:99999", "192.0.2.1:9792"])
def test_a_bad_listen_address_is_a_usage_error(listen: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "exporter", "--listen", listen],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "memtui", "exporter", "--listen", f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"memtui exporter: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


class SteppedClock:
    """Both of ProcessWatch's clocks, moved by the test: which samples a call takes
    depends only on the time between calls, so the test sets that time."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_scrape_samples_only_what_is_older_than_its_interval() -> None:
    clock = SteppedClock(1000.0)
    watch = ProcessWatch(top=3, clock=clock, monotonic=clock)
    assert watch.history.latest_time is None  # nothing is read before it is asked
    first = watch.refresh()
    assert first.taken_at == 1000.0 and len(first.processes) >= 3
    assert watch.processes.latest_time == 1000.0 and watch.history.latest_time == 1000.0
    clock.now = 1001.0
    watch.refresh()
    # Meminfo is due every second, every process only every 2 s.
    assert watch.history.latest_time == 1001.0 and watch.processes.latest_time == 1000.0
    clock.now = 1001.5
    # A second scraper in between gets the same snapshot: no sample at all.
    assert watch.refresh() is watch.snapshot
    assert watch.history.latest_time == 1001.0 and watch.processes.latest_time == 1000.0
    clock.now = 1002.0
    assert watch.refresh().taken_at == 1002.0
    assert watch.processes.latest_time == 1002.0


def test_unscraped_it_samples_only_at_the_idle_pace() -> None:
    clock = SteppedClock(1000.0)
    watch = ProcessWatch(top=3, clock=clock, monotonic=clock)
    assert watch.tick() == IDLE_INTERVAL
    assert watch.processes.latest_time == 1000.0
    clock.now = 1005.0
    assert watch.tick() == IDLE_INTERVAL - 5.0
    assert watch.processes.latest_time == 1000.0 and watch.history.latest_time == 1000.0
    clock.now = 1006.0
    watch.refresh()  # a scrape takes what is due and moves the idle samples back
    assert watch.processes.latest_time == 1006.0
    clock.now = 1010.0
    assert watch.tick() == IDLE_INTERVAL - 4.0
    clock.now = 1006.0 + IDLE_INTERVAL
    assert watch.tick() == IDLE_INTERVAL
    assert watch.processes.latest_time == 1006.0 + IDLE_INTERVAL
