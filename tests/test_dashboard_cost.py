"""What the idle dashboard does each second, kept to what it needs (issue 11's cost
bar; the figures are in docs/performance.md, from bench/bench_dashboard.py)."""

from __future__ import annotations

import gc

from conftest import model_from_argv

from memtui.app import MemtuiApp


async def test_what_startup_built_is_frozen_out_of_the_collectors_full_passes() -> None:
    # A full collection walked the ~80,000 objects of the modules, screens and caches
    # that live as long as the app: 60 ms about once a minute.
    gc.unfreeze()
    app = MemtuiApp(model_from_argv("--fields", "MemFree"))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            if gc.get_freeze_count():
                break
            await pilot.pause(0.05)
        assert gc.get_freeze_count() > 10_000
