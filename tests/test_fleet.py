"""The fleet against a real Prometheus scraping real node exporters (tests/targets/fleet.py).

One fleet for the module, in the order a user would meet it: every host listed, the
leaking one named and no other, one host's values equal to what its fake meminfo
said, a host that stops reporting gone stale, Prometheus stopped and started again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from memtui.core.sources.prometheus.client import PrometheusClient
from memtui.core.sources.prometheus.fleet import FleetSnapshot, FleetSource

if TYPE_CHECKING:
    from targets.fleet import Fleet

pytest_plugins = ["targets.fleet"]

NAMED_WITHIN = 120.0


@pytest.fixture(scope="module")
def source(fleet: Fleet) -> Iterator[FleetSource]:
    opened = FleetSource(PrometheusClient(fleet.url, timeout=3.0))
    try:
        yield opened
    finally:
        opened.close()


def poll_until(
    source: FleetSource, done: Callable[[FleetSnapshot], bool], within: float
) -> FleetSnapshot:
    deadline = time.monotonic() + within
    while True:
        snapshot = source.poll()
        if done(snapshot) or time.monotonic() > deadline:
            return snapshot
        time.sleep(1.0)


def test_every_host_is_listed(fleet: Fleet, source: FleetSource) -> None:
    snapshot = poll_until(source, lambda s: len(s.hosts) == 3, 30.0)
    assert snapshot.error is None
    assert [row.instance for row in snapshot.hosts] == ["host-0", "host-1", "host-2"]
    assert snapshot.scrape_interval == 1.0
    assert all(row.mem_available is not None and not row.missing for row in snapshot.hosts)


def test_the_leaking_host_is_named_and_no_other(source: FleetSource) -> None:
    snapshot = poll_until(
        source, lambda s: any(row.verdict.suspected for row in s.hosts), NAMED_WITHIN
    )
    suspected = [row.instance for row in snapshot.hosts if row.verdict.suspected]
    assert suspected == ["host-0"], [row.verdict_text for row in snapshot.hosts]
    leaking = snapshot.hosts[0]
    assert leaking.verdict_text.startswith("Leak suspected: ")
    assert leaking.trend_field in ("AnonPages", "Committed_AS")
    assert leaking.trend_rate is not None and leaking.trend_rate > 300 * (1 << 20)
    # A few more polls: the churning hosts stay quiet.
    for _ in range(5):
        time.sleep(1.0)
        rows = source.poll().hosts
        assert [row.instance for row in rows if row.verdict.suspected] == ["host-0"]


def test_one_hosts_history_equals_its_fake_meminfo(fleet: Fleet, source: FleetSource) -> None:
    history = source.host_history("host-1", 120.0)
    latest = history.latest_time
    assert latest is not None
    # Prometheus holds what node_exporter read from the file at each scrape; the newest
    # point may be a second older than the file's newest rewrite, so compare the values
    # the fake host produces at that point's time with those Prometheus returned.
    sample = history.sample_at(latest)
    given = fleet.meminfo(1)
    for name in ("MemTotal", "Hugepagesize", "Buffers", "SwapTotal", "Shmem"):
        assert sample[name] == given[name], name
    assert sample["HugePages_Total"] == 0
    assert "Active(anon)" in sample and "Inactive(file)" in sample
    assert abs(sample["AnonPages"] - given["AnonPages"]) <= 128 << 20


def test_a_host_that_stops_reporting_is_stale(fleet: Fleet, source: FleetSource) -> None:
    fleet.stop_node(2)
    try:
        snapshot = poll_until(source, lambda s: s.hosts[2].stale, 30.0)
        row = snapshot.hosts[2]
        assert row.stale and row.last_seen is not None
        assert time.time() - row.last_seen < 30.0
        assert not snapshot.hosts[1].stale
    finally:
        fleet.start_node(2)
    snapshot = poll_until(source, lambda s: not s.hosts[2].stale, 30.0)
    assert not snapshot.hosts[2].stale


def test_prometheus_down_is_one_line_and_recovers(fleet: Fleet, source: FleetSource) -> None:
    fleet.stop_prometheus()
    try:
        snapshot = source.poll()
        assert snapshot.error == f"Prometheus at {fleet.url} is down: Connection refused"
        assert [row.instance for row in snapshot.hosts] == ["host-0", "host-1", "host-2"]
    finally:
        fleet.start_prometheus()
    snapshot = poll_until(source, lambda s: s.error is None, 60.0)
    assert snapshot.error is None
    assert len(snapshot.hosts) == 3
