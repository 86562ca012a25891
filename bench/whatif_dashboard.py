"""What-if: how much each part of the dashboard's steady state costs, side by side.

    /tmp/venv/bin/python bench/whatif_dashboard.py [--size 120x40] [--duration 60]

Runs, at once and like bench_dashboard.py (tmux, 1 s refresh, CPU from /proc, bytes
from pipe-pane), btop and memtui with a monkeypatch each, none of which is in
memtui itself; they only size the savings of changes the dashboard could make:

- ``baseline``: memtui as it is;
- ``titles-no-layout``: title and header updates call ``Static.update(...,
  layout=False)`` (a one-line title cannot change the layout), so a new title
  repaints its line without a reflow of the whole screen;
- ``titles-frozen``: titles and header never change after the first sample: the
  ceiling of what cheaper title updates could save;
- ``plots-frozen``: each plot keeps its first picture with points: the ceiling of
  what cheaper plot rebuilds could save.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_dashboard import (
    Variant,
    _raise_exit,
    parse_size,
    steady_state,
    tmux_server,
)

BENCH = Path(__file__).resolve()
PATCHES = ("baseline", "titles-no-layout", "titles-frozen", "plots-frozen")


def patch(name: str) -> None:
    from collections.abc import Mapping

    from textual.widgets import Label

    from memtui.core.chart_series import ChartSeries
    from memtui.core.meminfo_stats import FieldStats
    from memtui.widgets import meminfo_chart, memory_header
    from memtui.widgets.meminfo_chart import MeminfoChart
    from memtui.widgets.memory_header import MemoryHeader
    from memtui.widgets.series_plot import SeriesPlot

    if name == "titles-no-layout":

        def update_chart(self: MeminfoChart, stats: FieldStats | None, series: ChartSeries) -> None:
            label = self.query_one(Label)
            title = meminfo_chart.chart_title(self.field, stats)
            if str(label.content) != title:
                label.update(title, layout=False)
            self.plot.show(series)

        def show(self: MemoryHeader, sample: Mapping[str, int], status: str) -> None:
            text = memory_header.header_text(sample, status)
            if str(self.content) != text:
                self.update(text, layout=False)

        MeminfoChart.update_chart = update_chart  # type: ignore[method-assign]
        MemoryHeader.show = show  # type: ignore[method-assign]
    elif name == "titles-frozen":
        original_update = MeminfoChart.update_chart
        original_show = MemoryHeader.show

        def frozen_update(
            self: MeminfoChart, stats: FieldStats | None, series: ChartSeries
        ) -> None:
            if stats is not None and not getattr(self, "_bench_titled", False):
                self._bench_titled = True  # type: ignore[attr-defined]
                original_update(self, stats, series)
            self.plot.show(series)

        def frozen_show(self: MemoryHeader, sample: Mapping[str, int], status: str) -> None:
            if not str(self.content):
                original_show(self, sample, status)

        MeminfoChart.update_chart = frozen_update  # type: ignore[method-assign]
        MemoryHeader.show = frozen_show  # type: ignore[method-assign]
    elif name == "plots-frozen":
        original_plot_show = SeriesPlot.show

        def frozen_plot(self: SeriesPlot, series: ChartSeries) -> None:
            if self.series is None or not self.series.xs:
                original_plot_show(self, series)

        SeriesPlot.show = frozen_plot  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(120, 40))
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--inner", choices=PATCHES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        patch(args.inner)
        from memtui.cli import main as memtui_main

        return memtui_main(["--interval", "1"])
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _raise_exit)
    config_home = Path(tempfile.mkdtemp(prefix="bench-whatif-btop-"))
    try:
        (config_home / "btop").mkdir()
        (config_home / "btop" / "btop.conf").write_text("update_ms = 1000\n")
        base = {"COLORTERM": "truecolor"}
        python = f"{shlex.quote(sys.executable)} {shlex.quote(str(BENCH))}"
        variants = [Variant("btop", "btop", {**base, "XDG_CONFIG_HOME": str(config_home)})]
        variants += [Variant(name, f"{python} --inner {name}", dict(base)) for name in PATCHES]
        with tmux_server("whatif") as tmux:
            steady_state(tmux, variants, args.size, args.warmup, args.duration)
    finally:
        shutil.rmtree(config_home, ignore_errors=True)
    results: dict[str, Any] = {variant.name: variant.result for variant in variants}
    baseline = results["baseline"]["cpu_percent"]
    width, height = args.size
    print(f"\n### What-if at {width}x{height}, {args.duration:.0f} s, all at once\n")
    print("| variant | CPU of one core | vs baseline | vs btop | written to the terminal |")
    print("|---|---|---|---|---|")
    for name, result in results.items():
        cpu = result["cpu_percent"]
        print(
            f"| {name} | {cpu:.2f} % | {cpu - baseline:+.2f} | "
            f"{cpu / max(results['btop']['cpu_percent'], 1e-9):.2f}x | "
            f"{result['bytes_per_s'] / 1000:.2f} KB/s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
