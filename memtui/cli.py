"""The `memtui` command line.

Only the interactive path imports textual; the headless subcommands (record, dump,
maps) import the core alone, so scripts that call them start fast.

Exit codes: 0 success, 1 a runtime error (one line on stderr), 2 a usage error.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import re
import signal
import sys
from collections.abc import Callable, Collection, Sequence

from memtui import __version__
from memtui.core.input_echo import ECHO_LIMIT, echo, shorten
from memtui.core.units import parse_address, parse_duration, parse_size, plain_number
from memtui.entry_point import INTERRUPTED

# The store's defaults, spelled out so `memtui --help` need not import the store.
DEFAULT_PROCESS_INTERVAL = 5.0
DEFAULT_RETAIN = 7 * 86400.0
DEFAULT_MAX_SIZE = 1 << 30

# Not typing.TYPE_CHECKING: importing typing costs every command 6-7 ms of start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn, TypeVar

    T = TypeVar("T")

DEFAULT_INTERVAL = 1.0
# memtui.core.process_memory.memory_search.TYPES, spelled out so the CLI need not import the search.
SEARCH_TYPES = (
    "text", "hex", "utf16",
    "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
    "u16be", "u32be", "u64be", "i16be", "i32be", "i64be",
    "f32", "f64", "f32be", "f64be",
)  # fmt: skip
DEFAULT_HISTORY = 600.0

_NUMBER = (
    r"(?:0x[0-9a-f_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:e[+-]?[\d_]+)?|inf(?:inity)?|nan)"
)
# What can follow the '-' of a negative number: a digit, '.', inf or nan.
_NUMBER_STARTS = frozenset("0123456789.in")


@functools.cache
def negative_number() -> re.Pattern[str]:
    """An argument starting with '-' that is a value: ``-5``, ``-1e5``, ``-0x10``, ``-1.5~0.75``."""
    return re.compile(rf"^-{_NUMBER}(?:~[+-]?{_NUMBER})?\Z", re.IGNORECASE | re.ASCII)


class NegativeNumberMatcher:
    """:func:`negative_number`, compiled only once an argument could be one.

    argparse asks its ``_negative_number_matcher`` about every option string added
    (``--pid``, ``-h``: the second character rules them out) and about each argument
    that starts with '-'; the pattern costs 0.4 ms to compile, on every start-up.
    """

    def match(self, text: str) -> re.Match[str] | None:
        if text[1:2].lower() not in _NUMBER_STARTS:
            return None
        return negative_number().match(text)


def terminal_columns() -> int:
    """The terminal's width as shutil.get_terminal_size() finds it: $COLUMNS, then the
    terminal on stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns or 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, without importing shutil for the width.

    argparse makes a formatter for every add_argument (to check the metavar), and
    each imports shutil, which imports zlib, bz2 and lzma: 3 ms of every headless
    command's start-up, for a width that only --help uses.
    """

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        width = terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


class MemtuiArgumentParser(argparse.ArgumentParser):
    """argparse, taking every negative number for a value rather than an option.

    argparse reads an argument starting with '-' as a positional (or an option's
    value) only when ``_negative_number_matcher`` calls it a negative number, and
    until Python 3.14 that knew neither exponents (``-1e5``) nor, in any version,
    a search tolerance (``-1.5~0.75``). No memtui option looks like a number, so
    the wider pattern cannot hide one. Underscores are let through so that the
    value's own parser can say why it refuses them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NegativeNumberMatcher()  # type: ignore[assignment]
        self._arguments: list[str] = []

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._arguments = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        """argparse's message, with every over-long argument it repeats cut short."""
        for argument in sorted(set(self._arguments), key=len, reverse=True):
            if len(argument) > ECHO_LIMIT:
                message = message.replace(repr(argument), echo(argument))
                message = message.replace(argument, shorten(argument))
        # One line, as every other error is; a long message is cut, not its option's name.
        if len(message) > 200:
            message = message[:200] + "…"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# Upper bounds, each stated in its option's help. Past them a value is a typo (or a
# fuzzer), not a plan: 400 digits of seconds, 10**20 seconds of history.
HOUR = 3600.0
DAY = 24 * HOUR
MAX_INTERVAL = HOUR
MAX_RECORD_INTERVAL = DAY
MAX_HISTORY = 366 * DAY
MAX_RETAIN = 3650 * DAY
MAX_LEAK_WINDOW = DAY
MAX_RATE = float(1 << 20)
"""MiB/min: 1 TiB a minute, past what any machine can leak."""
MAX_DEMO_DURATION = 7 * DAY
MAX_STATUS_INTERVAL = DAY
MAX_DEMO_THREADS = 256
MAX_DEMO_ALLOC = 1 << 30
MAX_DEMO_ALLOCS = 10_000.0
MAX_EXPORTER_TOP = 1000
# memtui.commands.exporter's default, spelled out so `memtui --help` need not import it.
DEFAULT_LISTEN = "127.0.0.1:9792"


def _arg_type(parse: Callable[[str], T], name: str) -> Callable[[str], T]:
    """Wrap a core parser so argparse reports its message as a usage error."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = name
    return convert


def _positive_int(text: str, maximum: int | None = None) -> int:
    number = plain_number(text)
    try:
        value = int(number)
    except ValueError:
        raise ValueError(f"must be a positive whole number: {echo(text)}") from None
    if value <= 0:
        raise ValueError(f"must be a positive whole number: {echo(text)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"at most {maximum}: {echo(text)}")
    return value


def _pid(text: str) -> int:
    number = plain_number(text)
    try:
        value = int(number)
    except ValueError:
        raise ValueError(f"not a pid: {echo(text)}") from None
    if value <= 0:
        raise ValueError(f"not a pid: {echo(text)}")
    return value


def _output_path(text: str) -> str:
    if not text:
        raise ValueError("give a file name (or leave --output out for stdout)")
    return text


def _field_list(text: str) -> list[str]:
    fields = [name.strip() for name in text.split(",") if name.strip()]
    if not fields:
        raise ValueError("give at least one field, e.g. --fields Committed_AS,AnonPages")
    return fields


def _number(text: str) -> float:
    """A finite float: nan and inf are no one's rate or probability."""
    number = plain_number(text)
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a number: {echo(text)}") from None
    import math  # here: a shared library to load, for the options that take a number

    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {echo(text)}")
    return value


def _within(
    low: float, high: float, requirement: str, *, low_included: bool = False
) -> Callable[[str], float]:
    """A parser of finite numbers above ``low`` (or at it) and at most ``high``."""

    def parse(text: str) -> float:
        value = _number(text)
        if value < low or (value == low and not low_included) or value > high:
            raise ValueError(f"{requirement}: {echo(text)}")
        return value

    return parse


def _allocation_size(text: str) -> int:
    value = parse_size(text)
    if not 0 < value <= MAX_DEMO_ALLOC:
        raise ValueError(f"must be 1 B to 1G: {echo(text)}")
    return value


def _bounded_duration(maximum: float, *, allow_zero: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        seconds = parse_duration(text, allow_zero=allow_zero)
        if seconds > maximum:
            raise ValueError(f"too long: {echo(text)} (at most {_format_duration(maximum)})")
        return seconds

    return parse


def _format_duration(seconds: float) -> str:
    """``7d``, ``24h``, ``1h``: how the bounds are written in the help and errors."""
    if seconds % DAY == 0 and seconds > DAY:
        return f"{seconds / DAY:g}d"
    if seconds % HOUR == 0:
        return f"{seconds / HOUR:g}h"
    return f"{seconds:g}s"


def _duration_arg(maximum: float, *, allow_zero: bool = False) -> Callable[[str], float]:
    return _arg_type(_bounded_duration(maximum, allow_zero=allow_zero), "duration")


size_arg = _arg_type(parse_size, "size")
rate_arg = _arg_type(
    _within(0, MAX_RATE, f"must be a positive rate in MiB/min, at most {MAX_RATE:.0f}"), "rate"
)
fit_arg = _arg_type(_within(0, 1, "must be between 0 and 1, and not 0"), "fit")
probability_arg = _arg_type(
    _within(0, 1, "must be between 0 and 1", low_included=True), "probability"
)
allocation_rate_arg = _arg_type(
    _within(0, MAX_DEMO_ALLOCS, f"must be above 0, at most {MAX_DEMO_ALLOCS:.0f}"), "rate"
)
allocation_size_arg = _arg_type(_allocation_size, "size")


MAX_ADDRESS_EXPRESSION = 1024
"""Characters of an address expression at most: a long C++ symbol, not a paste."""


def _address_or_expression(text: str) -> int | str:
    """A number as dump always took it (``0x`` hex or decimal), else an expression of
    ``g`` (``[heap]+0x10``, ``malloc``) to resolve in the process, left as text."""
    stripped = text.strip()
    # Digits first: a number (1_000 refused as such); a name never starts with one.
    looks_numeric = stripped[:1].isdigit() and not any(c in stripped for c in "[]+-!/.")
    if looks_numeric or not stripped or len(stripped) > MAX_ADDRESS_EXPRESSION:
        return parse_address(text)  # raises, saying what an address is
    return stripped


address_arg = _arg_type(parse_address, "address")
address_expression_arg = _arg_type(_address_or_expression, "address")
count_arg = _arg_type(_positive_int, "count")
threads_arg = _arg_type(lambda text: _positive_int(text, MAX_DEMO_THREADS), "count")
pid_arg = _arg_type(_pid, "pid")
fields_arg = _arg_type(_field_list, "fields")
output_arg = _arg_type(_output_path, "output")
top_arg = _arg_type(lambda text: _positive_int(text, MAX_EXPORTER_TOP), "count")


def _listen(text: str) -> tuple[str, int]:
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"not HOST:PORT: {echo(text)}")
    port = int(port_text)
    if not 0 < port < 65536:
        raise ValueError(f"the port must be 1 to 65535: {echo(text)}")
    return (host[1:-1] if host.startswith("[") and host.endswith("]") else host), port


listen_arg = _arg_type(_listen, "address")


if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[MemtuiArgumentParser]


def _add_record(commands: Subcommands) -> None:
    record = commands.add_parser(
        "record",
        help="record the machine's memory: a store (FILE.db) or CSV",
        description=(
            "With --output FILE (any name but *.csv): record into a store, one SQLite "
            "file with every meminfo field, every process's memory, memory pressure "
            "and the leak verdict, until SIGTERM or Ctrl-C; `memtui --replay FILE` "
            "travels through it. Without --output, or with FILE.csv: write "
            "/proc/meminfo samples as CSV (values in bytes), one row per sample."
        ),
    )
    record.add_argument(
        "--interval",
        type=_duration_arg(MAX_RECORD_INTERVAL),
        default=DEFAULT_INTERVAL,
        metavar="S",
        help="seconds between meminfo samples, at most 24h (default: 1)",
    )
    record.add_argument("--count", type=count_arg, metavar="N", help="stop after N samples")
    record.add_argument("--fields", type=fields_arg, metavar="A,B,...", help="CSV columns")
    record.add_argument(
        "--output",
        type=output_arg,
        metavar="FILE",
        help="the store to write (FILE.csv: CSV), created with mode 0600; default: CSV on stdout",
    )
    record.add_argument(
        "--process-interval",
        type=_duration_arg(MAX_RECORD_INTERVAL),
        default=DEFAULT_PROCESS_INTERVAL,
        metavar="S",
        help="store: seconds between samples of every process, at most 24h (default: 5)",
    )
    record.add_argument(
        "--retain",
        type=_duration_arg(MAX_RETAIN),
        default=DEFAULT_RETAIN,
        metavar="DURATION",
        help="store: how long to keep samples, e.g. 12h, 7d, at most 3650d (default: 7d)",
    )
    record.add_argument(
        "--max-size",
        type=size_arg,
        default=DEFAULT_MAX_SIZE,
        metavar="SIZE",
        help="store: the most the file may hold, e.g. 500M; the oldest detail goes first"
        " (default: 1G)",
    )


def _add_export(commands: Subcommands) -> None:
    export = commands.add_parser(
        "export",
        help="turn a recording store into CSV",
        description=(
            "Write the meminfo samples of a store as the CSV `memtui record` writes: "
            "timestamp,<field>..., values in bytes."
        ),
    )
    export.add_argument("store", metavar="STORE", help="a store written by `memtui record`")
    export.add_argument(
        "--csv", action="store_true", required=True, help="write CSV (the one format there is)"
    )
    export.add_argument(
        "--fields",
        type=fields_arg,
        metavar="A,B,...",
        help="columns, in order (default: the dashboard's fields); `all` for every one",
    )
    export.add_argument("--from", dest="start", metavar="TIME", help="first time: see --to")
    export.add_argument(
        "--to",
        dest="end",
        metavar="TIME",
        help="last time: Unix seconds, 2026-11-30T22:00, '2026-11-30 22:00', 22:00 (that day"
        " of the recording), or -2h (before the recording's end)",
    )
    export.add_argument(
        "--output",
        type=output_arg,
        metavar="FILE",
        help="write to FILE instead of stdout (created with mode 0600)",
    )


def _add_dump(commands: Subcommands) -> None:
    dump = commands.add_parser(
        "dump",
        help="print or save a range of a process's memory",
        description="Read LENGTH bytes at ADDRESS from process PID.",
    )
    dump.add_argument("pid", type=pid_arg, metavar="PID")
    dump.add_argument(
        "address",
        type=address_expression_arg,
        metavar="ADDRESS",
        help="0x hex or decimal, or what the memory view's g takes: [heap], [stack]+0x100, "
        "libc.so.6+1000, malloc+0x10, libc.so.6!malloc",
    )
    dump.add_argument("length", type=size_arg, metavar="LENGTH", help="e.g. 4096, 0x1000, 16M")
    dump.add_argument(
        "--format",
        choices=("hex", "raw"),
        help="default: from --output's name as the view's save does (FILE.txt, FILE.hex: hex; "
        "any other FILE: raw), hex on stdout",
    )
    dump.add_argument("--method", choices=("procmem", "vm_readv", "peek"), default="procmem")
    dump.add_argument(
        "--no-freeze",
        action="store_true",
        help="read without stopping the process (the bytes may be torn)",
    )
    dump.add_argument(
        "--output", type=output_arg, metavar="FILE", help="write to FILE (created with mode 0600)"
    )


def _add_search(commands: Subcommands) -> None:
    search = commands.add_parser(
        "search",
        help="print the addresses where a value sits in a process's memory",
        description=(
            "Search every readable mapping of process PID for PATTERN and print each "
            "match's address and mapping, in address order. Exit 0 if something "
            "matched, 1 if nothing did (or on an error), as grep does."
        ),
    )
    search.add_argument("pid", type=pid_arg, metavar="PID")
    search.add_argument(
        "pattern",
        metavar="PATTERN",
        help="the value: text, hex bytes (de ad be ef), a number, or NUMBER~TOLERANCE for floats "
        "(-5 and -1.5~0.1 as they are; other text starting with - after --)",
    )
    search.add_argument(
        "--type",
        choices=SEARCH_TYPES,
        default="text",
        metavar="TYPE",
        help=f"how to read PATTERN (default: text): {', '.join(SEARCH_TYPES)}; "
        "suffix be = big-endian",
    )
    search.add_argument(
        "--limit", type=count_arg, default=10_000, metavar="N", help="stop after N matches"
    )
    search.add_argument(
        "--no-freeze",
        action="store_true",
        help="read without stopping the process (by default it is frozen per 4 MiB chunk)",
    )


def _add_exporter(commands: Subcommands) -> None:
    exporter = commands.add_parser(
        "exporter",
        help="serve per-process memory and the leak verdict as Prometheus metrics",
        description=(
            "Serve, for Prometheus to scrape at /metrics, the memory of the top N "
            "processes by RSS and of every process that grows (at most N + 20): "
            "memtui_process_resident_bytes, memtui_process_swap_bytes, "
            "memtui_process_pss_bytes, memtui_process_growth_bytes_per_second and "
            "memtui_leak_suspected, labelled pid, name and user. Until SIGTERM or Ctrl-C."
        ),
    )
    exporter.add_argument(
        "--listen",
        type=listen_arg,
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"the address to serve on (default: {DEFAULT_LISTEN}; [::1]:PORT for IPv6)",
    )
    exporter.add_argument(
        "--top",
        type=top_arg,
        default=20,
        metavar="N",
        help=f"how many of the biggest processes to export, at most {MAX_EXPORTER_TOP} "
        "(default: 20)",
    )


def _add_maps(commands: Subcommands) -> None:
    maps = commands.add_parser(
        "maps",
        help="print a process's memory mappings",
        description="Print the mappings of process PID (/proc/PID/maps) as a table.",
    )
    maps.add_argument("pid", type=pid_arg, metavar="PID")
    maps.add_argument(
        "--rss", action="store_true", help="add each mapping's resident size (from smaps)"
    )


def _add_demo_leak(commands: Subcommands) -> None:
    demo = commands.add_parser(
        "demo-leak",
        help="run the book's leak experiment: threads that malloc and forget to free",
        description=(
            "Run N threads that each malloc a random size from 1 B to --max-alloc, "
            "touch it with probability 0.5 and never free it with probability --leak. "
            "Leaks at most a quarter of MemAvailable, then holds steady. Frees "
            "everything on exit. Watch it with `memtui` in another terminal."
        ),
    )
    demo.add_argument(
        "--threads", type=threads_arg, default=5, metavar="N", help="at most 256 (default: 5)"
    )
    demo.add_argument(
        "--max-alloc",
        type=allocation_size_arg,
        default=4 << 20,
        metavar="SIZE",
        help="at most 1G (default: 4M)",
    )
    demo.add_argument(
        "--leak",
        type=probability_arg,
        default=0.1,
        metavar="P",
        help="probability that a block is never freed (default: 0.1)",
    )
    demo.add_argument(
        "--duration",
        type=_duration_arg(MAX_DEMO_DURATION),
        default=60.0,
        metavar="S",
        help="at most 7d (default: 60)",
    )
    demo.add_argument("--no-leak", action="store_true", help="free every block (the control)")
    demo.add_argument(
        "--allocs",
        type=allocation_rate_arg,
        default=10.0,
        metavar="N",
        help="allocations per second per thread, at most 10000 (default: 10)",
    )
    demo.add_argument(
        "--rate",
        type=rate_arg,
        metavar="MIB_PER_MIN",
        help="instead of --leak, leak touched memory at exactly this rate, at most 1048576 "
        "(for benchmarks)",
    )
    demo.add_argument(
        "--start-after",
        type=_duration_arg(MAX_DEMO_DURATION, allow_zero=True),
        default=0.0,
        metavar="S",
        help="churn without leaking for S seconds first, a baseline to compare with, at most 7d",
    )
    demo.add_argument(
        "--cap",
        type=size_arg,
        metavar="SIZE",
        help="leak at most SIZE (default and upper bound: a quarter of MemAvailable)",
    )
    demo.add_argument("--seed", type=int, help="seed of the random sizes (default: random)")
    demo.add_argument(
        "--status-interval",
        type=_duration_arg(MAX_STATUS_INTERVAL),
        default=5.0,
        metavar="S",
        help="seconds between status lines on stderr, at most 24h (default: 5)",
    )


SUBCOMMANDS: tuple[tuple[str, Callable[[Subcommands], None]], ...] = (
    ("record", _add_record),
    ("export", _add_export),
    ("dump", _add_dump),
    ("search", _add_search),
    ("exporter", _add_exporter),
    ("maps", _add_maps),
    ("demo-leak", _add_demo_leak),
)
"""Each subcommand and what adds it to the parser, in the order --help lists them."""


def build_parser(
    only: Collection[str] | None = None,
    parser_class: type[MemtuiArgumentParser] = MemtuiArgumentParser,
) -> argparse.ArgumentParser:
    """The command line's parser: every subcommand, or ``only`` those named."""
    parser = parser_class(
        prog="memtui",
        allow_abbrev=False,
        description=(
            "Watch a Linux machine's memory (/proc/meminfo) live, and look inside a "
            "process's memory. With no command, starts the interactive dashboard."
        ),
    )
    parser.add_argument("--version", action="version", version=f"memtui {__version__}")
    parser.add_argument(
        "--fields",
        type=fields_arg,
        metavar="A,B,...",
        help="meminfo fields to chart, in order (default: Committed_AS,AnonPages,...)",
    )
    parser.add_argument(
        "--interval",
        type=_duration_arg(MAX_INTERVAL),
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help="sampling interval in seconds, at least 0.25, at most 1h (default: 1)",
    )
    parser.add_argument(
        "--history",
        type=_duration_arg(MAX_HISTORY),
        default=DEFAULT_HISTORY,
        metavar="DURATION",
        help="how much history to keep, e.g. 600, 10m, 1h, at most 366d (default: 10m)",
    )
    leak = parser.add_argument_group(
        "leak verdict",
        "When the dashboard says 'Leak suspected' (see README: Leak hunting).",
    )
    leak.add_argument(
        "--leak-window",
        type=_duration_arg(MAX_LEAK_WINDOW),
        default=60.0,
        metavar="SECONDS",
        help="how far back growth is fitted, at least 30, at most 24h (default: 60)",
    )
    leak.add_argument(
        "--leak-threshold",
        type=rate_arg,
        default=16.0,
        metavar="MIB_PER_MIN",
        help="system growth (AnonPages or Committed_AS) that counts as a leak, "
        "at most 1048576 (default: 16)",
    )
    leak.add_argument(
        "--leak-process-threshold",
        type=rate_arg,
        default=8.0,
        metavar="MIB_PER_MIN",
        help="growth of one process's RSS+swap that can name it, at most 1048576 (default: 8)",
    )
    leak.add_argument(
        "--leak-min-fit",
        type=fit_arg,
        default=0.8,
        metavar="R2",
        help="how well a straight line must fit the system's rise, 0..1 (default: 0.8)",
    )
    parser.add_argument(
        "--pid",
        type=pid_arg,
        metavar="PID",
        help="open the memory view of process PID at start",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="with --pid: let the memory view write to that process (e edits, u undoes); "
        "off by default",
    )
    fleet = parser.add_argument_group(
        "many machines",
        "Watch every host a Prometheus server scrapes with node_exporter (README: Many "
        "machines). Credentials come from MEMTUI_PROMETHEUS_TOKEN, or MEMTUI_PROMETHEUS_USER "
        "and MEMTUI_PROMETHEUS_PASSWORD, or --prometheus-auth-file; never the command line.",
    )
    fleet.add_argument(
        "--prometheus",
        metavar="URL",
        help="the Prometheus server, e.g. http://127.0.0.1:9090: a fleet screen (key 3)",
    )
    fleet.add_argument(
        "--match",
        metavar="SELECTOR",
        help="which node_exporter series are hosts, e.g. '{job=\"node\"}' (default: all)",
    )
    fleet.add_argument(
        "--prometheus-auth-file",
        metavar="FILE",
        help="a file holding the bearer token (or, with MEMTUI_PROMETHEUS_USER, the password)",
    )
    parser.add_argument(
        "--replay",
        metavar="FILE.csv",
        help="show a recording made by `memtui record` instead of live data",
    )
    parser.add_argument(
        "--ascii",
        action="store_true",
        help="draw with ASCII only (the default when the locale is not UTF-8, as LANG=C)",
    )

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)

    for name, add in SUBCOMMANDS:
        if only is None or name in only:
            add(commands)
    return parser


class _WholeParserNeeded(Exception):
    """The parser of some subcommands only was asked for what only the whole one says."""


class _SomeSubcommandsParser(MemtuiArgumentParser):
    """A parser built with only the subcommands the arguments name: it may return what
    it parsed, or print the version, and nothing else.

    Help lists every subcommand, an unknown one is answered with the list of them:
    every help and every error is left to the whole parser, so each reads exactly as
    it always has.
    """

    def print_help(self, file: Any = None) -> None:
        raise _WholeParserNeeded

    def error(self, message: str) -> NoReturn:
        raise _WholeParserNeeded


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line, building only the subcommands ``argv`` names.

    Adding a subcommand costs a parser and every option of it: a headless command
    starts about 1.5 ms sooner without the other six. A subcommand runs only when
    its name is an argument of its own, so a parse that succeeds without the others
    gives what the whole parser gives; anything else is parsed again by that one.
    """
    named = [name for name, _ in SUBCOMMANDS if name in argv]
    try:
        return build_parser(named, _SomeSubcommandsParser).parse_args(argv)
    except _WholeParserNeeded:
        return build_parser().parse_args(argv)


def _raise_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks run (a freeze releases its target)."""

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


def _print_under_any_locale() -> None:
    """Let stdout take any text, as stderr does: what the locale's encoding lacks
    (``€`` under ISO-8859-1) is printed as an escape rather than raising
    UnicodeEncodeError. Names are already printable (:mod:`memtui.core.printable`)."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")


# Short commands whose end skips the interpreter's teardown (see ``main``).
_ONE_SHOT = frozenset({"dump", "maps", "search"})


def main(argv: Sequence[str] | None = None, *, skip_teardown: bool = False) -> int:
    """Run the command line; returns the exit code (Ctrl-C: 130).

    ``skip_teardown`` (the console script's): a short headless command that ran to its
    end exits at once, once stdout and stderr are flushed. Freeing every module and
    object on the way out cost a 64 MiB dump 3-5 ms of its 50 (docs/performance.md),
    and such a command leaves nothing behind to clean: its files are closed, its
    target released, and it starts no thread that outlives its work. (mypy ends the
    same way.)
    """
    try:
        args = parse_arguments(sys.argv[1:] if argv is None else argv)
        if args.command is not None:
            _print_under_any_locale()
        code = _run(args)
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        # `memtui dump ... | head`: the reader went away; that is not an error.
        _discard_stdout()
        return 0
    except OSError as error:
        # What no command expects: too few file descriptors (ulimit -n), a full disk.
        print(f"memtui: {describe_os_error(error)}", file=sys.stderr)
        _discard_stdout()
        return 1
    try:
        # Flushed here, not at exit, where a full disk would end in a traceback.
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    except OSError as error:
        print(f"memtui: cannot write stdout: {describe_os_error(error)}", file=sys.stderr)
        _discard_stdout()
        return 1
    if skip_teardown and args.command in _ONE_SHOT:
        sys.stderr.flush()
        os._exit(code)
    return code


# Commands that run for hours (None is the dashboard) and so keep one malloc arena.
_LONG_RUNNING = frozenset({None, "record", "exporter"})


def _run(args: argparse.Namespace) -> int:
    if args.command in _LONG_RUNNING:
        # Before any thread starts: the dashboard's workers, the exporter's requests.
        # The short commands end before arenas could fragment, and skip ctypes' import.
        from memtui.core.malloc_arena import use_one_arena

        use_one_arena()
    if args.command == "record":
        from memtui.commands.record import run_record

        return run_record(args)
    if args.command == "export":
        from memtui.commands.export import run_export

        return run_export(args)
    if args.command == "dump":
        from memtui.commands.dump import run_dump

        _raise_on_sigterm()
        return run_dump(args)
    if args.command == "search":
        from memtui.commands.search import run_search

        _raise_on_sigterm()
        return run_search(args)
    if args.command == "maps":
        from memtui.commands.maps import run_maps

        _raise_on_sigterm()
        return run_maps(args)
    if args.command == "exporter":
        from memtui.commands.exporter import run_exporter

        return run_exporter(args)
    if args.command == "demo-leak":
        from memtui.commands.demo_leak import run_demo_leak

        return run_demo_leak(args)
    from memtui.commands.dashboard import run_dashboard

    return run_dashboard(args)


def describe_os_error(error: OSError) -> str:
    """``Too many open files: /proc/42/maps``: the reason, and the file when there is one."""
    reason = error.strerror or str(error)
    return f"{reason}: {os.fsdecode(error.filename)}" if error.filename is not None else reason


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what could not be
    written (a closed pipe, a full disk) does not fail again with a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    raise SystemExit(main())
