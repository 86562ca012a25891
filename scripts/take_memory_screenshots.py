"""Write the memory view's screenshots into screenshots/ with run_test + save_screenshot.

    python scripts/take_memory_screenshots.py

They show tests/targets/values_target.c, started with its pages at 0x700000000000,
through the same fixed-address screen and steps as the snapshot tests
(tests/test_snapshots_memory_tools.py), so they are the same on every run:

- memory-view.svg: the mappings and the bytes, the cursor on the values page;
- memory-search.svg: a text search, its two matches highlighted, the results list;
- memory-inspector.svg: the data inspector on a pointer;
- memory-changes.svg: a byte the process changed, highlighted after a refresh.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from targets.pattern import FIXED_ADDRESS  # noqa: E402
from targets.values import build_values_target, start_values_target  # noqa: E402
from test_snapshots_memory import SnapshotApp  # noqa: E402
from test_snapshots_memory_tools import (  # noqa: E402
    changes_for,
    inspector,
    open_values,
    results_list,
)
from textual.pilot import Pilot  # noqa: E402

OUT = ROOT / "screenshots"


async def shoot(
    name: str, pid: int, size: tuple[int, int], steps: Callable[[Pilot[None]], Awaitable[object]]
) -> None:
    app = SnapshotApp(pid)
    async with app.run_test(size=size) as pilot:
        await steps(pilot)
        await pilot.pause(0.2)
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"screenshots/{name}.svg")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        target = start_values_target(build_values_target(Path(tmp)), fixed=FIXED_ADDRESS)
        try:
            await shoot("memory-view", target.pid, (120, 40), open_values)
            await shoot("memory-search", target.pid, (120, 40), results_list)
            await shoot("memory-inspector", target.pid, (160, 40), inspector)
            await shoot("memory-changes", target.pid, (120, 40), changes_for(target))
        finally:
            target.stop()


if __name__ == "__main__":
    asyncio.run(main())
