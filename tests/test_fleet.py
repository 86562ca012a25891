"""The fleet against a real Prometheus scraping real node exporters (tests/targets/fleet.py).

One fleet for the module, in the order a user would meet it: every host listed, the
leaking one named and no other, one host's values equal to what its fake meminfo
said, a host that stops reporting gone stale, Prometheus stopped and started again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from conftest import model_from_argv
from textual.pilot import Pilot
from textual.widgets import Static

from memtui.app import MemtuiApp
from memtui.cli import build_parser
from memtui.commands.dashboard import fleet_link
from memtui.core.sources.prometheus.client import PrometheusClient
from memtui.core.sources.prometheus.fleet import FleetSnapshot, FleetSource
from memtui.screens.dashboard_screen import DashboardScreen
from memtui.screens.fleet_screen import FleetScreen

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
    snapshot = poll_until(
        source,
        lambda s: len(s.hosts) == 3 and all(row.mem_available is not None for row in s.hosts),
        30.0,
    )
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


async def wait_for(pilot: Pilot[None], done: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not done() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await pilot.pause()


def cells(screen: FleetScreen) -> dict[str, list[str]]:
    table = screen.table
    return {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}


async def test_the_fleet_screen_lists_names_opens_and_survives(fleet: Fleet) -> None:
    """Key 3's screen: every host, the leaker named, Enter opens its charts with its
    values; a host that stops goes stale; Prometheus down is a banner, then recovery."""
    model = model_from_argv("--prometheus", fleet.url)
    link = fleet_link(build_parser().parse_args(["--prometheus", fleet.url]))
    app = MemtuiApp(model, fleet=link)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, FleetScreen)
            await wait_for(pilot, lambda: len(cells(screen)) == 3, 30.0)
            rows = cells(screen)
            assert sorted(rows) == ["host-0", "host-1", "host-2"]
            await wait_for(
                pilot, lambda: cells(screen)["host-0"][2].startswith("Leak suspected"), 120.0
            )
            rows = cells(screen)
            assert rows["host-0"][2].startswith("Leak suspected: ")
            assert [h for h, r in rows.items() if r[2].startswith("Leak suspected")] == ["host-0"]
            assert "AnonPages" in rows["host-0"][4] or "Committed_AS" in rows["host-0"][4]

            await pilot.press("enter")  # the cursor starts on host-0, sorted by host
            await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), 20.0)
            assert isinstance(app.screen, DashboardScreen)
            assert app.model.host == "host-0"
            latest = app.model.history.latest
            given = fleet.meminfo(0)
            for name in ("MemTotal", "CommitLimit", "Buffers", "Shmem"):
                assert latest[name] == given[name], name
            assert app.model.chart_fields[:2] == ["Committed_AS", "AnonPages"]

            await pilot.press("3")
            assert isinstance(app.screen, FleetScreen)
            fleet.stop_node(1)
            try:
                await wait_for(pilot, lambda: cells(screen)["host-1"][2].startswith("stale"), 30.0)
                assert cells(screen)["host-1"][2].startswith("stale: last seen ")
            finally:
                fleet.start_node(1)
            banner = screen.query_one("#fleet-banner", Static)
            fleet.stop_prometheus()
            try:
                await wait_for(pilot, lambda: banner.has_class("-shown"), 30.0)
                assert str(banner.render()).startswith(f"Prometheus at {fleet.url} is down")
                assert len(cells(screen)) == 3  # the last known state stays
            finally:
                fleet.start_prometheus()
            await wait_for(pilot, lambda: not banner.has_class("-shown"), 60.0)
            assert not banner.has_class("-shown")
            await wait_for(pilot, lambda: not cells(screen)["host-1"][2].startswith("stale"), 30.0)
            assert not cells(screen)["host-1"][2].startswith("stale")
    finally:
        link.source.close()


def test_a_host_that_stops_reporting_is_stale(fleet: Fleet, source: FleetSource) -> None:
    fresh = poll_until(
        source, lambda s: len(s.hosts) == 3 and not any(r.stale for r in s.hosts), 60
    )
    assert len(fresh.hosts) == 3  # run alone, the test starts before the first scrapes
    fleet.stop_node(2)
    try:
        # At the same moment, host 1 is fresh: a machine under load may skip a scrape
        # or two of any host, which one poll alone could catch.
        snapshot = poll_until(source, lambda s: s.hosts[2].stale and not s.hosts[1].stale, 30.0)
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


MIB = 1 << 20
OLD = 60.0
"""How far back past the loaded history the travel tests go: Prometheus must hold it."""


def wait_for_history(fleet: Fleet, seconds: float) -> None:
    """Until Prometheus has held the fleet for ``seconds`` (the tests before take
    minutes already; alone, this one waits)."""
    time.sleep(max(0.0, fleet.hosts[0].started + seconds - time.time()))


def test_a_hosts_page_and_oldest_come_from_the_servers_retention(
    fleet: Fleet, source: FleetSource
) -> None:
    wait_for_history(fleet, OLD + 30.0)
    started, scraping = fleet.hosts[0].started, fleet.scraping_from
    oldest = source.host_oldest("host-0")
    # The first scrape comes within a second of Prometheus being ready (seconds after
    # the hosts started, on a loaded machine), and the answer within a step (9 s) of it.
    assert scraping is not None and oldest is not None
    assert started - 1.0 <= oldest <= scraping + 15.0
    at = time.time() - OLD
    page = source.host_page("host-0", at, 20.0)
    first, last = page.first_time, page.latest_time
    assert first is not None and last is not None
    assert at - 21.0 <= first <= at - 18.0 and at <= last <= at + 6.0
    sample = page.sample_at(at)
    given = fleet.hosts[0].values(at)
    for name in ("MemTotal", "CommitLimit", "Buffers", "Shmem"):
        assert sample[name] == given[name], name
    # The leaking host's AnonPages then, not now: within the 2-3 s between a rewrite
    # of the file, the scrape that read it, and the step that found the scrape.
    assert abs(sample["AnonPages"] - given["AnonPages"]) <= 40 * MIB
    assert source.host_page("host-0", started - 3600.0, 20.0).latest_time is None


async def test_time_travel_on_a_host_reads_back_past_its_history(fleet: Fleet) -> None:
    """--history 30s loads 30 s; r goes to the first sample Prometheus has, read in a
    worker, with the values the fake host had then; a failed read is a line."""
    # The oldest sample must lie OLD before the 30 s loaded, opened a few seconds later.
    wait_for_history(fleet, OLD + 45.0)
    argv = ["--prometheus", fleet.url, "--history", "30s"]
    link = fleet_link(build_parser().parse_args(argv))
    app = MemtuiApp(model_from_argv(*argv), fleet=link)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, FleetScreen)
            await wait_for(pilot, lambda: len(cells(screen)) == 3, 30.0)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), 20.0)
            model = app.model
            assert model.host == "host-0" and model.remote is not None
            live_start = model.remote.live.first_time
            assert live_start is not None and live_start > time.time() - 40.0

            await pilot.press("r")
            await wait_for(
                pilot, lambda: model.remote is not None and not model.remote.loading, 20.0
            )
            at = model.at
            assert at is not None and at < live_start - OLD
            assert model.remote.error is None
            started, scraping = fleet.hosts[0].started, fleet.scraping_from
            assert scraping is not None and started - 1.0 <= at <= scraping + 15.0
            sample = model.history.sample_at(at)
            given = fleet.hosts[0].values(at)
            for name in ("MemTotal", "CommitLimit", "Buffers", "Shmem"):
                assert sample[name] == given[name], name
            assert abs(sample["AnonPages"] - given["AnonPages"]) <= 40 * MIB
            assert model.status_text().startswith("host-0  at ")
            await pilot.press("t")  # one sample forward, within the page
            assert model.at is not None and at < model.at <= at + 2.0

            # Forward a window at a time, reading what is not loaded, until live again.
            for _ in range(40):
                if model.cursor is None:
                    break
                await pilot.press("right_square_bracket")
                await wait_for(pilot, lambda: not model.remote or not model.remote.loading, 20.0)
            assert model.cursor is None and model.history is model.remote.live

            fleet.stop_prometheus()
            try:
                await pilot.press("r")
                await wait_for(
                    pilot, lambda: model.remote is not None and not model.remote.loading, 20.0
                )
                assert model.remote.error is not None
                assert f"Prometheus at {fleet.url} is down" in model.remote.error
                assert model.status_text().startswith("host-0  cannot read ")
                assert model.history is model.remote.live and model.cursor is None
            finally:
                fleet.start_prometheus()
    finally:
        link.source.close()
