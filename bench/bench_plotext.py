"""What one plotext build costs, by number of points and plot size.

    /tmp/venv/bin/python bench/bench_plotext.py [--reps 200]

Backs the claim in memtui/core/model/chart_series.py: a tile's plotext build costs
milliseconds and grows with the number of points, so a tile draws one point per
column (the mean of a time bucket) rather than every sample. Each case makes the
same calls as ``SeriesPlot.render`` (clear, braille line, x/y limits and ticks,
size, build) on textual-plotext's ``Plot``, then ``Text.from_ansi`` as
``PlotextPlot.render`` does. Cases run interleaved, round by round, so machine
noise falls on all of them alike; the table gives the median and p90 per build,
wall time. Raw results go to bench/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.text import Text
from textual_plotext.plot import Plot

from memtui.core.model.chart_series import build_series, x_ticks

RESULTS = Path(__file__).resolve().parent / "results"
# The y-axis labels and frame take about this many columns (dashboard_screen.AXIS_COLUMNS).
AXIS_COLUMNS = 9
WINDOW = 120.0


@dataclass(frozen=True)
class Case:
    name: str
    width: int
    height: int
    points: int
    window: float


@dataclass
class Result:
    case: Case
    build_ms: list[float]
    from_ansi_ms: list[float]


def series_points(count: int, window: float, columns: int) -> tuple[list[float], list[float]]:
    """``count`` samples of a wavy line over ``window``; bucketed when ``columns`` > 0."""
    end = 1_000_000.0
    step = window / count
    timestamps = [end - window + (i + 1) * step for i in range(count)]
    values = [1e9 + 5e7 * math.sin(i / 17) + 1e5 * i for i in range(count)]
    if columns:
        series = build_series(timestamps, values, end=end, window=window, columns=columns)
        return series.xs, series.ys
    return [t - end for t in timestamps], [v / 2**20 for v in values]


def build_once(plt: Plot, case: Case, xs: list[float], ys: list[float]) -> tuple[float, float]:
    """One build as SeriesPlot.render does it; (build ms, Text.from_ansi ms)."""
    start = time.perf_counter()
    plt.clear_figure()
    plt.plot(xs, ys, marker="braille", color="cyan")
    plt.xlim(-case.window, 0)
    ticks, labels = x_ticks(case.window)
    plt.xticks(ticks, labels)
    lo, hi = min(ys), max(ys)
    plt.ylim(lo, hi)
    plt.yticks([lo, (lo + hi) / 2, hi], [f"{lo:.2f}M", f"{(lo + hi) / 2:.2f}M", f"{hi:.2f}M"])
    plt.plotsize(case.width, case.height)
    plt._set_size(case.width, case.height)
    plt.theme("pro")
    ansi = plt.build()
    built = time.perf_counter()
    Text.from_ansi(ansi)
    done = time.perf_counter()
    return (built - start) * 1e3, (done - built) * 1e3


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="builds per case (default 200)")
    args = parser.parse_args()

    tile_columns = 38 - AXIS_COLUMNS
    zoom_columns = 120 - AXIS_COLUMNS
    cases = [
        Case("tile 38x8, 600 raw points (10 min at 1 s)", 38, 8, 600, 600.0),
        Case("tile 38x8, 120 raw points (the 120 s window at 1 s)", 38, 8, 120, WINDOW),
        Case(f"tile 38x8, one point per column ({tile_columns})", 38, 8, tile_columns, WINDOW),
        Case("zoom 120x37, 600 raw points", 120, 37, 600, 600.0),
        Case(f"zoom 120x37, one point per column ({zoom_columns})", 120, 37, zoom_columns, 600.0),
    ]
    data: dict[Case, tuple[list[float], list[float]]] = {}
    for case in cases:
        per_column = case.points in (tile_columns, zoom_columns)
        samples = 600 if per_column else case.points
        data[case] = series_points(samples, case.window, case.points if per_column else 0)
    results = {case: Result(case, [], []) for case in cases}
    plots = {case: Plot() for case in cases}
    for case in cases:  # warm up: the first build of a figure costs more
        build_once(plots[case], case, *data[case])
    for _ in range(args.reps):
        for case in cases:
            build_ms, ansi_ms = build_once(plots[case], case, *data[case])
            results[case].build_ms.append(build_ms)
            results[case].from_ansi_ms.append(ansi_ms)

    print(f"plotext build per chart, {args.reps} builds per case, interleaved\n")
    print("| case | points drawn | build median | build p90 | + Text.from_ansi median |")
    print("|---|---|---|---|---|")
    for case in cases:
        result = results[case]
        print(
            f"| {case.name} | {len(data[case][0])} "
            f"| {statistics.median(result.build_ms):.2f} ms "
            f"| {percentile(result.build_ms, 0.9):.2f} ms "
            f"| {statistics.median(result.from_ansi_ms):.2f} ms |"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"plotext-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpu": platform.processor()},
                "load_average": list(__import__("os").getloadavg()),
                "results": [
                    {**asdict(r.case), "build_ms": r.build_ms, "from_ansi_ms": r.from_ansi_ms}
                    for r in results.values()
                ],
            },
            indent=1,
        )
    )
    print(f"\nraw: {out}")


if __name__ == "__main__":
    main()
