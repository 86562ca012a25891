"""`memtui exporter`: serve memtui's per-process view as Prometheus metrics.

Like the CLI's other outputs it only renders the core's model: each scrape, on
prometheus_client's HTTP server thread, asks :class:`ProcessWatch` for a snapshot
(sampling what is older than its interval), and a background thread keeps a slow
pace between scrapes. SIGTERM and SIGINT stop both and exit 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from prometheus_client import CollectorRegistry, start_http_server

from memtui.core.metrics.process_watch import ProcessWatch
from memtui.core.metrics.prometheus_collector import ProcessMetricsCollector


class _Sampling(threading.Thread):
    def __init__(self, watch: ProcessWatch, stop: threading.Event) -> None:
        super().__init__(name="memtui-exporter-sampling", daemon=True)
        self.watch = watch
        self.stop = stop
        self.error: str | None = None

    def run(self) -> None:
        try:
            while not self.stop.wait(self.watch.tick()):
                pass
        except OSError as error:
            self.error = f"cannot sample: {error.strerror or error}"
            self.stop.set()


def run_exporter(args: argparse.Namespace) -> int:
    host, port = args.listen
    watch = ProcessWatch(top=args.top)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProcessMetricsCollector(watch.refresh))
    try:
        server, _ = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        # The address is the user's input: one that cannot be bound is a usage error.
        reason = error.strerror or str(error)
        print(f"memtui exporter: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    sampling = _Sampling(watch, stop)
    sampling.start()
    shown = f"[{host}]" if ":" in host else host
    print(f"memtui exporter: serving http://{shown}:{port}/metrics", file=sys.stderr, flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        sampling.join(timeout=5.0)
    if sampling.error is not None:
        print(f"memtui exporter: {sampling.error}", file=sys.stderr)
        return 1
    return 0
