"""Where each 0.1 % of a core of memtui's idle dashboard goes, by part.

    python bench/breakdown_dashboard.py [--size 120x40] [--seconds 60] [--warmup 10]

Runs ``memtui --interval 1`` (default charts) in a tmux pane of a private server,
with the parts below wrapped so each adds up the CPU time of the thread it ran on
(``time.thread_time``, outermost call only) between ``--warmup`` and ``--warmup +
--seconds``; the process's own utime+stime over the same window is the total.
Cheap enough (two clock reads a call, a few hundred calls a second) not to move
the figures it measures.

- Textual's frame: ``Screen._compositor_refresh`` (render the dirty lines, write);
- Textual's layout passes: ``Screen._refresh_layout``;
- the dashboard's own update each sample: ``DashboardScreen.refresh_charts``;
- the leak machinery: ``LeakDetector.evaluate``, ``DashboardModel.add_process_table``;
- sampling: ``read_meminfo`` and ``MeminfoHistory.append``;
- the process sampler: ``ProcessTableSampler.sample`` (a worker thread);
- what is left of the event loop's thread (messages, timers, workers) and the
  other threads (Textual's input thread, the worker pool) come from /proc.

Prints a Markdown table; every tmux server and process it starts is removed on
every way out.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dashboard import CLK_TCK, exit_on_signals, in_pane_parser, tmux_server

BENCH = Path(__file__).resolve()
PARTS = {
    "frame": "Textual's frame (render dirty lines, write)",
    "layout": "Textual's layout passes",
    "refresh": "dashboard: titles and series of every tile, header, verdict",
    "leak": "leak machinery: the verdict, taking in a process table",
    "meminfo": "sampling: /proc/meminfo read and parsed, appended to the history",
    "processes": "process sampler: every process read (worker thread)",
}


def _ticks(path: str) -> int:
    text = Path(path).read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def _thread_ticks() -> dict[str, int]:
    ticks: dict[str, int] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            name = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
            ticks[f"{tid} {name}"] = _ticks(f"/proc/self/task/{tid}/stat")
        except OSError:
            continue
    return ticks


def inner(seconds: float, warmup: float, out: Path) -> None:
    """The app with its parts wrapped; writes the totals to ``out`` as JSON."""
    from textual.screen import Screen

    import memtui.app as app_module
    from memtui.app import MemtuiApp
    from memtui.cli import build_parser
    from memtui.commands.dashboard import build_model
    from memtui.core.leak.leak_detector import LeakDetector
    from memtui.core.meminfo.history import MeminfoHistory
    from memtui.core.model.dashboard_model import DashboardModel
    from memtui.core.processes.process_table import ProcessTableSampler
    from memtui.core.sources import meminfo_reader
    from memtui.screens.dashboard_screen import DashboardScreen

    used: dict[str, int] = defaultdict(int)
    calls: dict[str, int] = defaultdict(int)
    measuring = threading.Event()
    depth = threading.local()

    def wrap(function: Callable[..., Any], part: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            level = getattr(depth, "level", 0)
            depth.level = level + 1
            start = time.thread_time_ns()
            try:
                return function(*args, **kwargs)
            finally:
                depth.level = level
                if level == 0 and measuring.is_set():
                    used[part] += time.thread_time_ns() - start
                    calls[part] += 1

        return wrapper

    for owner, name, part in (
        (Screen, "_compositor_refresh", "frame"),
        (Screen, "_refresh_layout", "layout"),
        (DashboardScreen, "refresh_charts", "refresh"),
        (LeakDetector, "evaluate", "leak"),
        (DashboardModel, "add_process_table", "leak"),
        (MeminfoHistory, "append", "meminfo"),
        (ProcessTableSampler, "sample", "processes"),
    ):
        setattr(owner, name, wrap(getattr(owner, name), part))
    # The dashboard reads /proc/meminfo on a reader thread of its own.
    meminfo_reader.read_meminfo = wrap(meminfo_reader.read_meminfo, "meminfo")

    model = build_model(build_parser().parse_args(["--interval", "1"]))
    marks: dict[str, Any] = {}

    class BreakdownApp(MemtuiApp):
        CSS_PATH = str(Path(app_module.__file__ or "").parent / "memtui.tcss")

        def on_mount(self) -> None:
            super().on_mount()
            self.set_timer(warmup, self._start)
            self.set_timer(warmup + seconds, self._stop)

        def _start(self) -> None:
            marks.update(
                wall=time.monotonic(),
                process=_ticks("/proc/self/stat"),
                threads=_thread_ticks(),
                main=time.thread_time_ns(),
            )
            measuring.set()

        def _stop(self) -> None:
            measuring.clear()
            elapsed = time.monotonic() - marks["wall"]
            threads = _thread_ticks()
            marks.update(
                seconds=elapsed,
                process=(_ticks("/proc/self/stat") - marks["process"]) / CLK_TCK,
                main=(time.thread_time_ns() - marks["main"]) / 1e9,
                threads={
                    name: (ticks - marks["threads"].get(name, 0)) / CLK_TCK
                    for name, ticks in threads.items()
                },
            )
            self.exit()

    BreakdownApp(model).run()
    result = {**marks, "parts": {part: ns / 1e9 for part, ns in used.items()}, "calls": calls}
    partial = out.with_suffix(".partial")
    partial.write_text(json.dumps(result))
    partial.replace(out)  # whole or absent: the bench polls for it
    print("BREAKDOWN-DONE", flush=True)
    time.sleep(60)


def report(result: dict[str, Any]) -> str:
    seconds = result["seconds"]

    def percent(cpu_seconds: float) -> str:
        return f"{100 * cpu_seconds / seconds:.2f} %"

    parts, calls = result["parts"], result["calls"]
    main_thread_parts = sum(value for part, value in parts.items() if part != "processes")
    lines = [
        f"memtui's dashboard, {seconds:.0f} s: {percent(result['process'])} of one core",
        "",
        "| part | CPU of one core | calls |",
        "|---|---|---|",
    ]
    for part, text in PARTS.items():
        lines.append(f"| {text} | {percent(parts.get(part, 0.0))} | {calls.get(part, 0)} |")
    rest = result["main"] - main_thread_parts
    lines.append(f"| the rest of the event loop's thread | {percent(rest)} | |")
    main_name = min(result["threads"], key=lambda name: int(name.split()[0]))
    for name, used in sorted(result["threads"].items()):
        if name != main_name:
            lines.append(
                f"| thread {name.split(' ', 1)[1]} ({name.split()[0]}) | {percent(used)} | |"
            )
    return "\n".join(lines)


def main() -> int:
    args = in_pane_parser(__doc__.splitlines()[0], seconds=60.0).parse_args()
    if args.inner:
        inner(args.seconds, args.warmup, args.inner)
        return 0
    exit_on_signals()
    with tempfile.TemporaryDirectory(prefix="bench-breakdown-") as work:
        out = Path(work) / "breakdown.json"
        command = (
            f"{shlex.quote(sys.executable)} {shlex.quote(str(BENCH))} --inner {out} "
            f"--seconds {args.seconds} --warmup {args.warmup}"
        )
        with tmux_server("breakdown") as tmux:
            tmux.new_session("breakdown", args.size, command, {"COLORTERM": "truecolor"})
            deadline = time.monotonic() + args.warmup + args.seconds + 60
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.5)
            if not out.exists():
                print(tmux.capture("breakdown"), file=sys.stderr)
                raise SystemExit("the dashboard never reported its breakdown")
            result = json.loads(out.read_text())
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
