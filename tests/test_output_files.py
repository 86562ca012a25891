"""The files memtui writes (dump, record and export --output, the view's save), where
another user may have planted something first (issue 9, items 3, 11 and 17).

Planting runs as the real user nobody, through setpriv, in a world-writable
directory: a plain one, where fs.protected_symlinks does not apply whatever its
setting, and a sticky one like /tmp, where it would if it were 1 (on this machine
it is 0). memtui must refuse a link and another user's file itself, either way.
"""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from targets import NOBODY, Target, as_nobody

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_save import SaveRequest, parse_save_request, save_steps
from memtui.core.process_memory.proc_maps import Mapping

pytest_plugins = ["targets.fixtures"]

LINK_REFUSED = "is a symbolic link, and memtui does not follow links for the files it writes"
NOT_YOURS = "belongs to nobody (uid 65534), and memtui writes only files you own"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A root-owned file, where nobody cannot reach it, that a planted link aims at."""
    path = tmp_path / "victim"
    path.write_bytes(b"precious")
    path.chmod(0o644)
    return path


def memtui(*argv: str, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memtui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        **options,  # type: ignore[call-overload]
    )


@dataclass(frozen=True)
class Context:
    target: Target
    store: Path
    """A recording store for `memtui export` to read."""


@pytest.fixture(scope="module")
def recorded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "recorded.db"
    result = memtui("record", "--count", "2", "--interval", "0.05", "--output", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def context(target: Target, recorded_store: Path) -> Context:
    return Context(target, recorded_store)


# Each writer writes to a path and answers (exit code, the one line it said on error).
Writer = Callable[[Context, Path], tuple[int, str]]


def _run(*argv: str) -> tuple[int, str]:
    result = memtui(*argv)
    assert result.stderr.count("\n") <= 1, result.stderr
    return result.returncode, result.stderr.strip()


def dump(context: Context, path: Path) -> tuple[int, str]:
    target = context.target
    return _run("dump", str(target.pid), hex(target.known), "16", "--format", "raw",
                "--output", str(path))  # fmt: skip


def record(context: Context, path: Path) -> tuple[int, str]:
    """CSV (the name ends in .csv) or a store (any other name)."""
    return _run("record", "--count", "1", "--interval", "0.05", "--output", str(path))


def export(context: Context, path: Path) -> tuple[int, str]:
    return _run("export", str(context.store), "--csv", "--output", str(path))


def save(context: Context, path: Path) -> tuple[int, str]:
    """The memory view's save (the key s runs the same steps on its session thread)."""
    request = SaveRequest(context.target.known, 16, str(path), False)
    with MemoryReader(context.target.pid) as reader:
        progress = list(save_steps(reader, request))
    last = progress[-1]
    assert last is not None and last.done
    return (1, f"memtui: {last.error}") if last.error is not None else (0, "")


WRITERS: dict[str, Writer] = {
    "dump": dump,
    "record": record,
    "store": record,
    "export": export,
    "save": save,
}
# The writers that replace a file: all but the store, which SQLite appends to.
REPLACING = ["dump", "record", "export", "save"]


def out(directory: Path, writer: str, stem: str = "out") -> Path:
    """A file name for ``writer``: `record` writes a store unless the name ends in .csv."""
    return directory / f"{stem}.{'db' if writer == 'store' else 'csv'}"


def stat_of(path: Path) -> tuple[int, int, int, int]:
    info = path.lstat()
    return info.st_ino, info.st_uid, info.st_mode, info.st_size


def leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.startswith("."))


@pytest.mark.parametrize("writer", WRITERS)
def test_a_link_planted_by_another_user_is_refused_and_its_target_untouched(
    writer: str, context: Context, shared_dir: Path, victim: Path
) -> None:
    link = out(shared_dir, writer)
    as_nobody("ln", "-s", str(victim), str(link))
    before = stat_of(victim)
    code, message = WRITERS[writer](context, link)
    assert (code, message) == (1, f"memtui: cannot write {link}: it {LINK_REFUSED}")
    assert victim.read_bytes() == b"precious" and stat_of(victim) == before
    assert link.is_symlink() and os.readlink(link) == str(victim)
    assert leftovers(shared_dir) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_a_file_another_user_created_is_refused_and_left_as_it_was(
    writer: str, context: Context, shared_dir: Path
) -> None:
    planted = out(shared_dir, writer)
    as_nobody("sh", "-c", f"umask 0; echo nobody-was-here > '{planted}'")
    before = stat_of(planted)
    code, message = WRITERS[writer](context, planted)
    assert (code, message) == (1, f"memtui: cannot write {planted}: it {NOT_YOURS}")
    assert planted.read_bytes() == b"nobody-was-here\n" and stat_of(planted) == before
    assert before[1] == NOBODY and stat.S_IMODE(before[2]) == 0o666
    assert leftovers(shared_dir) == []


@pytest.mark.parametrize("sidecar", ["-wal", "-shm", "-journal"])
def test_a_store_refuses_sqlite_files_another_user_planted_beside_it(
    sidecar: str, context: Context, shared_dir: Path, victim: Path
) -> None:
    store = shared_dir / "out.db"
    planted = shared_dir / f"out.db{sidecar}"
    as_nobody("ln", "-s", str(victim), str(planted))
    assert record(context, store) == (1, f"memtui: cannot write {planted}: it {LINK_REFUSED}")
    planted.unlink()
    as_nobody("sh", "-c", f"umask 0; : > '{planted}'")
    assert record(context, store) == (1, f"memtui: cannot write {planted}: it {NOT_YOURS}")
    assert victim.read_bytes() == b"precious" and planted.read_bytes() == b""
    assert sorted(os.listdir(shared_dir)) == [planted.name]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_directory_link_planted_by_another_user_is_refused(
    writer: str, context: Context, shared_dir: Path, tmp_path: Path
) -> None:
    aimed = tmp_path / "root-only"
    aimed.mkdir()
    name = out(aimed, writer).name
    (aimed / name).write_bytes(b"precious")
    as_nobody("ln", "-s", str(aimed), str(shared_dir / "d"))
    code, message = WRITERS[writer](context, shared_dir / "d" / name)
    assert (code, message) == (
        1,
        f"memtui: cannot write {shared_dir}/d/{name}: the way to it goes through "
        f"{shared_dir}/d, a symbolic link that nobody (uid 65534) owns in a directory "
        "others may write",
    )
    assert (aimed / name).read_bytes() == b"precious"
    assert os.listdir(aimed) == [name]


def test_links_on_the_way_that_no_one_else_could_plant_are_followed(
    target: Target, shared_dir: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, shared_dir / "mine")  # yours, in a directory others may write
    os.symlink("real", tmp_path / "relative")  # in a directory of yours alone
    argv = ["dump", str(target.pid), hex(target.known), "16", "--format", "raw", "--output"]
    for path in (
        f"{shared_dir}/mine/a.bin",
        f"{tmp_path}/relative/b.bin",
        f"{tmp_path}/relative/../real/c.bin",
        "/proc/self/cwd/d.bin",
    ):
        result = memtui(*argv, path, cwd=real)
        assert (result.returncode, result.stderr) == (0, ""), path
    assert sorted(os.listdir(real)) == ["a.bin", "b.bin", "c.bin", "d.bin"]


def test_a_fifo_another_user_made_is_refused(context: Context, shared_dir: Path) -> None:
    fifo = shared_dir / "out.fifo"
    as_nobody("mkfifo", "-m", "666", str(fifo))
    assert dump(context, fifo) == (1, f"memtui: cannot write {fifo}: it {NOT_YOURS}")


@pytest.mark.parametrize("writer", WRITERS)
def test_a_new_file_is_0600_and_owned_by_you_even_under_umask_000(
    writer: str, context: Context, shared_dir: Path
) -> None:
    path = out(shared_dir, writer, "new")
    old = os.umask(0)  # the commands started here inherit it
    try:
        assert WRITERS[writer](context, path) == (0, "")
    finally:
        os.umask(old)
    info = path.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, os.geteuid())
    assert path.read_bytes()
    assert leftovers(shared_dir) == []


@pytest.mark.parametrize("writer", REPLACING)
def test_a_file_of_yours_is_replaced_whole_by_a_new_0600_one(
    writer: str, context: Context, tmp_path: Path
) -> None:
    path = out(tmp_path, writer, "mine")
    path.write_bytes(b"old contents that must go, all of them, to the last byte")
    path.chmod(0o644)
    hard_link = tmp_path / "hard-link"
    os.link(path, hard_link)
    assert WRITERS[writer](context, path) == (0, "")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"old contents" not in path.read_bytes()
    # Replaced, not written through: another name of the old file keeps the old bytes
    # and its mode.
    assert hard_link.read_bytes().startswith(b"old contents")
    assert stat.S_IMODE(hard_link.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


KNOWN_16 = bytes((i * 7 + 3) & 0xFF for i in range(16))


def test_devices_fifos_and_stdout_are_written_as_they_are(context: Context, tmp_path: Path) -> None:
    null_before = os.stat("/dev/null")
    for writer in (dump, export, save):
        assert writer(context, Path("/dev/null")) == (0, "")
    null_after = os.stat("/dev/null")
    assert (null_after.st_mode, null_after.st_uid) == (null_before.st_mode, null_before.st_uid)

    for writer in (dump, record):
        fifo = tmp_path / f"{writer.__name__}.csv"  # .csv: record writes CSV, not a store
        os.mkfifo(fifo, 0o644)
        got: list[bytes] = []
        reader = threading.Thread(target=lambda f=fifo, g=got: g.append(f.read_bytes()))
        reader.start()
        assert writer(context, fifo) == (0, "")
        reader.join(timeout=30)
        assert len(got) == 1
        assert got[0] == KNOWN_16 if writer is dump else got[0].startswith(b"timestamp,")
        assert stat.S_IMODE(fifo.stat().st_mode) == 0o644 and stat.S_ISFIFO(fifo.stat().st_mode)

    for alias in ("/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"):
        result = subprocess.run(
            [sys.executable, "-m", "memtui", "dump", str(context.target.pid),
             hex(context.target.known), "16", "--format", "raw", "--output", alias],
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert (result.returncode, result.stderr, result.stdout) == (0, b"", KNOWN_16), alias
    rows = memtui("export", str(context.store), "--csv", "--output", "/dev/stdout")
    assert rows.returncode == 0 and rows.stdout.startswith("timestamp,")


@pytest.mark.parametrize("writer", WRITERS)
def test_a_directory_is_refused_in_one_line(writer: str, context: Context, tmp_path: Path) -> None:
    directory = out(tmp_path, writer, "a-directory")
    directory.mkdir()
    expected = (1, f"memtui: cannot write {directory}: Is a directory")
    assert WRITERS[writer](context, directory) == expected


def _limit_file_size() -> None:
    # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG.
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_dump_that_fails_midway_leaves_the_old_file_whole(target: Target, tmp_path: Path) -> None:
    path = tmp_path / "good.bin"
    path.write_bytes(b"a good dump from before")
    # 2 KiB of the 4 KiB are written, then the write fails.
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "dump", str(target.pid), hex(target.known), "4096",
         "--format", "raw", "--output", str(path)],
        capture_output=True, text=True, timeout=60, preexec_fn=_limit_file_size,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == f"memtui: cannot write {path}: File too large\n"
    assert path.read_bytes() == b"a good dump from before"
    assert leftovers(tmp_path) == []


def test_a_cancelled_save_leaves_the_old_file_whole(big_target: Target, tmp_path: Path) -> None:
    path = tmp_path / "good.bin"
    path.write_bytes(b"a good save from before")
    with MemoryReader(big_target.pid) as reader:
        request = SaveRequest(big_target.data, big_target.size, str(path), False)
        steps = save_steps(reader, request)
        assert next(steps) is not None  # the first chunk is written, more to come
        steps.close()  # what Esc does, on the session thread
    assert path.read_bytes() == b"a good save from before"
    assert leftovers(tmp_path) == []


def test_an_empty_file_name_is_a_usage_error(context: Context) -> None:
    target = context.target
    for argv in (
        ["dump", str(target.pid), hex(target.known), "16", "--output", ""],
        ["record", "--count", "1", "--output", ""],
        ["export", str(context.store), "--csv", "--output", ""],
    ):
        result = memtui(*argv)
        assert result.returncode == 2, argv
        assert (
            "argument --output: give a file name (or leave --output out for stdout)"
            in result.stderr.splitlines()[-1]
        ), result.stderr
        assert "stdout" not in result.stdout and "Traceback" not in result.stderr
    mappings: list[Mapping] = []
    for text in ("", "   ", "0x1000..+16", "0x1000..+16   "):
        with pytest.raises(ValueError, match="type a file name"):
            parse_save_request(text, mappings, None)
