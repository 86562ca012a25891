"""The files memtui writes (dump --output, record --output, the view's save), where
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


# Each writer writes to a path and answers (exit code, the one line it said on error).
Writer = Callable[[Target, Path], tuple[int, str]]


def dump(target: Target, path: Path) -> tuple[int, str]:
    result = memtui("dump", str(target.pid), hex(target.known), "16", "--format", "raw",
                    "--output", str(path))  # fmt: skip
    assert result.stderr.count("\n") <= 1, result.stderr
    return result.returncode, result.stderr.strip()


def record(target: Target, path: Path) -> tuple[int, str]:
    result = memtui("record", "--count", "1", "--output", str(path))
    assert result.stderr.count("\n") <= 1, result.stderr
    return result.returncode, result.stderr.strip()


def save(target: Target, path: Path) -> tuple[int, str]:
    """The memory view's save (the key s runs the same steps on its session thread)."""
    with MemoryReader(target.pid) as reader:
        progress = [p for p in save_steps(reader, SaveRequest(target.known, 16, str(path), False))]
    last = progress[-1]
    assert last is not None and last.done
    return (1, f"memtui: {last.error}") if last.error is not None else (0, "")


WRITERS: dict[str, Writer] = {"dump": dump, "record": record, "save": save}


def stat_of(path: Path) -> tuple[int, int, int, int]:
    info = path.lstat()
    return info.st_ino, info.st_uid, info.st_mode, info.st_size


def leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.startswith("."))


@pytest.mark.parametrize("writer", WRITERS)
def test_a_link_planted_by_another_user_is_refused_and_its_target_untouched(
    writer: str, target: Target, shared_dir: Path, victim: Path
) -> None:
    link = shared_dir / "out.bin"
    as_nobody("ln", "-s", str(victim), str(link))
    before = stat_of(victim)
    code, message = WRITERS[writer](target, link)
    assert (code, message) == (1, f"memtui: cannot write {link}: it {LINK_REFUSED}")
    assert victim.read_bytes() == b"precious" and stat_of(victim) == before
    assert link.is_symlink() and os.readlink(link) == str(victim)
    assert leftovers(shared_dir) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_a_file_another_user_created_is_refused_and_left_as_it_was(
    writer: str, target: Target, shared_dir: Path
) -> None:
    planted = shared_dir / "out.bin"
    as_nobody("sh", "-c", f"umask 0; echo nobody-was-here > '{planted}'")
    before = stat_of(planted)
    code, message = WRITERS[writer](target, planted)
    assert (code, message) == (1, f"memtui: cannot write {planted}: it {NOT_YOURS}")
    assert planted.read_bytes() == b"nobody-was-here\n" and stat_of(planted) == before
    assert before[1] == NOBODY and stat.S_IMODE(before[2]) == 0o666
    assert leftovers(shared_dir) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_a_directory_link_planted_by_another_user_is_refused(
    writer: str, target: Target, shared_dir: Path, tmp_path: Path
) -> None:
    aimed = tmp_path / "root-only"
    aimed.mkdir()
    (aimed / "out.bin").write_bytes(b"precious")
    as_nobody("ln", "-s", str(aimed), str(shared_dir / "d"))
    code, message = WRITERS[writer](target, shared_dir / "d" / "out.bin")
    assert (code, message) == (
        1,
        f"memtui: cannot write {shared_dir}/d/out.bin: the way to it goes through "
        f"{shared_dir}/d, a symbolic link that nobody (uid 65534) owns in a directory "
        "others may write",
    )
    assert (aimed / "out.bin").read_bytes() == b"precious"
    assert os.listdir(aimed) == ["out.bin"]


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


def test_a_fifo_another_user_made_is_refused(target: Target, shared_dir: Path) -> None:
    fifo = shared_dir / "out.fifo"
    as_nobody("mkfifo", "-m", "666", str(fifo))
    code, message = dump(target, fifo)
    assert (code, message) == (1, f"memtui: cannot write {fifo}: it {NOT_YOURS}")


@pytest.mark.parametrize("writer", WRITERS)
def test_a_new_file_is_0600_and_owned_by_you_even_under_umask_000(
    writer: str, target: Target, shared_dir: Path
) -> None:
    out = shared_dir / "new.bin"
    if writer == "save":
        old = os.umask(0)
        try:
            result = save(target, out)
        finally:
            os.umask(old)
    else:
        command = ["dump", str(target.pid), hex(target.known), "16", "--output", str(out)]
        argv = command if writer == "dump" else ["record", "--count", "1", "--output", str(out)]
        completed = memtui(*argv, umask=0)
        result = (completed.returncode, completed.stderr)
    assert result == (0, "")
    info = out.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, os.geteuid())
    assert out.read_bytes()
    assert leftovers(shared_dir) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_a_file_of_yours_is_replaced_whole_by_a_new_0600_one(
    writer: str, target: Target, tmp_path: Path
) -> None:
    out = tmp_path / "mine.bin"
    out.write_bytes(b"old contents that must go, all of them, to the last byte")
    out.chmod(0o644)
    hard_link = tmp_path / "hard-link"
    os.link(out, hard_link)
    assert WRITERS[writer](target, out) == (0, "")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert b"old contents" not in out.read_bytes()
    # Replaced, not written through: another name of the old file keeps the old bytes
    # and its mode.
    assert hard_link.read_bytes().startswith(b"old contents")
    assert stat.S_IMODE(hard_link.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_devices_fifos_and_stdout_are_written_as_they_are(target: Target, tmp_path: Path) -> None:
    null_before = os.stat("/dev/null")
    for writer in WRITERS.values():
        assert writer(target, Path("/dev/null")) == (0, "")
    null_after = os.stat("/dev/null")
    assert (null_after.st_mode, null_after.st_uid) == (null_before.st_mode, null_before.st_uid)

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo, 0o644)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert dump(target, fifo) == (0, "")
    reader.join(timeout=30)
    assert got == [bytes((i * 7 + 3) & 0xFF for i in range(16))]
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o644 and stat.S_ISFIFO(fifo.stat().st_mode)

    for alias in ("/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"):
        result = subprocess.run(
            [sys.executable, "-m", "memtui", "dump", str(target.pid), hex(target.known), "16",
             "--format", "raw", "--output", alias],
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert (result.returncode, result.stderr) == (0, b""), alias
        assert result.stdout == bytes((i * 7 + 3) & 0xFF for i in range(16)), alias
    rows = memtui("record", "--count", "1", "--output", "/dev/stdout")
    assert rows.returncode == 0 and rows.stdout.startswith("timestamp,")


def test_a_directory_is_refused_in_one_line(target: Target, tmp_path: Path) -> None:
    for writer in WRITERS.values():
        assert writer(target, tmp_path) == (
            1,
            f"memtui: cannot write {tmp_path}: Is a directory",
        )


def _limit_file_size() -> None:
    # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG.
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_dump_that_fails_midway_leaves_the_old_file_whole(target: Target, tmp_path: Path) -> None:
    out = tmp_path / "good.bin"
    out.write_bytes(b"a good dump from before")
    # 2 KiB of the 4 KiB are written, then the write fails.
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "dump", str(target.pid), hex(target.known), "4096",
         "--format", "raw", "--output", str(out)],
        capture_output=True, text=True, timeout=60, preexec_fn=_limit_file_size,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == f"memtui: cannot write {out}: File too large\n"
    assert out.read_bytes() == b"a good dump from before"
    assert leftovers(tmp_path) == []


def test_a_cancelled_save_leaves_the_old_file_whole(big_target: Target, tmp_path: Path) -> None:
    out = tmp_path / "good.bin"
    out.write_bytes(b"a good save from before")
    with MemoryReader(big_target.pid) as reader:
        request = SaveRequest(big_target.data, big_target.size, str(out), False)
        steps = save_steps(reader, request)
        assert next(steps) is not None  # the first chunk is written, more to come
        steps.close()  # what Esc does, on the session thread
    assert out.read_bytes() == b"a good save from before"
    assert leftovers(tmp_path) == []


def test_an_empty_file_name_is_a_usage_error(target: Target) -> None:
    for argv in (
        ["dump", str(target.pid), hex(target.known), "16", "--output", ""],
        ["record", "--count", "1", "--output", ""],
    ):
        result = memtui(*argv)
        assert result.returncode == 2, argv
        assert result.stderr.splitlines()[-1].endswith(
            "argument --output: give a file name (or leave --output out for stdout)"
        ), result.stderr
        assert "stdout" not in result.stdout and "Traceback" not in result.stderr
    mappings: list[Mapping] = []
    for text in ("", "   ", "0x1000..+16", "0x1000..+16   "):
        with pytest.raises(ValueError, match="type a file name"):
            parse_save_request(text, mappings, None)
