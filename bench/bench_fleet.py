"""The fleet screen's refresh with 50 fake hosts behind a real Prometheus.

    .venv/bin/python bench/bench_fleet.py [--hosts 50] [--polls 20] [--fill 120]

Starts scripts/fleet_demo.py's fleet: Prometheus scraping every second, and one real
prometheus-node-exporter per fake host (meminfo collector only), each over its own
fake procfs whose meminfo a thread rewrites every second; host-0 leaks. It lets
Prometheus gather ``--fill`` seconds of history, measuring meanwhile what the
exporters and Prometheus cost (CPU as % of one core, RSS).

Then, with the source `memtui --prometheus URL` builds (``fleet_link``, default
``--history 10m``):

- the poll itself, as the fleet screen's worker calls it (``FleetSource.poll()``):
  the first poll (the whole window) and then ``--polls`` more, each one second after
  the last ended, as the screen's timer re-arms; per poll the wall time, the HTTP
  requests it made and the most of them in flight at once (counted by httpx event
  hooks on the source's own client; a request is in flight until its body is read);
- the app: ``MemtuiApp`` under ``run_test()`` at 120x40, from the worker's call of
  ``poll()`` to the end of ``FleetScreen._show`` (the table cleared and refilled),
  for the first poll and ``--polls`` more; and ``_show``'s own time on the UI thread.

Prints Markdown tables; raw results go to bench/results/ (gitignored). The fleet
(every exporter, Prometheus, the temporary directory) is stopped and removed on every
way out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench_dashboard import CLK_TCK, cpu_ticks, rss_kib
from bench_results import machine, save_results
from fleet_demo import Fleet, missing_binaries

from memtui.app import MemtuiApp
from memtui.cli import build_parser
from memtui.commands.dashboard import build_model, fleet_link
from memtui.core.sources.prometheus.client import DEFAULT_CONCURRENCY
from memtui.core.sources.prometheus.fleet import PAGE_CONCURRENCY, FleetLink, FleetSource
from memtui.screens.fleet_screen import MIN_POLL, FleetScreen

SIZE = (120, 40)


@dataclass
class RequestLog:
    """Every HTTP request a client made: when it started and ended, and how many were
    in flight at once; fed by httpx event hooks, from any thread."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    in_flight: int = 0
    events: list[tuple[float, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: httpx.Client) -> None:
        local = threading.local()

        def on_request(request: httpx.Request) -> None:
            local.began = time.perf_counter()
            with self._lock:
                self.in_flight += 1
                self.events.append((local.began, self.in_flight))

        def on_response(response: httpx.Response) -> None:
            response.read()  # httpx would read it next; count it as in flight
            ended = time.perf_counter()
            with self._lock:
                self.in_flight -= 1
                self.events.append((ended, self.in_flight))
                self.spans.append((local.began, ended))

        client.event_hooks = {"request": [on_request], "response": [on_response]}

    def between(self, start: float, end: float) -> tuple[int, int]:
        """Requests begun in [start, end], and the most in flight at once then."""
        with self._lock:
            count = sum(1 for began, _ in self.spans if start <= began <= end)
            most = max((n for t, n in self.events if start <= t <= end), default=0)
        return count, most


def attach_log(source: FleetSource) -> RequestLog:
    log = RequestLog()
    # The source's own httpx client: PrometheusClient has no public hook for this.
    log.attach(source.client._http)
    return log


def fleet_cost(fleet: Fleet, seconds: float) -> dict[str, Any]:
    """What the node exporters and Prometheus cost over ``seconds``, now."""
    nodes = [process.pid for process in fleet.node_processes if process is not None]
    assert fleet.prometheus is not None
    prometheus = fleet.prometheus.pid
    began = time.monotonic()
    before = [cpu_ticks(pid) for pid in nodes], cpu_ticks(prometheus)
    time.sleep(seconds)
    after = [cpu_ticks(pid) for pid in nodes], cpu_ticks(prometheus)
    elapsed = time.monotonic() - began
    return {
        "seconds": elapsed,
        "node_exporters": len(nodes),
        "node_exporters_cpu_percent": 100.0 * (sum(after[0]) - sum(before[0])) / CLK_TCK / elapsed,
        "node_exporters_rss_kib": sum(rss_kib(pid) for pid in nodes),
        "prometheus_cpu_percent": 100.0 * (after[1] - before[1]) / CLK_TCK / elapsed,
        "prometheus_rss_kib": rss_kib(prometheus),
    }


def new_link(url: str) -> tuple[FleetLink, argparse.Namespace]:
    args = build_parser().parse_args(["--prometheus", url])
    return fleet_link(args), args


def wait_for_hosts(link: FleetLink, hosts: int, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        labels = link.source.client.series_labels(
            "node_memory_MemTotal_bytes", time.time() - 60, time.time()
        )
        if len(labels) >= hosts:
            return
        time.sleep(1.0)
    raise RuntimeError(f"Prometheus did not list {hosts} hosts within {within:g} s")


def time_polls(url: str, polls: int) -> dict[str, Any]:
    """``FleetSource.poll()`` as the screen's worker calls it, one after another."""
    link, _ = new_link(url)
    try:
        log = attach_log(link.source)
        timings: list[dict[str, Any]] = []
        for turn in range(polls + 1):
            began = time.perf_counter()
            snapshot = link.source.poll()
            ended = time.perf_counter()
            if snapshot.error is not None:
                raise RuntimeError(f"poll {turn}: {snapshot.error}")
            requests, most = log.between(began, ended)
            timings.append(
                {
                    "seconds": ended - began,
                    "requests": requests,
                    "most_in_flight": most,
                    "hosts": len(snapshot.hosts),
                    "suspected": [row.instance for row in snapshot.hosts if row.suspected],
                }
            )
            time.sleep(max(MIN_POLL, snapshot.scrape_interval or MIN_POLL))
        return {"first": timings[0], "next": timings[1:]}
    finally:
        link.source.close()


@contextmanager
def timed_screen(marks: list[tuple[str, float]]) -> Iterator[None]:
    """Note when FleetScreen._show begins and ends (the table cleared and refilled)."""
    original = FleetScreen._show

    def show(screen: FleetScreen, snapshot: Any) -> None:
        marks.append(("show", time.perf_counter()))
        original(screen, snapshot)
        marks.append(("shown", time.perf_counter()))

    FleetScreen._show = show  # type: ignore[method-assign]
    try:
        yield
    finally:
        FleetScreen._show = original  # type: ignore[method-assign]


def timed_poll(source: FleetSource, marks: list[tuple[str, float]]) -> None:
    poll: Callable[[], Any] = source.poll

    def noted() -> Any:
        marks.append(("poll", time.perf_counter()))
        return poll()

    source.poll = noted  # type: ignore[method-assign]


async def time_app(url: str, polls: int) -> dict[str, Any]:
    """The app at 120x40: from the worker's poll() to the table refilled."""
    link, args = new_link(url)
    marks: list[tuple[str, float]] = []
    timed_poll(link.source, marks)
    app = MemtuiApp(build_model(args), fleet=link)
    try:
        with timed_screen(marks):
            async with app.run_test(size=SIZE) as pilot:
                deadline = time.monotonic() + 60 + 3 * polls
                while sum(1 for kind, _ in marks if kind == "shown") <= polls:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the fleet screen stopped refreshing")
                    await asyncio.sleep(0.1)
                await pilot.pause()
                screen = app.screen
                assert isinstance(screen, FleetScreen)
                rows = len(screen.table.rows)
                error = screen.snapshot.error if screen.snapshot is not None else None
    finally:
        link.source.close()
    if error is not None:
        raise RuntimeError(f"the fleet screen says: {error}")
    cycles: list[dict[str, float]] = []
    began = show = 0.0
    for kind, at in marks:
        if kind == "poll":
            began = at
        elif kind == "show":
            show = at
        elif kind == "shown" and began:
            cycles.append({"poll_to_table": at - began, "show": at - show})
            began = 0.0
    return {"first": cycles[0], "next": cycles[1 : polls + 1], "rows": rows}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms (p95 {p95(values) * 1000:.0f} ms)"


def report(results: dict[str, Any]) -> None:
    cost = results["fleet_cost"]
    polls = results["polls"]
    app = results["app"]
    print(
        f"{results['hosts']} hosts, {cost['node_exporters']} node_exporters, "
        f"{results['fill']:.0f} s of history at 1 s; load average "
        f"{results['machine']['load_average'][0]:.2f} at the start, "
        f"{results['load_average_after'][0]:.2f} at the end\n"
    )
    print("| what the fleet costs | CPU of one core | RSS |")
    print("|---|---|---|")
    print(
        f"| {cost['node_exporters']} node_exporters (meminfo only) | "
        f"{cost['node_exporters_cpu_percent']:.1f} % | "
        f"{cost['node_exporters_rss_kib'] / 1024:.0f} MiB |"
    )
    print(
        f"| Prometheus | {cost['prometheus_cpu_percent']:.1f} % | "
        f"{cost['prometheus_rss_kib'] / 1024:.0f} MiB |"
    )
    print()
    first, later = polls["first"], polls["next"]
    print(
        "| fleet refresh | first (whole window) | next "
        f"{len(later)}: median (p95) | HTTP requests per poll | most in flight |"
    )
    print("|---|---|---|---|---|")
    requests = sorted({poll["requests"] for poll in later})
    most = max(poll["most_in_flight"] for poll in [first, *later])
    print(
        f"| `FleetSource.poll()` | {first['seconds'] * 1000:.0f} ms | "
        f"{ms([poll['seconds'] for poll in later])} | {first['requests']} first, "
        f"{'/'.join(map(str, requests))} next | {most} (bound {results['concurrency_bound']}) |"
    )
    print(
        f"| app, 120x40: poll() to table refilled | "
        f"{app['first']['poll_to_table'] * 1000:.0f} ms | "
        f"{ms([cycle['poll_to_table'] for cycle in app['next']])} | | |"
    )
    print(
        f"| of which `_show` on the UI thread | {app['first']['show'] * 1000:.0f} ms | "
        f"{ms([cycle['show'] for cycle in app['next']])} | | |"
    )
    print(f"\nsuspected at the last poll: {', '.join(later[-1]['suspected']) or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--fill", type=float, default=120.0, help="seconds of history (120)")
    args = parser.parse_args()
    missing = missing_binaries()
    if missing:
        print(f"bench_fleet: missing {', '.join(missing)}", file=sys.stderr)
        return 1
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))
    at_start = machine()
    fleet = Fleet(args.hosts, exporter=False)
    try:
        fleet.start()
        link, _ = new_link(fleet.url)
        try:
            wait_for_hosts(link, args.hosts)
        finally:
            link.source.close()
        filled = time.monotonic()
        cost = fleet_cost(fleet, min(30.0, args.fill))
        time.sleep(max(0.0, args.fill - (time.monotonic() - filled)))
        polls = time_polls(fleet.url, args.polls)
        app = asyncio.run(time_app(fleet.url, args.polls))
    except RuntimeError as error:
        print(f"bench_fleet: {error}", file=sys.stderr)
        return 1
    finally:
        fleet.close()
    results = {
        "machine": at_start,
        "load_average_after": os.getloadavg(),
        "hosts": args.hosts,
        "fill": args.fill,
        "size": SIZE,
        "concurrency_bound": min(PAGE_CONCURRENCY, DEFAULT_CONCURRENCY),
        "fleet_cost": cost,
        "polls": polls,
        "app": app,
    }
    report(results)
    save_results("fleet", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
