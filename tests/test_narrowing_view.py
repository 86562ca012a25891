"""The narrowing scan in the memory view, driven with keys as a user would.

Search the counter's value, let the target bump it (SIGUSR1), press c and say how it
moved, until one address is left: the counter's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import stopped_tasks, tracer_of
from targets.counter import START, CounterTarget, build_counter_target, running_counter_target
from test_memory_view import ViewApp, open_view, wait_until
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from memtui.screens.memory_layout import COMPACT_INSPECTOR_ROWS, MIN_HEX_ROWS
from memtui.screens.memory_screen import MemoryScreen
from memtui.screens.search_results_screen import SearchResultsScreen
from memtui.widgets.data_inspector import DataInspector
from memtui.widgets.key_footer import KeyFooter
from memtui.widgets.narrowing_prompt import NarrowingPrompt
from memtui.widgets.watch_pane import WatchPane


@pytest.fixture(scope="module")
def counter_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_counter_target(tmp_path_factory.mktemp("counter-view"))


@pytest.fixture
def counter(counter_binary: Path) -> Iterator[CounterTarget]:
    with running_counter_target(counter_binary) as target:
        yield target
        assert stopped_tasks(target.pid) == [] and tracer_of(target.pid) == 0


async def search(pilot: Pilot[None], screen: MemoryScreen, query: str) -> None:
    await pilot.press("slash", *query, "enter")
    await wait_until(
        pilot,
        lambda: screen._search_job is None and screen.narrowing is not None,
        timeout=30,
    )


async def narrow(pilot: Pilot[None], screen: MemoryScreen, typed: str) -> None:
    await pilot.press(*typed, "enter")
    await wait_until(pilot, lambda: screen._narrow_job is None, timeout=10)
    await pilot.pause()


def history(screen: MemoryScreen) -> str:
    return str(screen.query_one("#narrow-history", Static).content)


def message(screen: MemoryScreen) -> str:
    return str(screen.query_one("#narrow-message", Static).content)


async def test_narrowing_down_to_the_counter_with_keys(counter: CounterTarget) -> None:
    app = ViewApp(counter.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await search(pilot, screen, f"u32:{START}")
        assert screen.narrowing is not None
        found = len(screen.narrowing.current)
        assert counter.counter in set(screen.match_addresses) and found >= 8

        counter.bump()
        await pilot.press("c")
        prompt = screen.query_one(NarrowingPrompt)
        assert prompt.is_open and screen.focused is screen.query_one("#narrow", Input)
        await narrow(pilot, screen, "+")
        assert set(screen.match_addresses) == {counter.counter} | counter.addresses("climbers")
        assert history(screen) == f"narrow u32 {START} little-endian: {found:,} → 3 (+)"
        assert message(screen).startswith("kept 3 of ")

        # A bad step says why on the prompt's line, and loses nothing.
        await pilot.press(">", "enter")
        await pilot.pause()
        assert message(screen).startswith("> needs a value")
        assert screen.query_one("#narrow", Input).value == ">"
        assert len(screen.match_addresses) == 3 and history(screen).endswith("→ 3 (+)")
        await pilot.press("backspace")

        counter.bump()
        await narrow(pilot, screen, "+ 1")
        assert list(screen.match_addresses) == [counter.counter]
        assert history(screen) == f"narrow u32 {START} little-endian: {found:,} → 3 (+) → 1 (+ 1)"
        assert f"one left: {counter.counter:x}" in message(screen)
        assert "memtui_counter" in message(screen)  # named by its symbol
        assert hex_view.cursor_address == counter.counter  # the view went there

        # Ctrl-Z in the prompt goes back a step; typing undo, another.
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert len(screen.match_addresses) == 3 and history(screen).endswith("→ 3 (+)")
        await narrow(pilot, screen, "undo")
        assert len(screen.match_addresses) == found
        await narrow(pilot, screen, "undo")
        assert message(screen).startswith("Nothing to undo")
        await pilot.press(*["backspace"] * len("undo"))  # kept, as any refused input

        # Redo the steps, close the prompt: n and m work over what is left.
        counter.bump()
        await narrow(pilot, screen, "= " + str(START + 3))
        assert list(screen.match_addresses) == [counter.counter]
        await pilot.press("escape")
        assert not prompt.is_open and history(screen).endswith("→ 1 (= 1513920228)")
        await pilot.press("home", "n")
        assert hex_view.cursor_address == counter.counter
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchResultsScreen))
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[0]) == f"{counter.counter:x}"


async def test_narrow_before_a_search_or_on_text_says_what_works(counter: CounterTarget) -> None:
    app = ViewApp(counter.pid, auto_refresh=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, _ = await open_view(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert not screen.query_one(NarrowingPrompt).is_open
        assert any("Narrow needs a search first" in str(n.message) for n in app._notifications)
        await search(pilot, screen, "counter")  # text: the name is in the binary
        await pilot.press("c", "+", "enter")
        await pilot.pause()
        assert "narrows with = (unchanged) or ! (changed) only" in message(screen)
        await pilot.press("backspace")
        await narrow(pilot, screen, "=")
        assert message(screen).startswith("kept ")


def region_of(widget: Widget) -> Region:
    return widget.region if widget.display else Region()


@pytest.mark.parametrize(
    ("pane", "hex_rows", "input_rows"),
    [("", MIN_HEX_ROWS, 3), ("p", MIN_HEX_ROWS - 1, 1), ("w", MIN_HEX_ROWS - 1, 1)],
)
async def test_at_80x24_the_inspector_and_the_prompt_leave_eight_rows_of_hex(
    counter: CounterTarget, pane: str, hex_rows: int, input_rows: int
) -> None:
    """With a pane too, the pane shrinks, then the input loses its border: 7 rows, as
    with the inspector and both panes."""
    app = ViewApp(counter.pid, auto_refresh=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, hex_view = await open_view(pilot)
        await pilot.press("i", *pane)
        await search(pilot, screen, f"u32:{START}")
        counter.bump()
        await pilot.press("c")
        await narrow(pilot, screen, "+")  # the message line shows too now
        await pilot.pause()
        assert message(screen).startswith("kept 3 of ")
        assert hex_view.scrollable_content_region.height >= hex_rows
        # Nothing is cut: each part has its height, inside the screen, apart.
        parts: list[Widget] = [
            hex_view,
            screen.query_one(DataInspector),
            screen.query_one("#narrow-history", Static),
            screen.query_one("#narrow-message", Static),
            screen.query_one("#narrow", Input),
            screen.query_one(KeyFooter),
        ]
        if pane:
            parts.append(screen.query_one(WatchPane if pane == "w" else "Telescope"))
        shown = [region_of(part) for part in parts]
        assert all(screen.region.contains_region(region) for region in shown)
        assert shown[1].height >= COMPACT_INSPECTOR_ROWS and shown[4].height == input_rows
        assert all(region.height >= 1 for region in shown)
        for index, region in enumerate(shown):
            assert not any(region.overlaps(other) for other in shown[index + 1 :]), parts[index]
        assert screen.query_one(NarrowingPrompt).is_open
        # Closed, the history line stays and the hex view takes the input's rows back.
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        assert region_of(screen.query_one("#narrow-history", Static)).height == 1
        assert hex_view.scrollable_content_region.height >= MIN_HEX_ROWS


async def test_at_80_columns_a_long_narrowing_line_ends_in_an_ellipsis(
    counter: CounterTarget,
) -> None:
    """Cut, never wrapped onto a hidden second line, which would drop whole words (the
    counter's name after "one left: ADDRESS")."""
    app = ViewApp(counter.pid, auto_refresh=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, _ = await open_view(pilot)
        await search(pilot, screen, f"u32:{START}")
        await pilot.press("c")
        prompt = screen.query_one(NarrowingPrompt)
        words = " ".join(f"word{index}" for index in range(30))
        prompt.say(f"kept 1 of 3 · one left: {words}")
        prompt.show_history(f"u32: {words}")
        await pilot.pause()
        for line in ("#narrow-message", "#narrow-history"):
            shown = screen.query_one(line, Static).render_line(0).text.rstrip()
            # The whole width but the padding of a column each side.
            assert shown.endswith("…") and len(shown) == 80 - 2, (line, shown)


async def test_at_80_columns_a_long_title_ends_in_an_ellipsis(counter: CounterTarget) -> None:
    """The title is one line: what does not fit is cut with "…", never wrapped onto a
    hidden second line that drops the status at its end without a sign."""
    app = ViewApp(counter.pid, auto_refresh=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, _ = await open_view(pilot)
        screen.status = " ".join(f"word{index}" for index in range(30))
        screen._show_title()
        await pilot.pause()
        shown = screen.query_one("#memory-title", Static).render_line(0).text.rstrip()
        assert shown.endswith("…") and len(shown) == 80 - 2, shown
