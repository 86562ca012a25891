"""Hostile input and conditions on the command line: one line on stderr, never a traceback.

Each case here once ended in a Python traceback, or in exit 0 after one (issue 9,
items 12 and 15). Exit codes: 1 a runtime error, 2 a usage error, 130 Ctrl-C.
"""

from __future__ import annotations

import os
import re
import resource
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from targets import Target

from memtui.cli import build_parser

pytest_plugins = ["targets.fixtures"]

MANY_DIGITS = "9" * 400


def run_memtui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The one line of stderr, checked to be the only one and no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("memtui"), lines[0]
    return lines[0]


def test_record_csv_to_a_full_device_says_so_in_one_line(tmp_path: Path) -> None:
    # A .csv name makes record write CSV; the name is /dev/full's own device (1, 7),
    # not a link to it, which memtui would refuse to follow.
    full = tmp_path / "full.csv"
    os.mknod(full, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    result = run_memtui("record", "--count", "2", "--interval", "0.01", "--output", str(full))
    assert "No space left on device" in error_line(result, 1)


def test_record_into_a_full_device_says_so_in_one_line() -> None:
    result = run_memtui("record", "--count", "2", "--interval", "0.01", "--output", "/dev/full")
    error_line(result, 1)


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["record", "--interval", MANY_DIGITS, "--count", "2"], "--interval"),
        (["record", "--interval", "25h", "--count", "2"], "--interval"),
        (["record", "--count", "9" * 5000], "--count"),
        (["--history", "99999999999999999999"], "--history"),
        (["--history", "367d"], "--history"),
        (["--interval", MANY_DIGITS], "--interval"),
        (["--leak-window", MANY_DIGITS], "--leak-window"),
        (["--leak-threshold", "inf"], "--leak-threshold"),
        (["--leak-process-threshold", "nan"], "--leak-process-threshold"),
        (["dump", "1", "0x1000", "9" * 5000], "LENGTH"),
        (["demo-leak", "--allocs", "0"], "--allocs"),
        (["demo-leak", "--allocs", "-1"], "--allocs"),
        (["demo-leak", "--allocs", "nan"], "--allocs"),
        (["demo-leak", "--allocs", "inf"], "--allocs"),
        (["demo-leak", "--allocs", "1e9"], "--allocs"),
        (["demo-leak", "--rate", "nan"], "--rate"),
        (["demo-leak", "--rate", "inf"], "--rate"),
        (["demo-leak", "--rate", "-5"], "--rate"),
        (["demo-leak", "--max-alloc", "0"], "--max-alloc"),
        (["demo-leak", "--max-alloc", "2G"], "--max-alloc"),
        (["demo-leak", "--leak", "nan"], "--leak"),
        (["demo-leak", "--leak", "1.5"], "--leak"),
        (["demo-leak", "--threads", "100000"], "--threads"),
        (["demo-leak", "--start-after", "-1"], "--start-after"),
        (["demo-leak", "--start-after", "nan"], "--start-after"),
        (["demo-leak", "--duration", MANY_DIGITS], "--duration"),
        (["demo-leak", "--status-interval", MANY_DIGITS], "--status-interval"),
        (["demo-leak", "--cap", "9" * 5000], "--cap"),
    ],
)
def test_absurd_values_are_one_line_usage_errors(argv: list[str], option: str) -> None:
    line = error_line(run_memtui(*argv), 2)
    assert option in line
    # The value is echoed, but never 5,000 digits of it.
    assert len(line) < 300, line


def help_of(help_text: str, option: str) -> str:
    """The help of ``option`` in a --help text, on one line."""
    entries = re.split(r"\n  (?=-)", help_text.split("options:", 1)[1])
    for entry in entries:
        if entry.split()[:1] in ([option], [option + ","]):
            return " ".join(entry.split())
    raise AssertionError(f"no {option} in the help")


def test_a_replay_with_a_value_beyond_64_bits_is_one_line(tmp_path: Path) -> None:
    recording = tmp_path / "huge.csv"
    recording.write_text(f"timestamp,MemFree,Cached\n1796000000,{10**400},5\n1796000001,4,5\n")
    line = error_line(run_memtui("--replay", str(recording)), 1)
    assert line == f"memtui: {recording}: line 2: a value is out of range (0 to 2**63-1)"


def test_a_replay_from_a_pipe_says_to_save_it_to_a_file(tmp_path: Path) -> None:
    # A replay reads its file more than once (what it is, its fields, then its rows):
    # from a pipe the first reads took the header and the rows came out wrong.
    recording = tmp_path / "rec.csv"
    recording.write_text("timestamp,MemFree\n1796000000,4\n1796000001,5\n")
    script = f"exec {sys.executable} -m memtui --replay <(cat {recording}) </dev/null"
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    line = error_line(result, 1)
    assert line.endswith(
        "is a pipe: a replay reads its recording more than once, so save it to a file first"
    ), line


@pytest.mark.parametrize(
    ("option", "bound"),
    [
        ("--history", "at most 366d"),
        ("--interval", "at most 1h"),
        ("--leak-window", "at most 24h"),
        ("--leak-threshold", "at most 1048576"),
        ("--leak-process-threshold", "at most 1048576"),
    ],
)
def test_help_states_each_bound(option: str, bound: str) -> None:
    assert bound in help_of(build_parser().format_help(), option)


@pytest.mark.parametrize(
    ("option", "bound"),
    [
        ("--threads", "at most 256"),
        ("--max-alloc", "at most 1G"),
        ("--allocs", "at most 10000"),
        ("--rate", "at most 1048576"),
        ("--duration", "at most 7d"),
        ("--start-after", "at most 7d"),
        ("--status-interval", "at most 24h"),
    ],
)
def test_demo_leak_help_states_each_bound(option: str, bound: str) -> None:
    assert bound in help_of(run_memtui("demo-leak", "--help").stdout, option)


def test_record_help_states_its_bound() -> None:
    assert "at most 24h" in help_of(run_memtui("record", "--help").stdout, "--interval")


def test_demo_leak_takes_leak_despite_the_top_level_leak_options() -> None:
    result = run_memtui(
        "demo-leak", "--leak", "0.5", "--threads", "1", "--max-alloc", "4K",
        "--duration", "0.3", "--status-interval", "1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "leaking 50% of blocks" in result.stderr


def test_the_top_level_leak_options_keep_their_spellings() -> None:
    args = build_parser().parse_args(
        ["--leak-window", "45", "--leak-threshold", "3", "--leak-process-threshold=2",
         "--leak-min-fit", "0.5", "demo-leak", "--leak", "0.25"]
    )  # fmt: skip
    assert (args.leak_window, args.leak_threshold, args.leak_process_threshold) == (45, 3, 2)
    assert (args.leak_min_fit, args.leak, args.command) == (0.5, 0.25, "demo-leak")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def demo_errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    """What a demo that failed said on stderr besides its status lines; no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if not line.startswith("demo-leak")]


def test_a_worker_thread_that_fails_fails_the_demo() -> None:
    # max_alloc=0 past the parser (which now refuses it) makes every worker raise in
    # random.randint, inside its thread: the demo used to print that and exit 0.
    result = run_python(
        "import sys\n"
        "from memtui.cli import build_parser\n"
        "from memtui.commands.demo_leak import run_demo_leak\n"
        "args = build_parser().parse_args(['demo-leak', '--threads', '2', '--duration', '30'])\n"
        "args.max_alloc = 0\n"
        "sys.exit(run_demo_leak(args))\n"
    )
    assert demo_errors(result) == [
        "memtui demo-leak: a worker thread failed: empty range for randrange() (1, 1, 0)"
    ]


def test_threads_that_cannot_start_fail_the_demo_in_one_line() -> None:
    # An address-space limit leaves room for a few 8 MiB thread stacks, not 200.
    result = run_python(
        "import resource, sys\n"
        "from memtui.cli import main\n"
        "size = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
        "resource.setrlimit(resource.RLIMIT_AS, (size + (64 << 20),) * 2)\n"
        "sys.exit(main(['demo-leak', '--threads', '200', '--max-alloc', '4K',"
        " '--duration', '30']))\n"
    )
    errors = demo_errors(result)
    assert len(errors) == 1 and errors[0].startswith("memtui demo-leak: cannot start"), errors


def _few_file_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (5, 5))


def test_search_with_too_few_file_descriptors_is_one_line(target: Target) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "search", str(target.pid), "qqzzxxyy"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_few_file_descriptors,
    )
    line = error_line(result, 1)
    assert "Too many open files" in line


@pytest.mark.parametrize(
    "module",
    [
        "argparse",
        "memtui.core.units",
        "memtui.commands.maps",
        "memtui.core.process_memory.proc_maps",
    ],
)
def test_ctrl_c_during_start_up_exits_130_quietly(module: str, target: Target) -> None:
    # A real SIGINT, sent by the process to itself as it begins to import MODULE, the
    # way a Ctrl-C lands in the first milliseconds of `memtui maps PID`.
    script = Path(sysconfig.get_path("scripts")) / "memtui"
    code = (
        "import os, runpy, signal, sys\n"
        "def interrupt(event, args):\n"
        f"    if event == 'import' and args[0] == {module!r}:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.addaudithook(interrupt)\n"
        f"sys.argv = [{str(script)!r}, 'maps', '{target.pid}']\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    )
    result = run_python(code)
    assert (result.returncode, result.stderr) == (130, "")


def test_the_dashboard_without_a_terminal_says_so() -> None:
    result = run_memtui("--interval", "1", timeout=30)
    assert "needs a terminal" in error_line(result, 1)
