"""Time travel in the real app over a real store: t, T, [, ], b and r move the cursor,
and the verdict, the panel and the picker follow it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import model_from_argv, replay_ready
from targets.synthetic_machine import MIB, START, SyntheticProcess, flat, leaking
from test_recording_store import synthetic_store

from memtui.app import MemtuiApp
from memtui.core.sources.replay_source import ReplaySource
from memtui.core.store.recording_store import StoreWriter
from memtui.core.time_expression import format_moment, parse_time
from memtui.messages import ReplayProcessesLoaded
from memtui.screens.process_picker_screen import ProcessPickerScreen
from memtui.widgets.leak_panel import LOADING_PROCESSES, GrowthPanel, LeakVerdictBar

LEAK_FROM = 600.0


@pytest.fixture(scope="module")
def leak_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 minutes: a steady process, and one leaking 4 MiB/min from minute 10."""
    path = tmp_path_factory.mktemp("travel") / "day.db"
    synthetic_store(
        path, 1800, [SyntheticProcess(10, "steady", flat(50 * MIB)),
                     SyntheticProcess(20, "leaky", leaking(80 * MIB, 4 * MIB, LEAK_FROM))],
    )  # fmt: skip
    return path


def header(app: MemtuiApp) -> str:
    return str(app.screen.query_one("#memory-header").content)  # type: ignore[attr-defined]


async def type_time(pilot: object, text: str) -> None:
    await pilot.press("b")  # type: ignore[attr-defined]
    await pilot.press(*text, "enter")  # type: ignore[attr-defined]
    await replay_ready(pilot)  # type: ignore[arg-type]


async def test_keys_move_the_verdict_and_the_panel(leak_store: Path) -> None:
    app = MemtuiApp(model_from_argv("--replay", str(leak_store)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        model = app.model
        assert model.at == START + 1799  # a replay opens at its end
        assert model.verdict.pid == 20 and model.verdict.text.startswith("Leak suspected: leaky")
        assert format_moment(START + 1799) in header(app)
        panel = app.screen.query_one(GrowthPanel)
        assert panel.rows and panel.rows[0].pid == 20 and panel.rows[0].steady

        await type_time(pilot, "-25m")  # minute 5, before the leak
        assert model.at == START + 1799 - 1500
        assert not model.verdict.suspected and model.verdict.text == "No leak suspected"
        assert not any(row.steady for row in panel.rows or ())
        assert format_moment(START + 299) in header(app)

        await pilot.press("right_square_bracket")  # a chart window (5 min) on: minute 10
        await replay_ready(pilot)
        assert model.at == START + 599
        assert not model.verdict.suspected

        await pilot.press("t")
        assert model.at == START + 600
        await pilot.press("T", "T")
        assert model.at == START + 598

        await type_time(pilot, format_moment(START + 1500, with_date=False))
        assert model.at == START + 1500
        assert model.verdict.pid == 20
        await pilot.press("left_square_bracket")
        await replay_ready(pilot)
        assert model.at == START + 1200

        await pilot.press("r")
        await replay_ready(pilot)
        assert model.at == START and not model.verdict.suspected

        await pilot.press("b")
        await pilot.press(*"yesterday-ish", "enter")
        await pilot.pause()
        assert model.at == START  # a bad time goes nowhere, and says why
        assert any("not a time" in str(n.message) for n in app._notifications)


async def test_the_picker_shows_the_processes_as_recorded(leak_store: Path) -> None:
    app = MemtuiApp(model_from_argv("--replay", str(leak_store)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        await type_time(pilot, "-20m")  # minute 10: the leak has just begun
        await pilot.press("2")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, ProcessPickerScreen)
        table = screen.table
        assert table is not None
        sizes = {row.name: row.rss for row in table.rows}
        assert sizes == {"steady": 50 * MIB, "leaky": 80 * MIB}
        await pilot.press("1")
        await type_time(pilot, "+15m")
        await pilot.press("2")
        await pilot.pause(1.2)  # the picker's next refresh reads the new moment
        table = app.screen.table  # type: ignore[attr-defined]
        leaky = next(row for row in table.rows if row.name == "leaky")
        assert abs(leaky.rss - (80 + 60) * MIB) <= MIB  # the last sample before minute 25
        assert leaky.rss_growth is not None and abs(leaky.rss_growth - 4 * MIB) < 0.2 * MIB


def test_time_expressions() -> None:
    reference = START + 3600.5
    assert parse_time("-2h", reference) == reference - 7200
    assert parse_time("+90s", reference) == reference + 90
    assert parse_time(str(int(START)), reference) == START
    day = format_moment(reference).split()[0]
    assert parse_time(f"{day} 00:00", reference) == parse_time("00:00", reference)
    with pytest.raises(ValueError, match="not a time"):
        parse_time("soon", reference)
    with pytest.raises(ValueError, match="not a time of day"):
        parse_time("25:00", reference)


@pytest.mark.parametrize(
    "text",
    ["x" * 10_000, "-" + "x" * 10_000, "9" * 9_997 + ":00"],
    ids=["text", "relative", "clock"],
)
def test_a_10_kb_time_is_echoed_cut_short(text: str) -> None:
    with pytest.raises(ValueError, match=r"… \([0-9,]+ characters\)") as refused:
        parse_time(text, START)
    assert len(str(refused.value)) < 150


async def test_evidence_shows_the_fitted_line_its_fit_and_when_growth_began(
    leak_store: Path,
) -> None:
    from memtui.screens.evidence_screen import EvidenceScreen
    from memtui.widgets.evidence_plot import EvidencePlot

    app = MemtuiApp(model_from_argv("--replay", str(leak_store)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        await pilot.press("e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EvidenceScreen)
        text = str(screen.query_one("#evidence-text").content)  # type: ignore[attr-defined]
        assert text.startswith("Leak suspected: leaky (pid 20) +4.0 MiB/min for ")
        assert "leaky (pid 20) grows steadily: +4.0 MiB/min, r² 1.00 over " in text
        began = screen.evidence.process.began_at  # type: ignore[union-attr]
        assert began is not None and abs(began - (START + LEAK_FROM)) < 300
        assert f"since {format_moment(began, with_date=False)}" in text
        plots = list(screen.query(EvidencePlot))
        assert [p.series.label for p in plots] == [
            "leaky (pid 20) RSS+swap",
            "AnonPages",
            "Committed_AS",
        ]
        fit = plots[0].series.fit
        assert fit is not None and abs(fit.rate_per_minute - 4 * MIB) < 0.05 * MIB
        mappings = str(screen.query_one("#evidence-mappings").content)  # type: ignore[attr-defined]
        assert "a recording keeps each process's totals only" in mappings
        await pilot.press("escape")
        await type_time(pilot, "-25m")  # before the leak: nothing grows, and it says so
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, EvidenceScreen)


async def test_zoom_spans_the_recording_and_marks_where_the_verdict_fired(
    leak_store: Path,
) -> None:
    from memtui.screens.zoom_screen import ZoomScreen

    app = MemtuiApp(model_from_argv("--replay", str(leak_store), "--fields", "AnonPages"))
    async with app.run_test(size=(120, 30)) as pilot:
        await replay_ready(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ZoomScreen)
        model = app.model
        assert model.zoom_window() == 1799  # the whole recording
        title = str(app.screen.query_one("#zoom-title").content)  # type: ignore[attr-defined]
        assert "span 30m" in title and "1 verdict fired" in title
        fired = [t for t, _ in model.marks]
        assert len(fired) == 1 and START + LEAK_FROM < fired[0] < START + LEAK_FROM + 300
        await pilot.press("Z", "Z")
        assert model.zoom_window() == 1799 / 4
        await pilot.press("Z", "Z", "Z", "Z")
        assert model.zoom_window() == 60  # a minute at the narrowest
        await pilot.press("z")
        assert model.zoom_window() == 120


async def test_the_first_frame_comes_before_the_processes_which_then_fill_in(
    leak_store: Path,
) -> None:
    # A 24 h store of 500 processes took 4.6 s to its first frame, most of it the
    # page's processes: the charts now come first, the verdict when they are in.
    source = ReplaySource.open(str(leak_store))
    try:
        at = source.last
        whole = source.load(at)
        first = source.load(at, with_processes=False)
        assert first.processes_pending and not whole.processes_pending
        assert len(first.processes) == 0 and not first.samples
        assert first.sample_times() == whole.sample_times()
        full = source.with_processes(first)
        assert not full.processes_pending and full.history is first.history
        assert full.processes.identities() == whole.processes.identities()
        assert [s.memory for s in full.samples] == [s.memory for s in whole.samples]
    finally:
        source.close()

    app = MemtuiApp(model_from_argv("--replay", str(leak_store)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        model = app.model
        expected = model.verdict.text
        assert expected.startswith("Leak suspected: leaky")
        # The page as the worker first posts it: meminfo only.
        model.load_page(first, at)
        app._history_updated()
        await pilot.pause()
        bar = app.screen.query_one(LeakVerdictBar)
        panel = app.screen.query_one(GrowthPanel)
        assert str(bar.content) == LOADING_PROCESSES and not model.verdict.suspected
        assert panel.rows is None
        await pilot.press("T")  # moving within the page meanwhile is kept
        assert model.at == at - 1
        await pilot.press("2")
        await pilot.pause(0.3)
        status = app.screen.query_one("#picker-status")
        assert str(status.content) == LOADING_PROCESSES  # type: ignore[attr-defined]
        await pilot.press("1")
        await pilot.press("e")  # no evidence to open yet, and it says why
        assert any(LOADING_PROCESSES in str(n.message) for n in app._notifications)
        app.post_message(ReplayProcessesLoaded(full, app._replay_request))
        await pilot.pause()
        assert not model.replay.processes_pending  # type: ignore[union-attr]
        assert model.at == at - 1 and model.verdict.text.startswith("Leak suspected: leaky")
        assert str(app.screen.query_one(LeakVerdictBar).content).startswith("Leak suspected")
        assert panel.rows and panel.rows[0].pid == 20


class MountWatchingApp(MemtuiApp):
    """Notes which workers run when the app's Mount arrives (Textual calls this
    class's on_mount before MemtuiApp's)."""

    # CSS_PATH is relative to the module that defines the class: keep memtui's.
    CSS_PATH = str(Path(sys.modules[MemtuiApp.__module__].__file__ or "").parent / "memtui.tcss")
    groups_at_mount: list[str] | None = None

    def on_mount(self) -> None:
        self.groups_at_mount = [worker.group for worker in self.workers]


async def test_a_replay_reads_its_store_from_the_apps_start_not_after_the_first_frame(
    leak_store: Path,
) -> None:
    # The app's Mount comes once the first (empty) frame is drawn, 0.2-0.3 s into a
    # start; reading the page waited for it. At Mount the worker is there still: it
    # reads the processes once the page's frame is drawn, which is after Mount.
    app = MountWatchingApp(model_from_argv("--replay", str(leak_store)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        assert app.groups_at_mount is not None and "replay" in app.groups_at_mount
        assert app.model.verdict.text.startswith("Leak suspected: leaky")


def test_a_replay_of_a_machine_without_swap_shows_no_swap_tiles(tmp_path: Path) -> None:
    # Live, a machine without swap gets no SwapFree tile (a flat zero); a replay of
    # it showed one, for it never looked at a sample.
    header = "timestamp,MemTotal,MemFree,AnonPages,SwapTotal,SwapFree,MemAvailable"
    for swap, expected in ((0, False), (4 << 30, True)):
        path = tmp_path / f"swap-{swap}.csv"
        rows = [f"{1_796_000_000 + i},{8 << 30},{4 << 30},{1 << 30},{swap},{swap},{6 << 30}"
                for i in range(5)]  # fmt: skip
        path.write_text("\n".join([header, *rows]) + "\n")
        model = model_from_argv("--replay", str(path))
        assert ("SwapFree" in model.chart_fields) is expected, model.chart_fields
        assert "MemFree" in model.chart_fields
    # A store: the same, from its newest sample.
    store = tmp_path / "noswap.db"
    writer = StoreWriter(str(store))
    for i in range(5):
        writer.add_meminfo(1_796_000_000.0 + i, {"MemTotal": 8 << 30, "MemFree": 4 << 30,
                                                 "SwapTotal": 0, "SwapFree": 0})  # fmt: skip
    writer.close()
    model = model_from_argv("--replay", str(store))
    assert "SwapFree" not in model.chart_fields and "MemFree" in model.chart_fields
