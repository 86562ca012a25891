"""The fleet of scripts/fleet_demo.py as a pytest fixture: real Prometheus, real node
exporters over fake procfs trees, a memtui exporter; every process stopped after."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fleet_demo.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fleet_demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fleet_demo"] = module
    spec.loader.exec_module(module)
    return module


fleet_demo = _load()
Fleet = fleet_demo.Fleet


@pytest.fixture(scope="module")
def fleet() -> Iterator[fleet_demo.Fleet]:
    missing = fleet_demo.missing_binaries()
    # Never a skip: CI installs both (.ci/run); anywhere else, say what to install.
    assert not missing, f"missing {missing}: apt-get install prometheus prometheus-node-exporter"
    running = fleet_demo.Fleet(3).start()
    try:
        yield running
    finally:
        running.close()
