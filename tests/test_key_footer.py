"""The footer keeps the help and quit keys on screen at 80 columns, on every screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from conftest import LEAK_RECORDING, model_from_argv, replay_ready
from textual.pilot import Pilot

from memtui.app import MemtuiApp
from memtui.widgets.key_footer import KeyFooter

DEMO_STORE = LEAK_RECORDING.parent / "demo-leak.db"


@asynccontextmanager
async def demo_app(size: tuple[int, int]) -> AsyncIterator[tuple[MemtuiApp, Pilot[None]]]:
    """The app on the demo recording, its first page in, the footer drawn."""
    app = MemtuiApp(model_from_argv("--replay", str(DEMO_STORE)))
    async with app.run_test(size=size) as pilot:
        await replay_ready(pilot)
        await pilot.pause(0.3)
        yield app, pilot


def shown_keys(app: MemtuiApp) -> list[str]:
    """The footer keys whose whole label lies inside the screen."""
    return [key.key_display for key in app.screen.query_one(KeyFooter).visible_keys]


@pytest.mark.parametrize(
    ("press", "screen"),
    [((), "DashboardScreen"), (("2",), "ProcessPickerScreen"), (("enter",), "ZoomScreen")],
)
async def test_help_and_quit_stay_on_screen_at_80_columns(
    press: tuple[str, ...], screen: str
) -> None:
    app = MemtuiApp(model_from_argv("--replay", str(DEMO_STORE)))
    async with app.run_test(size=(80, 24)) as pilot:
        await replay_ready(pilot)
        for key in press:
            await pilot.press(key)
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == screen
        shown = shown_keys(app)
        assert shown[:2] == ["?", "q"], shown
        # Packed tighter, and no palette hint taking ten columns from the keys.
        assert "palette" not in app.screen.query_one(KeyFooter).render().plain


async def test_a_wide_footer_keeps_its_padding_and_the_palette_hint() -> None:
    async with demo_app((140, 40)) as (app, _pilot):
        assert shown_keys(app)[-1] == "^p"
        assert app.screen.query_one(KeyFooter).render().plain.endswith("▏^p palette ")
        assert shown_keys(app)[0] == "?"


async def test_moving_between_tiles_keeps_the_footer_and_its_keys() -> None:
    # Every focus change tells the footer the bindings changed; Textual's footer
    # rebuilt its keys each time (each one remounted and styled, 20-25 ms), three
    # times before the first frame was written. This one redraws when a key changes.
    async with demo_app((120, 40)) as (app, pilot):
        footer = app.screen.query_one(KeyFooter)
        drawn = footer._shown
        assert drawn is not None
        for key in ("right", "down", "left"):
            await pilot.press(key)
            await pilot.pause()
        await pilot.pause(0.3)
        assert footer._shown is drawn  # not drawn again
        assert shown_keys(app)[:2] == ["?", "q"]


async def test_a_click_on_a_key_presses_it_and_a_new_screen_draws_its_own() -> None:
    async with demo_app((120, 40)) as (app, pilot):
        footer = app.screen.query_one(KeyFooter)
        line = footer.render().plain
        assert line.startswith(" ? Help  q Quit ")
        await pilot.click(KeyFooter, offset=(line.index("2 Processes") + 3, 0))
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "ProcessPickerScreen"
        picker_line = app.screen.query_one(KeyFooter).render().plain
        assert "F5 Tree" in picker_line and "2 Processes" not in picker_line
        await pilot.click(KeyFooter, offset=(1, 0))  # `?`
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "HelpScreen"
