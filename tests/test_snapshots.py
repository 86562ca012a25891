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
