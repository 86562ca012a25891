"""Many hosts' meminfo from one Prometheus, each judged by the local leak detector.

``poll()`` asks Prometheus only for what is new since the last poll (the first asks
for the whole window), a few queries for the whole fleet, each a field over every
host, run on a small pool: the number of hosts changes the size of the answers, not
the number of requests. Each host keeps a :class:`MeminfoHistory` like the local
dashboard's, and the same :class:`LeakDetector` gives its verdict. Where a memtui
exporter runs on a host, its ``memtui_leak_suspected`` names the process.

Every failure is a line in the snapshot (``error``), never an exception: the rows keep
their last known state, and the next poll that gets through carries on where the
last good one stopped. One thread polls at a time (the UI's worker).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from memtui.core.leak.leak_detector import (
    LEAK_SUSPECTED,
    NO_VERDICT,
    LeakDetector,
    LeakSettings,
    LeakVerdict,
    format_leak_rate,
)
from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.sources.prometheus.client import (
    PrometheusClient,
    PrometheusError,
    choose_step,
    with_selector,
)
from memtui.core.sources.prometheus.meminfo_names import as_bytes, field_of, metric_of

FLEET_FIELDS = ("MemAvailable", "AnonPages", "Committed_AS", "CommitLimit", "MemTotal")
"""What a fleet row needs: MemAvailable to show, the verdict's system fields, the
CommitLimit of its estimate, and MemTotal, which every host has and so defines one."""
HOST_METRIC = metric_of("MemTotal")
STALE_AFTER_SCRAPES = 3
MIN_STALE_AFTER = 5.0
DEFAULT_COLUMNS = 600
"""Points per series the first load asks for over the window: one per second of the
default 10-minute history, as fine as the verdict's shortest fits want."""
SPARK_POINTS = 60
OLDEST_STEPS = 10_000
"""Steps of the subquery that finds a host's first sample (see host_oldest)."""
PAGE_CONCURRENCY = 4

Samples = dict[float, dict[str, int]]


@dataclass(frozen=True, slots=True)
class HostRow:
    """One host as the fleet screen shows it; built on the poll thread, never changed."""

    instance: str
    mem_available: int | None
    spark: tuple[float, ...]
    """MemAvailable over the window, oldest first, NaN where there is none."""
    trend_field: str | None
    trend_rate: float | None
    """Bytes per minute of the steeper of AnonPages and Committed_AS over the window."""
    verdict: LeakVerdict
    verdict_text: str
    last_seen: float | None
    stale: bool
    missing: tuple[str, ...]
    """Fleet fields this host does not report."""

    @property
    def suspected(self) -> bool:
        return self.verdict_text.startswith(LEAK_SUSPECTED)


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    at: float
    hosts: tuple[HostRow, ...]
    error: str | None = None
    """Why the last poll failed (Prometheus down, slow, in error); None when it worked."""
    scrape_interval: float | None = None


@dataclass
class _Host:
    instance: str
    history: MeminfoHistory
    detector: LeakDetector
    verdict: LeakVerdict = NO_VERDICT
    last_seen: float | None = None
    seen_fields: set[str] = field(default_factory=set)


class FleetSource:
    def __init__(
        self,
        client: PrometheusClient,
        selector: str | None = None,
        *,
        window: float = 600.0,
        settings: LeakSettings | None = None,
        columns: int = DEFAULT_COLUMNS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.selector = selector
        self.window = window
        self.settings = settings
        self.columns = columns
        self.clock = clock
        self.scrape_interval: float | None = None
        self._hosts: dict[str, _Host] = {}
        self._through: float | None = None
        self._leakers: dict[str, tuple[str, int]] = {}
        self._rows: tuple[HostRow, ...] = ()
        self._pool = ThreadPoolExecutor(PAGE_CONCURRENCY, thread_name_prefix="memtui-prometheus")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()

    @property
    def instances(self) -> list[str]:
        return sorted(self._hosts)

    def poll(self) -> FleetSnapshot:
        """What is new; never raises for a failure of Prometheus."""
        now = self.clock()
        try:
            self._poll(now)
        except PrometheusError as error:
            return FleetSnapshot(now, self._rows, str(error), self.scrape_interval)
        self._rows = tuple(self._row(self._hosts[name], now) for name in sorted(self._hosts))
        return FleetSnapshot(now, self._rows, None, self.scrape_interval)

    def _poll(self, now: float) -> None:
        if self.scrape_interval is None:
            self.scrape_interval = self.client.scrape_interval()
        scrape = self.scrape_interval
        # Every poll: a host that appears shows at once, and a poll always asks
        # Prometheus something, so a server that went away is seen at once.
        self._refresh_hosts(now)
        if self._through is None:
            start = now - self.window
            step = choose_step(self.window, self.columns, scrape)
        else:
            start = max(self._through + scrape, now - self.window)
            step = choose_step(now - start, int((now - start) / scrape) + 1, scrape)
        end = math.floor(now / step) * step
        start = math.ceil(start / step) * step
        if start > end:
            return  # nothing new since the last poll
        queries = [with_selector(metric_of(name), self.selector) for name in FLEET_FIELDS]
        futures = [self._pool.submit(self.client.query_range, q, start, end, step) for q in queries]
        seen = self._pool.submit(self.client.query, f"timestamp({queries[-1]})")
        leakers = self._pool.submit(self.client.query_labels, "memtui_leak_suspected == 1")
        results = [future.result() for future in futures]
        last_seen = seen.result()
        self._leakers = _leakers(leakers.result())
        pages: dict[str, list[tuple[str, list[tuple[float, float]]]]] = {}
        for result in results:
            for (instance, metric), points in result.items():
                name = field_of(metric)
                if name is not None:
                    pages.setdefault(instance, []).append((name, points))
        for instance, host in self._hosts.items():
            stamp = last_seen.get((instance, ""))
            if stamp and not math.isnan(stamp[-1][1]):
                host.last_seen = stamp[-1][1]
            times, columns = field_columns(pages.get(instance, []))
            if times:
                host.seen_fields.update(
                    name for name, values in columns.items() if any(v == v for v in values)
                )
                host.history.extend_columns(times, columns)
            if host.history.latest_time is not None:
                host.verdict = host.detector.evaluate(
                    host.history, None, host.history.latest_time, previous=host.verdict
                )
        self._through = end

    def _refresh_hosts(self, now: float) -> None:
        labels = self.client.series_labels(
            with_selector(HOST_METRIC, self.selector), now - self.window, now
        )
        found = {str(item.get("instance", "")) for item in labels}
        for gone in set(self._hosts) - found:
            del self._hosts[gone]
        for instance in found - set(self._hosts):
            self._hosts[instance] = _Host(
                instance,
                MeminfoHistory(span_seconds=self.window),
                LeakDetector(self.settings),
            )

    def stale_after(self) -> float:
        scrape = self.scrape_interval or 15.0
        return max(STALE_AFTER_SCRAPES * scrape, MIN_STALE_AFTER)

    def _row(self, host: _Host, now: float) -> HostRow:
        history = host.history
        latest = history.latest
        end = history.latest_time
        spark: tuple[float, ...] = ()
        if end is not None:
            times, values = history.series("MemAvailable", self.window, end)
            spark = _resample(times, values, end - self.window, end, SPARK_POINTS)
        trend = max(
            (t for t in host.verdict.system if t.fit is not None),
            key=lambda t: t.fit.rate_per_minute if t.fit is not None else 0.0,
            default=None,
        )
        stale = host.last_seen is None or now - host.last_seen > self.stale_after()
        return HostRow(
            instance=host.instance,
            mem_available=latest.get("MemAvailable"),
            spark=spark,
            trend_field=trend.field if trend is not None else None,
            trend_rate=trend.fit.rate_per_minute if trend is not None and trend.fit else None,
            verdict=host.verdict,
            verdict_text=self._verdict_text(host),
            last_seen=host.last_seen,
            stale=stale,
            missing=tuple(name for name in FLEET_FIELDS if name not in host.seen_fields),
        )

    def _verdict_text(self, host: _Host) -> str:
        verdict = host.verdict
        named = self._leakers.get(host.instance) or self._leakers.get(_host_part(host.instance))
        if named is None:
            return verdict.text
        name, pid = named
        if not verdict.suspected:
            return f"{LEAK_SUSPECTED}: {name} (pid {pid})"
        return (
            f"{LEAK_SUSPECTED}: {name} (pid {pid}) "
            f"{format_leak_rate(verdict.rate_per_minute or 0.0)} for {int(verdict.held_for)} s"
        )

    # -- one host's dashboard ---------------------------------------------------------

    def host_history(
        self, instance: str, span: float, columns: int = DEFAULT_COLUMNS
    ) -> MeminfoHistory:
        """Every meminfo field of one host over ``span``, for its dashboard; raises
        PrometheusError. The history is new: the caller's thread may fill it."""
        scrape = self.scrape_interval or self.client.scrape_interval()
        self.scrape_interval = scrape
        history = MeminfoHistory(span_seconds=span)
        now = self.clock()
        step = choose_step(span, columns, scrape)
        history.extend(self.host_samples(instance, now - span, now, step))
        return history

    def host_oldest(self, instance: str) -> float | None:
        """When the server's first sample of this host is, to within a ten-thousandth of
        its retention (a scrape interval at the least); None if it holds none. Raises
        PrometheusError.

        One subquery over the whole retention: the oldest timestamp its steps find.
        Each step finds the newest sample at or before it, so the answer is the first
        sample or, at worst, one step after it."""
        retention = self.client.retention()
        scrape = self.scrape_interval or self.client.scrape_interval()
        step = max(scrape, math.ceil(retention / OLDEST_STEPS))
        metric = with_selector(HOST_METRIC, self.selector, instance=instance)
        found = self.client.query(
            f"min_over_time(timestamp({metric})[{int(retention)}s:{int(step)}s])", self.clock()
        )
        times = [points[-1][1] for points in found.values() if points]
        known = [t for t in times if not math.isnan(t)]
        return min(known) if known else None

    def host_page(
        self, instance: str, at: float, span: float, columns: int = DEFAULT_COLUMNS
    ) -> MeminfoHistory:
        """Every meminfo field of one host around ``at``, for its dashboard's time
        travel: ``span`` before it (what the charts and the verdict at ``at`` read) and a
        quarter of it after, so stepping on does not read again at once. Raises
        PrometheusError; the history is empty if the server holds nothing there."""
        scrape = self.scrape_interval or self.client.scrape_interval()
        self.scrape_interval = scrape
        start, end = at - span, min(at + span / 4, self.clock())
        history = MeminfoHistory(span_seconds=end - start if end > start else span)
        if end > start:
            step = choose_step(end - start, columns, scrape)
            history.extend(self.host_samples(instance, start, end, step))
        return history

    def host_samples(
        self, instance: str, start: float, end: float | None = None, step: float | None = None
    ) -> list[tuple[float, dict[str, int]]]:
        """Every meminfo field of one host from ``start`` on, oldest first (the host
        dashboard's next samples). Raises PrometheusError."""
        scrape = self.scrape_interval or 15.0
        stop = self.clock() if end is None else end
        if start > stop:
            return []
        size = step or choose_step(stop - start, int((stop - start) / scrape) + 1, scrape)
        matchers = with_selector("", self.selector, instance=instance)
        query = '{__name__=~"node_memory_.+",' + matchers[1:]
        per_time: Samples = {}
        for (_, metric), points in self.client.query_range(query, start, stop, size).items():
            name = field_of(metric)
            if name is None:
                continue
            for t, value in points:
                number = as_bytes(value)
                if number is not None:
                    per_time.setdefault(t, {})[name] = number
        return [(t, per_time[t]) for t in sorted(per_time)]


@dataclass
class FleetLink:
    """What `memtui --prometheus URL` hands the app: the source, and the host shown."""

    source: FleetSource
    url: str
    history: float = 600.0
    """Seconds of a host's history its dashboard loads (``--history``)."""
    host: str | None = None


def _leakers(found: Iterable[tuple[dict[str, str], float]]) -> dict[str, tuple[str, int]]:
    named: dict[str, tuple[str, int]] = {}
    for labels, value in found:
        pid = labels.get("pid", "")
        if value == 1 and pid.isdigit():
            instance = labels.get("instance", "")
            named[instance] = (labels.get("name", "?"), int(pid))
            named.setdefault(_host_part(instance), named[instance])
    return named


def _host_part(instance: str) -> str:
    """``web-1:9100`` -> ``web-1``: node_exporter and memtui listen on different ports."""
    host, sep, port = instance.rpartition(":")
    return host if sep and port.isdigit() else instance


def field_columns(
    pages: list[tuple[str, list[tuple[float, float]]]],
) -> tuple[list[float], dict[str, list[float]]]:
    """One host's range answers, field by field, as columns on their shared times:
    NaN where a field has no value there (a gap, or a value meminfo cannot hold)."""
    if not pages:
        return [], {}
    first = [t for t, _ in pages[0][1]]
    shared = all([t for t, _ in points] == first for _, points in pages[1:])
    # Usually shared: every field answered on the same steps, with no gaps.
    times = first if shared else sorted({t for _, points in pages for t, _ in points})
    columns: dict[str, list[float]] = {}
    inf, nan = math.inf, math.nan
    for name, points in pages:
        if shared:
            values = [value for _, value in points]
        else:
            at = dict(points)
            values = [at.get(t, nan) for t in times]
        # as_bytes, inline: 150,000 calls for a 10-minute page of 50 hosts. NaN fails
        # both comparisons, so it stays NaN like infinities and negatives.
        columns[name] = [float(int(v)) if 0.0 <= v < inf else nan for v in values]
    return times, columns


def _resample(
    times: list[float], values: list[float], start: float, end: float, points: int
) -> tuple[float, ...]:
    """The last value in each of ``points`` equal slices of [start, end]; NaN if none."""
    out = [math.nan] * points
    width = (end - start) / points if end > start else 1.0
    for t, value in zip(times, values, strict=True):
        if math.isnan(value) or t < start:
            continue
        index = min(points - 1, int((t - start) / width))
        out[index] = value
    return tuple(out)
