"""Textual's partial update against memtui's NarrowCompositor, frame by frame, in one app.

    python bench/bench_partial_update.py [--size 120x40] [--seconds 60] [--warmup 60]

Runs the dashboard (``memtui --interval 1``, default charts) headless under Textual's
Pilot at SIZE and, after ``--warmup`` seconds, times each frame's partial update
(``Compositor.render_partial_update``: render what changed, cut it into chops) on
the event loop's thread with ``time.thread_time``, alternating frame by frame
between Textual's own method and the narrow one on the same screen, so that both see
the same frames and the same machine. Prints the median and total of each and the
lines each had widgets render (``Widget.render_lines``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dashboard import parse_size

from memtui.app import MemtuiApp
from memtui.cli import build_parser
from memtui.commands.dashboard import build_model
from memtui.widgets.narrow_updates import NarrowCompositor


async def measure(size: tuple[int, int], seconds: float, warmup: float) -> None:
    app = MemtuiApp(build_model(build_parser().parse_args(["--interval", "1"])))
    times: dict[str, list[float]] = {"textual": [], "narrow": []}
    lines = {"textual": 0, "narrow": 0}
    counting: list[str] = []
    original_render_lines = Widget.render_lines

    def render_lines(widget: Widget, crop: Region) -> list[Strip]:
        if counting:
            lines[counting[0]] += crop.height
        return original_render_lines(widget, crop)

    Widget.render_lines = render_lines  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        await pilot.pause(warmup)
        compositor = app.screen._compositor
        turn = [0]

        def timed() -> ChopsUpdate | None:
            name = "textual" if turn[0] % 2 else "narrow"
            turn[0] += 1
            method = (
                Compositor.render_partial_update
                if name == "textual"
                else NarrowCompositor.render_partial_update
            )
            counting.append(name)
            start = time.thread_time()
            try:
                return method(compositor)
            finally:
                times[name].append(time.thread_time() - start)
                counting.clear()

        compositor.render_partial_update = timed  # type: ignore[method-assign]
        await pilot.pause(seconds)
    for name, values in times.items():
        print(
            f"{name:8} frames {len(values):4}  median {statistics.median(values) * 1e6:7.0f} us"
            f"  total {sum(values) * 1e3:7.1f} ms  lines rendered {lines[name]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(120, 40))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(measure(args.size, args.seconds, args.warmup))


if __name__ == "__main__":
    main()
