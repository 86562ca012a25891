"""One snapshot per screen, over a saved recording so the pictures are deterministic."""

from __future__ import annotations

from collections.abc import Callable

from conftest import LEAK_RECORDING, model_from_argv, replay_ready

from memtui.app import MemtuiApp

SnapCompare = Callable[..., bool]


def replay_app() -> MemtuiApp:
    return MemtuiApp(model_from_argv("--replay", str(LEAK_RECORDING)))


def test_dashboard_120x40(snap_compare: SnapCompare) -> None:
    assert snap_compare(replay_app(), run_before=replay_ready, terminal_size=(120, 40))


def test_dashboard_80x24(snap_compare: SnapCompare) -> None:
    assert snap_compare(replay_app(), run_before=replay_ready, terminal_size=(80, 24))


def test_field_picker(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        replay_app(),
        press=["f", "down", "down", "space"],
        run_before=replay_ready,
        terminal_size=(120, 40),
    )


def test_zoomed_chart(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        replay_app(), press=["right", "enter"], run_before=replay_ready, terminal_size=(120, 40)
    )


def test_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        replay_app(), press=["question_mark"], run_before=replay_ready, terminal_size=(100, 30)
    )


def test_dashboard_no_color(snap_compare: SnapCompare, monkeypatch: object) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # type: ignore[attr-defined]
    assert snap_compare(replay_app(), run_before=replay_ready, terminal_size=(80, 24))


def test_dashboard_light_theme(snap_compare: SnapCompare) -> None:
    # Textual's light theme, as the command palette chooses it: bars, verdict and
    # focus stay readable on a light background.
    async def light(pilot: object) -> None:
        await replay_ready(pilot)  # type: ignore[arg-type]
        pilot.app.theme = "textual-light"  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]

    assert snap_compare(replay_app(), run_before=light, terminal_size=(80, 24))


DEMO_STORE = LEAK_RECORDING.parent / "demo-leak.db"
"""A store: it has every process's memory, which the CSV recording has not."""


def store_app() -> MemtuiApp:
    return MemtuiApp(model_from_argv("--replay", str(DEMO_STORE)))


async def picker_ready(pilot: object) -> None:
    await replay_ready(pilot)  # type: ignore[arg-type]
    await pilot.press("2")  # type: ignore[attr-defined]
    await pilot.pause(0.5)  # type: ignore[attr-defined]


def test_picker_120x40(snap_compare: SnapCompare) -> None:
    assert snap_compare(store_app(), run_before=picker_ready, terminal_size=(120, 40))


def test_picker_80x24_names_the_hidden_columns(snap_compare: SnapCompare) -> None:
    assert snap_compare(store_app(), run_before=picker_ready, terminal_size=(80, 24))


def test_picker_tree_and_detail(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        store_app(), press=["f5", "d"], run_before=picker_ready, terminal_size=(120, 40)
    )
