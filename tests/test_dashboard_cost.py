"""What the idle dashboard does each second, kept to what it needs (issue 11's cost
bar; the figures are in docs/performance.md, from bench/bench_dashboard.py)."""

from __future__ import annotations

import gc
import itertools
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import model_from_argv
from textual._compositor import ChopsUpdate
from textual.geometry import Region
from textual.widget import Widget
from textual.worker import Worker

import memtui.app
import memtui.screens.dashboard_screen as dashboard_screen
from memtui.app import MemtuiApp
from memtui.core.meminfo.stats import FieldStats
from memtui.core.model.chart_series import ChartSeries, build_series
from memtui.widgets.meminfo_chart import Y_LABEL_WIDTH, MeminfoChart
from memtui.widgets.memory_header import MemoryHeader


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


async def test_meminfo_is_read_off_the_event_loop_by_one_thread_that_ends_with_the_app() -> None:
    # The UI thread never reads /proc: one long-lived reader thread does, asked for
    # each sample, and it is gone once the app has exited.
    def readers() -> list[threading.Thread]:
        return [thread for thread in threading.enumerate() if thread.name == "meminfo-reader"]

    before = set(readers())  # an earlier test's, if its app was still stopping
    app = MemtuiApp(model_from_argv("--interval", "0.25", "--fields", "MemFree"))
    async with app.run_test(size=(80, 24)) as pilot:
        samples = len(app.model.history)
        await pilot.pause(1.5)
        assert len(app.model.history) >= samples + 3
        assert len(set(readers()) - before) == 1
    assert set(readers()) - before == set()


async def test_a_live_tile_builds_its_series_only_when_a_bucket_completes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The title changes every sample, the picture only when a bucket completes:
    # bucketing 300 points of every tile each second was the larger part of the
    # dashboard's own update.
    builds: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> ChartSeries:
        builds.append("build")
        return build_series(*args, **kwargs)

    monkeypatch.setattr(dashboard_screen, "build_series", counted)
    # A 60 s tile about 70 columns wide has 0.85 s buckets: ~3.4 samples fill one.
    model = model_from_argv("--interval", "0.25", "--history", "60", "--fields", "MemFree")
    app = MemtuiApp(model)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(3.5)  # past the first bucket, drawn while it fills
        (tile,) = [tile for tile in app.screen.query(MeminfoChart) if tile.display]
        titles: set[str] = set()
        before, samples, started = len(builds), len(model.history), time.monotonic()
        while time.monotonic() - started < 3.0:
            titles.add(tile.title)
            await pilot.pause(0.1)
        assert tile.series is not None
        bucket = tile.series.x_window / tile.plot_columns
        new_samples = len(model.history) - samples
        built = len(builds) - before
        assert new_samples >= 8
        assert built <= (time.monotonic() - started) / bucket + 2, (built, new_samples)
        assert built < new_samples / 2
        # The title still follows every sample.
        assert len(titles) >= 2
        assert tile.title.startswith("MemFree ")
        latest = model.history.latest["MemFree"]
        assert tile.series.axis[0] <= latest <= tile.series.axis[1]


def recorded_refreshes(widget: Widget) -> list[Region]:
    """The regions ``widget`` marks for Textual to repaint from now on (each is sent
    again): through ``refresh`` or memtui's quiet repaint, both end in ``_set_dirty``."""
    regions: list[Region] = []
    set_dirty = widget._set_dirty

    def recording(*asked: Region) -> None:
        regions.extend(asked or [Region(0, 0, widget.size.width, widget.size.height)])
        set_dirty(*asked)

    widget._set_dirty = recording  # type: ignore[method-assign]
    return regions


async def paused_tile(app: MemtuiApp, pilot: Any) -> MeminfoChart:
    """The one tile shown, with sampling paused: only what the test gives reaches it."""
    await pilot.press("space")
    await pilot.pause()
    (tile,) = [tile for tile in app.screen.query(MeminfoChart) if tile.display]
    return tile


def title_stats(value: float) -> FieldStats:
    """A tile's stats at ``value``, with a rate to show."""
    return FieldStats(value, value, value, 0.0, 1.5 * (1 << 20), 0.9, 60, 100.0)


async def test_a_new_title_or_picture_repaints_only_the_cells_that_changed() -> None:
    # Each repainted span costs a cursor move and a colour escape (~45 bytes in true
    # colour), then its characters: the ten titles and the bars that shift when a
    # bucket completes were most of the bytes the dashboard sent.
    app = MemtuiApp(model_from_argv("--fields", "MemFree"))
    async with app.run_test(size=(80, 24)) as pilot:
        tile = await paused_tile(app, pilot)
        gib = float(1 << 30)
        stats = title_stats

        def series(seconds: int, axis: tuple[float, float] | None) -> ChartSeries:
            times = [float(t) for t in range(seconds)]
            values = [gib + (1 << 20) * (t % 13) for t in range(seconds)]
            return build_series(times, values, 299.5, 300.0, tile.plot_columns, axis=axis)

        first = series(200, None)
        tile.update_chart(stats(gib), first, 120.0)
        await pilot.pause()
        regions = recorded_refreshes(tile)
        tile.update_title(stats(1.01 * gib), 120.0)  # "1.00 GiB" -> "1.01 GiB"
        (changed,) = regions
        assert changed.y == 0 and changed.height == 1 and changed.width == 1
        assert tile.render_line(0).text[changed.x] == "1"
        regions.clear()
        tile.update_chart(stats(1.01 * gib), series(210, first.axis), 120.0)
        assert regions and all(region.height == 1 and region.y >= 1 for region in regions)
        # The y labels did not change: the rows are repainted from the bars on.
        assert all(region.x >= Y_LABEL_WIDTH for region in regions)
        assert all(region.right <= tile.size.width for region in regions)
        # The bars of a row are one segment, blanks included: one escape.
        for y in range(1, tile.size.height):
            segments = list(tile.render_line(y))
            assert len(segments) <= 2, [segment.text for segment in segments]


async def test_a_new_figure_in_the_header_repaints_only_the_cells_that_changed() -> None:
    app = MemtuiApp(model_from_argv("--fields", "MemFree"))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("space")  # paused: only what the test gives reaches the header
        await pilot.pause()
        header = app.screen.query_one(MemoryHeader)
        gib = 1 << 30
        sample = {"MemTotal": 16 * gib, "MemAvailable": 8 * gib, "Committed_AS": 2 * gib,
                  "CommitLimit": 12 * gib, "SwapTotal": 0, "SwapFree": 0}  # fmt: skip
        header.show(sample, "live 1s")
        await pilot.pause()
        regions = recorded_refreshes(header)
        header.show({**sample, "MemAvailable": 9 * gib}, "live 1s")  # "8.00 GiB" -> "9.00"
        (changed,) = regions
        assert (changed.y, changed.height, changed.width) == (0, 1, 1)
        assert "Avail 9.00 GiB" in str(header.content)
        (line,) = header.render_lines(Region(0, 0, header.outer_size.width, 1))
        assert line.cell_length == 100 and line.text.startswith(" Tot")
        assert len(list(line)) == 1  # one segment: one colour escape
        regions.clear()
        header.show({**sample, "MemAvailable": 9 * gib}, "live 1s")
        assert regions == []  # nothing changed, nothing sent


async def test_a_new_title_reaches_the_screen_without_a_message_to_the_tile() -> None:
    # Textual's refresh posts a Prompt to the tile and, on the tile's idle, an Update
    # to the screen: with ten tiles, 18 of the idle dashboard's 24 messages a second.
    app = MemtuiApp(model_from_argv("--fields", "MemFree"))
    async with app.run_test(size=(80, 24)) as pilot:
        tile = await paused_tile(app, pilot)
        gib = float(1 << 30)
        tile.update_title(title_stats(gib), 120.0)
        await pilot.pause()
        posted: list[str] = []
        for pump in (tile, app.screen):
            post = pump.post_message

            def recording(message: Any, post: Any = post, pump: Any = pump) -> bool:
                posted.append(f"{type(pump).__name__}:{type(message).__name__}")
                return bool(post(message))

            pump.post_message = recording  # type: ignore[method-assign]
        frames: list[ChopsUpdate] = []
        display = app._display

        def captured(screen: Any, renderable: Any) -> None:
            if isinstance(renderable, ChopsUpdate):
                frames.append(renderable)
            display(screen, renderable)

        app._display = captured  # type: ignore[method-assign]
        tile.update_title(title_stats(1.01 * gib), 120.0)
        await pilot.pause()
        await pilot.pause()
        # (The Callbacks are the pilot's own, waiting for the screen to settle.)
        assert "MeminfoChart:Prompt" not in posted, posted
        assert "DashboardScreen:Update" not in posted, posted
        # The frame that followed repainted the changed cell of the title ("1.00" ->
        # "1.01"), on the tile's first line.
        cell = tile.title.index("1.01 GiB") + 3 + 1  # after the line's leading space
        x, y = tile.region.x + cell, tile.region.y
        assert any(
            (line, x1) <= (y, x) and x < x2 and line == y
            for frame in frames
            for line, x1, x2 in frame.spans
        ), [frame.spans for frame in frames]
        assert tile.render_line(0).text[cell] == "1"


async def test_the_reader_thread_keeps_the_pace_and_reads_nothing_while_paused() -> None:
    # The pace is the reader's own wait, not a Textual timer (a task, an event and a
    # callback on the event loop each second); pausing drops the read it waits for.
    app = MemtuiApp(model_from_argv("--interval", "0.25", "--fields", "MemFree"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        reader = app._meminfo_reader
        assert reader is not None
        reads: list[float] = []
        deliver = reader._deliver

        def counted(at: float, sample: Any, error: Any) -> None:
            reads.append(time.monotonic())
            deliver(at, sample, error)

        reader._deliver = counted  # type: ignore[method-assign]
        await pilot.pause(1.5)
        assert 4 <= len(reads) <= 8, len(reads)  # about one read each 0.25 s
        assert all(b - a > 0.15 for a, b in itertools.pairwise(reads)), reads
        assert not [timer for timer in app._timers if timer.name == "meminfo-poll"]
        await pilot.press("space")
        await pilot.pause(0.1)
        paused = len(reads)
        await pilot.pause(1.0)
        assert len(reads) == paused
        samples = len(app.model.history)
        await pilot.press("space")
        await pilot.pause(1.0)
        assert len(reads) >= paused + 3
        assert len(app.model.history) >= samples + 3
