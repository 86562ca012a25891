"""The command line agrees with the memory view (issue 12, section 7): dump takes what
`g` takes and picks its format from the file name as `s` does, maps has RSS and whole
paths, record's fields are found whatever their case, Ctrl-C exits 130."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection
from targets import Target, stopped_tasks
from targets.symbols import SymbolsBinaries, start_symbols_target

from memtui.core.process_memory.memory_session import read_smaps_rss
from memtui.core.process_memory.proc_maps import read_maps

pytest_plugins = ["targets.fixtures"]


def memtui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "memtui", *args], capture_output=True, timeout=timeout
    )


def memory_of(pid: int, address: int, length: int) -> bytes:
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        mem.seek(address)
        return mem.read(length)


def malloc_by_hand(pid: int) -> int:
    libc = next(m for m in read_maps(pid) if m.name == "libc.so.6" and m.offset == 0)
    with open(libc.path, "rb") as file:
        dynsym = ELFFile(file).get_section_by_name(".dynsym")
        assert isinstance(dynsym, SymbolTableSection)
        (symbol,) = dynsym.get_symbol_by_name("malloc")
        return libc.start + int(symbol["st_value"])


# -- dump takes what g takes ------------------------------------------------------------


def test_dump_takes_a_mapping_name_as_g_does(symbols_target: Target) -> None:
    pid = symbols_target.pid
    heap = next(m for m in read_maps(pid) if m.path == "[heap]")
    result = memtui("dump", str(pid), "[heap]", "4K", "--format", "raw")
    assert result.returncode == 0, result.stderr
    assert result.stdout == memory_of(pid, heap.start, 4096)
    hex_text = memtui("dump", str(pid), "[heap]+0x10", "16")
    assert hex_text.returncode == 0
    assert hex_text.stdout.decode().startswith(f"{heap.start + 0x10:012x}: ")


def test_dump_takes_symbols_with_offsets(symbols_target: Target) -> None:
    target = symbols_target
    name = Path(str(target.process.args[0])).name
    result = memtui("dump", str(target.pid), "memtui_known_global", "32", "--format", "raw")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"".join(
        v.to_bytes(8, "little") for v in (0x1111, 0x2222, 0x3333, 0x4444)
    )
    offset = memtui(
        "dump", str(target.pid), f"{name}!memtui_known_global+0x8", "8", "--format", "raw"
    )
    assert offset.stdout == (0x2222).to_bytes(8, "little")
    malloc = memtui("dump", str(target.pid), "libc.so.6!malloc", "16", "--format", "raw")
    assert malloc.stdout == memory_of(target.pid, malloc_by_hand(target.pid), 16)


def test_dump_says_which_symbols_an_ambiguous_name_means(symbols_target: Target) -> None:
    result = memtui("dump", str(symbols_target.pid), "strfry", "16")
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.startswith("memtui dump: error: strfry names 2 symbols: ") and err.count("\n") == 1
    assert "libc.so.6!strfry at 0x" in err


def test_dump_of_a_name_that_means_nothing_is_a_usage_error(symbols_target: Target) -> None:
    result = memtui("dump", str(symbols_target.pid), "no_such_thing", "16")
    assert result.returncode == 2
    assert b"not an address, mapping or symbol: no_such_thing" in result.stderr
    assert stopped_tasks(symbols_target.pid) == []


def test_search_finds_pointers_to_what_g_names(symbols_target: Target) -> None:
    target = symbols_target
    # chain_b's first word points at memtui_known_global; words[0] at chain_a.
    result = memtui("search", str(target.pid), "--type", "u64", "memtui_known_global")
    assert result.returncode == 0, result.stderr
    found = [int(line.split()[0], 16) for line in result.stdout.decode().splitlines()]
    assert target.chain_b in found
    heap = next(m for m in read_maps(target.pid) if m.path == "[heap]")
    offset = target.chain_a - heap.start
    by_heap = memtui("search", str(target.pid), "--type", "u64", f"[heap]+0x{offset:x}")
    assert target.words in [
        int(line.split()[0], 16) for line in by_heap.stdout.decode().splitlines()
    ]
    nothing = memtui("search", str(target.pid), "--type", "u64", "no_such_thing")
    assert nothing.returncode == 2
    assert b"not an address, mapping or symbol: no_such_thing" in nothing.stderr
    # Other types keep their own errors: text after u32: is no number, not a name.
    assert (
        b"needs a whole number" in memtui("search", str(target.pid), "--type", "u32", "abc").stderr
    )


# -- dump --output picks the format from the name ------------------------------------------


@pytest.mark.parametrize(
    ("name", "options", "raw"),
    [
        ("d.bin", [], True),
        ("d", [], True),
        ("d.txt", [], False),
        ("D.HEX", [], False),
        ("d.bin", ["--format", "hex"], False),
        ("d.txt", ["--format", "raw"], True),
    ],
)
def test_dump_output_format_follows_the_name_unless_told(
    symbols_target: Target, tmp_path: Path, name: str, options: list[str], raw: bool
) -> None:
    target = symbols_target
    output = tmp_path / name
    result = memtui("dump", str(target.pid), hex(target.known_global), "32", "--output",
                    str(output), *options)  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = memory_of(target.pid, target.known_global, 32)
    if raw:
        assert output.read_bytes() == expected
    else:
        text = output.read_text()
        assert text.startswith(f"{target.known_global:012x}: 1111 0000 0000 0000 2222")


def test_dump_to_stdout_is_still_hex_and_plain_numbers_still_decimal(
    symbols_target: Target,
) -> None:
    target = symbols_target
    result = memtui("dump", str(target.pid), str(target.known_global), "16")
    assert result.stdout.decode().startswith(f"{target.known_global:012x}: 1111 0000")


# -- maps ---------------------------------------------------------------------------------


def test_maps_rss_adds_the_resident_size_and_paths_are_whole(
    symbols_binaries: SymbolsBinaries, tmp_path: Path
) -> None:
    deep = tmp_path / ("a-directory-with-a-long-name-" * 4) / ("b" * 60)
    deep.mkdir(parents=True)
    binary = deep / "symbols_target_with_a_long_file_name"
    shutil.copyfile(symbols_binaries.pie, binary)
    binary.chmod(0o755)
    target = start_symbols_target(binary)
    try:
        plain = memtui("maps", str(target.pid)).stdout.decode().splitlines()
        assert "RSS" not in plain[0]
        assert any(line.endswith(f"  {binary}") for line in plain)  # the whole path
        result = memtui("maps", str(target.pid), "--rss")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.decode().splitlines()
        assert lines[0].split() == ["START-END", "SIZE", "RSS", "PERMS", "OFFSET", "PATH"]
        rss = read_smaps_rss(target.pid)
        assert rss is not None
        heap = next(m for m in read_maps(target.pid) if m.path == "[heap]")
        (row,) = [line for line in lines if line.endswith(" [heap]")]
        fields = row.split()
        assert [int(part, 16) for part in fields[0].split("-")] == [heap.start, heap.end]
        assert " ".join(fields[3:5]) == memtui_bytes(rss[heap.start])
        assert any(line.endswith(f"  {binary}") for line in lines)
    finally:
        target.stop()


def memtui_bytes(value: int) -> str:
    from memtui.core.units import format_bytes

    return format_bytes(value, precision=1)


# -- record --fields ------------------------------------------------------------------------


def record_header(*fields: str) -> subprocess.CompletedProcess[bytes]:
    return memtui("record", "--count", "1", "--interval", "0.05", "--fields", ",".join(fields))


def test_record_fields_are_found_whatever_their_case() -> None:
    result = record_header("committed_as", "ANONPAGES", "MemFree")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[0] == "timestamp,Committed_AS,AnonPages,MemFree"


def test_record_fields_all_is_every_field() -> None:
    result = record_header("all")
    assert result.returncode == 0, result.stderr
    header = result.stdout.decode().splitlines()[0].split(",")
    kernel = [line.split(":")[0] for line in Path("/proc/meminfo").read_text().splitlines()]
    assert header == ["timestamp", *kernel]
    assert record_header("MemFree", "ALL").stdout.decode().split(",")[1] == "MemFree"


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("comitted_as", "Committed_AS"), ("anonpage", "AnonPages"), ("memfre", "MemFree")],
)
def test_record_suggests_a_close_name(typed: str, suggested: str) -> None:
    result = record_header(typed)
    assert result.returncode == 2
    assert f"did you mean {suggested}?" in result.stderr.decode()


@pytest.mark.parametrize("typed", ["al", "xyz", "everything"])
def test_record_suggests_nothing_that_is_not_close(typed: str) -> None:
    result = record_header(typed)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "did you mean" not in err and "Balloon" not in err and "`all`" in err


# -- Ctrl-C -------------------------------------------------------------------------------


def interrupt_after(argv: list[str], ready: float = 1.5) -> tuple[int, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "memtui", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(ready)
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=20)
    finally:
        assert process.stderr is not None
        err = process.stderr.read()
        process.stderr.close()
    return code, err


def test_ctrl_c_on_a_store_recording_exits_130_and_sigterm_0(tmp_path: Path) -> None:
    store = tmp_path / "day.db"
    code, err = interrupt_after(["record", "--interval", "0.1", "--output", str(store)])
    assert (code, "Traceback" in err) == (130, False)
    process = subprocess.Popen(
        [sys.executable, "-m", "memtui", "record", "--interval", "0.1", "--output", str(store)]
    )
    time.sleep(1.5)
    process.terminate()
    assert process.wait(timeout=20) == 0  # how systemd stops it: a normal end
    assert memtui("export", str(store), "--csv").returncode == 0


def test_ctrl_c_on_a_search_exits_130_and_leaves_the_target_running(
    symbols_target: Target,
) -> None:
    # A search that runs long enough to be interrupted: every 1-byte value matches.
    code, err = interrupt_after(
        ["search", str(symbols_target.pid), "--type", "u8", "0", "--limit", "100000000"],
        ready=1.0,
    )
    assert code in (130, 0, 1) and "Traceback" not in err
    if code != 130:
        pytest.fail(f"the search ended before the Ctrl-C ({code}): make it longer")
    assert stopped_tasks(symbols_target.pid) == []
    os.kill(symbols_target.pid, 0)


# -- the view's table keeps the file name ---------------------------------------------------


async def test_the_views_table_cuts_long_paths_from_the_left(
    symbols_binaries: SymbolsBinaries, tmp_path: Path
) -> None:
    from test_memory_view import ViewApp, open_view
    from textual.widgets import DataTable

    deep = tmp_path / ("a-directory-with-a-long-name-" * 4)
    deep.mkdir()
    binary = deep / "symbols_target_file"
    shutil.copyfile(symbols_binaries.pie, binary)
    binary.chmod(0o755)
    target = start_symbols_target(binary)
    try:
        app = ViewApp(target.pid, auto_refresh=False)
        async with app.run_test(size=(120, 40)) as pilot:
            screen, _ = await open_view(pilot)
            table: DataTable[object] = screen.query_one("#mappings", DataTable)
            first = next(m for m in screen.mappings if m.path == str(binary))
            cell = str(table.get_row(str(first.start))[5])
            assert cell.startswith("…") and cell.endswith("/symbols_target_file")
            assert str(binary).endswith(cell[1:])
            # The whole row fits the table: the file name is on screen.
            widths = sum(column.get_render_width(table) for column in table.ordered_columns)
            assert widths <= table.size.width
            await pilot.resize_terminal(139, 40)  # wider, still the table above the bytes
            await pilot.pause(0.2)
            wide = str(table.get_row(str(first.start))[5])
            assert wide.endswith("/symbols_target_file") and len(wide) > len(cell)
    finally:
        target.stop()
