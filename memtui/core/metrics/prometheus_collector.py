"""The exporter's view rendered for Prometheus: fresh metric families at every scrape.

A custom collector rather than gauges set in place: each scrape yields exactly the
processes of the current snapshot, so a process that left the set has no series left
behind (a labelled Gauge would keep its last value until someone removed it).

The metric names and their labels are a contract (README, "Many machines").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from memtui.core.metrics.process_watch import WatchSnapshot

LABELS = ("pid", "name", "user")
RESIDENT = "memtui_process_resident_bytes"
SWAP = "memtui_process_swap_bytes"
PSS = "memtui_process_pss_bytes"
GROWTH = "memtui_process_growth_bytes_per_second"
LEAK = "memtui_leak_suspected"
METRIC_NAMES = (RESIDENT, SWAP, PSS, GROWTH, LEAK)


class ProcessMetricsCollector(Collector):
    """Reads ``snapshot()`` once per scrape (from prometheus_client's server threads)."""

    def __init__(self, snapshot: Callable[[], WatchSnapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self._snapshot()
        resident = GaugeMetricFamily(RESIDENT, "Resident set size (VmRSS).", labels=LABELS)
        swap = GaugeMetricFamily(SWAP, "Swapped-out anonymous memory (VmSwap).", labels=LABELS)
        pss = GaugeMetricFamily(PSS, "Proportional set size (smaps_rollup).", labels=LABELS)
        growth = GaugeMetricFamily(
            GROWTH, "Least-squares growth of RSS+swap over the last minute.", labels=LABELS
        )
        leak = GaugeMetricFamily(
            LEAK, "1 while memtui's leak verdict names this process.", labels=LABELS
        )
        for process in snapshot.processes:
            labels = [str(process.pid), process.name, process.user]
            resident.add_metric(labels, process.resident)
            # Unknown is left out, never exported as a fake 0.
            if process.swap is not None:
                swap.add_metric(labels, process.swap)
            if process.pss is not None:
                pss.add_metric(labels, process.pss)
            if process.growth_per_second is not None:
                growth.add_metric(labels, process.growth_per_second)
            leak.add_metric(labels, 1.0 if process.leak_suspected else 0.0)
        yield from (resident, swap, pss, growth, leak)
