"""What grows in memtui's own memory, in minutes instead of an hour.

    .venv/bin/python bench/own_memory_headless.py [--minutes 70] [--speed 10]
        [--every 5] [--size 120x40] [--churn 20] [--thread-arenas] [--trim]
        [--peaks] [--tracemalloc [--frames 8] [--top 15]]
        [--terminal --log FILE]

Runs the real app headless (``App.run_test``) on the real /proc, on a virtual clock
``--speed`` times faster than the wall: the app's ``time`` answers with the virtual
time, it samples meminfo every ``1 / speed`` real seconds (one virtual second) and
the processes as often in virtual time as it does live. Headless, Textual computes
every frame but does not turn it into escape codes; the harness does that too, as a
terminal's driver would, so the caches of that step fill as they do in tmux.
``--terminal`` runs it in the terminal it is started in instead (in tmux, say), the
figures going to ``--log``.

The clock compresses memtui's time, not its neighbours': ``--churn N`` starts N
sleeping processes a real second (each killed when 50 more have started), the test
suites and builds of a shared machine at the pace the clock needs.

Every ``--every`` virtual minutes it prints the RSS, the Python heap (allocated
blocks; tracemalloc's total with ``--tracemalloc``), glibc's heap (in use, and free
but kept: fragmentation), pymalloc's arenas, and the fill of every
``functools.lru_cache`` and Textual cache that changed. ``--peaks``: the largest
tracemalloc peak of one sample taken in, one process table and one chart refresh.
``--trim`` calls ``malloc_trim`` after each report, to show what it would give back.
``--thread-arenas`` leaves glibc's per-thread arenas on (memtui's command line
turns them off). With ``--tracemalloc`` it also prints, at the end, the allocations
that grew most from minute ``--warmup`` to the end, grouped by traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import functools
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_dashboard import rss_kib
from textual.app import App
from textual.cache import FIFOCache, LRUCache

import memtui.app as memtui_app
from memtui.app import MemtuiApp
from memtui.cli import build_parser
from memtui.commands.dashboard import build_model
from memtui.core.malloc_arena import use_one_arena
from memtui.screens.dashboard_screen import DashboardScreen
from memtui.widgets.leak_panel import GrowthPanel
from memtui.widgets.narrow_updates import narrowed

MIB = 1 << 20


class VirtualClock:
    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._wall = time.time()
        self._mono = time.monotonic()

    def monotonic(self) -> float:
        return self._mono + (time.monotonic() - self._mono) * self.speed

    def time(self) -> float:
        return self._wall + (time.monotonic() - self._mono) * self.speed

    def minutes(self) -> float:
        return (self.monotonic() - self._mono) / 60


def rss_mib() -> float:
    return rss_kib(os.getpid()) / 1024


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


LIBC = ctypes.CDLL("libc.so.6")
LIBC.mallinfo2.restype = MallInfo2


def malloc_figures() -> str:
    """glibc's heap: in use, free but kept (fragmentation), mmapped; pymalloc's arenas."""
    info = LIBC.mallinfo2()
    with tempfile.TemporaryFile() as file:
        saved = os.dup(2)
        os.dup2(file.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        file.seek(0)
        stats = file.read().decode()
    lines = [line for line in stats.splitlines() if "arenas allocated current" in line]
    arenas = lines[0].split("=")[1].strip() if lines else "?"
    return (
        f"malloc used {info.uordblks / MIB:5.2f} free {info.fordblks / MIB:5.2f} "
        f"mmap {info.hblkhd / MIB:5.2f} MiB  pymalloc arenas {arenas}"
    )


_FROZEN_CACHES: list[Any] = []
"""The lru_caches alive before the app froze its start-up objects out of the collector
(``gc.freeze``): gc.get_objects() no longer lists them, Rich's and Textual's own."""


def remember_caches() -> None:
    _FROZEN_CACHES[:] = [o for o in gc.get_objects() if isinstance(o, functools._lru_cache_wrapper)]


def cache_fill() -> dict[str, int]:
    """Entries of every lru_cache and Textual cache alive, by where it is defined."""
    fill: dict[str, int] = {}
    seen = {id(cache) for cache in _FROZEN_CACHES}
    for obj in [*_FROZEN_CACHES, *(o for o in gc.get_objects() if id(o) not in seen)]:
        if isinstance(obj, functools._lru_cache_wrapper):
            size = obj.cache_info().currsize
            name = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
        elif isinstance(obj, LRUCache | FIFOCache):
            size = len(obj)
            name = f"{type(obj).__name__}(max {obj._maxsize})"
        else:
            continue
        if size:
            fill[name] = fill.get(name, 0) + size
    return fill


def paint_as_a_terminal(app: App[Any]) -> None:
    """Headless, Textual skips turning a frame into escape codes: do it here."""
    display = App._display

    def _display(self: App[Any], screen: Any, renderable: Any) -> None:
        renderable = narrowed(renderable)  # as MemtuiApp._display writes it
        display(self, screen, renderable)
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(self.console)

    app._display = types.MethodType(_display, app)  # type: ignore[method-assign]


PEAKS: dict[str, float] = {}


def measure_peaks(owner: Any, name: str) -> None:
    """Wrap ``owner.name`` to keep the largest tracemalloc peak (above the memory
    traced before the call) of one call since the last report."""
    method = getattr(owner, name)

    def measured(*args: Any, **kwargs: Any) -> Any:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        try:
            return method(*args, **kwargs)
        finally:
            peak = (tracemalloc.get_traced_memory()[1] - before) / MIB
            PEAKS[name] = max(PEAKS.get(name, 0.0), peak)

    setattr(owner, name, measured)


class Reporter:
    """Prints the figures every ``--every`` virtual minutes; ``tick`` runs on the app's loop."""

    def __init__(self, app: MemtuiApp, clock: VirtualClock, args: argparse.Namespace) -> None:
        self.app, self.clock, self.args = app, clock, args
        self.next_report = 0.0
        self.before: dict[str, int] = {}
        self.baseline: tracemalloc.Snapshot | None = None
        self.out = open(args.log, "w") if args.log else sys.stdout  # noqa: SIM115

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def tick(self) -> None:
        args, model = self.args, self.app.model
        minute = self.clock.minutes()
        if minute >= args.minutes:
            self.finish()
            self.app.exit()
            return
        if minute < self.next_report:
            return
        self.next_report += args.every
        gc.collect()
        heap = tracemalloc.get_traced_memory()[0] / MIB if args.tracemalloc else 0.0
        arrays = (model.history.tiered.memory_bytes() + model.processes.memory_bytes()) / MIB
        fill = cache_fill()
        grew = {k: v for k, v in fill.items() if v != self.before.get(k) and v > 16}
        self.before = fill
        self.print(
            f"{minute:5.1f} min  RSS {rss_mib():7.2f} MiB  traced {heap:7.2f} MiB  "
            f"blocks {sys.getallocatedblocks():8d}  arrays {arrays:5.2f} MiB  "
            f"samples {len(model.history)}  threads {threading.active_count()}  "
            f"workers {len(self.app.workers)}"
        )
        self.print(f"        {malloc_figures()}")
        if PEAKS:
            peaks = "  ".join(f"{name} {peak:.2f}" for name, peak in sorted(PEAKS.items()))
            self.print(f"        largest call peaks, MiB: {peaks}")
            PEAKS.clear()
        if args.trim:
            LIBC.malloc_trim(0)
            self.print(f"        after malloc_trim: RSS {rss_mib():7.2f} MiB")
        for name, size in sorted(grew.items(), key=lambda item: -item[1]):
            self.print(f"        {size:6d} {name}")
        if args.tracemalloc and self.baseline is None and minute >= args.warmup:
            self.baseline = tracemalloc.take_snapshot()

    def finish(self) -> None:
        if self.baseline is None:
            return
        final = tracemalloc.take_snapshot()
        filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
        stats = final.filter_traces(filters).compare_to(
            self.baseline.filter_traces(filters), "traceback"
        )
        self.print(f"grew most from minute {self.args.warmup:g}:")
        for stat in stats[: self.args.top]:
            self.print(f"  {stat.size_diff / 1024:+9.1f} KiB  {stat.count_diff:+7d} blocks")
            for line in stat.traceback.format()[-2 * self.args.frames :]:
                self.print(f"      {line}")


def churn(rate: float, alive: int, stop: threading.Event) -> None:
    """Keep ``alive`` sleeping processes, replacing ``rate`` of them a (real) second: the
    test suites and builds of a shared machine, at the pace the virtual clock needs."""
    children: list[subprocess.Popen[bytes]] = []
    while not stop.wait(1.0 / rate):
        children.append(subprocess.Popen(["sleep", "600"]))
        if len(children) > alive:
            old = children.pop(0)
            old.kill()
            old.wait()
    for child in children:
        child.kill()
        child.wait()


def make_app(args: argparse.Namespace) -> tuple[MemtuiApp, Reporter]:
    clock = VirtualClock(args.speed)
    fake_time = types.SimpleNamespace(time=clock.time, monotonic=clock.monotonic, sleep=time.sleep)
    memtui_app.time = fake_time  # type: ignore[assignment]
    memtui_app.PROCESS_INTERVAL /= args.speed
    memtui_app.PROCESS_INTERVAL_IDLE /= args.speed
    model = build_model(build_parser().parse_args([]))
    model.interval = 1.0 / args.speed
    app = MemtuiApp(model, color_system="truecolor")
    if args.peaks:
        measure_peaks(model, "add_sample")
        measure_peaks(model, "add_process_table")
        measure_peaks(DashboardScreen, "refresh_charts")
    reporter = Reporter(app, clock, args)

    def started() -> None:
        app.screen.query_one(GrowthPanel).clock = clock.monotonic
        model.interval = 1.0 / args.speed
        app.set_interval(1.0, reporter.tick, name="own-memory-report")

    app.call_after_refresh(lambda: app.set_timer(0.5, started))
    return app, reporter


async def run_headless(args: argparse.Namespace) -> None:
    app, _ = make_app(args)
    paint_as_a_terminal(app)
    width, height = (int(part) for part in args.size.split("x"))
    async with app.run_test(size=(width, height)):
        while app.is_running:
            await asyncio.sleep(0.5)


def main() -> None:
    remember_caches()
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=70.0)
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--churn", type=float, default=0.0, help="new processes a real second")
    parser.add_argument("--churn-alive", type=int, default=50)
    parser.add_argument(
        "--peaks", action="store_true", help="the tracemalloc peak of the model's and charts' calls"
    )
    parser.add_argument("--trim", action="store_true", help="malloc_trim after each report")
    parser.add_argument("--terminal", action="store_true", help="in this terminal, not headless")
    parser.add_argument(
        "--thread-arenas", action="store_true", help="leave glibc's arenas as they are"
    )
    parser.add_argument("--log", help="write the figures here (needed with --terminal)")
    args = parser.parse_args()
    if not args.thread_arenas:
        use_one_arena()  # as memtui's command line does
    if args.tracemalloc or args.peaks:
        tracemalloc.start(args.frames if args.tracemalloc else 1)
    stop = threading.Event()
    churner = threading.Thread(target=churn, args=(args.churn, args.churn_alive, stop))
    if args.churn > 0:
        churner.start()
    try:
        if args.terminal:
            app, _ = make_app(args)
            app.run()
        else:
            asyncio.run(run_headless(args))
    finally:
        stop.set()
        if args.churn > 0:
            churner.join()


if __name__ == "__main__":
    main()
