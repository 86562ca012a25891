"""The command line's contract: version, help, usage errors, and no textual on headless paths."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memtui import __version__
from memtui.cli import (
    SUBCOMMANDS,
    NegativeNumberMatcher,
    build_parser,
    main,
    negative_number,
    parse_arguments,
)


def run_memtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memtui", *args], capture_output=True, text=True, timeout=60
    )


def test_version_prints_the_package_version() -> None:
    result = run_memtui("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"memtui {__version__}"


def test_help_lists_every_subcommand() -> None:
    result = run_memtui("--help")
    assert result.returncode == 0
    for command in ("record", "dump", "maps"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["dump", "notapid", "0x1000", "16"],
        ["dump", "1", "0xZZ", "16"],
        ["dump", "1", "0x1000", "16Q"],
        ["--interval", "-1"],
        ["record", "--count", "0"],
    ],
)
def test_bad_arguments_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["dump", "1", "0x_1000", "16"],
        ["dump", "1", "0x1000", "1_6"],
        ["dump", "1_0", "0x1000", "16"],
        ["search", "1", "x", "--limit", "1_000"],
        ["record", "--count", "1_0"],
        ["record", "--interval", "1_0"],
        ["--leak-min-fit", "0.8_0"],
        ["--leak-threshold", "1_6"],
    ],
)
def test_numbers_with_underscores_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)  # never starts the dashboard, even if it parses
    assert exit_info.value.code == 2
    assert "no underscores in numbers" in capsys.readouterr().err


def test_parser_accepts_the_documented_forms() -> None:
    args = build_parser().parse_args(["dump", "42", "0x7f00", "16M", "--format", "raw"])
    assert (args.pid, args.address, args.length, args.format) == (42, 0x7F00, 16 << 20, "raw")
    assert args.method == "procmem" and not args.no_freeze


def _outcome(
    parse: Callable[[list[str]], object], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[object, str, str]:
    """What parsing ``argv`` gives: the namespace (or the exit code), stdout, stderr."""
    try:
        result = parse(argv)
    except SystemExit as end:
        result = ("exit", end.code)
    out, err = capsys.readouterr()
    return result, out, err


@pytest.mark.parametrize(
    "argv",
    [
        # help, of the whole command line and of each subcommand
        ["--help"],
        ["-h"],
        ["--help", "dump"],
        *([name, "--help"] for name, _ in SUBCOMMANDS),
        ["dump", "-h", "not", "parsed"],
        ["--version"],
        ["--version", "maps"],
        # usage errors, at the top and inside a subcommand
        ["bogus"],
        ["--replay", "dump", "bogus"],
        ["--bogus"],
        ["--pid", "x"],
        ["--pid", "x", "maps", "1"],
        ["dump"],
        ["dump", "1"],
        ["dump", "x", "0x10", "16"],
        ["dump", "1", "0x10", "16", "--format", "xml"],
        ["maps"],
        ["maps", "1", "extra"],
        ["search", "1", "x", "--type", "nope"],
        ["record", "--count", "0"],
        ["export"],
        ["exporter", "--top", "0"],
        ["demo-leak", "--threads", "0"],
        # what parses
        [],
        ["--interval", "2", "--pid", "1"],
        ["dump", "1", "0x10", "16"],
        ["dump", "1", "[heap]+0x10", "4K", "--no-freeze", "--output", "d.bin"],
        ["maps", "1", "--rss"],
        ["--replay", "dump"],
        ["--replay", "maps", "maps", "1"],
        ["search", "1", "-5", "--type", "i32"],
        ["search", "1", "-1.5~.75", "--type", "f64"],
        ["search", "1", "-0x10", "--type", "i64"],
        ["search", "1", "-Inf", "--type", "f64"],
        ["search", "1", "-x", "--type", "f64"],
        ["record", "--count", "3", "--fields", "MemFree"],
        ["export", "x.db", "--csv"],
        ["exporter"],
        ["demo-leak", "--seed", "1"],
    ],
)
def test_the_command_line_parses_as_the_whole_parser_does(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # memtui builds only the subcommands its arguments name; what a user sees, and
    # what a command gets, must be what the parser with every subcommand gives.
    monkeypatch.setenv("COLUMNS", "100")
    whole = _outcome(build_parser().parse_args, argv, capsys)
    assert _outcome(parse_arguments, argv, capsys) == whole
    if whole[0] == ("exit", 0):
        assert whole[1]  # help or the version, on stdout
    elif isinstance(whole[0], tuple):
        assert whole[0] == ("exit", 2) and "error" in whole[2]


def test_memtui_help_lists_every_subcommand_with_its_help() -> None:
    result = run_memtui("--help")
    assert result.returncode == 0
    for name, help_text in (
        ("record", "record the machine's memory"),
        ("dump", "print or save a range of a process's memory"),
        ("maps", "print a process's memory mappings"),
        ("demo-leak", "run the book's leak experiment"),
    ):
        assert any(
            line.split()[:1] == [name] and help_text in line for line in result.stdout.splitlines()
        ), name


def test_dump_help_and_an_unknown_subcommand_read_as_before() -> None:
    dump_help = run_memtui("dump", "--help")
    assert dump_help.returncode == 0
    assert dump_help.stdout.startswith("usage: memtui dump [-h]")
    for option in ("--format", "--method", "--no-freeze", "--output"):
        assert option in dump_help.stdout
    unknown = run_memtui("bogus")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr == (
        "memtui: error: argument COMMAND: invalid choice: 'bogus' (choose from 'record', "
        "'export', 'dump', 'search', 'exporter', 'maps', 'demo-leak') (see memtui --help)\n"
    )


@given(st.text(alphabet="-0123456789.~+_eExXaAfFiInNtTyY ", max_size=12))
def test_the_negative_number_matcher_says_what_its_pattern_says(tail: str) -> None:
    # It skips the pattern when the character after '-' rules a number out; that
    # shortcut must never turn away a number, nor let through what is none.
    text = "-" + tail
    assert bool(NegativeNumberMatcher().match(text)) == bool(negative_number().match(text))


def test_headless_import_does_not_load_textual() -> None:
    code = (
        "import sys, memtui.cli, memtui.core.units;"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_no_core_or_headless_module_imports_textual() -> None:
    # Every module of the core and of the headless commands, imported in a fresh
    # interpreter: none may pull in textual (the UI renders what the core returns).
    code = """
import importlib, pkgutil, sys
import memtui.core, memtui.commands
names = []
for package in (memtui.core, memtui.commands):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        names.append(info.name)
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(len(names), loaded)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    count, loaded = result.stdout.split(" ", 1)
    assert int(count) >= 30
    assert loaded.strip() == "[]"


LONG = 10_000


def _cut_short(argv: list[str], index: int) -> str:
    """Argument ``index`` of ``argv``, 40 characters long if it was LONG."""
    if len(argv[index]) != LONG:
        return argv[index]
    # dump's ADDRESS (and search's u64 PATTERN) takes what `g` takes: 40 z's would be a
    # name, looked up in the process; 0x and 38 z's is still no number.
    return "0x" + "z" * 38 if argv[0] in ("dump", "search") and index == 2 else "z" * 40


@pytest.mark.parametrize(
    "argv",
    [
        ["dump", "999999999", "x" * LONG, "16"],  # not an address
        ["dump", "999999999", "0x" + "7" * (LONG - 2), "16"],  # an address far past 64 bits
        ["dump", "999999999", "0x1000", "9" * LONG],  # a size of more digits than int() takes
        ["dump", "x" * LONG, "0x1000", "16"],  # not a pid
        ["search", "999999999", "x", "--limit", "1" * LONG],
        ["search", "999999999", "x", "--type", "t" * LONG],  # argparse's own "invalid choice"
        ["maps", "999999999", "x" * LONG],  # argparse's own "unrecognized arguments"
        ["search", "999999999", "z" * LONG, "--type", "hex"],
        ["search", "999999999", "9" * LONG, "--type", "u32"],
        ["search", "999999999", "0x" + "f" * (LONG - 2), "--type", "u64"],
        ["record", "--count", "999999999", "--fields", "F" * LONG],
    ],
)
def test_a_10_kb_argument_is_echoed_cut_short(argv: list[str]) -> None:
    result = run_memtui(*argv)
    assert result.returncode == 2, result.stderr[-300:]
    assert f"({LONG:,} characters)" in result.stderr and "Traceback" not in result.stderr
    # No longer than an error about a 40-character argument, and a few words.
    cut = [_cut_short(argv, i) for i in range(len(argv))]
    assert len(result.stderr) < len(run_memtui(*cut).stderr) + 60


@pytest.mark.parametrize(
    "command", [["record", "--count", "1"], ["dump", "PID", "0x1000", "16", "--no-freeze"]]
)
def test_a_10_kb_output_path_is_named_cut_short(command: list[str]) -> None:
    # Longer than a path may be: the write fails, and says where it meant to write.
    argv = [str(os.getpid()) if part == "PID" else part for part in command]
    result = run_memtui(*argv, "--output", "/tmp/" + "n" * LONG + ".csv")
    assert result.returncode == 1
    assert result.stderr.endswith(f"… ({LONG + 9:,} characters): File name too long\n")
    assert len(result.stderr) < 250
