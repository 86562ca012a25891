"""What the idle dashboard does each second, kept to what it needs (issue 11's cost
bar; the figures are in docs/performance.md, from bench/bench_dashboard.py)."""

from __future__ import annotations

import gc
from pathlib import Path

from conftest import model_from_argv
from textual.worker import Worker

import memtui.app
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


class WorkerCountingApp(MemtuiApp):
    CSS_PATH = str(Path(memtui.app.__file__ or "").parent / "memtui.tcss")
    started: list[str | None]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.started.append(event.worker.group)


async def test_meminfo_is_read_without_a_worker_each_sample() -> None:
    # The read takes ~75 us; a thread worker around it cost several times that (the
    # thread hop, the worker's state messages).
    app = WorkerCountingApp(model_from_argv("--interval", "0.25", "--fields", "MemFree"))
    app.started = []
    async with app.run_test(size=(80, 24)) as pilot:
        samples = len(app.model.history)
        await pilot.pause(1.5)
        assert len(app.model.history) >= samples + 3
    assert "meminfo" not in app.started
    assert "processes" in app.started  # the counting itself works
