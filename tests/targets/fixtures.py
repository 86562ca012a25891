"""Pytest fixtures over the target programs; test modules import the ones they use."""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from targets import Binaries, Target, assert_running, build, start_target
from targets.pattern import build_pattern_target
from targets.symbols import SymbolsBinaries, build_symbols_targets, start_symbols_target
from targets.values import build_values_target

BIG_SIZE = 64 << 20
BIG_SEED = 20260601


@pytest.fixture(scope="session")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> Binaries:
    return build(tmp_path_factory.mktemp("targets"))


@pytest.fixture(scope="session")
def pattern_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The memory view's target (targets/pattern_target.c)."""
    return build_pattern_target(tmp_path_factory.mktemp("pattern"))


@pytest.fixture(scope="session")
def values_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """targets/values_target.c: known values, a counter and a read-only page."""
    return build_values_target(tmp_path_factory.mktemp("values"))


@pytest.fixture(scope="session")
def symbols_binaries(tmp_path_factory: pytest.TempPathFactory) -> SymbolsBinaries:
    """targets/symbols_target.c as a PIE, as a non-PIE executable, and stripped."""
    return build_symbols_targets(tmp_path_factory.mktemp("symbols"))


@pytest.fixture(params=["pie", "nopie"])
def symbols_target(
    request: pytest.FixtureRequest, symbols_binaries: SymbolsBinaries
) -> Iterator[Target]:
    """The symbols target, once as a PIE and once not."""
    running = start_symbols_target(getattr(symbols_binaries, request.param))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def target(binaries: Binaries) -> Iterator[Target]:
    """A target with three worker threads; on teardown, none may be stopped."""
    running = start_target(binaries.target, threads=3)
    try:
        yield running
        if running.process.poll() is None:
            assert_running(running)
    finally:
        running.stop()


@pytest.fixture(scope="module")
def big_bytes() -> bytes:
    return random.Random(BIG_SEED).randbytes(BIG_SIZE)


@pytest.fixture(scope="module")
def big_target(
    binaries: Binaries, big_bytes: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """A target holding BIG_SIZE known random bytes at ``data``, with four threads."""
    path: Path = tmp_path_factory.mktemp("big") / "data.bin"
    path.write_bytes(big_bytes)
    running = start_target(binaries.target, threads=4, data_file=path)
    try:
        yield running
        assert_running(running)
    finally:
        running.stop()


@pytest.fixture(params=["plain", "sticky"])
def shared_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A directory under /tmp where nobody may write too: 0777, where
    fs.protected_symlinks never applies, or 1777 like /tmp itself."""
    path = Path(tempfile.mkdtemp(prefix="memtui-shared-", dir="/tmp"))
    path.chmod(0o1777 if request.param == "sticky" else 0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path)
