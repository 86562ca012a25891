"""Write the README's screenshots into screenshots/ with run_test + save_screenshot.

    python scripts/take_screenshots.py

The dashboard pictures replay real recordings so they are the same on every machine:
the hero image is tests/data/recordings/demo-leak.db (made by scripts/record_demo.py:
`memtui record` while `memtui demo-leak` leaked 150 MiB/min), stepped to 25 seconds
after the recorder's verdict named it, with its evidence beside it; the others
replay a CSV of a process leaking 3 MiB/s. The process picker shows this machine's
processes; the leak verdict is a live detection of `memtui demo-leak` started for the
picture.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from memtui.app import MemtuiApp  # noqa: E402
from memtui.cli import build_parser  # noqa: E402
from memtui.commands.dashboard import build_model  # noqa: E402

RECORDING = ROOT / "tests" / "data" / "recordings" / "leak-3mib-per-s.csv"
STORE = ROOT / "tests" / "data" / "recordings" / "demo-leak.db"
OUT = ROOT / "screenshots"


def app_for(*argv: str) -> MemtuiApp:
    return MemtuiApp(build_model(build_parser().parse_args(list(argv))))


async def _loaded(app: MemtuiApp) -> None:
    replay = app.model.replay
    while replay is not None and replay.loading is not None:
        await asyncio.sleep(0.05)


async def shoot(
    name: str, app: MemtuiApp, keys: Sequence[str], size: tuple[int, int], wait: float = 0.5
) -> None:
    async with app.run_test(size=size) as pilot:
        await _loaded(app)
        await pilot.pause(wait)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.1)
        await _loaded(app)  # the page a jump in time asked for
        await pilot.pause(wait)
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"screenshots/{name}.svg")


async def shoot_leak(name: str) -> None:
    """The dashboard once its verdict names a running `memtui demo-leak`."""
    leak = subprocess.Popen(
        [sys.executable, "-m", "memtui", "demo-leak", "--duration", "90"],
        stderr=subprocess.DEVNULL,
    )
    try:
        app = app_for("--fields", "AnonPages,Committed_AS,MemAvailable")
        async with app.run_test(size=(120, 40)) as pilot:
            deadline = time.monotonic() + 60
            while not app.model.verdict.suspected and time.monotonic() < deadline:
                await pilot.pause(0.5)
            await pilot.pause(6)  # a few more samples, so the rate has settled
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    finally:
        leak.terminate()
        leak.wait()
    print(f"screenshots/{name}.svg")


def verdict_moment() -> str:
    """25 s after the recorder first named a process, as ``b`` takes it."""
    from memtui.core.store.recording_store import StoreReader
    from memtui.core.time_expression import format_moment

    reader = StoreReader(str(STORE))
    span = reader.time_range()
    assert span is not None
    fired = next(v for v in reader.verdicts(*span) if v.suspected)
    reader.close()
    return format_moment(fired.t + 25)


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    replay = ("--replay", str(RECORDING))
    moment = ["b", *verdict_moment(), "enter"]
    hero = ("--replay", str(STORE), "--fields", "AnonPages,Committed_AS,MemAvailable,MemFree")
    await shoot("dashboard", app_for(*hero), moment, (120, 40))
    await shoot("evidence", app_for(*hero), [*moment, "e"], (120, 40), wait=1.0)
    await shoot("dashboard-80x24", app_for(*hero), moment, (80, 24))
    await shoot("field-picker", app_for(*replay), ["f", "down", "down"], (120, 40))
    await shoot("zoom", app_for(*replay), ["right", "enter"], (120, 40))
    await shoot("processes", app_for("--fields", "MemFree"), ["2"], (120, 40), wait=1.5)
    await shoot_leak("leak-verdict")


if __name__ == "__main__":
    asyncio.run(main())
