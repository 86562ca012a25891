"""Shared fixtures: dashboard models over the live /proc/meminfo or a saved recording."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from memtui.cli import build_parser
from memtui.commands.dashboard import build_model
from memtui.core.model.dashboard_model import DashboardModel

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
