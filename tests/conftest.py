"""Shared fixtures: dashboard models over the live /proc/meminfo or a saved recording."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from memtui.cli import build_parser
from memtui.commands.dashboard import build_model
from memtui.core.model.dashboard_model import DashboardModel

# Replays show the wall-clock time of the recording: pin the zone so snapshots agree.
os.environ["TZ"] = "UTC"
time.tzset()

DATA = Path(__file__).parent / "data"
LEAK_RECORDING = DATA / "recordings" / "leak-3mib-per-s.csv"


def model_from_argv(*argv: str) -> DashboardModel:
    """The model `memtui ARGV...` would start with."""
    return build_model(build_parser().parse_args(list(argv)))


@pytest.fixture
def live_model() -> Callable[..., DashboardModel]:
    """A live model that samples fast and keeps little history, so tests see charts
    move within a second or two."""

    def make(*extra: str) -> DashboardModel:
        return model_from_argv("--interval", "0.25", "--history", "8", *extra)

    return make


@pytest.fixture
def leak_replay() -> DashboardModel:
    """A real recording: 30 s steady, then a process leaking 3 MiB/s, then freeing it."""
    return model_from_argv("--replay", str(LEAK_RECORDING))


async def replay_ready(pilot: Pilot[None]) -> None:
    """Wait until a replay's first page is in, with its processes (they load on a
    worker thread, the processes after the first frame)."""
    app = pilot.app
    model = app.model  # type: ignore[attr-defined]

    def ready() -> bool:
        replay = model.replay
        return replay is None or (replay.loading is None and not replay.processes_pending)

    for _ in range(200):
        if ready():
            break
        await asyncio.sleep(0.05)
    assert ready(), model.replay.loading
    await pilot.pause()
