"""Search: queries, the float ranges, and scans of a real process holding known values."""

from __future__ import annotations

import math
import os
import random
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from targets import Binaries, Target, start_python_target, start_target, stop_process
from targets.numbers_process import running_numbers_target
from targets.values import (
    F64_AT,
    I32,
    I32_AT,
    NEEDLE,
    SECOND_NEEDLE_AT,
    U64,
    U64_AT,
    WIDE,
    WIDE_AT,
    E,
    build_values_target,
    running_values_target,
)

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_search import (
    TRIAL_BYTES,
    ChunkScanner,
    FloatRange,
    MemorySearch,
    QueryError,
    bit_ranges,
    compile_pattern,
    parse_query,
    scan_plan,
    search_process,
)
from memtui.core.process_memory.proc_maps import read_maps

pytest_plugins = ["targets.fixtures"]

# -- queries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("hello", b"hello"),
        ("http://x", b"http://x"),  # not a known prefix: text
        ("text:x:1", b"x:1"),
        ("x:de ad be ef", b"\xde\xad\xbe\xef"),
        ("x:DEADBEEF", b"\xde\xad\xbe\xef"),
        ("hex:0xde 0xad", b"\xde\xad"),
        ("u:hi", b"h\x00i\x00"),
        ("utf16:hi", b"h\x00i\x00"),
        ("u8:255", b"\xff"),
        ("i8:-1", b"\xff"),
        ("u16:0x1234", b"\x34\x12"),
        ("u16be:0x1234", b"\x12\x34"),
        ("u32:1234", (1234).to_bytes(4, "little")),
        ("i64:-5", (-5).to_bytes(8, "little", signed=True)),
        ("I32BE:-2", b"\xff\xff\xff\xfe"),
    ],
)
def test_queries_compile_to_the_bytes_they_name(query: str, needle: bytes) -> None:
    assert parse_query(query).needle == needle


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "type something to search for"),
        ("x:", "type hex bytes"),
        ("x:abc", "two digits each"),
        ("x:zz", "not hex bytes"),
        ("u8:256", "256 does not fit u8, which holds 0..255"),
        ("u64:1_000", "u64: no underscores in numbers: '1_000'"),
        ("u16:0x_10", "u16: no underscores in numbers: '0x_10'"),
        ("i32be:-0x1_0", "no underscores in numbers"),
        ("u32:\u0661\u0662", "u32: numbers are written in ASCII digits"),
        ("f64:1_0.5", "f64: no underscores in numbers: '1_0.5'"),
        ("f32:1~0.0_1", "f32: no underscores in numbers: '0.0_1'"),
        ("f64:\u0661", "f64: numbers are written in ASCII digits"),
        ("u32:-1", "does not fit u32"),
        ("i16:40000", "does not fit i16, which holds -32768..32767"),
        ("u32:12.5", "u32 needs a whole number"),
        ("f64:abc", "f64 needs a number and an optional tolerance"),
        ("f64:1~-1", "the tolerance must be a finite number >= 0, not '-1'"),
        ("f32:1e39", "does not fit an f32"),
        ("f64:nan", "f64 needs a finite number, not 'nan'"),
        ("f32:3.5e38", r"'3\.5e38' does not fit an f32, whose largest value is 3\.4028235e\+38"),
        ("f32:-1e39", "does not fit an f32"),
        (
            "f64:1e309",
            r"'1e309' does not fit an f64, whose largest value is 1\.7976931348623157e\+308",
        ),
        ("f64:-1e999~1", "'-1e999' does not fit an f64"),
        ("f32:inf", "f32 needs a finite number, not 'inf'"),
        ("f64:-Infinity", "f64 needs a finite number, not '-Infinity'"),
        ("f32:nan", "f32 needs a finite number, not 'nan'"),
        ("f64:1~inf", "the tolerance must be a finite number >= 0, not 'inf'"),
        ("f64:1~nan", "the tolerance must be a finite number >= 0, not 'nan'"),
        ("f64:1~1e999", "the tolerance must be a finite number >= 0, not '1e999'"),
    ],
)
def test_bad_queries_say_why(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(query)


FLT_MAX = struct.unpack("<f", bytes.fromhex("ffff7f7f"))[0]
DBL_MAX = sys.float_info.max


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [
        ("f32:3.4028235e38", FLT_MAX, FLT_MAX),  # FLT_MAX as the inspector shows it
        ("f32:-3.4028235e38", -FLT_MAX, -FLT_MAX),
        ("f32:3.4028234663852886e38", FLT_MAX, FLT_MAX),
        ("f64:1.7976931348623157e308", DBL_MAX, DBL_MAX),
        # Bounds past the largest float stop at it: infinity is not within a tolerance.
        ("f64:1e308~1e308", 0.0, DBL_MAX),
        ("f64:-1e308~1e308", -DBL_MAX, 0.0),
        ("f32:3e38~1e38", 2.0000000000000003e38, FLT_MAX),
    ],
)
def test_the_largest_floats_can_be_searched_for(query: str, low: float, high: float) -> None:
    floats = parse_query(query).floats
    assert floats is not None and (floats.low, floats.high) == (low, high)


@pytest.mark.parametrize(
    ("query", "bits"),
    [("f32:3.4028235e38", "ffff7f7f"), ("f32:-3.4028235e38", "ffff7fff")],
)
def test_flt_max_is_found_where_it_is(query: str, bits: str) -> None:
    data = bytes(4) + bytes.fromhex(bits) + bytes.fromhex("0000807f") + bytes.fromhex(bits)
    assert ChunkScanner(parse_query(query)).offsets(data, 0, len(data), 10) == [4, 12]


float_text = st.one_of(
    st.floats(width=32).map(repr),
    st.floats().map(repr),
    st.sampled_from(["inf", "-inf", "nan", "1e999", "-1e999", "3.40282357e38", "", "~", "e"]),
    st.text(max_size=12),
)


@given(
    kind=st.sampled_from(["f32", "f64", "f32be", "f64be"]), value=float_text, tolerance=float_text
)
def test_any_float_query_compiles_or_says_why(kind: str, value: str, tolerance: str) -> None:
    for query in (f"{kind}:{value}", f"{kind}:{value}~{tolerance}"):
        try:
            floats = parse_query(query).floats
        except QueryError:
            continue
        assert floats is not None
        assert math.isfinite(floats.low) and math.isfinite(floats.high)
        assert floats.low <= floats.high


def test_unknown_type_for_the_command_line() -> None:
    with pytest.raises(QueryError, match="unknown type 'u128'"):
        compile_pattern("u128", "1")


def test_floats_describe_their_tolerance() -> None:
    pattern = parse_query("f64:2.5~1e-9")
    assert pattern.floats == FloatRange(8, "<", 2.5 - 1e-9, 2.5 + 1e-9)
    assert pattern.description == "f64 2.5 ± 1e-09" and pattern.alignment == 8


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(value=finite, centre=finite, tolerance=st.floats(0, 1e300))
def test_float_bit_ranges_hold_every_value_in_range(
    value: float, centre: float, tolerance: float
) -> None:
    low, high = centre - tolerance, centre + tolerance
    if not (math.isfinite(low) and math.isfinite(high)):
        return
    bits = int.from_bytes(struct.pack(">d", value), "big")
    inside = any(a <= bits <= b for a, b in bit_ranges(FloatRange(8, "<", low, high)))
    if low <= value <= high:
        assert inside


def test_zero_matches_both_signs() -> None:
    ranges = bit_ranges(FloatRange(8, "<", 0.0, 0.0))
    assert (0, 0) in ranges and (1 << 63, 1 << 63) in ranges


def test_the_plan_starts_at_the_cursor_and_wraps() -> None:
    runs = [(0x1000, 0x3000), (0x5000, 0x6000)]
    assert scan_plan(runs, 0x2000, 4) == [(0x2000, 0x3000), (0x5000, 0x6000), (0x1000, 0x2003)]
    assert scan_plan(runs, None, 4) == runs


# -- float matches in a buffer, against struct -----------------------------------------

# Tolerances that span zero: each has a probe for its positive and its negative values.
SPANNING_ZERO = [
    "f64:0~1e-300",
    "f64:1e-5~2e-5",
    "f32:0~1e-36",
    "f32be:-1e-3~2e-3",
    "f64be:0~1e-300",
]


def floats_by_struct(query: str, data: bytes, address: int, most: int | None = None) -> list[int]:
    """The aligned offsets of ``data`` (read at ``address``) whose float is in range.

    All of them, or the first ``most``.
    """
    kind, _, value = query.partition(":")
    centre, _, tolerance = value.partition("~")
    low, high = float(centre) - float(tolerance), float(centre) + float(tolerance)
    width = 8 if kind.startswith("f64") else 4
    code = (">" if kind.endswith("be") else "<") + ("d" if width == 8 else "f")
    first = (-address) % width
    words = struct.iter_unpack(
        code, memoryview(data)[first : len(data) - (len(data) - first) % width]
    )
    inside = (first + index * width for index, (v,) in enumerate(words) if low <= v <= high)
    return list(islice(inside, most))


@pytest.mark.parametrize("query", SPANNING_ZERO)
def test_float_matches_come_in_address_order_up_to_the_limit(query: str) -> None:
    # 1 MiB, so the first two calls time both ways of finding candidates.
    data = random.Random(query).randbytes(TRIAL_BYTES)
    address = 0x7F0000000004  # not 8-aligned: an f64's first aligned offset is 4
    truth = floats_by_struct(query, data, address)
    assert len(truth) > 200
    scanner = ChunkScanner(parse_query(query))
    for limit in (1, 7, 100, len(truth) // 2, len(truth), len(truth) + 1):
        assert list(scanner.offsets(data, address, len(data), limit)) == truth[:limit], limit


def test_offsets_the_caller_refuses_do_not_count_towards_the_limit() -> None:
    # The search refuses matches in bytes it could not read (zeros stand in for
    # them): they must not use up the limit that the next true matches need.
    query = "f64:0~1e-300"
    data = bytes(4096) + random.Random(1).randbytes(TRIAL_BYTES)
    truth = floats_by_struct(query, data, 0)
    accepted = [offset for offset in truth if offset >= 4096]
    scanner = ChunkScanner(parse_query(query))
    for limit in (1, 100, len(accepted)):
        found = scanner.offsets(data, 0, len(data), limit, lambda offset: offset >= 4096)
        assert list(found) == accepted[:limit], limit


# -- a real process ------------------------------------------------------------------


@pytest.fixture(scope="module")
def values_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_values_target(tmp_path_factory.mktemp("values"))


@pytest.fixture(scope="module")
def values(values_binary: Path) -> Iterator[Target]:
    with running_values_target(values_binary) as target:
        yield target


def addresses(target: Target, query: str, **options: object) -> list[int]:
    with MemoryReader(target.pid) as reader:
        result = search_process(reader, parse_query(query), **options)  # type: ignore[arg-type]
    return [match.address for match in result.matches]


@pytest.mark.parametrize(
    ("query", "offsets"),
    [
        (NEEDLE, [0, SECOND_NEEDLE_AT]),
        ("x:" + U64.to_bytes(8, "little").hex(" "), [U64_AT]),
        (f"u64:{U64:#x}", [U64_AT]),
        (f"u64be:{int.from_bytes(U64.to_bytes(8, 'little'), 'big')}", [U64_AT]),
        (f"i32:{I32}", [I32_AT]),
        (f"u:{WIDE}", [WIDE_AT]),
        (f"f64:{E}", [F64_AT]),
        ("f64:2.71~0.01", [F64_AT]),
        ("f32:1.5", [0x3C]),
    ],
)
def test_each_kind_finds_the_known_value_at_its_address(
    values: Target, query: str, offsets: list[int]
) -> None:
    found = addresses(values, query)
    assert [a - values.values for a in found if values.values <= a < values.other] == offsets
    if not query.startswith("f32"):  # 1.5f is common in the C library's data
        assert len(found) == len(offsets)


@pytest.mark.parametrize("path", ["find", "top"])
def test_both_ways_of_finding_floats_find_the_same(values: Target, path: str) -> None:
    other = "top" if path == "find" else "find"
    with MemoryReader(values.pid) as reader:
        search = MemorySearch(parse_query("f64:2.71~0.01"), read_maps(values.pid))
        search.scanner._path_cost = {(0, path): 0.0, (0, other): 1.0}  # as if timed: path won
        found = [m.address for chunk in search.steps(reader) for m in chunk]
    assert values.values + F64_AT in found


def test_a_match_across_two_chunks_is_found_once(values: Target) -> None:
    # Chunks of 0x805 bytes from the page's start: the second needle (at 0x800) is
    # cut after 5 bytes, and the next chunk re-reads them.
    with MemoryReader(values.pid) as reader:
        search = MemorySearch(parse_query(NEEDLE), read_maps(values.pid), values.values, 10, 0x805)
        found = [m.address for chunk in search.steps(reader) for m in chunk]
    assert found[:2] == [values.values, values.values + SECOND_NEEDLE_AT]
    assert len(found) == len(set(found)) == 2


def test_zeros_standing_in_for_unreadable_bytes_do_not_use_up_the_limit() -> None:
    # Two pages that cannot be read (a file mapping past the end of its file) read as
    # zeros, which f64:0~1e-300 would match; then a page of 5e-324 and -0.0 in turn.
    process, fields = start_python_target("beyond_eof_target.py")
    try:
        base, page = int(fields["base"], 16), int(fields["page"])
        with MemoryReader(process.pid) as reader:
            result = search_process(reader, parse_query("f64:0~1e-300"), start=base, limit=100)
        found = [match.address for match in result.matches]
        assert found == [base + 3 * page + 8 * index for index in range(100)]
    finally:
        stop_process(process)


def test_the_search_starts_at_start_wraps_and_stops_at_the_limit(values: Target) -> None:
    second = values.values + SECOND_NEEDLE_AT
    assert addresses(values, NEEDLE, start=values.values + 1) == [second, values.values]
    assert addresses(values, NEEDLE, start=values.values + 1, limit=1) == [second]


def test_a_cancelled_search_stops_at_once(values: Target) -> None:
    cancel = threading.Event()
    cancel.set()
    with MemoryReader(values.pid) as reader:
        result = search_process(reader, parse_query(NEEDLE), cancel=cancel)
    assert result.cancelled and result.matches == [] and result.scanned == 0 < result.total


def memtui(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memtui", *argv], capture_output=True, text=True, timeout=60
    )


def test_the_command_prints_addresses_and_paths_and_exits_like_grep(values: Target) -> None:
    found = memtui("search", str(values.pid), NEEDLE)
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines() == [
        f"0x{values.values:x} [anon]",
        f"0x{values.values + SECOND_NEEDLE_AT:x} [anon]",
    ]
    typed = memtui("search", str(values.pid), "--type", "u64", f"{U64:#x}", "--no-freeze")
    assert typed.stdout == f"0x{values.values + U64_AT:x} [anon]\n"
    missing = memtui("search", str(values.pid), "no-such-text-in-it")
    assert (missing.returncode, missing.stdout, missing.stderr) == (1, "", "")
    limited = memtui("search", str(values.pid), NEEDLE, "--limit", "1")
    assert limited.returncode == 0 and len(limited.stdout.splitlines()) == 1
    assert "stopped at 1 matches (--limit)" in limited.stderr
    bad = memtui("search", str(values.pid), "--type", "u8", "300")
    assert bad.returncode == 2 and "300 does not fit u8" in bad.stderr
    gone = memtui("search", "999999999", "x")
    assert gone.returncode == 1 and gone.stderr.startswith("memtui: no process 999999999")


# -- --limit on a process holding random bytes -----------------------------------------


@pytest.fixture(scope="module")
def random_target(
    binaries: Binaries, big_bytes: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """64 MiB of known random bytes at ``data``, and no threads (whose stacks hold zeros)."""
    path = tmp_path_factory.mktemp("random") / "data.bin"
    path.write_bytes(big_bytes)
    running = start_target(binaries.target, threads=0, data_file=path)
    try:
        yield running
    finally:
        running.stop()


def floats_in_process(pid: int, query: str, count: int) -> list[int]:
    """The first ``count`` matching addresses, read from /proc/PID/mem and checked by struct."""
    found: list[int] = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            span, perms, *rest = line.split()
            if perms[0] != "r" or (rest[3:] and rest[3] in ("[vvar]", "[vsyscall]")):
                continue
            start, end = (int(part, 16) for part in span.split("-"))
            try:
                data = os.pread(mem.fileno(), end - start, start)
            except OSError:
                continue
            offsets = floats_by_struct(query, data, start, count - len(found))
            found += [start + offset for offset in offsets]
            if len(found) >= count:
                break
    return found[:count]


@pytest.mark.parametrize("query", ["f64:0~1e-300", "f32:0~1e-36"])
def test_limit_gives_the_first_matches_in_address_order(random_target: Target, query: str) -> None:
    kind, _, value = query.partition(":")
    data = random_target.data
    # Zeros fill the mappings below the random bytes; above a few thousand matches
    # into the random bytes, positive and negative values alternate in every chunk.
    truth = floats_in_process(random_target.pid, query, 50_000)
    below = sum(1 for address in truth if address < data)
    assert 0 < below < len(truth) - 3000 and truth[below] >= data
    for limit in (1000, below + 500, below + 2500):
        result = memtui(
            "search", str(random_target.pid), "--type", kind, "--limit", str(limit), value
        )
        assert result.returncode == 0, result.stderr
        printed = [int(line.split()[0], 16) for line in result.stdout.splitlines()]
        assert printed == truth[:limit], limit


# -- negative numbers on the command line ------------------------------------------------


@pytest.fixture(scope="module")
def negatives() -> Iterator[tuple[int, int]]:
    """(pid, address) of a process holding f64 -1e5, f64 -1.5, i32 -123456, i64 -16."""
    with running_numbers_target() as running:
        yield running


@pytest.mark.parametrize(
    ("argv", "offset"),
    [
        (["PID", "-1e5", "--type", "f64"], 0),
        (["--type", "f64", "PID", "-1e5"], 0),
        (["PID", "--type=f64", "-1E+5"], 0),
        (["PID", "--type", "f64", "-1.5~0.75"], 8),
        (["PID", "-1.5~.75", "--type", "f64", "--limit", "10000"], 8),
        (["PID", "-123456", "--type", "i32"], 16),
        (["PID", "--type", "i64", "-0x10"], 24),
        (["--type", "f64", "--", "PID", "-1e5"], 0),
        (["PID", "--type", "f64", "--", "-1e5"], 0),
    ],
)
def test_a_negative_number_is_a_pattern_wherever_it_stands(
    negatives: tuple[int, int], argv: list[str], offset: int
) -> None:
    pid, address = negatives
    result = memtui("search", *[str(pid) if arg == "PID" else arg for arg in argv])
    assert result.returncode == 0, result.stderr
    assert f"0x{address + offset:x} [anon]" in result.stdout.splitlines()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["PID", "-1e999", "--type", "f64"], "'-1e999' does not fit an f64"),
        (["PID", "-inf", "--type", "f32"], "f32 needs a finite number, not '-inf'"),
        (["PID", "-1", "--type", "u8"], "-1 does not fit u8"),
        (["PID", "x", "--limit", "-5"], "must be a positive whole number: '-5'"),
    ],
)
def test_a_negative_number_that_makes_no_sense_says_why(
    negatives: tuple[int, int], argv: list[str], message: str
) -> None:
    pid, _ = negatives
    result = memtui("search", *[str(pid) if arg == "PID" else arg for arg in argv])
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # usage line and the message
