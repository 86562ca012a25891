"""The dashboard driven as a user would: real /proc/meminfo, key presses, Pilot."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import LEAK_RECORDING, model_from_argv, replay_ready
from rich.console import RenderableType
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import Static

from memtui.app import PROCESS_INTERVAL, PROCESS_INTERVAL_IDLE, MemtuiApp
from memtui.core.meminfo.fields import field_meaning
from memtui.core.meminfo.parser import read_meminfo
from memtui.core.model.chart_series import ChartSeries, build_series
from memtui.core.model.dashboard_model import DashboardModel
from memtui.core.processes.process_history import RAW_SPAN
from memtui.core.raw_span import capacity_for
from memtui.screens.dashboard_screen import DashboardScreen
from memtui.screens.field_picker_screen import FieldPickerScreen
from memtui.screens.help_screen import HelpScreen
from memtui.screens.zoom_screen import ZoomScreen
from memtui.widgets.leak_panel import LOADING_PROCESSES, GrowthPanel, LeakVerdictBar
from memtui.widgets.meminfo_chart import MeminfoChart
from memtui.widgets.series_plot import SeriesPlot


def tiles(app: MemtuiApp) -> list[MeminfoChart]:
    return [tile for tile in app.screen.query(MeminfoChart) if tile.display]


async def test_charts_update_as_samples_arrive(live_model: Callable[..., DashboardModel]) -> None:
    model = live_model("--fields", "MemFree,Committed_AS")
    app = MemtuiApp(model)
    async with app.run_test(size=(120, 40)) as pilot:
        first_count = len(model.history)
        await pilot.pause(2.0)
        assert len(model.history) >= first_count + 4  # ~4 samples a second
        shown = tiles(app)
        assert [tile.field for tile in shown] == ["MemFree", "Committed_AS"]
        memfree = shown[0]
        # No rate before the fit has its points: half of the 8 s rate window here.
        assert memfree.title.startswith("MemFree ") and "  rate in " in memfree.title
        header = app.screen.query_one("#memory-header")
        assert "warming up" in str(header.content)  # type: ignore[attr-defined]
        await pilot.pause(3.0)
        assert "/min" in memfree.title and "rate in" not in memfree.title
        await pilot.pause(4.0)  # the 8 s tiles are full: no longer warming up
        assert "warming up" not in str(header.content)  # type: ignore[attr-defined]
        series = memfree.series
        assert series is not None and len(series.xs) >= 2  # points drawn from the samples
        # One bar column per bucket, drawn at the right edge of the tile.
        bottom = memfree.render_line(memfree.size.height - 1).text
        bars = bottom.split("▏", 1)[1]
        assert bars.rstrip() == bars and len(bars.strip()) == len(series.ys)
        assert memfree.render_line(0).text.strip() == memfree.title
        assert memfree.redraws >= 1


async def test_tiles_rebuild_only_when_a_bucket_completes() -> None:
    # A 60 s tile about 70 columns wide has 0.85 s buckets: ~3.4 samples fill one.
    model = model_from_argv("--interval", "0.25", "--history", "60", "--fields", "MemFree")
    app = MemtuiApp(model)
    async with app.run_test(size=(80, 24)) as pilot:
        # Past the first layout and the first bucket, which a fresh tile draws
        # while they fill (FIRST_BUCKETS_LIVE).
        await pilot.pause(3.5)
        tile = tiles(app)[0]
        builds, samples = tile.redraws, len(model.history)
        started = time.monotonic()
        await pilot.pause(3.0)
        elapsed = time.monotonic() - started
        new_samples = len(model.history) - samples
        assert tile.series is not None
        bucket = tile.series.x_window / tile.series.key[1]  # type: ignore[operator]
        assert bucket > 2 * model.interval  # else every sample would complete one
        # Each sample updates the title, but the plot is rebuilt only when one of
        # its buckets completes.
        assert tile.redraws - builds <= math.ceil(elapsed / bucket) + 1
        assert tile.redraws - builds < new_samples / 2


async def test_default_fields_fill_a_large_terminal_and_fewer_fit_at_80x24(
    live_model: Callable[..., DashboardModel],
) -> None:
    app = MemtuiApp(live_model())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        large = [tile.field for tile in tiles(app)]
        # Issue 2's order, less the swap fields on a machine without swap.
        swap = ["SwapFree"] if read_meminfo().get("SwapTotal", 0) else []
        expected = ["Committed_AS", "AnonPages", "MemFree", "Cached", *swap, "MemAvailable"]
        assert large[: len(expected)] == expected
        assert len(large) >= 9
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        small = [tile.field for tile in tiles(app)]
        assert 2 <= len(small) < len(large)
        assert small == large[: len(small)]


def test_warming_up_ends_when_a_full_ring_spans_the_window_within_a_reads_jitter() -> None:
    # The reader reads on a fixed beat: a full ring of an 8 s history at 1 s holds 9
    # samples 8 s apart, give or take how late each read woke. A first read 2 ms
    # later than the last kept the header saying "warming up" for good.
    model = model_from_argv("--interval", "1", "--history", "8")
    sample = read_meminfo()
    if model.history.latest_time is None:
        model.add_sample(time.time(), sample)
    first = model.history.latest_time
    assert first is not None and model.history.first_time == first
    start = first - 0.002  # the first read woke 2 ms later than the others
    for second in range(1, 7):
        model.add_sample(start + second, sample)
    assert "warming up" in model.status_text()  # 6 s of an 8 s window
    model.add_sample(start + 7.0, sample)
    assert "warming up" in model.status_text()  # 7 s: a sample short
    model.add_sample(start + 8.0, sample)
    assert "warming up" not in model.status_text()  # 7.998 s: full
    assert "tiles 8s" in model.status_text()


async def test_field_picker_changes_the_charts_in_chosen_order(
    live_model: Callable[..., DashboardModel],
) -> None:
    model = live_model("--fields", "MemFree")
    app = MemtuiApp(model)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        assert isinstance(app.screen, FieldPickerScreen)
        picker = app.screen
        assert "Committed_AS" in picker.available and "Slab" in picker.available
        await pilot.press("c")  # clear MemFree
        # Choose Slab first, then MemTotal: order of choosing is the charts' order.
        for name in ("Slab", "MemTotal"):
            picker.query_one("OptionList").highlighted = picker.available.index(name)  # type: ignore[attr-defined]
            await pilot.press("space")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert [tile.field for tile in tiles(app)] == ["Slab", "MemTotal"]
        assert model.chart_fields == ["Slab", "MemTotal"]


async def test_field_picker_filters_by_what_is_typed_in_any_case(
    live_model: Callable[..., DashboardModel],
) -> None:
    model = live_model("--fields", "MemFree")
    app = MemtuiApp(model)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f", "c", "slash", *"ANONPAG")
        picker = app.screen
        assert isinstance(picker, FieldPickerScreen)
        assert picker.shown == ["AnonPages"]
        await pilot.press("enter", "space", "enter")  # leave the filter, choose, apply
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert model.chart_fields == ["AnonPages"]
        # Esc clears the filter before it cancels.
        await pilot.press("f", "slash", *"swap")
        picker = app.screen
        assert isinstance(picker, FieldPickerScreen)
        meant = [f"{name} {field_meaning(name)}".lower() for name in picker.shown]
        assert meant and all("swap" in text for text in meant)
        await pilot.press("escape")
        assert picker.shown == picker.available
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_field_picker_escape_keeps_the_old_choice(
    live_model: Callable[..., DashboardModel],
) -> None:
    app = MemtuiApp(live_model("--fields", "MemFree,Cached"))
    async with app.run_test() as pilot:
        await pilot.press("f", "c", "escape")
        assert isinstance(app.screen, DashboardScreen)
        assert [tile.field for tile in tiles(app)] == ["MemFree", "Cached"]


async def test_enter_zooms_the_focused_chart_and_escape_returns(
    live_model: Callable[..., DashboardModel],
) -> None:
    app = MemtuiApp(live_model("--fields", "MemFree,Cached,Slab"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right")  # focus moves to the Cached tile
        await pilot.press("enter")
        assert isinstance(app.screen, ZoomScreen)
        assert app.screen.field == "Cached"
        await pilot.pause(0.6)
        plot = app.screen.query_one(SeriesPlot)
        assert plot.series is not None and plot.series.x_window == app.model.zoom_window()
        title = str(app.screen.query_one("#zoom-title").content)  # type: ignore[attr-defined]
        assert title.startswith("Cached ") and "min " in title and "max " in title
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_click_zooms_a_chart(live_model: Callable[..., DashboardModel]) -> None:
    app = MemtuiApp(live_model("--fields", "MemFree,Cached"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.click(MeminfoChart, offset=(10, 4))
        assert isinstance(app.screen, ZoomScreen)


async def test_space_pauses_and_resumes_sampling(live_model: Callable[..., DashboardModel]) -> None:
    model = live_model("--fields", "MemFree")
    app = MemtuiApp(model)
    async with app.run_test() as pilot:
        await pilot.pause(0.6)
        await pilot.press("space")
        assert model.paused
        await pilot.pause(0.3)  # let an in-flight read land (it is dropped)
        paused_at = len(model.history)
        await pilot.pause(1.0)
        assert len(model.history) == paused_at
        assert "PAUSED" in str(app.screen.query_one("#memory-header").content)  # type: ignore[attr-defined]
        await pilot.press("space")
        await pilot.pause(1.0)
        assert not model.paused and len(model.history) > paused_at


async def test_plus_and_minus_change_the_interval(
    live_model: Callable[..., DashboardModel],
) -> None:
    model = model_from_argv("--interval", "1", "--fields", "MemFree")
    app = MemtuiApp(model)
    async with app.run_test() as pilot:
        await pilot.press("plus")
        assert model.interval == 2.0
        await pilot.press("minus", "minus")
        assert model.interval == 0.5
        await pilot.pause(1.6)
        # At 0.5 s a second and a half holds about three new samples.
        assert len(model.history) >= 3
        assert "live 0.5s" in str(app.screen.query_one("#memory-header").content)  # type: ignore[attr-defined]


async def test_help_lists_every_key(live_model: Callable[..., DashboardModel]) -> None:
    app = MemtuiApp(live_model("--fields", "MemFree"))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = {key for row, _ in app.screen.keys for key in row.split()}
        for key in ("q", "?", "1", "2", "space", "+", "-", "f", "^p"):
            assert key in keys, key
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_one_returns_to_the_dashboard_from_zoom(
    live_model: Callable[..., DashboardModel],
) -> None:
    app = MemtuiApp(live_model("--fields", "MemFree"))
    async with app.run_test() as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, ZoomScreen)
        await pilot.press("1")
        assert isinstance(app.screen, DashboardScreen)


async def test_q_quits(live_model: Callable[..., DashboardModel]) -> None:
    app = MemtuiApp(live_model("--fields", "MemFree"))
    async with app.run_test() as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_record_then_replay_round_trip(tmp_path: Path) -> None:
    recording = tmp_path / "rec.csv"
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "record", "--count", "6", "--interval", "0.2",
         "--fields", "MemTotal,MemFree", "--output", str(recording)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    app = MemtuiApp(model_from_argv("--replay", str(recording), "--fields", "MemFree,MemTotal"))
    async with app.run_test(size=(120, 30)) as pilot:
        await replay_ready(pilot)
        model = app.model
        assert len(model.history) == 6  # every recorded sample, and no live ones
        shown = tiles(app)
        assert [tile.field for tile in shown] == ["MemFree", "MemTotal"]
        total = int(recording.read_text().splitlines()[-1].split(",")[1])
        from memtui.core.units import format_bytes_short

        assert shown[1].title.startswith(f"MemTotal {format_bytes_short(total)}")
        header = str(app.screen.query_one("#memory-header").content)  # type: ignore[attr-defined]
        assert "replay rec.csv" in header
        await pilot.press("space")
        assert not model.paused and model.playing  # space plays a replay
        assert len(model.history) == 6


def test_bad_replay_file_is_one_line_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,recording\n")
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "--replay", str(bad)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "line 1 must be" in result.stderr and "Traceback" not in result.stderr


def test_unknown_field_on_the_command_line_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "--fields", "NoSuchField"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "NoSuchField" in result.stderr and "Traceback" not in result.stderr


async def test_no_color_live_dashboard_renders(
    live_model: Callable[..., DashboardModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = MemtuiApp(live_model())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(2.5)  # several buckets: bars are drawn through the mono filter
        assert app.no_color
        shown = tiles(app)
        assert any(tile.redraws for tile in shown)
        strips = app.screen._compositor.render_strips()
        assert any("▏" in strip.text for strip in strips)


async def test_a_sample_that_lands_after_quitting_is_ignored(
    live_model: Callable[..., DashboardModel],
) -> None:
    from memtui.messages import MeminfoSampled

    app = MemtuiApp(live_model("--fields", "MemFree"))
    async with app.run_test() as pilot:
        await pilot.press("q")
    # The read worker can finish after the screens are gone (seen in CI as
    # ScreenStackError); a late sample must be dropped quietly.
    assert not app.screen_stack
    app.on_meminfo_sampled(MeminfoSampled(time.time(), {"MemFree": 1 << 30}))


async def test_a_replay_redraws_its_charts_for_the_width_they_got() -> None:
    # A replay never gets another sample: a chart built before its tile had its size
    # (a page that loads before the first layout, a resize) must be built again.
    app = MemtuiApp(model_from_argv("--replay", str(LEAK_RECORDING)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        for size in ((80, 24), (200, 50), (100, 30)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            for tile in tiles(app):
                assert tile.series is not None
                assert tile.series.key[1] == tile.plot_columns, (size, tile.field)
                # The size a tile keeps is the one Textual gave it last.
                assert tile._cells == tile.size, (size, tile.field)
                lines = [tile.render_line(y) for y in range(tile.size.height)]
                assert {line.cell_length for line in lines} == {tile.size.width}


async def test_htops_f1_helps_and_f10_quits() -> None:
    app = MemtuiApp(model_from_argv("--replay", str(LEAK_RECORDING)))
    async with app.run_test(size=(80, 24)) as pilot:
        await replay_ready(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("f10")
        await pilot.pause()
        assert not app.is_running


# What the first dashboard frame does not need: the memory view (pyelftools), the
# zoomed and evidence charts (plotext), Prometheus (httpx) and the recording store.
# Importing them before the first frame was half of the 0.6 s start (docs/performance.md).
DEFERRED_IMPORTS = (
    "plotext",
    "textual_plotext",
    "httpx",
    "memtui.core.store.recording_store",
    "memtui.screens.memory_screen",
    "memtui.screens.process_picker_screen",
    "memtui.screens.zoom_screen",
    "memtui.screens.evidence_screen",
    "memtui.screens.fleet_screen",
    "memtui.screens.help_screen",
)
# psutil: the first process read, after the first frame, imports it (6-10 ms).
NOT_FOR_THE_FIRST_FRAME = (*DEFERRED_IMPORTS, "elftools", "psutil")


def test_the_dashboard_imports_only_what_its_first_frame_needs() -> None:
    code = (
        "import sys\n"
        "from memtui.cli import build_parser\n"
        "from memtui.commands.dashboard import build_model\n"
        "from memtui.app import MemtuiApp\n"
        "MemtuiApp(build_model(build_parser().parse_args([])))\n"
        f"print(sorted(name for name in {NOT_FOR_THE_FIRST_FRAME!r} if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


async def test_the_other_screens_are_imported_after_the_first_frame() -> None:
    # Deferred, not dropped: they load in the background once the dashboard is up,
    # so the first `2`, Enter or `e` does not wait for an import.
    app = MemtuiApp(model_from_argv("--fields", "MemFree"))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if all(name in sys.modules for name in DEFERRED_IMPORTS):
                break
            await pilot.pause(0.05)
        assert [name for name in DEFERRED_IMPORTS if name not in sys.modules] == []


async def test_a_tile_repaints_only_the_rows_that_change_one_escape_per_style() -> None:
    app = MemtuiApp(model_from_argv("--fields", "MemFree"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")  # paused: only the series below reach the tile
        await pilot.pause()
        tile = tiles(app)[0]
        height = tile.size.height - 1
        value = 500.0 * (1 << 20)

        def series(seconds: int, axis: tuple[float, float] | None) -> ChartSeries:
            # A flat series: its bars stand half way up its axis.
            times = [float(t) for t in range(seconds)]
            values = [value] * seconds
            return build_series(times, values, 99.5, 300.0, tile.plot_columns, axis=axis)

        first = series(40, None)
        tile.update_chart(None, first)
        await pilot.pause()
        before = tile.rows_repainted
        tile.update_chart(None, series(60, first.axis))  # more buckets of bars
        await pilot.pause()
        repainted = tile.rows_repainted - before
        # The rows above the bars look as they did: they are not sent again.
        assert 0 < repainted < height
        # Every line is one segment per run of a style: each segment costs an escape.
        assert len(list(tile.render_line(0))) == 1
        for y in range(1, height + 1):
            line = list(tile.render_line(y))
            styles = [segment.style for segment in line]
            assert all(a != b for a, b in itertools.pairwise(styles))


async def test_the_header_line_is_one_segment_each_escape_costs_bytes() -> None:
    app = MemtuiApp(model_from_argv("--fields", "MemFree"))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        header = app.screen.query_one("#memory-header")
        (line,) = header.render_lines(Region(0, 0, header.outer_size.width, 1))
        assert line.cell_length == 100 and "Avail" in line.text
        assert len(list(line)) == 1


class FirstFrameApp(MemtuiApp):
    """The app, noting what its first painted dashboard frame said."""

    # CSS_PATH is relative to the module that defines the class: keep memtui's.
    CSS_PATH = str(Path(sys.modules[MemtuiApp.__module__].__file__ or "").parent / "memtui.tcss")
    first_frame: tuple[str, str, float | None] | None = None
    """The verdict bar's and the panel's text, and when watching processes began."""

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        drawn = renderable is not None and isinstance(screen, DashboardScreen)
        if drawn and self.first_frame is None:
            self.first_frame = (
                str(screen.query_one(LeakVerdictBar).content),
                str(screen.query_one("#growth-title", Static).content),
                self.model.processes.watched_since,
            )


async def test_the_first_frame_comes_before_the_process_read_and_says_it_is_loading() -> None:
    # Reading every process holds the GIL for tens of milliseconds: it waits for the
    # first frame. Until its first table is in, nothing claims "No leak suspected" or
    # that no process grew: nobody has looked yet.
    app = FirstFrameApp(model_from_argv("--fields", "MemFree"))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if app.first_frame is not None and app.model.processes.watched_since is not None:
                break
            await pilot.pause(0.05)
        assert app.first_frame is not None
        verdict, panel_line, watched_since = app.first_frame
        assert watched_since is None, "the processes were read before the first frame"
        assert verdict == LOADING_PROCESSES and LOADING_PROCESSES in panel_line, panel_line
        assert "No leak" not in panel_line and "No process grew" not in panel_line
        # Then the processes are read and both fill in, the panel still on one line.
        assert app.model.processes.watched_since is not None
        await pilot.pause()
        screen = app.screen
        bar = str(screen.query_one(LeakVerdictBar).content)
        assert bar.startswith(("No leak suspected", "Leak suspected: ")), bar
        panel = screen.query_one(GrowthPanel)
        assert panel.rows is not None
        title = str(panel.query_one("#growth-title", Static).content)
        assert LOADING_PROCESSES not in title and title.startswith(("No process grew", "Growing"))
        # The process rings hold ten minutes at the pace of the next read (2 s or 6 s):
        # sized for 2 s, at the idle 6 s they took 30 minutes to fill.
        timer = app._process_timer
        assert timer is not None
        pace = timer._interval
        assert pace in (PROCESS_INTERVAL, PROCESS_INTERVAL_IDLE)
        assert app.model.processes.raw_capacity == capacity_for(RAW_SPAN, pace)
