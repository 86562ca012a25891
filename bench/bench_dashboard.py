"""memtui's dashboard against btop, side by side: CPU, bytes to the terminal, startup.

    /tmp/venv/bin/python bench/bench_dashboard.py [--size 120x40] [--duration 60]
        [--warmup 10] [--starts 5] [--variants btop,htop,floor,memtui,memtui-8,memtui-nocolor]
        [--baseline SOURCE_DIR]

Every variant runs at once, each in its own tmux session on a private tmux server
(``tmux -L bench-dashboard-PID``), so machine noise falls on all of them alike:

- ``btop``: btop with ``update_ms = 1000`` from a temporary $XDG_CONFIG_HOME;
- ``htop``: ``htop -d 10`` (1 s);
- ``floor``: bench/textual_floor.py, a bare Textual app whose ten one-line titles
  change every second: what Textual itself needs;
- ``memtui``: ``memtui --interval 1`` with its default charts;
- ``memtui-8``: the same with ``--fields`` naming 8 charts (the first 8 defaults);
- ``memtui-nocolor``: the default charts with ``NO_COLOR=1``;
- ``baseline``, with ``--baseline DIR``: ``memtui --interval 1`` from the source tree
  DIR (``git archive main | tar -x -C DIR``) put first on PYTHONPATH, so a change is
  measured beside the code before it, in one run.

Each pane is SIZE (120x40 by default), TERM=tmux-256color and COLORTERM=truecolor,
as a modern terminal reports. After ``--warmup`` seconds the bench reads utime+stime
(/proc/PID/stat fields 14-15, all threads, plus 16-17 for reaped children and the
same for any live descendants) and starts ``tmux pipe-pane -o`` into a file for
every pane; after ``--duration`` seconds it reads them again. CPU is % of one core
over the window, bytes are what the program wrote to its pty per second.

Then startup, with nothing else of the bench running: ``--starts`` times, the
wall time from ``tmux new-session`` (server already up) until memtui's header line
(its ``Avail`` figure) and then its charts (the first sparkline bar) appear in
``tmux capture-pane -p``, polled every 20 ms; the same for a shell's ``echo`` (the
spawn + poll floor). Also, Pilot-free: the same app in a pane with a hook that
notes the wall clock after imports, after the model is built, and after the first
frame is written (``--probe``); ``memtui --version``; ``python -c pass``; and
``python -X importtime -c 'import memtui.app'``. With ``--baseline``, each run is
made for both trees in turn, and the table has a column for each. Both trees get
their .pyc files written first (a warm start: see ``compile_bytecode``).
``--duration 0`` skips the side-by-side run, for startup alone.

Prints Markdown tables; raw numbers go to bench/results/ (gitignored). Every tmux
server, session and temporary file the bench makes is removed on every way out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
BENCH = Path(__file__).resolve()
CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL = 0.02
EIGHT_FIELDS = "Committed_AS,AnonPages,MemFree,Cached,SwapFree,MemAvailable,Slab,PageTables"
ALL_VARIANTS = ("btop", "htop", "floor", "memtui", "memtui-8", "memtui-nocolor")
FLOOR = Path(__file__).resolve().parent / "textual_floor.py"


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def in_pane_parser(description: str, seconds: float) -> argparse.ArgumentParser:
    """The options of a bench that runs the dashboard in a pane and measures it from
    inside (--inner, hidden, is the run in the pane)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=parse_size, default=(120, 40))
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--inner", type=Path, help=argparse.SUPPRESS)
    return parser


def exit_on_signals() -> None:
    """SIGTERM, SIGHUP and SIGINT raise SystemExit, so every ``finally`` cleans up."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _raise_exit)


# -- /proc ---------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat from field 3 (state) on, or None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def cpu_ticks(pid: int) -> int:
    """utime+stime of ``pid`` (every thread) and its reaped and live descendants."""
    fields = _stat_fields(pid)
    if fields is None:
        raise RuntimeError(f"process {pid} is gone")
    # Fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 from field 3.
    ticks = sum(int(value) for value in fields[11:15])
    for child in _children(pid):
        with suppress(RuntimeError):
            ticks += cpu_ticks(child)
    return ticks


def rss_kib(pid: int) -> int:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- tmux ----------------------------------------------------------------------------


class Tmux:
    """A private tmux server; ``close`` kills it and everything in it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "NO_COLOR")}
        self.env["LANG"] = "C.UTF-8"
        self.started = False

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.name, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def new_session(
        self, session: str, size: tuple[int, int], command: str, env: dict[str, str]
    ) -> int:
        """Start ``command`` (exec'd, so the pane's pid is the program's) and return its pid."""
        width, height = size
        extra = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        self.run(
            "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
            *extra, f"exec {command}",
        )  # fmt: skip
        self.started = True
        return int(self.run("display-message", "-p", "-t", session, "#{pane_pid}").strip())

    def capture(self, session: str) -> str:
        return self.run("capture-pane", "-p", "-t", session, check=False)

    def close(self) -> None:
        if self.started:
            socket = self.run("display-message", "-p", "#{socket_path}", check=False).strip()
            self.run("kill-server", check=False)
            self.started = False
            if socket.endswith(f"/{self.name}"):
                with suppress(FileNotFoundError):
                    os.unlink(socket)


@contextmanager
def tmux_server(label: str) -> Iterator[Tmux]:
    tmux = Tmux(f"bench-{label}-{os.getpid()}")
    try:
        # A placeholder session keeps the server up between the measured ones, so
        # timing a new-session never includes the server's own start.
        tmux.new_session("keeper", (80, 24), "sleep 86400", {})
        tmux.run("set", "-g", "default-terminal", "tmux-256color")
        tmux.run("set", "-g", "exit-empty", "off", check=False)
        yield tmux
    finally:
        tmux.close()


# -- steady state --------------------------------------------------------------------


@dataclass
class Variant:
    name: str
    command: str
    env: dict[str, str]
    pid: int = 0
    ticks: int = 0
    pipe_file: Path = Path()
    result: dict[str, Any] = field(default_factory=dict)


def memtui_path() -> str:
    return shutil.which("memtui", path=os.path.dirname(sys.executable)) or "memtui"


def memtui_command(extra: str = "") -> str:
    return f"{shlex.quote(memtui_path())} --interval 1 {extra}".strip()


def make_variants(
    names: Sequence[str], config_home: Path, baseline: Path | None = None
) -> list[Variant]:
    base = {"COLORTERM": "truecolor"}
    table = {
        "btop": Variant("btop", "btop", {**base, "XDG_CONFIG_HOME": str(config_home)}),
        # htop's delay is in tenths of a second.
        "htop": Variant("htop", "htop -d 10", dict(base)),
        "floor": Variant("floor", shlex.join([sys.executable, str(FLOOR)]), dict(base)),
        "memtui": Variant("memtui", memtui_command(), dict(base)),
        "memtui-8": Variant("memtui-8", memtui_command(f"--fields {EIGHT_FIELDS}"), dict(base)),
        "memtui-nocolor": Variant("memtui-nocolor", memtui_command(), {**base, "NO_COLOR": "1"}),
    }
    variants = [table[name] for name in names]
    if baseline is not None:
        env = {**base, "PYTHONPATH": str(baseline.resolve())}
        variants.append(Variant("baseline", memtui_command(), env))
    return variants


def steady_state(
    tmux: Tmux, variants: list[Variant], size: tuple[int, int], warmup: float, duration: float
) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    try:
        for variant in variants:
            variant.pid = tmux.new_session(variant.name, size, variant.command, variant.env)
        time.sleep(warmup)
        start = time.monotonic()
        for variant in variants:
            variant.pipe_file = work / f"{variant.name}.out"
            variant.pipe_file.touch()
            tmux.run("pipe-pane", "-o", "-t", variant.name, f"cat >> {variant.pipe_file}")
            variant.ticks = cpu_ticks(variant.pid)
        time.sleep(duration)
        for variant in variants:
            ticks = cpu_ticks(variant.pid) - variant.ticks
            tmux.run("pipe-pane", "-t", variant.name)  # no command: stop piping
            variant.result = {"ticks": ticks, "rss_kib": rss_kib(variant.pid)}
        elapsed = time.monotonic() - start
        time.sleep(0.3)  # let each pipe's cat write its last bytes
        for variant in variants:
            written = variant.pipe_file.stat().st_size
            variant.result.update(
                {
                    "command": variant.command,
                    "env": variant.env,
                    "seconds": elapsed,
                    "cpu_percent": 100 * variant.result["ticks"] / CLK_TCK / elapsed,
                    "bytes": written,
                    "bytes_per_s": written / elapsed,
                    "screen": tmux.capture(variant.name),
                }
            )
            tmux.run("kill-session", "-t", variant.name, check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- startup -------------------------------------------------------------------------


def time_to_screen(
    tmux: Tmux,
    size: tuple[int, int],
    command: str,
    marks: dict[str, str],
    timeout: float = 30.0,
    env: dict[str, str] | None = None,
) -> dict[str, float]:
    """Seconds from new-session until each mark's text appears in the pane, and for
    each mark NAME, ``NAME_cpu``: the CPU seconds the program had used by then (less
    noisy than wall time on a loaded machine; 10 ms ticks)."""
    session = f"start-{time.monotonic_ns()}"
    seen: dict[str, float] = {}
    start = time.monotonic()
    try:
        pid = tmux.new_session(session, size, command, {"COLORTERM": "truecolor", **(env or {})})
        while len(seen) < 2 * len(marks) and time.monotonic() - start < timeout:
            screen = tmux.capture(session)
            now = time.monotonic() - start
            for name, texts in marks.items():
                # A mark is any of its '|'-separated texts.
                if name not in seen and any(text in screen for text in texts.split("|")):
                    seen[name] = now
                    with suppress(RuntimeError):
                        seen[f"{name}_cpu"] = cpu_ticks(pid) / CLK_TCK
                    seen.setdefault(f"{name}_cpu", math.nan)
            time.sleep(POLL)
    finally:
        tmux.run("kill-session", "-t", session, check=False)
    return seen


def wall(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def import_time_ms(env: dict[str, str] | None = None) -> float:
    """Cumulative import time of memtui.app from ``python -X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import memtui.app"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    for line in reversed(done.stderr.splitlines()):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] == "memtui.app":
            return int(parts[1]) / 1000
    raise RuntimeError("memtui.app not in -X importtime output")


def compile_bytecode(tree: Path) -> None:
    """Write the .pyc files of ``tree``'s memtui package, as an install does: a warm
    start reads them. Under PYTHONDONTWRITEBYTECODE (set on this project's machines)
    an editable install or a ``git archive`` never gets them, and every start would
    compile memtui's own modules from source while Textual's come compiled."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "memtui")],
        check=True,
        capture_output=True,
    )


def startup(
    tmux: Tmux, size: tuple[int, int], starts: int, baseline: Path | None = None
) -> dict[str, Any]:
    """Startup runs of this tree's memtui and, with ``baseline``, of that tree's (put
    first on PYTHONPATH), interleaved run by run so the machine's noise falls on both
    alike. Returns, per tree, every run and the medians."""
    compile_bytecode(BENCH.parent.parent)
    trees: dict[str, dict[str, str]] = {"memtui": {}}
    if baseline is not None:
        compile_bytecode(baseline)
        trees["baseline"] = {"PYTHONPATH": str(baseline.resolve())}
    runs: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    probe_marks: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    work = Path(tempfile.mkdtemp(prefix="bench-dashboard-probe-"))
    try:
        for index in range(starts):
            for name, env in trees.items():
                values, marks = _startup_run(tmux, size, env, work / f"probe-{name}-{index}.json")
                for key, value in values.items():
                    runs[name].setdefault(key, []).append(value)
                probe_marks[name].append(marks)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result: dict[str, Any] = {}
    for name in trees:
        medians = {key: statistics.median(values) for key, values in runs[name].items()}
        probe = {
            key: statistics.median(marks[key] for marks in probe_marks[name])
            for key in probe_marks[name][0]
        }
        result[name] = {
            "runs": runs[name],
            "probe_marks": probe_marks[name],
            "median": medians,
            "probe_median": probe,
        }
    return result


def _startup_run(
    tmux: Tmux, size: tuple[int, int], env: dict[str, str], out: Path
) -> tuple[dict[str, float], dict[str, float]]:
    """One start of each kind, with ``env`` (the tree's PYTHONPATH) for memtui's."""
    # The first sparkline bar of any height means a chart has data on screen.
    header = {"header": " Avail ", "charts": "|".join("▁▂▃▄▅▆▇█")}
    values: dict[str, float] = {}
    floor = time_to_screen(tmux, size, "sh -c 'echo READY; exec sleep 60'", {"f": "READY"})
    values["floor"] = floor["f"]
    seen = time_to_screen(tmux, size, memtui_command(), header, env=env)
    values["header"], values["charts"] = seen["header"], seen["charts"]
    values["header_cpu"] = seen["header_cpu"]
    spawned = time.time()
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(BENCH))} --probe {out}"
    time_to_screen(tmux, size, command, {"done": "PROBE-DONE"}, env=env)
    noted = json.loads(out.read_text())
    marks = noted["marks"]
    if "first_frame" not in marks:
        raise RuntimeError(f"the probe never drew the dashboard: {marks}")
    values["probe_total"] = marks["first_frame"] - spawned
    # CPU seconds of the probe's process (every thread), less noisy than wall time.
    values.update(noted["cpu"])
    values["version"] = wall([memtui_path(), "--version"], {**os.environ, **env})
    values["python"] = wall([sys.executable, "-c", "pass"])
    values["importtime"] = import_time_ms(env) / 1000
    return values, {name: at - spawned for name, at in marks.items()}


# -- probe: runs inside a pane, notes when the first frame is written -------------------


def probe(out: Path) -> None:
    marks = {"interpreter": time.time()}
    from memtui.cli import build_parser
    from memtui.commands.dashboard import build_model

    marks["cli_imported"] = time.time()
    from rich.console import RenderableType
    from textual.screen import Screen

    from memtui.app import MemtuiApp
    from memtui.screens.dashboard_screen import DashboardScreen

    marks["app_imported"] = time.time()
    cpu = {"app_imported_cpu": time.process_time()}
    model = build_model(build_parser().parse_args(["--interval", "1"]))
    marks["model_built"] = time.time()

    class ProbeApp(MemtuiApp):
        # CSS_PATH is relative to the module that defines the class: keep memtui's.
        CSS_PATH = str(
            Path(sys.modules[MemtuiApp.__module__].__file__ or "").parent / "memtui.tcss"
        )

        def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
            # Textual drops the frames it renders while the app still mounts (inside
            # its batch_update): only one outside a batch reaches the terminal.
            written = renderable is not None and not self._batch_count
            super()._display(screen, renderable)
            shown = written and isinstance(screen, DashboardScreen)
            if shown and "first_frame" not in marks:
                marks["first_frame"] = time.time()
                cpu["first_frame_cpu"] = time.process_time()
                self.exit()

    ProbeApp(model).run()
    out.write_text(json.dumps({"marks": marks, "cpu": cpu}))
    print("PROBE-DONE", flush=True)
    time.sleep(5)  # stay on screen until the bench sees it


# -- report --------------------------------------------------------------------------


def steady_report(size: tuple[int, int], variants: list[Variant]) -> None:
    by_name = {variant.name: variant.result for variant in variants}
    width, height = size
    print(f"\n### {width}x{height}, 1 s refresh, {variants[0].result['seconds']:.0f} s window\n")
    print("| program | CPU of one core | written to the terminal | RSS |")
    print("|---|---|---|---|")
    for variant in variants:
        result = variant.result
        print(
            f"| {variant.name} | {result['cpu_percent']:.2f} % "
            f"| {result['bytes_per_s'] / 1000:.2f} KB/s | {result['rss_kib'] / 1024:.0f} MiB |"
        )
    btop = by_name.get("btop")
    if btop:
        # Issue 11's bars: CPU at most 1.5x btop's, bytes at most htop's.
        htop = by_name.get("htop")
        print("\n| program | CPU / btop's (bar: <= 1.5) | bytes / htop's (bar: <= 1) |")
        print("|---|---|---|")
        for variant in variants:
            if variant.name in ("btop", "htop"):
                continue
            cpu_ratio = variant.result["cpu_percent"] / max(btop["cpu_percent"], 1e-9)
            bytes_ratio = (
                variant.result["bytes_per_s"] / max(htop["bytes_per_s"], 1e-9) if htop else 0.0
            )
            verdict = "meets" if cpu_ratio <= 1.5 and bytes_ratio <= 1 else "misses"
            print(f"| {variant.name} | {cpu_ratio:.2f} | {bytes_ratio:.2f} ({verdict} the bars) |")


def report(size: tuple[int, int], variants: list[Variant], start: dict[str, Any] | None) -> None:
    width, height = size
    if variants[0].result:
        steady_report(size, variants)
    if start:
        trees = list(start)
        count = len(start["memtui"]["runs"]["header"])
        heads = " | ".join("before (baseline)" if name == "baseline" else name for name in trees)
        print(f"\n### Startup at {width}x{height}, median of {count}\n")
        print(f"| what | {heads} |")
        print("|---|" + "---|" * len(trees))
        rows = [
            ("tmux spawn + 20 ms poll floor (a shell's echo)", "median", "floor"),
            ("memtui: exec to header on screen", "median", "header"),
            ("memtui: exec to charts on screen", "median", "charts"),
            ("memtui: CPU used by the time the header is on screen", "median", "header_cpu"),
            ("probe: exec to interpreter running", "probe_median", "interpreter"),
            ("probe: + memtui.cli and core imported", "probe_median", "cli_imported"),
            ("probe: + textual and memtui.app imported", "probe_median", "app_imported"),
            ("probe: + model built (first meminfo read)", "probe_median", "model_built"),
            ("probe: + first dashboard frame written", "probe_median", "first_frame"),
            ("probe: CPU used by the imports", "median", "app_imported_cpu"),
            ("probe: CPU used by the first frame written", "median", "first_frame_cpu"),
            ("`memtui --version` (floor of the CLI)", "median", "version"),
            ("`python -c pass`", "median", "python"),
            ("`python -X importtime -c 'import memtui.app'` (cumulative)", "median", "importtime"),
        ]
        for label, table, key in rows:
            cells = " | ".join(f"{start[name][table][key] * 1000:.0f} ms" for name in trees)
            print(f"| {label} | {cells} |")


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(120, 40), help="WxH (120x40)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (60)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before (10)")
    parser.add_argument("--starts", type=int, default=5, help="startup runs; 0 skips (5)")
    parser.add_argument("--variants", default=",".join(ALL_VARIANTS), help="comma-separated")
    parser.add_argument(
        "--baseline", type=Path, help="also run memtui from this source tree (see above)"
    )
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.probe)
        return 0
    names = [name for name in args.variants.split(",") if name]
    unknown = set(names) - set(ALL_VARIANTS)
    if unknown or not names:
        parser.error(f"--variants: choose from {', '.join(ALL_VARIANTS)}")
    exit_on_signals()

    config_home = Path(tempfile.mkdtemp(prefix="bench-dashboard-btop-"))
    try:
        (config_home / "btop").mkdir()
        (config_home / "btop" / "btop.conf").write_text("update_ms = 1000\n")
        if args.baseline is not None and not (args.baseline / "memtui" / "app.py").is_file():
            parser.error(f"--baseline: {args.baseline} holds no memtui source tree")
        variants = make_variants(names, config_home, args.baseline)
        with tmux_server("dashboard") as tmux:
            if args.duration > 0:
                steady_state(tmux, variants, args.size, args.warmup, args.duration)
            start = (
                startup(tmux, args.size, args.starts, args.baseline) if args.starts > 0 else None
            )
    finally:
        shutil.rmtree(config_home, ignore_errors=True)

    report(args.size, variants, start)
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "load_average_after": os.getloadavg(),
        },
        "size": args.size,
        "warmup": args.warmup,
        "duration": args.duration,
        "steady_state": {variant.name: variant.result for variant in variants},
        "startup": start,
    }
    RESULTS.mkdir(exist_ok=True)
    width, height = args.size
    out = RESULTS / f"dashboard-{width}x{height}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nraw: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
