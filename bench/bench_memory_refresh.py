"""CPU of the memory view auto-refreshing a full screen of hex, beside the dashboard's.

    /tmp/venv/bin/python bench/bench_memory_refresh.py [--size 120x40] [--duration 60]
        [--warmup 10]

Measured as bench/bench_dashboard.py measures the dashboard, with its own helpers:
each variant in its own tmux pane of a private tmux server, at the same time, so
the machine's noise falls on both alike; utime+stime from /proc/PID/stat over the
window, as % of one core, and the bytes written to the pty (``tmux pipe-pane``):

- ``dashboard``: ``memtui --interval 1``;
- ``memory-view``: ``memtui --interval 1 --pid TARGET``, which opens the memory view
  with auto-refresh on: every second it re-reads the mappings and every row on
  screen (plus a screen of prefetch above and below), under a freeze, and repaints;
- ``memory-view-changing``: the same on a target whose bytes on screen change every
  100 ms (a byte in each row), so every refresh finds changed bytes to highlight
  and repaints every row;
- ``view-alone`` and ``view-alone-changing``: the memory view by itself, in a bare
  app (this file with ``--view-only PID``): ``memtui --pid`` keeps the dashboard
  sampling beneath the view (its history and leak verdicts go on), so the two
  variants above cost the dashboard's work plus the view's; these are the view's own.

The view opens at the lowest mapping: for tests/targets/pattern_target.c a full
screen of the binary's own bytes, which stay still; the changing target (a small C
program written here) maps its changing page lowest of all. Raw results go to
bench/results/.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_dashboard import (
    Variant,
    _raise_exit,
    memtui_command,
    parse_size,
    report,
    steady_state,
)
from bench_dashboard import tmux_server as dashboard_tmux_server
from bench_results import machine, save_results

ROOT = Path(__file__).resolve().parent.parent
PATTERN = ROOT / "tests" / "targets" / "pattern_target.c"
# Maps 64 KiB at 1 MiB, below everything else, so it is the mapping the view opens
# at; every 100 ms one byte of each of its first 128 rows changes.
CHANGING = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
int main(void) {
    volatile unsigned char *rows = mmap((void *)0x100000, 1 << 16, PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (rows == MAP_FAILED) { perror("mmap"); return 3; }
    printf("%p\n", (void *)rows);
    fflush(stdout);
    struct timespec tick = {0, 100000000};
    for (unsigned n = 0;; n++) {
        for (int row = 0; row < 128; row++) rows[row * 16 + n % 16]++;
        nanosleep(&tick, NULL);
    }
}
"""


def build(tmp: Path) -> tuple[Path, Path]:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise SystemExit("needs gcc or cc")
    pattern = tmp / "pattern_target"
    subprocess.run([compiler, "-O2", "-o", str(pattern), str(PATTERN)], check=True)
    source = tmp / "changing.c"
    source.write_text(CHANGING)
    changing = tmp / "changing_target"
    subprocess.run([compiler, "-O2", "-o", str(changing), str(source)], check=True)
    return pattern, changing


def view_only(pid: int) -> None:
    """Run the memory view of ``pid`` alone (auto-refresh every second)."""
    from textual.app import App

    from memtui.screens.memory_screen import MemoryScreen

    class ViewOnly(App[None]):
        def on_mount(self) -> None:
            self.push_screen(MemoryScreen(pid, 1.0))

    ViewOnly().run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(120, 40), help="WxH (120x40)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (60)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before (10)")
    parser.add_argument("--view-only", type=int, metavar="PID", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.view_only:
        view_only(args.view_only)
        return 0
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _raise_exit)
    with tempfile.TemporaryDirectory() as tmp:
        pattern, changing = build(Path(tmp))
        still = subprocess.Popen([str(pattern)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        moving = subprocess.Popen([str(changing)], stdout=subprocess.PIPE)
        try:
            assert moving.stdout is not None
            rows = moving.stdout.readline().decode().strip()
            env = {"COLORTERM": "truecolor"}
            here = shlex.quote(str(Path(__file__).resolve()))
            alone = f"{shlex.quote(sys.executable)} {here} --view-only"
            variants = [
                Variant("dashboard", memtui_command(), dict(env)),
                Variant("memory-view", memtui_command(f"--pid {still.pid}"), dict(env)),
                Variant("memory-view-changing", memtui_command(f"--pid {moving.pid}"), dict(env)),
                Variant("view-alone", f"{alone} {still.pid}", dict(env)),
                Variant("view-alone-changing", f"{alone} {moving.pid}", dict(env)),
            ]
            if rows != "0x100000":
                raise SystemExit(f"the changing target mapped its page at {rows}")
            with dashboard_tmux_server("memory-refresh") as tmux:
                steady_state(tmux, variants, args.size, args.warmup, args.duration)
        finally:
            for process in (still, moving):
                process.kill()
                process.wait()
    report(args.size, variants, None)
    width, height = args.size
    for variant in variants:
        print(f"\n{variant.name}, last screen:\n{variant.result['screen']}")
    save_results(
        f"memory_refresh-{width}x{height}",
        {
            "machine": machine(),
            "size": args.size,
            "warmup": args.warmup,
            "duration": args.duration,
            "steady_state": {variant.name: variant.result for variant in variants},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
