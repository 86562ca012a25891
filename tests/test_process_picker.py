"""The process picker driven with keys against real processes the test starts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from conftest import model_from_argv
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Static

from memtui.app import MemtuiApp
from memtui.core.processes.process_table import ProcessTableSampler
from memtui.core.units import format_cpu_time
from memtui.screens.choice_screen import ChoiceScreen
from memtui.screens.column_chooser_screen import ColumnChooserScreen
from memtui.screens.confirm_screen import ConfirmScreen
from memtui.screens.dashboard_screen import DashboardScreen
from memtui.screens.help_screen import HelpScreen
from memtui.screens.memory_screen import MemoryScreen
from memtui.screens.process_picker_screen import HELP_ABOUT, ProcessPickerScreen, row_detail
from memtui.widgets.process_list import ProcessList, hidden_columns, layout
from memtui.widgets.process_memory_plot import MemoryLines, ProcessMemoryPlot

MARKER = "memtui_picker_target"


@pytest.fixture
def target() -> Iterator[subprocess.Popen[bytes]]:
    """A sleeping Python process whose command line carries a unique marker."""
    process = subprocess.Popen(
        [sys.executable, "-c", f"import time; {MARKER} = 1; time.sleep(120)"],
    )
    yield process
    process.kill()
    process.wait()


def make_app() -> MemtuiApp:
    return MemtuiApp(model_from_argv("--fields", "MemFree"))


async def open_picker(app: MemtuiApp, pilot: object) -> ProcessPickerScreen:
    await pilot.press("2")  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, ProcessPickerScreen)
    for _ in range(50):
        if screen.table is not None:
            break
        await pilot.pause(0.1)  # type: ignore[attr-defined]
    return screen


async def test_two_opens_the_picker_listing_every_process(
    target: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        assert screen.table is not None
        pids = {row.pid for row in screen.table.rows}
        assert target.pid in pids and 1 in pids
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_filter_finds_the_process_by_command_line_as_you_type(
    target: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("slash", *MARKER)
        rows = screen.process_list.rows
        assert [row.pid for row in rows] == [target.pid]
        await pilot.press("enter")  # leaves the filter, keeps it
        assert screen.process_list.has_focus
        assert screen.process_list.highlighted is not None
        assert screen.process_list.highlighted.pid == target.pid
        await pilot.press("escape")  # first Esc clears the filter
        assert len(screen.process_list.rows) > 1
        assert isinstance(app.screen, ProcessPickerScreen)


async def test_keys_queued_right_after_slash_are_the_filter_text(
    target: subprocess.Popen[bytes],
) -> None:
    # tmux send-keys (or a paste, or a fast typist) queues "/bash" at once: the keys
    # after / reach the list before the input has the focus. `b` must not open the
    # time prompt, nor `s` sort: they are the filter.
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        for key, character in [("slash", "/"), *((c, c) for c in "bash")]:
            app.post_message(events.Key(key, character))
        await pilot.pause(0.5)
        assert app.screen is screen
        assert screen.query_text == "bash"
        assert all("bash" in f"{row.name} {row.cmdline}" for row in screen.process_list.rows)


async def test_filter_by_pid(target: subprocess.Popen[bytes]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("slash", *str(target.pid))
        assert target.pid in [row.pid for row in screen.process_list.rows]
        assert all(str(row.pid).startswith(str(target.pid)) or str(target.pid) in row.cmdline
                   for row in screen.process_list.rows)  # fmt: skip


async def test_sort_keys_change_the_order_and_the_cursor_stays_on_its_process(
    target: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        assert screen.sort_key == "rss" and screen.descending
        rss = [row.rss for row in screen.process_list.rows if row.rss is not None]
        assert rss == sorted(rss, reverse=True)
        await pilot.press("less_than_sign")
        assert screen.sort_key == "cpu_time" and screen.descending
        await pilot.press("less_than_sign")
        assert screen.sort_key == "cpu_percent" and screen.descending
        await pilot.press("less_than_sign", "less_than_sign")
        assert screen.sort_key == "pid" and not screen.descending
        pids = [row.pid for row in screen.process_list.rows]
        assert pids == sorted(pids)
        await pilot.press("i")
        pids = [row.pid for row in screen.process_list.rows]
        assert pids == sorted(pids, reverse=True)
        # Put the cursor on the target and let several refreshes pass.
        listed = screen.process_list
        listed.cursor = [row.pid for row in listed.rows].index(target.pid)
        await pilot.pause(2.5)
        assert listed.highlighted is not None and listed.highlighted.pid == target.pid


async def test_kernel_threads_are_listed_but_cannot_be_opened() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("slash", *"kthreadd", "enter")
        rows = screen.process_list.rows
        assert rows and rows[0].is_kernel_thread
        assert "kernel thread" in row_detail(rows[0])
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProcessPickerScreen)  # nothing opened
        assert any("kernel thread" in str(n.message) for n in app._notifications)


async def test_missing_values_show_a_dash_never_zero() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("slash", *"kthreadd", "enter")
        await pilot.pause()
        line = screen.process_list.render_line(0).text
        assert "—" in line
        assert " 0 B" not in line


def test_narrow_terminals_drop_columns_but_keep_memory_and_command() -> None:
    wide = [column.key for column, _ in layout(160)]
    narrow = [column.key for column, _ in layout(80)]
    assert "uss" in wide and "state" in wide and "name" in wide
    assert "uss" not in narrow and "state" not in narrow
    # NAME goes before the memory columns: COMMAND starts with it anyway.
    assert {"pid", "cpu_percent", "rss", "rss_growth", "cmdline"} <= set(narrow)
    assert sum(width + 1 for _, width in layout(80)) <= 81
    assert [column.key for column in hidden_columns(80)] == [
        key for key in ("state", "uss", "name", "rss_trend", "cpu_time", "user", "swap", "pss")
        if key not in narrow
    ]  # fmt: skip
    assert hidden_columns(160) == []
    assert isinstance(ProcessList, type)


async def test_cpu_and_time_columns_and_command_takes_the_width_at_120(
    target: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        header = str(screen.query_one("#column-header", Static).content)
        assert "CPU%" in header and "TIME+" in header and "COMMAND" in header
        await pilot.press("slash", *MARKER, "enter")
        line = screen.process_list.render_line(0).text
        row = screen.process_list.rows[0]
        assert row.pid == target.pid and row.cpu_time is not None
        width = screen.process_list.size.width
        assert width >= 118
        command = dict((column.key, width) for column, width in layout(width))["cmdline"]
        assert command >= 40
        # The command line is shown as far as the column goes, not cut at ~22.
        assert row.cmdline[: command - 1] in line
        assert format_cpu_time(row.cpu_time) in line


async def test_at_80_columns_the_picker_names_the_hidden_columns() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_picker(app, pilot)
        note = str(screen.query_one("#picker-hidden", Static).content)
        header = str(screen.query_one("#column-header", Static).content)
        hidden = hidden_columns(screen.process_list.size.width)
        assert hidden
        assert note == "hidden: " + " ".join(column.title for column in hidden)
        status = str(screen.query_one("#picker-status", Static).content)
        assert len(status) + len(note) <= 78
        for column in hidden:
            assert f" {column.title} " not in f" {header} "


async def test_enter_opens_the_memory_view_and_escape_returns_to_the_picker(
    target: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("slash", *MARKER, "enter")
        assert [row.pid for row in screen.process_list.rows] == [target.pid]
        await pilot.press("enter")
        assert isinstance(app.screen, MemoryScreen)
        assert app.screen.pid == target.pid
        await pilot.pause(0.5)
        await pilot.press("escape")
        assert app.screen is screen


async def test_pid_option_opens_the_memory_view_directly(
    target: subprocess.Popen[bytes],
) -> None:
    app = MemtuiApp(model_from_argv("--fields", "MemFree"), start_pid=target.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.screen, MemoryScreen) and app.screen.pid == target.pid
        await pilot.press("escape")
        assert isinstance(app.screen, ProcessPickerScreen)


def test_pid_option_rejects_missing_and_kernel_pids() -> None:
    for pid, words in (("999999999", "no process with pid"), ("2", "kernel thread")):
        result = subprocess.run(
            [sys.executable, "-m", "memtui", "--pid", pid], capture_output=True, text=True
        )
        assert result.returncode == 1
        assert words in result.stderr and "Traceback" not in result.stderr


async def test_a_10_kb_filter_is_cut_short_in_the_status_line() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("slash")
        app.post_message(events.Paste("q" * 10_000))  # as a terminal delivers a paste
        await pilot.pause()
        status = str(screen.query_one("#picker-status", Static).content)
        assert "filter: " + "q" * 40 + "… (10,000 characters)  sorted by" in status
        assert len(status) < 120


async def test_g_and_shift_g_go_to_the_first_and_last_process() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        listed = screen.process_list
        await pilot.press("G")
        assert len(listed.rows) > 2 and listed.cursor == len(listed.rows) - 1
        await pilot.press("g")
        assert listed.cursor == 0


@pytest.mark.parametrize("key", ["question_mark", "f1"])
async def test_help_in_the_picker_is_the_pickers_own(key: str) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_picker(app, pilot)
        await pilot.press(key)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.about == HELP_ABOUT and "process picker" in help_screen.about
        keys = dict(help_screen.keys)
        assert any(k.startswith("u") for k in keys)
        await pilot.press("escape")
        assert isinstance(app.screen, ProcessPickerScreen)


async def test_f4_filters_and_f3_searches_without_filtering(
    target: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        everyone = len(screen.process_list.rows)
        await pilot.press("f3", *MARKER, "enter")
        listed = screen.process_list
        # The search moves the cursor to the match and keeps every row.
        assert len(listed.rows) >= everyone - 5 and len(listed.rows) > 1
        assert listed.highlighted is not None and listed.highlighted.pid == target.pid
        assert listed.has_focus
        await pilot.press("g", "f3")  # F3 again: the next match, from the cursor on
        assert listed.highlighted is not None and listed.highlighted.pid == target.pid
        await pilot.press("f4", *MARKER, "enter")
        assert [row.pid for row in listed.rows] == [target.pid]


async def test_f6_chooses_the_sort_column_from_a_list() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("f6")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("g", "enter")  # the first column: PID
        assert app.screen is screen
        assert screen.sort_key == "pid" and not screen.descending
        pids = [row.pid for row in screen.process_list.rows]
        assert pids == sorted(pids)
        await pilot.press("f6", "escape")
        assert app.screen is screen and screen.sort_key == "pid"


async def test_f10_quits() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_picker(app, pilot)
        assert app.return_code is None
        await pilot.press("f10")
        await pilot.pause()
        assert app.return_code == 0


@pytest.fixture
def nobodys() -> Iterator[subprocess.Popen[bytes]]:
    """A process of the user nobody (the tests run as root)."""
    process = subprocess.Popen(["sleep", "120"], user="nobody")
    yield process
    process.kill()
    process.wait()


async def test_u_shows_one_users_processes_and_again_all(
    nobodys: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("u")
        chooser = app.screen
        assert isinstance(chooser, ChoiceScreen)
        users = [key for key, _ in chooser.choices]
        assert users[0] == "*" and "nobody" in users and "root" in users
        for _ in range(users.index("nobody")):
            await pilot.press("down")
        await pilot.press("enter")
        rows = screen.process_list.rows
        assert nobodys.pid in [row.pid for row in rows]
        assert {row.user for row in rows} == {"nobody"}
        status = str(screen.query_one("#picker-status", Static).content)
        assert "user: nobody" in status
        await pilot.press("u", "enter")  # the list opens on "all users"
        assert screen.user_filter is None
        assert {"root", "nobody"} <= {row.user for row in screen.process_list.rows}


async def picker_on_target(app: MemtuiApp, pilot: object, pid: int) -> ProcessPickerScreen:
    """The picker, filtered down to the target."""
    screen = await open_picker(app, pilot)
    await pilot.press("slash", *MARKER, "enter")  # type: ignore[attr-defined]
    assert [row.pid for row in screen.process_list.rows] == [pid]
    return screen


async def wait_exit(process: subprocess.Popen[bytes], pilot: object) -> int | None:
    for _ in range(50):
        if process.poll() is not None:
            break
        await pilot.pause(0.1)  # type: ignore[attr-defined]
    return process.poll()


@pytest.mark.parametrize("key", ["x", "f9"])
async def test_kill_sends_sigterm_after_the_confirmation_names_the_process(
    target: subprocess.Popen[bytes], key: str
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await picker_on_target(app, pilot, target.pid)
        await pilot.press(key)
        chooser = app.screen
        assert isinstance(chooser, ChoiceScreen)
        assert [name for name, _ in chooser.choices][:2] == ["SIGTERM", "SIGKILL"]
        assert {"SIGINT", "SIGHUP", "SIGSTOP", "SIGCONT", "SIGUSR1", "SIGUSR2"} <= {
            name for name, _ in chooser.choices
        }
        await pilot.press("enter")  # SIGTERM, the default
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert f"pid {target.pid}" in confirm.question and "SIGTERM" in confirm.question
        assert target.poll() is None  # nothing sent before the answer
        await pilot.press("y")
        assert await wait_exit(target, pilot) == -signal.SIGTERM
        assert any("Sent SIGTERM" in str(n.message) for n in app._notifications)


async def test_kill_can_send_another_signal_from_the_list(
    target: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await picker_on_target(app, pilot, target.pid)
        await pilot.press("x", "down", "enter", "enter")  # SIGKILL, confirmed with Enter
        assert await wait_exit(target, pilot) == -signal.SIGKILL


@pytest.mark.parametrize("keys", [["escape"], ["enter", "escape"], ["enter", "n"]])
async def test_escape_or_no_sends_nothing(target: subprocess.Popen[bytes], keys: list[str]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await picker_on_target(app, pilot, target.pid)
        await pilot.press("x", *keys)
        assert app.screen is screen
        await pilot.pause(0.5)
        assert target.poll() is None
        assert not any("Sent" in str(n.message) for n in app._notifications)


async def test_a_process_gone_before_the_confirmation_is_a_one_line_error(
    target: subprocess.Popen[bytes],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await picker_on_target(app, pilot, target.pid)
        await pilot.press("x", "enter")
        target.kill()
        target.wait()
        await pilot.press("y")
        for _ in range(20):
            if app._notifications:
                break
            await pilot.pause(0.1)
        messages = [str(n.message) for n in app._notifications]
        assert any("has already exited: nothing sent" in m and "\n" not in m for m in messages)


@pytest.fixture
def family() -> Iterator[tuple[int, int]]:
    """A parent (with the marker) and its sleeping child: (parent pid, child pid)."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys, time; {MARKER} = 1; "
            "kid = subprocess.Popen(['sleep', '120']); print(kid.pid, flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert parent.stdout is not None
    kid = int(parent.stdout.readline())
    yield parent.pid, kid
    os.killpg(parent.pid, signal.SIGKILL)
    parent.wait()
    parent.stdout.close()


async def test_f5_shows_children_under_parents_and_back_to_the_flat_list(
    family: tuple[int, int],
) -> None:
    parent, kid = family
    app = make_app()
    # Wide: the test's parent sits under pytest, its worker and whatever runs the
    # suite (timeout, flock, a CI shell), and each level indents the guide by three.
    async with app.run_test(size=(200, 40)) as pilot:
        screen = await open_picker(app, pilot)
        listed = screen.process_list
        await pilot.press("f5")
        pids = [row.pid for row in listed.rows]
        prefixes = listed.tree_prefixes
        assert pids.index(1) < pids.index(parent) < pids.index(kid)
        # The child is the parent's only child: the last-child guide, one level deeper.
        assert prefixes[kid] == prefixes[parent].replace("├─ ", "│  ").replace("└─ ", "   ") + "└─ "
        assert pids.index(kid) == pids.index(parent) + 1
        listed.cursor = pids.index(kid)
        line = listed.render_line(listed.cursor - listed.scroll_offset.y).text
        assert prefixes[kid] + "sleep 120" in line
        assert "tree" in str(screen.query_one("#picker-status", Static).content)
        await pilot.press("f5")
        assert listed.tree_prefixes == {}
        rss = [row.rss for row in listed.rows if row.rss is not None]
        assert rss == sorted(rss, reverse=True)
        assert listed.highlighted is not None and listed.highlighted.pid == kid


GROWER = """
import sys
blocks = []
print("ready", flush=True)
for line in sys.stdin:
    blocks.append(b"\\x01" * (4 << 20))
    print("ok", flush=True)
"""


@pytest.fixture
def grown() -> Iterator[tuple[int, MemtuiApp]]:
    """A process that grew 4 MiB every 10 s for 100 s, and an app whose process
    histories hold those readings (as the leak attribution's sampler takes them)."""
    grower = subprocess.Popen(
        [sys.executable, "-c", GROWER, MARKER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert grower.stdin is not None and grower.stdout is not None
    try:
        assert grower.stdout.readline().strip() == "ready"
        app = make_app()
        sampler = ProcessTableSampler(pss_budget=0, with_cmdline=False, with_cpu=False)
        now = time.time()
        for step in range(10):
            grower.stdin.write("\n")
            grower.stdin.flush()
            assert grower.stdout.readline().strip() == "ok"
            app.model.add_process_table(sampler.sample(), now - 100 + 10 * step)
        yield grower.pid, app
    finally:
        grower.kill()
        grower.wait()
        grower.stdin.close()
        grower.stdout.close()


async def test_the_rss_column_draws_the_process_history_as_a_sparkline(
    grown: tuple[int, MemtuiApp],
) -> None:
    pid, app = grown
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await picker_on_target(app, pilot, pid)
        header = str(screen.query_one("#column-header", Static).content)
        assert "RSS~" in header
        line = screen.process_list.render_line(0).text
        start = header.index("RSS~")
        cell = line[start : start + 8]
        assert cell[0] == "▁" and cell[-1] == "█", cell
        assert list(cell) == sorted(cell)  # a steady climb never dips


async def test_d_opens_a_chart_of_the_process_memory_with_its_growth_fit(
    grown: tuple[int, MemtuiApp],
) -> None:
    pid, app = grown
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await picker_on_target(app, pilot, pid)
        assert not screen.query_one("#process-detail").display
        await pilot.press("d")
        await pilot.pause(0.5)
        assert screen.query_one("#process-detail").display
        summary = str(screen.query_one("#detail-summary", Static).content)
        # 4 MiB every 10 s: +24 MiB/min, a steady line.
        assert f"({pid})" in summary
        fitted = re.search(r"RSS\+swap \+([\d.]+) MiB/min, r² ([\d.]+)", summary)
        assert fitted is not None, summary
        assert 18 < float(fitted[1]) < 30 and float(fitted[2]) >= 0.9
        plot = screen.query_one(ProcessMemoryPlot)
        assert plot.data is not None
        lines = {label: values for label, _, values in plot.data.lines}
        assert len(lines["RSS"]) >= 10 and lines["RSS"][-1] > lines["RSS"][0] + 30 * (1 << 20)
        assert "fit" in lines and "swap" in lines
        # PSS is read by the picker's sampler for the selected row, and kept.
        assert len(lines["PSS"]) >= 1
        assert plot.render().plain.strip()
        await pilot.press("d")
        assert not screen.query_one("#process-detail").display


async def test_a_line_with_no_point_in_the_window_is_left_out_of_the_plot() -> None:
    # The PSS is kept from before the window (which starts at the oldest RSS sample):
    # plotext's legend raised IndexError on a labelled line with no point on the axis,
    # and the picker died with a traceback a few seconds after `d`.
    class PlotApp(App[None]):
        def compose(self) -> ComposeResult:
            yield ProcessMemoryPlot()

    app = PlotApp()
    async with app.run_test(size=(80, 12)):
        plot = app.query_one(ProcessMemoryPlot)
        rss = ("RSS", [90.0, 95.0, 100.0], [1e6, 1.5e6, 2e6])
        plot.show(MemoryLines(100.0, 60.0, (rss, ("PSS", [10.0], [1.2e6]))))
        drawn = plot.render()
        assert isinstance(drawn, Text) and "RSS" in drawn.plain and "PSS" not in drawn.plain
        # A PSS inside the window is drawn, with its legend.
        plot.show(MemoryLines(100.0, 60.0, (rss, ("PSS", [10.0, 99.0], [1.2e6, 1.3e6]))))
        drawn = plot.render()
        assert isinstance(drawn, Text) and "PSS" in drawn.plain


async def test_c_chooses_the_columns_and_the_choice_stays() -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_picker(app, pilot)
        await pilot.press("c")
        chooser = app.screen
        assert isinstance(chooser, ColumnChooserScreen)
        keys = [key for key, _ in chooser.columns]
        assert "cmdline" not in keys  # COMMAND always stays
        for _ in range(keys.index("swap")):
            await pilot.press("down")
        await pilot.press("space", "enter")  # SWAP off
        assert app.screen is screen
        header = str(screen.query_one("#column-header", Static).content)
        assert "SWAP" not in header and "RSS" in header and "COMMAND" in header
        # Chosen away is not "hidden" by the width.
        assert "SWAP" not in str(screen.query_one("#picker-hidden", Static).content)
        line = screen.process_list.render_line(0).text
        assert len(line.split()) >= 8
        await pilot.press("c")
        chooser = app.screen
        assert isinstance(chooser, ColumnChooserScreen)
        assert "swap" not in chooser.shown and "rss" in chooser.shown
        await pilot.press("escape")
        assert "SWAP" not in str(screen.query_one("#column-header", Static).content)
