"""The leak verdict and the growing-processes panel in the running dashboard.

The app samples as a user's would (meminfo every second, every process every 2 s),
against `memtui demo-leak` and quiet workloads it starts itself.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from conftest import LEAK_RECORDING, model_from_argv, replay_ready
from targets.leak_workloads import start_workload, stop_workload
from textual.app import App, ComposeResult
from textual.widgets import OptionList

from memtui.app import MemtuiApp
from memtui.core.leak.leak_detector import NO_VERDICT, Fit, LeakVerdict, ProcessGrowth
from memtui.screens.dashboard_screen import DashboardScreen
from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.leak_panel import (
    LOADING_PROCESSES,
    QUIET_AFTER,
    GrowthPanel,
    LeakVerdictBar,
    verdict_line,
)

WORKLOADS = Path(__file__).parent / "targets" / "leak_workloads.py"
DETECTION_BOUND = 30.0


def verdict_bar_text(app: MemtuiApp) -> str:
    return str(app.screen.query_one(LeakVerdictBar).content)


async def test_the_dashboard_names_demo_leak_within_the_bound() -> None:
    # The leak starts once memtui watches, so its whole life is in the history (one
    # that was already running must be watched for a minute first; the README says so).
    app = MemtuiApp(model_from_argv("--fields", "AnonPages,Committed_AS"))
    leak: subprocess.Popen[str] | None = None
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            watching = time.monotonic() + 30
            # The first process table is read once the first frame is drawn; until
            # the screen has shown it, the bar says it is loading them.
            while app.model.processes.watched_since is None or verdict_bar_text(app) == (
                LOADING_PROCESSES
            ):
                assert time.monotonic() < watching, "no process table in 30 s"
                await pilot.pause(0.1)
            leak = start_workload(
                [sys.executable, "-m", "memtui", "demo-leak", "--duration", "60"], "stderr"
            )
            started = time.monotonic()
            # Not "No leak suspected" for certain: beside a parallel test's leaking
            # child, the verdict may already name that process.
            assert verdict_bar_text(app).startswith(("No leak suspected", "Leak suspected: "))
            named = f"Leak suspected: demo-leak (pid {leak.pid}) +"
            while named not in verdict_bar_text(app):
                assert time.monotonic() - started < DETECTION_BOUND, verdict_bar_text(app)
                await pilot.pause(0.5)
            bar = app.screen.query_one(LeakVerdictBar)
            assert bar.has_class("-suspected")
            assert " MiB/min for " in verdict_bar_text(app)
            # The panel lists it first, as the steady grower, and Enter opens it.
            panel = app.screen.query_one(GrowthPanel)
            assert panel.rows and panel.rows[0].pid == leak.pid and panel.rows[0].steady
            assert panel.highlighted_pid == leak.pid
            panel.query_one("#growth-list").focus()
            await pilot.press("enter")
            assert isinstance(app.screen, MemoryScreen) and app.screen.pid == leak.pid
            await pilot.press("escape")
            assert isinstance(app.screen, DashboardScreen)
    finally:
        if leak is not None:
            stop_workload(leak)


async def test_no_leak_control_and_page_cache_churn_stay_silent() -> None:
    with tempfile.TemporaryDirectory(prefix="memtui-leak-panel-") as tmp:
        workloads = [
            start_workload(
                [sys.executable, "-m", "memtui", "demo-leak", "--no-leak", "--duration", "60"],
                "stderr",
            ),
            start_workload(
                [sys.executable, str(WORKLOADS), "churn", "--seconds", "60", "--dir", tmp],
                "stdout",
            ),
        ]
        fired: list[LeakVerdict] = []
        try:
            app = MemtuiApp(model_from_argv("--fields", "AnonPages,Cached"))
            async with app.run_test(size=(120, 40)) as pilot:
                end = time.monotonic() + 20
                while time.monotonic() < end:
                    await pilot.pause(0.5)
                    verdict = app.model.verdict
                    if verdict.suspected:
                        fired.append(verdict)
                    assert verdict_bar_text(app) == verdict_line(verdict)
        finally:
            for proc in workloads:
                stop_workload(proc)
    ours = {proc.pid for proc in workloads}
    # The machine is shared: a verdict naming someone else's steadily growing process
    # may be true; one about ours, or system-wide, is a false alarm.
    wrong = [v.text for v in fired if v.pid is None or v.pid in ours]
    assert wrong == []
    if fired:
        warnings.warn(f"verdicts about others' processes: {fired[0].text}", stacklevel=1)


async def test_p_goes_into_the_panel_then_hides_it_and_a_quiet_panel_is_one_line() -> None:
    app = MemtuiApp(model_from_argv("--interval", "0.5"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        panel = screen.query_one(GrowthPanel)
        assert panel.display and not panel.has_focus_within
        # At 80x24 the six default charts fit beside a one-line panel, MemAvailable too.
        shown = screen.shown_fields
        assert {"Committed_AS", "AnonPages", "MemAvailable"} <= set(shown) and len(shown) >= 4
        if not panel.rows:
            assert panel.has_class("-quiet") and panel.outer_size.height == 1
        await pilot.press("p")  # into the list: one key away
        assert panel.display and panel.has_focus_within
        assert panel.outer_size.height > 1  # the list shows while the user is in it
        await pilot.press("p")  # again: hidden, the charts get its rows
        assert not panel.display and not panel.has_focus_within
        assert len(screen.shown_fields) >= len(shown)
        await pilot.press("p")
        assert panel.display and panel.has_focus_within


class PanelApp(App[None]):
    """The panel alone, fed only by the test."""

    def compose(self) -> ComposeResult:
        yield GrowthPanel(60.0)


async def test_the_list_folds_to_one_line_only_after_a_quiet_stretch() -> None:
    # Growers that come and go every few samples must not fold and unfold the panel
    # (each time the whole grid is laid out again, and the charts jump).
    app = PanelApp()
    async with app.run_test(size=(100, 20)) as pilot:
        panel = app.query_one(GrowthPanel)
        now = [1000.0]
        panel.clock = lambda: now[0]
        app.set_focus(None)  # a user in the list keeps it open; here nobody is
        panel.show(NO_VERDICT)
        assert panel.has_class("-quiet")  # nothing ever grew: one line at once
        grower = ProcessGrowth(42, 1.0, "grower", 64 << 20, Fit(1e6, 0.5, 60.0, 30), False)
        panel.show(dataclasses.replace(NO_VERDICT, attribution=(grower,)))
        await pilot.pause()
        assert not panel.has_class("-quiet") and panel.outer_size.height > 1
        heights = []
        for _ in range(int(QUIET_AFTER) - 1):  # nothing grows, for most of the stretch
            now[0] += 1.0
            panel.show(NO_VERDICT)
            heights.append(panel.rows_needed)
        assert all(height > 1 for height in heights)
        now[0] += 2.0
        panel.show(NO_VERDICT)
        await pilot.pause()
        assert panel.has_class("-quiet") and panel.outer_size.height == 1


async def test_growers_coming_and_going_never_lay_the_screen_out_again() -> None:
    # The list keeps its five lines whatever it lists: a list that grew or shrank
    # made Textual lay out the whole screen (5-7 ms, every few samples when busy).
    app = PanelApp()
    async with app.run_test(size=(100, 20)) as pilot:
        panel = app.query_one(GrowthPanel)

        def growers(count: int) -> LeakVerdict:
            fits = [Fit(1e6 * (i + 1), 0.5, 60.0, 30) for i in range(count)]
            rows = tuple(
                ProcessGrowth(40 + i, 1.0, f"grower{i}", 64 << 20, fit, False)
                for i, fit in enumerate(fits)
            )
            return dataclasses.replace(NO_VERDICT, attribution=rows, pid=40)

        panel.show(growers(1))
        await pilot.pause()
        layouts = []
        screen = app.screen
        layout = screen._refresh_layout

        def counted(*args: object, **kwargs: object) -> None:
            layouts.append(args)
            layout(*args, **kwargs)  # type: ignore[arg-type]

        screen._refresh_layout = counted  # type: ignore[method-assign]
        listed = panel.query_one("#growth-list", OptionList)
        for count in (3, 2, 5, 1, 0, 4):
            panel.show(growers(count))
            await pilot.pause()
            assert panel.rows is not None and len(panel.rows) == count
            enabled = [
                i for i in range(listed.option_count) if not listed.get_option_at_index(i).disabled
            ]
            assert len(enabled) == count  # fmt: skip
        assert layouts == []
        # The blank lines below the rows cannot be reached.
        listed.focus()
        await pilot.pause()
        await pilot.press("end")
        assert listed.highlighted == 3 and panel.highlighted_pid == 43
        await pilot.press("down")  # wraps to the first row, past the blanks
        assert listed.highlighted == 0 and panel.highlighted_pid == 40


async def test_a_new_name_with_the_same_rows_moves_the_highlight_to_it() -> None:
    # The rows change with each process table, the verdict with each meminfo sample:
    # when the verdict named another process over the same rows, the panel kept its
    # highlight on the one named before (seen in CI: a parallel test's leaker).
    app = PanelApp()
    async with app.run_test(size=(100, 20)) as pilot:
        panel = app.query_one(GrowthPanel)
        app.set_focus(None)
        fit = Fit(1e6, 0.99, 60.0, 30)
        rows = (
            ProcessGrowth(40, 1.0, "first", 64 << 20, fit, True),
            ProcessGrowth(41, 1.0, "second", 64 << 20, fit, True),
        )
        panel.show(dataclasses.replace(NO_VERDICT, attribution=rows, pid=40))
        await pilot.pause()
        assert panel.highlighted_pid == 40
        panel.show(dataclasses.replace(NO_VERDICT, attribution=rows, pid=41))
        await pilot.pause()
        assert panel.highlighted_pid == 41
        listed = panel.query_one("#growth-list", OptionList)
        assert listed.highlighted == 1


async def test_replay_hides_the_panel_and_says_why_when_shown() -> None:
    app = MemtuiApp(model_from_argv("--replay", str(LEAK_RECORDING)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        panel = app.screen.query_one(GrowthPanel)
        assert not panel.display
        await pilot.press("p")
        listed = panel.query_one("#growth-list")
        assert "no per-process data" in str(listed.get_option_at_index(0).prompt)  # type: ignore[attr-defined]


async def test_a_csv_replay_gives_a_system_wide_verdict_at_most() -> None:
    app = MemtuiApp(model_from_argv("--replay", str(LEAK_RECORDING)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        model = app.model
        # A CSV has meminfo only: the verdict can be system-wide at most.
        for _ in range(40):
            await pilot.press("T")
            assert model.verdict.pid is None
            assert model.verdict.text.startswith(("No leak suspected", "Leak suspected: system"))


def test_leak_options_are_checked() -> None:
    for argv, words in (
        (["--leak-window", "10"], "at least 30 seconds"),
        (["--leak-threshold", "0"], "positive rate"),
        (["--leak-min-fit", "1.5"], "between 0 and 1"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "memtui", *argv], capture_output=True, text=True
        )
        assert result.returncode == 2, argv
        assert words in result.stderr and "Traceback" not in result.stderr
    model = model_from_argv("--leak-window", "90", "--leak-threshold", "32")
    assert model.leak.settings.window == 90
    assert model.leak.settings.system_threshold == 32 * (1 << 20)
