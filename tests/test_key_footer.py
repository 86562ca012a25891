"""The footer keeps the help and quit keys on screen at 80 columns, on every screen."""

from __future__ import annotations

import pytest
from conftest import LEAK_RECORDING, model_from_argv, replay_ready
from textual.widgets._footer import FooterKey

from memtui.app import MemtuiApp

DEMO_STORE = LEAK_RECORDING.parent / "demo-leak.db"


def shown_keys(app: MemtuiApp) -> list[str]:
    """The footer keys whose whole label lies inside the screen."""
    width = app.size.width
    return [
        key.key_display
        for key in app.screen.query(FooterKey)
        if key.region.width > 0 and key.region.right <= width
    ]


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
        assert not app.screen.query(".-command-palette")


async def test_a_wide_footer_keeps_its_padding_and_the_palette_hint() -> None:
    app = MemtuiApp(model_from_argv("--replay", str(DEMO_STORE)))
    async with app.run_test(size=(140, 40)) as pilot:
        await replay_ready(pilot)
        await pilot.pause(0.3)
        assert app.screen.query(".-command-palette")
        assert shown_keys(app)[0] == "?"


async def test_moving_between_tiles_keeps_the_footer_and_its_keys() -> None:
    # Every focus change tells the footer the bindings changed; rebuilding its keys
    # (each one remounted and styled, 20-25 ms) when they are the same ones was
    # three rebuilds before the first frame was written.
    app = MemtuiApp(model_from_argv("--replay", str(DEMO_STORE)))
    async with app.run_test(size=(120, 40)) as pilot:
        await replay_ready(pilot)
        await pilot.pause(0.3)
        before = list(app.screen.query(FooterKey))
        assert before
        for key in ("right", "down", "left"):
            await pilot.press(key)
            await pilot.pause()
        await pilot.pause(0.3)
        assert list(app.screen.query(FooterKey)) == before  # the same widgets, not rebuilt
        assert shown_keys(app)[:2] == ["?", "q"]
