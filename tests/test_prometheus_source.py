"""The Prometheus source's pieces that need no server, and its failures against
servers that are down, silent or in error (real sockets, no mocks)."""

from __future__ import annotations

import math
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from memtui.core.sources.prometheus.client import (
    MAX_POINTS,
    PrometheusClient,
    check_selector,
    choose_step,
    parse_prometheus_duration,
    with_selector,
)
from memtui.core.sources.prometheus.credentials import CredentialsError, load_credentials
from memtui.core.sources.prometheus.fleet import FleetSnapshot, FleetSource, field_columns
from memtui.core.sources.prometheus.meminfo_names import field_of, metric_of, parse_value


@pytest.mark.parametrize(
    ("field", "metric"),
    [
        ("AnonPages", "node_memory_AnonPages_bytes"),
        ("Active(anon)", "node_memory_Active_anon_bytes"),
        ("Inactive(file)", "node_memory_Inactive_file_bytes"),
        ("HugePages_Total", "node_memory_HugePages_Total"),
        ("Hugepagesize", "node_memory_Hugepagesize_bytes"),
        ("Committed_AS", "node_memory_Committed_AS_bytes"),
    ],
)
def test_node_exporter_names_map_both_ways(field: str, metric: str) -> None:
    assert metric_of(field) == metric
    assert field_of(metric) == field


def test_other_metrics_are_no_meminfo_field() -> None:
    assert field_of("node_memory_numa_interleave_hit_total") is None
    assert field_of("node_cpu_seconds_total") is None


def test_values_are_json_strings_nan_included() -> None:
    assert parse_value("123") == 123.0
    assert parse_value("NaN") != parse_value("NaN")
    with pytest.raises(ValueError):
        parse_value(1.0)


def test_the_step_never_asks_for_more_than_11000_points() -> None:
    assert choose_step(600, 300, 1.0) == 2.0
    assert choose_step(60, 600, 1.0) == 1.0
    week = 7 * 86400.0
    assert week / choose_step(week, 100_000, 1.0) <= MAX_POINTS


def test_selectors_combine_with_label_matches() -> None:
    assert check_selector(' {job="node"} ') == '{job="node"}'
    with pytest.raises(ValueError):
        check_selector('job="node"')
    query = with_selector("node_memory_MemTotal_bytes", '{job="node"}', instance='a"b')
    assert query == 'node_memory_MemTotal_bytes{instance="a\\"b",job="node"}'
    assert parse_prometheus_duration("1m30s") == 90.0
    assert parse_prometheus_duration("15") is None


def test_credentials_come_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert load_credentials(environ={}).headers() == {}
    token = load_credentials(environ={"MEMTUI_PROMETHEUS_TOKEN": "t0k"})
    assert token.headers() == {"Authorization": "Bearer t0k"}
    basic = {"MEMTUI_PROMETHEUS_USER": "ann", "MEMTUI_PROMETHEUS_PASSWORD": "pw"}
    assert load_credentials(environ=basic).basic() == ("ann", "pw")
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    assert (
        load_credentials(str(secret), environ={}).headers()["Authorization"].endswith("from-file")
    )
    assert load_credentials(str(secret), environ={"MEMTUI_PROMETHEUS_USER": "ann"}).basic() == (
        "ann",
        "from-file",
    )
    with pytest.raises(CredentialsError, match="cannot read"):
        load_credentials(str(tmp_path / "absent"), environ={})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def poll_once(url: str, timeout: float) -> FleetSnapshot:
    source = FleetSource(PrometheusClient(url, timeout=timeout))
    try:
        return source.poll()
    finally:
        source.close()


def test_a_server_that_is_down_is_one_line() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    snapshot = poll_once(url, 2.0)
    assert snapshot.error == f"Prometheus at {url} is down: Connection refused"
    assert snapshot.hosts == ()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers, as a hung server does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_a_server_that_does_not_answer_times_out_in_one_line(silent_server: str) -> None:
    snapshot = poll_once(silent_server, 0.5)
    assert snapshot.error == f"Prometheus at {silent_server} did not answer within 0.5 s"


def test_range_answers_become_columns_on_shared_times_nan_where_missing() -> None:
    nan = float("nan")
    same = field_columns(
        [("MemFree", [(1.0, 10.0), (2.0, 11.0)]), ("Cached", [(1.0, 5.0), (2.0, -1.0)])]
    )
    assert same[0] == [1.0, 2.0]
    assert same[1]["MemFree"] == [10.0, 11.0]
    assert same[1]["Cached"][0] == 5.0 and math.isnan(same[1]["Cached"][1])  # no negatives
    # A gap in one field, a value the API sent as NaN in another.
    times, columns = field_columns(
        [("MemFree", [(1.0, 10.0), (3.0, 12.0)]), ("Cached", [(1.0, nan), (2.0, 6.0), (3.0, 7.0)])]
    )
    assert times == [1.0, 2.0, 3.0]
    assert columns["MemFree"][0] == 10.0 and math.isnan(columns["MemFree"][1])
    assert columns["MemFree"][2] == 12.0
    assert math.isnan(columns["Cached"][0]) and columns["Cached"][1:] == [6.0, 7.0]
    assert field_columns([]) == ([], {})
