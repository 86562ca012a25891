"""Where memtui's dashboard spends its time in steady state.

    /tmp/venv/bin/python bench/profile_dashboard.py [--size 120x40] [--seconds 30]
        [--warmup 10] [--rate 1000]

Two profiles of ``memtui --interval 1`` in a tmux pane (a private server), after
``--warmup`` seconds, both measured for ``--seconds``:

1. py-spy (``pip install py-spy``) samples the running process from outside at
   ``--rate`` Hz, every thread, without pausing it. The table gives, for the top
   functions, the share of the process's busy samples whose stack contains it
   (inclusive) and whose stack ends in it (self). Idle samples are not counted.
2. cProfile inside the same app (the event loop's thread only), for call counts:
   how often each function ran per second of steady state.

Raw outputs (py-spy's collapsed stacks, the cProfile .prof and text) go to
bench/results/ (gitignored). Every tmux server and process it starts is removed
on every way out.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from contextlib import suppress
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dashboard import (
    CLK_TCK,
    RESULTS,
    cpu_ticks,
    exit_on_signals,
    in_pane_parser,
    memtui_command,
    tmux_server,
)

BENCH = Path(__file__).resolve()


def inner(seconds: float, warmup: float, out: Path) -> None:
    """Run the dashboard with cProfile on between ``warmup`` and ``warmup + seconds``."""
    from memtui.app import MemtuiApp
    from memtui.cli import build_parser
    from memtui.commands.dashboard import build_model

    model = build_model(build_parser().parse_args(["--interval", "1"]))
    profiler = cProfile.Profile()

    class ProfiledApp(MemtuiApp):
        CSS_PATH = str(
            Path(sys.modules[MemtuiApp.__module__].__file__ or "").parent / "memtui.tcss"
        )

        def on_mount(self) -> None:
            self.set_timer(warmup, self._start)
            self.set_timer(warmup + seconds, self._stop)

        def _start(self) -> None:
            profiler.enable()

        def _stop(self) -> None:
            profiler.disable()
            self.exit()

    ProfiledApp(model).run()
    profiler.dump_stats(out)
    print("PROFILE-DONE", flush=True)
    time.sleep(60)


def py_spy(pid: int, seconds: float, rate: int, out: Path) -> None:
    spy = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or "py-spy"
    subprocess.run(
        [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(rate),
         "--nonblocking", "--threads", "--format", "raw", "--output", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip


def thread_ticks(pid: int) -> dict[int, int]:
    """utime+stime of each live thread of ``pid``, by thread id."""
    ticks: dict[int, int] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with suppress(OSError):
            text = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            fields = text[text.rindex(")") + 2 :].split()
            ticks[int(tid)] = int(fields[11]) + int(fields[12])
    return ticks


def thread_table(
    before: dict[int, int], after: dict[int, int], total: int, seconds: float, raw: Path
) -> str:
    """CPU of each thread over the py-spy window, named from py-spy's ``thread (TID): NAME``."""
    names: dict[int, str] = {}
    for line in raw.read_text().splitlines():
        root = line.split(";", 1)[0]
        if root.startswith("thread (") and "): " in root:
            tid_text, _, name = root[len("thread (") :].partition("): ")
            with suppress(ValueError):
                names[int(tid_text, 0)] = name
    lines = [
        f"CPU by thread (/proc/PID/task, {seconds:.0f} s): process total "
        f"{100 * total / CLK_TCK / seconds:.2f} % of one core",
        "",
        "| thread | CPU of one core |",
        "|---|---|",
    ]
    counted = 0
    for tid in sorted(after):
        used = after[tid] - before.get(tid, 0)
        counted += used
        name = names.get(tid, "?")
        lines.append(f"| {tid} {name} | {100 * used / CLK_TCK / seconds:.2f} % |")
    gone = total - counted
    lines.append(f"| threads that ended in the window | {100 * gone / CLK_TCK / seconds:.2f} % |")
    return "\n".join(lines)


def frame_name(frame: str) -> str:
    """``render (textual/widget.py:123)`` -> ``render (textual/widget.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def summarize_py_spy(raw: Path, top: int) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        names = [frame_name(frame) for frame in frames[1:]]
        for name in set(names):
            inclusive[name] += count
        if names:
            own[names[-1]] += count
    lines = [f"py-spy: {total} busy samples", "", "| thread | share |", "|---|---|"]
    lines += [f"| {name} | {100 * n / total:.1f} % |" for name, n in threads.most_common()]
    lines += ["", "| function (inclusive) | share of busy samples |", "|---|---|"]
    lines += [f"| {name} | {100 * n / total:.1f} % |" for name, n in inclusive.most_common(top)]
    lines += ["", "| function (self) | share of busy samples |", "|---|---|"]
    lines += [f"| {name} | {100 * n / total:.1f} % |" for name, n in own.most_common(top)]
    return "\n".join(lines)


def summarize_cprofile(prof: Path, seconds: float, top: int) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(str(prof), stream=stream)
    stats.sort_stats("cumulative").print_stats(top)
    stream.write(f"\n(calls are over {seconds:.0f} s)\n")
    return stream.getvalue()


def main() -> int:
    parser = in_pane_parser(__doc__.splitlines()[0], seconds=30.0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    if args.inner:
        inner(args.seconds, args.warmup, args.inner)
        return 0
    exit_on_signals()
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    raw = RESULTS / f"pyspy-{stamp}.txt"
    prof = RESULTS / f"cprofile-{stamp}.prof"
    env = {"COLORTERM": "truecolor"}
    with tmux_server("profile") as tmux:
        pid = tmux.new_session("spy", args.size, memtui_command(), env)
        time.sleep(args.warmup)
        before, total_before, start = thread_ticks(pid), cpu_ticks(pid), time.monotonic()
        py_spy(pid, args.seconds, args.rate, raw)
        after, total = thread_ticks(pid), cpu_ticks(pid) - total_before
        threads = thread_table(before, after, total, time.monotonic() - start, raw)
        tmux.run("kill-session", "-t", "spy")
        command = (
            f"{shlex.quote(sys.executable)} {shlex.quote(str(BENCH))} --inner {prof} "
            f"--seconds {args.seconds} --warmup {args.warmup}"
        )
        tmux.new_session("cprofile", args.size, command, env)
        deadline = time.monotonic() + args.warmup + args.seconds + 30
        while "PROFILE-DONE" not in tmux.capture("cprofile") and time.monotonic() < deadline:
            time.sleep(0.5)
    spy_text = threads + "\n\n" + summarize_py_spy(raw, args.top)
    prof_text = summarize_cprofile(prof, args.seconds, args.top)
    (RESULTS / f"profile-{stamp}.md").write_text(spy_text + "\n\n```\n" + prof_text + "```\n")
    print(spy_text)
    print()
    print(prof_text)
    print(f"raw: {raw} {prof}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
