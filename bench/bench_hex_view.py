"""Page Down in a 1 GiB mapping: app time per key, and the app's memory after scrolling.

    /tmp/venv/bin/python bench/bench_hex_view.py [--mib 1024] [--keys 200] [--sweep 16384]

Starts a target holding a ``--mib`` MiB mapping (every 8 bytes hold their own offset,
so each row read is checked), opens the memory view on it in a Pilot-driven app at
120x40, and then:

- ``pagedown``: ``--keys`` times, jumps to a random place in the mapping (not
  timed), waits for that screen, then times one Page Down from the key event
  reaching the app until every row on screen has been drawn with bytes read for
  it (the prefetch makes this the common case: the next screen was read along
  with the current one). The key goes in as the terminal driver sends it; a second
  Page Down through ``pilot.press`` is reported apart, since Pilot then waits for
  the CPU to go idle, which is test pacing, not app time;
- ``pagedown_held``: runs of 50 Page Downs in a row from random places, each timed
  the same way, as when the key is held down, and the CPU time they cost (all the
  app's threads plus this bench's poll loop: an upper bound on app time per key);
- ``cold_jump``: the jump itself (``HexView.go_to``, what ``g`` does), whose rows were never read
  (a full round trip through the session thread and one freeze);
- ``sweep``: visits ``--sweep`` places evenly spread over the whole mapping (plus a
  Page Down at each), and reports the app's RSS before and after, to show that
  the caches keep memory bounded however far one scrolls.

Times are wall time in the app's process, press to drawn, median and p95. Reads
freeze the target (the default mode). Raw results go to bench/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_results import machine, save_results
from textual import events
from textual.app import App

from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.hex_view import HexView

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "targets" / "pattern_target.c"
SIZE = (120, 40)


class BenchApp(App[None]):
    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid

    def on_mount(self) -> None:
        self.push_screen(MemoryScreen(self.pid, auto_refresh=False))


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values) * 1000, 3),
        "p95_ms": round(percentile(values, 0.95) * 1000, 3),
        "max_ms": round(max(values) * 1000, 3),
        "n": len(values),
    }


# Polling period: a sleep, not sleep(0), so that the event loop blocks in select()
# and lets go of the GIL as an idle app does; a busy poll would hold the GIL and
# delay the session thread by the 5 ms switch interval at every handoff.
POLL = 0.0002


async def drawn(hex_view: HexView, moved_from: int | None = None, timeout: float = 10.0) -> None:
    """Wait until the view has scrolled away from ``moved_from`` (the key was handled)
    and every row on screen shows current bytes and has been painted."""
    deadline = time.perf_counter() + timeout
    while (moved_from is not None and int(hex_view.scroll_y) == moved_from) or not (
        hex_view.visible_rows_loaded() and hex_view.visible_rows_drawn()
    ):
        if time.perf_counter() > deadline:
            raise RuntimeError("the hex view did not fill the screen in time")
        await asyncio.sleep(POLL)


def send_key(app: App[None], key: str) -> None:
    """Deliver a key as the terminal driver does: what Pilot.press does, minus its
    waits for the CPU to go idle (~100 ms each), which would swamp what is measured."""
    assert app._driver is not None
    event = events.Key(key, None)
    event.set_sender(app)
    app._driver.send_message(event)


def check_rows(hex_view: HexView, big: int) -> None:
    """The bytes on screen are the target's: each 8 bytes hold their own offset."""
    top = int(hex_view.scroll_y)
    address = hex_view.row_layout.row_address(top)
    assert address is not None
    text = hex_view.row_text(top)
    expected = (address - big).to_bytes(8, "little").hex(" ")
    assert text[13:36] == expected, (text, expected)


async def run(pid: int, big: int, size: int, keys: int, sweep: int, seed: int) -> dict[str, Any]:
    chance = random.Random(seed)
    app = BenchApp(pid)
    results: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        while not (isinstance(app.screen, MemoryScreen) and app.screen.mappings):
            await pilot.pause(0.02)
        screen = app.screen
        hex_view = screen.query_one(HexView)
        height = hex_view.scrollable_content_region.height
        screen_bytes = 16 * height

        def random_place() -> int:
            # Leave room for the Page Down to stay inside the mapping.
            return big + chance.randrange(0, size - 4 * screen_bytes) // 16 * 16

        page_times: list[float] = []
        cold_times: list[float] = []
        read_times: list[float] = []
        pilot_times: list[float] = []
        for _ in range(keys):
            started = time.perf_counter()
            assert hex_view.go_to(random_place())
            await drawn(hex_view)
            cold_times.append(time.perf_counter() - started)
            await pilot.pause()
            top = int(hex_view.scroll_y)
            started = time.perf_counter()
            send_key(app, "pagedown")
            await drawn(hex_view, moved_from=top)
            page_times.append(time.perf_counter() - started)
            check_rows(hex_view, big)
            # The same key through Pilot, for comparison: its idle waits dominate.
            top = int(hex_view.scroll_y)
            started = time.perf_counter()
            await pilot.press("pagedown")
            await drawn(hex_view, moved_from=top)
            pilot_times.append(time.perf_counter() - started)
            if screen.status.startswith("read "):
                read_times.append(float(screen.status.split(", ")[1].removesuffix(" ms")) / 1000)
        # Held Page Down: screen after screen from one place, each waited for.
        run_times: list[float] = []
        cpu_per_key: list[float] = []
        for _ in range(max(1, keys // 50)):
            assert hex_view.go_to(big + chance.randrange(0, size // 2) // 16 * 16)
            await drawn(hex_view)
            cpu_started = time.process_time()
            for _ in range(50):
                top = int(hex_view.scroll_y)
                started = time.perf_counter()
                send_key(app, "pagedown")
                await drawn(hex_view, moved_from=top)
                run_times.append(time.perf_counter() - started)
            # CPU of every thread of the app (UI and session), and of this poll loop,
            # so an upper bound on the work a key costs.
            cpu_per_key.append((time.process_time() - cpu_started) / 50)
            check_rows(hex_view, big)
        results["pagedown"] = summary(page_times)
        results["pagedown_held"] = summary(run_times)
        results["cpu_per_key_ms"] = round(statistics.median(cpu_per_key) * 1000, 3)
        results["cold_jump"] = summary(cold_times)
        results["pagedown_via_pilot_press"] = summary(pilot_times)
        results["session_read"] = summary(read_times) if read_times else None

        before = rss_bytes()
        checkpoints = []
        stride = max(16, size // sweep // 16 * 16)
        for index in range(sweep):
            hex_view.go_to(big + min(index * stride, size - 4 * screen_bytes))
            await drawn(hex_view)
            top = int(hex_view.scroll_y)
            send_key(app, "pagedown")
            await drawn(hex_view, moved_from=top)
            if (index + 1) % max(1, sweep // 8) == 0:
                checkpoints.append({"places": index + 1, "rss_mib": round(rss_bytes() / 2**20, 1)})
        after = rss_bytes()
        results["sweep"] = {
            "places": sweep,
            "stride_bytes": stride,
            "covered_mib": round(sweep * stride / 2**20, 1),
            "rss_before_mib": round(before / 2**20, 1),
            "rss_after_mib": round(after / 2**20, 1),
            "checkpoints": checkpoints,
        }
        results["rows_on_screen"] = height
        results["session_reads"] = screen.session.reads if screen.session else None
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=1024, help="size of the mapping (MiB)")
    parser.add_argument("--keys", type=int, default=200, help="timed Page Downs")
    parser.add_argument("--sweep", type=int, default=16384, help="places visited for memory")
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()

    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        print("needs gcc or cc", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "pattern_target"
        subprocess.run([compiler, "-O2", "-o", str(binary), str(SOURCE)], check=True)
        target = subprocess.Popen(
            [str(binary), "-", str(args.mib)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        try:
            assert target.stdout is not None
            line = target.stdout.readline().decode()
            fields = dict(part.split("=", 1) for part in line.split())
            big, size = int(fields["big"], 16), int(fields["big_size"])
            results = asyncio.run(run(target.pid, big, size, args.keys, args.sweep, args.seed))
        finally:
            target.kill()
            target.wait()
    results["config"] = {
        "mib": args.mib,
        "keys": args.keys,
        "terminal": list(SIZE),
        "mode": "freeze",
        **machine(),
    }
    print(json.dumps(results, indent=2))
    save_results("hex_view", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
