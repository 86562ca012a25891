"""A fuzz of the command line: every option of every command, with hostile values.

Each example runs `memtui` as a user would, in its own process, and holds it to the
README's promise: exit 0, 1 or 2; never a traceback; an error is one line on stderr.

Values: numbers of many digits, nan and inf, negatives, empty strings, huge sizes,
odd Unicode, units that do not exist. The commands point at a real target that this
test starts (never at another process), write only into a temporary directory, and
are kept short: once a command line parses, a value that would make it run long
(``--count``, ``--duration``, a 1 TiB ``dump``) is followed by a short one, which
argparse takes instead (the hostile value was still parsed and checked). The
dashboard, run without a terminal, must say that it needs one, after it checked
its options, so every dashboard option is fuzzed without the dashboard starting.

The examples are the same on every run (derandomized), so CI does not flake; set
MEMTUI_FUZZ_EXAMPLES=2000 to search further with random ones.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from targets import Binaries, Target, assert_running, start_target

from memtui.cli import SEARCH_TYPES, SUBCOMMANDS, build_parser, parse_arguments

pytest_plugins = ["targets.fixtures"]

RECORDING = Path(__file__).parent / "data" / "recordings" / "leak-3mib-per-s.csv"
EXAMPLES = int(os.environ.get("MEMTUI_FUZZ_EXAMPLES", "0"))

ODD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=24,
)
TRICKY = [
    "", " ", "0", "-0", "-1", "1", "+5", "0.0", "1.5", "-2.5", "nan", "NaN", "-nan", "inf",
    "-inf", "Infinity", "1e309", "1e-320", "1e5", "0x10", "0X_10", "0b101", "0o17", "1_000",
    "9" * 400, "0." + "0" * 400 + "1", "9" * 5000, "٣", "\uff11\uff12", "²", "Ⅻ", "5s", "250ms",
    "10m", "1h", "7d", "8d", "1w", "4K", "16M", "1G", "2T", "16E", "1KiB", "1 M", "0x",
    "3~1e-9", "1.5~0.75", "-1e5", "--", "-", "a,b", ",", "\t", "\n", "é", "\u202e", "🦀",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(TRICKY),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=1, max_value=5000).map(lambda digits: "9" * digits),
    st.floats().map(repr),
    ODD_TEXT,
)
# Never a pid that could be someone's process (memtui would freeze it): the target's,
# or one that cannot exist.
BAD_PIDS = st.one_of(
    st.sampled_from(["0", "-1", "", "nan", "1.5", "0x10", "9" * 400, "4194305", "٣"]),
    st.integers(min_value=(1 << 22) + 1, max_value=10**30).map(str),
    ODD_TEXT.filter(lambda text: not text.strip().isdigit()),
)
FIELDS = st.one_of(
    st.sampled_from(["Committed_AS", "AnonPages,MemFree", "HugePages_Total", "Nope"]),
    VALUES,
)


@dataclass(frozen=True)
class Place:
    """What a fuzzed command may touch: the target, a directory for files."""

    pid: int
    known: int
    workdir: Path
    store: Path
    """A store with a few samples, made by `memtui record`."""


def _outputs(place: Place) -> st.SearchStrategy[str]:
    names = st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"),
        min_size=1,
        max_size=16,
    ).filter(lambda name: name not in (".", ".."))
    return st.one_of(
        st.sampled_from(["", "/dev/full", "/dev/null", str(place.workdir), "/nonexistent/dir/out"]),
        names.map(lambda name: str(place.workdir / name)),
    )


def _pids(place: Place) -> st.SearchStrategy[str]:
    return st.one_of(st.just(str(place.pid)), BAD_PIDS)


def _options(draw: st.DrawFn, options: dict[str, st.SearchStrategy[str] | None]) -> list[str]:
    """A few of ``options`` (None: a flag) with drawn values, in a drawn order."""
    chosen = draw(st.lists(st.sampled_from(sorted(options)), max_size=4, unique=True))
    argv: list[str] = []
    for option in chosen:
        values = options[option]
        argv += [option] if values is None else [option, draw(values)]
    return argv


def _top_level(place: Place) -> dict[str, st.SearchStrategy[str] | None]:
    return {
        "--fields": FIELDS,
        "--interval": VALUES,
        "--history": VALUES,
        "--leak-window": VALUES,
        "--leak-threshold": VALUES,
        "--leak-process-threshold": VALUES,
        "--leak-min-fit": VALUES,
        "--pid": _pids(place),
        "--replay": st.sampled_from(
            ["", str(RECORDING), "/nonexistent.csv", "/dev/null", str(place.workdir)]
        ),
    }


@st.composite
def dashboard(draw: st.DrawFn, place: Place) -> list[str]:
    return _options(draw, _top_level(place))


@st.composite
def record(draw: st.DrawFn, place: Place) -> list[str]:
    options = {"--interval": VALUES, "--count": VALUES, "--fields": FIELDS}
    options["--output"] = st.one_of(_outputs(place), _outputs(place).map(lambda o: o + ".csv"))
    options["--process-interval"] = VALUES
    options["--retain"] = VALUES
    options["--max-size"] = VALUES
    return ["record", *_options(draw, options)]


@st.composite
def export(draw: st.DrawFn, place: Place) -> list[str]:
    store = draw(
        st.one_of(
            st.just(str(place.store)),
            st.sampled_from(["", "/nonexistent.db", "/dev/null", str(RECORDING)]),
            _outputs(place),
        )
    )
    times = st.one_of(st.sampled_from(["22:00", "-2h", "2026-11-30T22:00", "0"]), VALUES)
    options: dict[str, st.SearchStrategy[str] | None] = {
        "--csv": None,
        "--fields": st.one_of(st.just("all"), FIELDS),
        "--from": times,
        "--to": times,
        "--output": _outputs(place),
    }
    return ["export", store, *_options(draw, options)]


@st.composite
def dump(draw: st.DrawFn, place: Place) -> list[str]:
    address = draw(st.one_of(st.just(hex(place.known)), VALUES))
    length = draw(st.one_of(st.sampled_from(["16", "64K"]), VALUES))
    options: dict[str, st.SearchStrategy[str] | None] = {
        "--format": st.one_of(st.sampled_from(["hex", "raw"]), VALUES),
        "--method": st.one_of(st.sampled_from(["procmem", "vm_readv", "peek"]), VALUES),
        "--no-freeze": None,
        "--output": _outputs(place),
    }
    return ["dump", draw(_pids(place)), address, length, *_options(draw, options)]


@st.composite
def maps(draw: st.DrawFn, place: Place) -> list[str]:
    return ["maps", draw(_pids(place))]


@st.composite
def search(draw: st.DrawFn, place: Place) -> list[str]:
    options: dict[str, st.SearchStrategy[str] | None] = {
        "--type": st.one_of(st.sampled_from(SEARCH_TYPES), VALUES),
        "--limit": VALUES,
        "--no-freeze": None,
    }
    return ["search", draw(_pids(place)), draw(VALUES), *_options(draw, options)]


@st.composite
def demo_leak(draw: st.DrawFn, place: Place) -> list[str]:
    options: dict[str, st.SearchStrategy[str] | None] = {
        name: VALUES
        for name in (
            "--threads", "--max-alloc", "--leak", "--duration", "--allocs", "--rate",
            "--start-after", "--cap", "--seed", "--status-interval",
        )
    }  # fmt: skip
    options["--no-leak"] = None
    return ["demo-leak", *_options(draw, options)]


COMMANDS: dict[str, Callable[[Place], st.SearchStrategy[list[str]]]] = {
    "dashboard": dashboard,
    "record": record,
    "dump": dump,
    "export": export,
    "maps": maps,
    "search": search,
    "demo-leak": demo_leak,
}


def shortened(argv: list[str]) -> list[str]:
    """``argv``, with short values after any that would make it run for long."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            args = build_parser().parse_args(argv)
    except SystemExit:
        return argv  # --help, or a usage error: over at once
    extra: list[str] = []
    if args.command == "record":
        if args.count is None or args.count > 3:
            extra += ["--count", "2"]
        if args.interval > 0.05:
            extra += ["--interval", "0.01"]
    elif args.command == "dump" and args.length > 1 << 16:
        argv = [*argv[:3], "64", *argv[4:]]
    elif args.command == "search" and args.limit > 100:
        extra += ["--limit", "100"]
    elif args.command == "demo-leak":
        extra += ["--duration", "0.3", "--threads", "2", "--cap", "16M"]
        if args.max_alloc > 1 << 16:
            extra += ["--max-alloc", "64K"]
        if args.allocs > 100:
            extra += ["--allocs", "100"]
    return argv + extra


@pytest.fixture(scope="module")
def place(binaries: Binaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    running: Target = start_target(binaries.target, threads=2)
    workdir = tmp_path_factory.mktemp("fuzz")
    store = tmp_path_factory.mktemp("store") / "recording.db"
    subprocess.run(
        [sys.executable, "-m", "memtui", "record", "--count", "3", "--interval", "0.05",
         "--output", str(store)],
        check=True, timeout=60,
    )  # fmt: skip
    try:
        yield Place(running.pid, running.known, workdir, store)
        assert_running(running)  # dump and search froze it many times; none left it stopped
    finally:
        running.stop()


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(
    max_examples=EXAMPLES or 20,
    derandomize=not EXAMPLES,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_command_line_ends_in_a_clean_exit(
    command: str, place: Place, data: st.DataObject
) -> None:
    argv = shortened(data.draw(COMMANDS[command](place), label="argv"))
    note(f"memtui {argv!r}")
    result = subprocess.run(
        [sys.executable, "-m", "memtui", *argv],
        capture_output=True,
        timeout=60,
        cwd=place.workdir,
        stdin=subprocess.DEVNULL,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert result.returncode in (0, 1, 2), stderr
    if result.returncode != 0:
        # demo-leak's status lines ("demo-leak pid N: ...") are not errors.
        # Lines end at \n alone: a \r inside a file name echoed back is no new line.
        lines = stderr.split("\n")[:-1] if stderr.endswith("\n") else stderr.split("\n")
        errors = [line for line in lines if line and not line.startswith("demo-leak")]
        # search exits 1 with nothing said when nothing matched, as grep does.
        quiet_allowed = argv[:1] == ["search"] and result.returncode == 1
        assert len(errors) == 1 or (quiet_allowed and not errors), stderr


def _parsed(parse: Callable[[list[str]], object], argv: list[str]) -> tuple[object, str, str]:
    """What parsing ``argv`` gives: the namespace or the exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result = parse(argv)
        except SystemExit as end:
            result = ("exit", end.code)
    return result, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(
    max_examples=EXAMPLES or 40,
    derandomize=not EXAMPLES,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_command_line_parses_as_the_whole_parser_parses_it(
    command: str, place: Place, data: st.DataObject
) -> None:
    # memtui builds only the subcommands its arguments name (cli.parse_arguments):
    # whatever the arguments, with other names, help or --version among them, the
    # namespace, the help and the error must be the whole parser's.
    argv = data.draw(COMMANDS[command](place), label="argv")
    words = [name for name, _ in SUBCOMMANDS] + ["--help", "-h", "--version", "--"]
    for word in data.draw(st.lists(st.sampled_from(words), max_size=2), label="mixed in"):
        argv.insert(data.draw(st.integers(0, len(argv)), label="at"), word)
    note(f"memtui {argv!r}")
    assert _parsed(parse_arguments, argv) == _parsed(build_parser().parse_args, argv)
