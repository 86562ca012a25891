"""Prometheus's HTTP query API, with timeouts, a bound on concurrent queries, TLS
verified by default, and every failure turned into one line (:class:`PrometheusError`).

Thread-safe: the fleet's poll runs its queries on a small pool.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from memtui.core.sources.prometheus.credentials import Credentials
from memtui.core.sources.prometheus.meminfo_names import parse_value

MAX_POINTS = 11_000
"""Prometheus refuses a range query of more points than this per series."""
DEFAULT_TIMEOUT = 5.0
DEFAULT_CONCURRENCY = 4
DEFAULT_SCRAPE_INTERVAL = 15.0
"""Prometheus's own default, when no target says its interval."""
DEFAULT_RETENTION = 15 * 86400.0
"""Prometheus's default ``--storage.tsdb.retention.time``."""

Series = dict[str, list[tuple[float, float]]]
"""{label value (e.g. the instance): [(time, value), ...]} of one query."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_SCRAPE_INTERVAL = re.compile(r"^\s*scrape_interval:\s*(\S+)\s*$", re.MULTILINE)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


class PrometheusError(Exception):
    """What went wrong, in one line for the screen."""


def parse_prometheus_duration(text: str) -> float | None:
    """``1s``, ``1m30s``, ``250ms`` -> seconds; None if not a duration."""
    total, position = 0.0, 0
    for match in _DURATION.finditer(text):
        if match.start() != position or match.group(2) == "y":
            return None
        total += float(match.group(1)) * _UNIT[match.group(2)]
        position = match.end()
    return total if position == len(text) and total > 0 else None


def choose_step(span: float, columns: int, scrape_interval: float) -> float:
    """``max(scrape interval, span / columns)``, and never more than MAX_POINTS points."""
    step = max(scrape_interval, span / max(1, columns), span / (MAX_POINTS - 1))
    return math.ceil(step * 1000) / 1000


def with_selector(metric: str, selector: str | None, **labels: str) -> str:
    """``metric{...}``: the user's selector (``{job="node"}``) and exact label matches."""
    matchers = [f'{name}="{_escape(value)}"' for name, value in labels.items()]
    if selector:
        inner = selector.strip()[1:-1].strip()
        if inner:
            matchers.append(inner)
    return f"{metric}{{{','.join(matchers)}}}" if matchers else metric


def check_selector(selector: str) -> str:
    """A ``--match`` selector: label matchers in braces; ValueError otherwise."""
    text = selector.strip()
    if not (text.startswith("{") and text.endswith("}")) or len(text) < 3:
        raise ValueError(
            f"--match takes label matchers in braces, e.g. '{{job=\"node\"}}': {selector!r}"
        )
    return text


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class PrometheusClient:
    def __init__(
        self,
        url: str,
        credentials: Credentials | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = DEFAULT_CONCURRENCY,
        verify: bool = True,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        creds = credentials or Credentials()
        self._http = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(timeout),
            verify=verify,
            headers=creds.headers(),
            auth=creds.basic(),
            follow_redirects=False,
        )
        self._slots = threading.BoundedSemaphore(max(1, concurrency))

    def close(self) -> None:
        self._http.close()

    def _get(self, path: str, params: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Any:
        with self._slots:
            try:
                response = self._http.get(path, params=params)  # type: ignore[arg-type]
            except httpx.TimeoutException:
                raise PrometheusError(
                    f"Prometheus at {self.url} did not answer within {self.timeout:g} s"
                ) from None
            except httpx.ConnectError as error:
                raise PrometheusError(
                    f"Prometheus at {self.url} is down: {_reason(error)}"
                ) from None
            except httpx.HTTPError as error:
                raise PrometheusError(f"Prometheus at {self.url}: {_reason(error)}") from None
        try:
            body = response.json()
        except ValueError:
            raise PrometheusError(
                f"Prometheus at {self.url} answered HTTP {response.status_code}, not JSON"
            ) from None
        if not isinstance(body, dict):
            raise PrometheusError(f"Prometheus at {self.url} answered an unknown JSON shape")
        if body.get("status") != "success":
            kind = body.get("errorType") or f"HTTP {response.status_code}"
            raise PrometheusError(f"Prometheus error ({kind}): {body.get('error', 'no reason')}")
        return body.get("data")

    def series_labels(self, match: str, start: float, end: float) -> list[dict[str, str]]:
        """The label sets of every series matching ``match`` between the times."""
        data = self._get("/api/v1/series", {"match[]": match, "start": start, "end": end})
        if not isinstance(data, list):
            raise PrometheusError("Prometheus sent series in an unknown shape")
        return [item for item in data if isinstance(item, dict)]

    def scrape_interval(self) -> float:
        """The shortest scrape interval in the server's configuration (15 s if none is
        set). Read from the configuration: the targets API says it per target only
        from Prometheus 2.43 on, and lists no target until the first discovery."""
        data = self._get("/api/v1/status/config", {})
        text = data.get("yaml", "") if isinstance(data, dict) else ""
        found = [parse_prometheus_duration(value) for value in _SCRAPE_INTERVAL.findall(text)]
        known = [value for value in found if value is not None]
        return min(known) if known else DEFAULT_SCRAPE_INTERVAL

    def retention(self) -> float:
        """How long the server keeps samples: its ``storageRetention`` ("15d", or "15d
        or 512MiB" with a size bound too); Prometheus's default of 15 days if it says
        no time."""
        data = self._get("/api/v1/status/runtimeinfo", {})
        text = data.get("storageRetention", "") if isinstance(data, dict) else ""
        for word in str(text).split():
            seconds = parse_prometheus_duration(word)
            if seconds is not None:
                return seconds
        return DEFAULT_RETENTION

    def query_range(
        self, query: str, start: float, end: float, step: float, by: str = "instance"
    ) -> dict[tuple[str, str], list[tuple[float, float]]]:
        """{(label ``by``, metric name): [(time, value)...]} of a range query."""
        if (end - start) / step > MAX_POINTS:
            raise ValueError("a range query of more than 11,000 points per series")
        data = self._get(
            "/api/v1/query_range", {"query": query, "start": start, "end": end, "step": step}
        )
        return _matrix(data, by)

    def query(
        self, query: str, at: float | None = None, by: str = "instance"
    ) -> dict[tuple[str, str], list[tuple[float, float]]]:
        """An instant query, in the same shape (one point per series)."""
        params: dict[str, Any] = {"query": query}
        if at is not None:
            params["time"] = at
        data = self._get("/api/v1/query", params)
        return _matrix(data, by)

    def query_labels(self, query: str) -> list[tuple[dict[str, str], float]]:
        """An instant query's series with all their labels."""
        data = self._get("/api/v1/query", {"query": query})
        found: list[tuple[dict[str, str], float]] = []
        for item in _results(data):
            value = item.get("value")
            if isinstance(value, list) and len(value) == 2:
                found.append((dict(item.get("metric") or {}), _value(value[1])))
        return found


def _results(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("result"), list):
        raise PrometheusError("Prometheus sent a result in an unknown shape")
    return [item for item in data["result"] if isinstance(item, dict)]


def _value(text: object) -> float:
    try:
        return parse_value(text)
    except ValueError:
        return math.nan


def _matrix(data: Any, by: str) -> dict[tuple[str, str], list[tuple[float, float]]]:
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for item in _results(data):
        metric = item.get("metric") or {}
        key = (str(metric.get(by, "")), str(metric.get("__name__", "")))
        pairs = item.get("values")
        if pairs is None and item.get("value") is not None:
            pairs = [item["value"]]
        points = found.setdefault(key, [])
        try:
            # [time, "value"] pairs, as the API sends them: 30,000 per answer of 50
            # hosts over 10 minutes, so read in one comprehension.
            points += [(float(t), float(v) if type(v) is str else math.nan) for t, v in pairs or ()]
        except (TypeError, ValueError):
            # A pair of another shape or a value that is not a number: one by one.
            for pair in pairs or []:
                if isinstance(pair, list) and len(pair) == 2:
                    points.append((float(pair[0]), _value(pair[1])))
    return found


def _reason(error: httpx.HTTPError) -> str:
    text = str(error) or type(error).__name__
    # httpx repeats errno's text: "[Errno 111] Connection refused" -> "Connection refused"
    return re.sub(r"^\[Errno -?\d+\] ", "", text.splitlines()[0])
