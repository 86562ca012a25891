"""Mapped files whose names hold line breaks other than newline, and bytes that are not
UTF-8 (issue 9, items 4 and 11).

The kernel escapes only ``\\n`` in /proc/PID/maps and smaps; every other byte of a
file name comes through as it is. memtui must split /proc text on newline alone,
keep such names whole, show them escaped, and print them under any locale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.text import Text
from targets import stop_process
from targets.odd_names import (
    NEEDLE_PREFIX,
    ODD_NAMES,
    POINTER_AT,
    SHOWN_NAMES,
    OddNamesTarget,
    running_odd_names_target,
)
from test_memory_view import ViewApp, go_to, open_view, wait_until
from textual.widgets import DataTable, Static

from memtui.core.leak.mapping_growth import parse_smaps, read_smaps
from memtui.core.meminfo.parser import parse_meminfo
from memtui.core.printable import printable
from memtui.core.process_memory.address_expression import resolve_address
from memtui.core.process_memory.data_inspector import describe_pointer
from memtui.core.process_memory.memory_session import parse_smaps_rss, read_smaps_rss
from memtui.core.process_memory.proc_maps import find_mapping, parse_maps, read_maps
from memtui.core.process_memory.process_facts import parse_status, read_process_facts
from memtui.widgets.data_inspector import DataInspector

FAKE_START = 0x7F0000000000


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OddNamesTarget]:
    with running_odd_names_target(tmp_path_factory.mktemp("odd")) as target:
        yield target


@pytest.fixture(scope="session")
def locale_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """en_US.UTF-8 and en_US.ISO-8859-1, built with localedef: this machine has neither."""
    directory = tmp_path_factory.mktemp("locales")
    for charmap in ("UTF-8", "ISO-8859-1"):
        subprocess.run(
            ["localedef", "-i", "en_US", "-f", charmap, str(directory / f"en_US.{charmap}")],
            check=True,
            capture_output=True,
        )
    return directory


LOCALES = ["C", "POSIX", "en_US.UTF-8", "en_US.ISO-8859-1"]
ENCODINGS = {"en_US.UTF-8": "utf-8", "en_US.ISO-8859-1": "iso8859-1"}


def locale_env(locale_dir: Path, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHON"))}
    env.update(LOCPATH=str(locale_dir), LANG=name)
    return env


def run_under(
    locale_dir: Path, name: str, *argv: str | bytes
) -> subprocess.CompletedProcess[bytes]:
    env = locale_env(locale_dir, name)
    if name in ENCODINGS:
        # Were the locale missing, Python would fall back to C and its UTF-8 mode:
        # make sure the command runs under the locale the test names.
        probe = subprocess.run(
            [sys.executable, "-c", "import sys; print(sys.stdout.encoding, sys.stdout.errors)"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert probe.stdout.split() == [ENCODINGS[name], "strict"], probe
    return subprocess.run(
        [sys.executable, "-m", "memtui", *argv], env=env, capture_output=True, timeout=60
    )


def expected_text(text: str, name: str) -> str:
    """``text`` as a terminal under locale ``name`` gets it back from memtui."""
    if name == "en_US.ISO-8859-1":
        return text.encode("latin-1", "backslashreplace").decode("latin-1")
    return text


def decoded(output: bytes, name: str) -> str:
    return output.decode("latin-1" if name == "en_US.ISO-8859-1" else "utf-8")


# -- the parsers, on the real /proc of a process that maps the files --------------------


def test_maps_lists_each_file_once_with_its_whole_name(odd: OddNamesTarget) -> None:
    mappings = read_maps(odd.pid)
    assert not any(m.start == FAKE_START for m in mappings)
    assert not any(m.path == "[fake-mapping]" for m in mappings)
    for key, address in odd.addresses.items():
        mapping = find_mapping(mappings, address)
        assert mapping is not None and mapping.start == address, key
        if key == "newline":
            assert mapping.path == f"{odd.directory}/new\\012line"  # the kernel's escape
        else:
            assert os.fsencode(mapping.path) == odd.path(key), key
        assert mapping.name == SHOWN_NAMES[key], key
        assert mapping.display_path == odd.shown_path(key), key


def test_smaps_gives_each_file_its_own_rss_and_name(odd: OddNamesTarget) -> None:
    rss = read_smaps_rss(odd.pid)
    assert rss is not None and FAKE_START not in rss
    regions = {region.start: region for region in read_smaps(odd.pid)}
    assert FAKE_START not in regions
    for key, address in odd.addresses.items():
        assert rss[address] == 4096, key  # the child wrote its pointer into the page
        if key != "newline":
            assert os.fsencode(regions[address].name) == odd.path(key), key
        assert regions[address].rss == 4096, key


def test_a_pointer_into_a_file_is_named_as_shown(odd: OddNamesTarget) -> None:
    mappings = read_maps(odd.pid)
    for key, address in odd.addresses.items():
        _, where = describe_pointer(address + 8, mappings)
        assert where == f"→ {SHOWN_NAMES[key]}+0x8 (rw-s)", key
        # What is shown can be typed back to `g`.
        assert resolve_address(f"{SHOWN_NAMES[key]}+10", mappings) == address + 0x10, key


# -- the headless commands under every locale ------------------------------------------


def _no_control_bytes(output: bytes) -> bool:
    return all(byte >= 0x20 or byte == 0x0A for byte in output)


@pytest.mark.parametrize("locale", LOCALES)
def test_maps_prints_every_name_escaped(odd: OddNamesTarget, locale_dir: Path, locale: str) -> None:
    result = run_under(locale_dir, locale, "maps", str(odd.pid))
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert _no_control_bytes(result.stdout)
    lines = decoded(result.stdout, locale).split("\n")
    assert lines[-1] == ""
    assert len(lines) - 2 == len(read_maps(odd.pid))  # a header, no line split in two
    for key, address in odd.addresses.items():
        line = next(line for line in lines[1:-1] if int(line.partition("-")[0], 16) == address)
        assert line.endswith("  " + expected_text(odd.shown_path(key), locale)), key
    assert not any(int(line.partition("-")[0], 16) == FAKE_START for line in lines[1:-1])


@pytest.mark.parametrize("locale", LOCALES)
def test_search_prints_matches_in_oddly_named_files(
    odd: OddNamesTarget, locale_dir: Path, locale: str
) -> None:
    result = run_under(locale_dir, locale, "search", str(odd.pid), NEEDLE_PREFIX.decode())
    assert (result.returncode, result.stderr) == (0, b"")
    assert _no_control_bytes(result.stdout)
    expected = [
        f"0x{address:x} {expected_text(odd.shown_path(key), locale)}"
        for key, address in sorted(odd.addresses.items(), key=lambda item: item[1])
    ]
    assert decoded(result.stdout, locale).splitlines() == expected


@pytest.mark.parametrize("locale", ["C", "POSIX", "en_US.UTF-8"])
def test_errors_print_odd_paths_escaped_on_one_line(
    odd: OddNamesTarget, locale_dir: Path, locale: str, tmp_path: Path
) -> None:
    missing = os.fsencode(tmp_path) + b"/no-dir-\xff\x0c\x1c/out.bin"
    shown = f"{tmp_path}/no-dir-\\xff\\f\\x1c/out.bin"
    address = hex(odd.addresses["fake"])
    for argv in (
        ["dump", str(odd.pid), address, "16", "--output", missing],
        ["record", "--count", "1", "--output", missing],
    ):
        result = run_under(locale_dir, locale, *argv)
        assert result.returncode == 1, argv
        assert result.stdout == b""
        assert decoded(result.stderr, locale) == (
            f"memtui: cannot write {shown}: No such file or directory\n"
        ), argv
    # And a dump into a file of such a name writes that file.
    out = os.fsencode(tmp_path) + b"/dump-\xff\x0c.bin"
    result = run_under(locale_dir, locale, "dump", str(odd.pid), address, "16", "--format",
                       "raw", "--output", out)  # fmt: skip
    assert (result.returncode, result.stderr) == (0, b"")
    with open(out, "rb") as file:
        assert file.read() == (NEEDLE_PREFIX + b"fake")[:16]


# -- the memory view -------------------------------------------------------------------


def inspected_pointer(inspector: DataInspector) -> int | None:
    return inspector.inspection.pointer if inspector.inspection is not None else None


async def test_the_view_shows_odd_names_escaped(odd: OddNamesTarget) -> None:
    app = ViewApp(odd.pid, auto_refresh=False)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        table: DataTable[Text] = screen.query_one("#mappings", DataTable)
        for key in ODD_NAMES:
            cell, path = str(table.get_row(str(odd.addresses[key]))[-1]), odd.shown_path(key)
            # A long path is cut from the left, so the (odd) file name stays in view.
            assert cell == path or (cell.startswith("…") and path.endswith(cell[1:])), key
        assert table.row_count == len(read_maps(odd.pid))  # no line read as a mapping
        inspector = screen.query_one(DataInspector)
        for key in ("fake", "not_utf8", "breaks"):
            address = odd.addresses[key]
            await go_to(pilot, f"{address + POINTER_AT:x}")
            await wait_until(pilot, lambda a=address: hex_view.cursor_address == a + POINTER_AT)
            title = str(screen.query_one("#memory-title", Static).content)
            assert f" {SHOWN_NAMES[key]}+0x{POINTER_AT:x}" in title, title
            await pilot.press("i")
            await wait_until(pilot, lambda a=address: inspected_pointer(inspector) == a)
            assert inspector.inspection is not None
            assert inspector.inspection.pointer_text.endswith(f" → {SHOWN_NAMES[key]}+0x0 (rw-s)")
            await pilot.press("i")


# -- saved /proc text: only a newline ends a line ------------------------------------

# What the kernel writes for such files: a newline in a name is \012, nothing else is
# escaped. splitlines() would end lines at every other break below.
SAVED_MAPS = (
    "7f0000100000-7f0000101000 r--p 00000000 fd:01 11    /tmp/inj\f"
    "7f0000000000-7f0000001000 rwxp 00000000 00:00 0 [fake-mapping]\n"
    "7f0000102000-7f0000103000 r--p 00000000 fd:01 12    "
    "/tmp/a\rb\vc\x1cd\x1de\x1ef\x85g\u2028h\u2029i\n"
    "7f0000104000-7f0000105000 r--p 00000000 fd:01 13    /tmp/ends in ff\f\n"
    "7f0000106000-7f0000107000 r--p 00000000 fd:01 14    /tmp/new\\012line\n"
    "7f0000108000-7f0000109000 rw-p 00000000 00:00 0 \n"
)
SAVED_PATHS = [
    "/tmp/inj\f7f0000000000-7f0000001000 rwxp 00000000 00:00 0 [fake-mapping]",
    "/tmp/a\rb\vc\x1cd\x1de\x1ef\x85g\u2028h\u2029i",
    "/tmp/ends in ff\f",
    "/tmp/new\\012line",
    "",
]


def test_saved_maps_split_on_newline_only() -> None:
    mappings = parse_maps(SAVED_MAPS)
    assert [m.path for m in mappings] == SAVED_PATHS
    assert [m.display_path for m in mappings] == [
        r"/tmp/inj\f7f0000000000-7f0000001000 rwxp 00000000 00:00 0 [fake-mapping]",
        r"/tmp/a\rb\vc\x1cd\x1de\x1ef\x85g\u2028h\u2029i",
        r"/tmp/ends in ff\f",
        r"/tmp/new\012line",
        "[anon]",
    ]


def _saved_smaps() -> str:
    fields = "Size:          4 kB\nRss:           {} kB\nSwap:          0 kB\n"
    lines = SAVED_MAPS.split("\n")[:-1]
    return "".join(f"{line}\n{fields.format(4 * (i + 1))}" for i, line in enumerate(lines))


def test_saved_smaps_split_on_newline_only() -> None:
    text = _saved_smaps()
    starts = [m.start for m in parse_maps(SAVED_MAPS)]
    assert parse_smaps_rss(text) == {start: 4096 * (i + 1) for i, start in enumerate(starts)}
    regions = parse_smaps(text.encode("utf-8", "surrogateescape"))
    assert [(r.start, r.name, r.rss) for r in regions] == [
        (start, path or "[anon]", 4096 * (i + 1))
        for i, (start, path) in enumerate(zip(starts, SAVED_PATHS, strict=True))
    ]


def test_a_carriage_return_in_a_process_name_ends_no_status_line() -> None:
    status = b"Name:\tcut\rTracerPid:\t42\nUmask:\t0022\nTracerPid:\t0\nUid:\t0\t0\t0\t0\n"
    fields = parse_status(status)
    assert fields["Name"] == "cut\rTracerPid:\t42"
    assert fields["TracerPid"] == "0"
    assert list(fields) == ["Name", "Umask", "TracerPid", "Uid"]


def test_a_carriage_return_ends_no_meminfo_line() -> None:
    # A value cut by a carriage return is malformed, not two fields.
    assert parse_meminfo(b"MemTotal:  100 kB\rMemFree: 5 kB\nCached:  7 kB\r\n") == {
        "Cached": 7 * 1024
    }


def test_a_real_process_name_with_line_breaks_is_read_whole(tmp_path: Path) -> None:
    name = b"a\rb\x0bc\x0cd\x1ce"
    child = subprocess.Popen(
        [sys.executable, "-c", f"open('/proc/self/comm', 'wb').write({name!r}); input()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child.pid}/comm").read_bytes() != name + b"\n":
            assert time.monotonic() < deadline, "the child did not rename itself"
            time.sleep(0.01)
        assert read_process_facts(child.pid).name == name.decode()
    finally:
        stop_process(child)


# -- the escape itself -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("/usr/lib/libc.so.6", "/usr/lib/libc.so.6"),
        ("a b", "a b"),
        ("tab\there", r"tab\there"),
        ("\x00\x07\x08\x1b\x7f", r"\x00\a\b\x1b\x7f"),
        ("nbsp\xa0zwj\u200d rtl\u202e", r"nbsp\xa0zwj\u200d rtl\u202e"),
        ("\U000e0001", r"\U000e0001"),
        (os.fsdecode(b"\xc3\x28\x80"), r"\xc3(\x80"),
        ("back\\slash", "back\\slash"),
        ("日本語 ü", "日本語 ü"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown
