"""Narrowing scans in the core: each operator, undo, one freeze per rescan.

The counter target (tests/targets/counter_target.c) holds a u32 counter that
SIGUSR1 bumps by 1, beside decoys that start at the same value: steady ones, climbers
(+2 a bump) and fallers (-1 a bump). A search finds them all; each step must keep
exactly the ones that moved as it says.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import Target, stopped_tasks, tracer_of
from targets.counter import START, CounterTarget, build_counter_target, running_counter_target
from targets.pattern import PatternTarget, running_pattern_target

from memtui.core.process_memory import process_freeze
from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_search import (
    DEFAULT_LIMIT,
    SearchProgress,
    parse_query,
    search_steps,
)
from memtui.core.process_memory.narrowing_scan import (
    Candidates,
    NarrowCondition,
    NarrowingError,
    NarrowingHistory,
    candidates_from_search,
    narrow,
    parse_narrowing,
    rescan,
    value_kind,
)
from memtui.core.process_memory.value_gather import IOV_MAX, plan_gather

pytest_plugins = ["targets.fixtures"]

U32 = parse_query(f"u32:{START}")


@pytest.fixture(scope="module")
def counter_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_counter_target(tmp_path_factory.mktemp("counter"))


@pytest.fixture
def counter(counter_binary: Path) -> Iterator[CounterTarget]:
    with running_counter_target(counter_binary) as target:
        yield target
        assert stopped_tasks(target.pid) == [] and tracer_of(target.pid) == 0


def search(reader: MemoryReader, keep: int | None = None) -> SearchProgress:
    last = None
    for progress in search_steps(reader, U32, limit=4_000_000, keep=keep):
        if progress is not None:
            last = progress
    assert last is not None and last.done and last.addresses is not None
    return last


def first_candidates(reader: MemoryReader) -> Candidates:
    found = search(reader)
    assert found.addresses is not None
    return candidates_from_search(U32, found.addresses, found.values)


def step(reader: MemoryReader, candidates: Candidates, text: str) -> set[int]:
    condition = parse_narrowing(text, candidates.kind)
    assert isinstance(condition, NarrowCondition)
    return set(rescan(reader, candidates, condition).candidates.addresses)


def test_each_operator_keeps_exactly_the_matches_that_moved_so(counter: CounterTarget) -> None:
    steady, climbers, fallers = (counter.addresses(g) for g in ("steady", "climbers", "fallers"))
    with MemoryReader(counter.pid) as reader:
        candidates = first_candidates(reader)
        found = set(candidates.addresses)
        known = {counter.counter} | steady | climbers | fallers
        assert known <= found
        # Copies the process made by itself (none, or a few on its stack) never move.
        others = found - known
        counter.bump()  # counter +1, climbers +2, fallers -1, the rest as they were
        expected = {
            "=": steady | others,
            "!": {counter.counter} | climbers | fallers,
            "!=": {counter.counter} | climbers | fallers,
            "+": {counter.counter} | climbers,
            "-": fallers,
            f"= {START + 1}": {counter.counter},
            f"> {START}": {counter.counter} | climbers,
            f"< {START}": fallers,
            f"<{START + 2}": {counter.counter} | steady | others | fallers,
            "+ 1": {counter.counter},
            "+2": climbers,
            "- 1": fallers,
            "+ 3": set(),
            "- 0x1": fallers,
        }
        for text, keeps in expected.items():
            assert step(reader, candidates, text) == keeps, text


def test_a_step_remembers_the_values_it_read_for_the_next(counter: CounterTarget) -> None:
    with MemoryReader(counter.pid) as reader:
        candidates = first_candidates(reader)
        counter.bump()
        grown = rescan(reader, candidates, NarrowCondition("+")).candidates
        at = list(grown.addresses).index(counter.counter)
        assert struct.unpack_from("<I", grown.values, 4 * at)[0] == START + 1
        # Nothing moved since: against the values read last, everything is unchanged.
        assert set(rescan(reader, grown, NarrowCondition("=")).candidates.addresses) == set(
            grown.addresses
        )
        counter.bump()
        assert set(rescan(reader, grown, NarrowCondition("+", 1)).candidates.addresses) == {
            counter.counter
        }


def test_undo_goes_back_one_step_and_the_line_tells_the_steps(counter: CounterTarget) -> None:
    with MemoryReader(counter.pid) as reader:
        first = first_candidates(reader)
        history = NarrowingHistory(first)
        counter.bump()
        history.push(rescan(reader, history.current, NarrowCondition("+")))
        counter.bump()
        history.push(rescan(reader, history.current, NarrowCondition("+", 1)))
        assert list(history.current.addresses) == [counter.counter]
        assert history.text() == f"{len(first):,} → 3 (+) → 1 (+ 1)"
        assert history.undo()
        assert history.text() == f"{len(first):,} → 3 (+)"
        assert set(history.current.addresses) == {counter.counter} | counter.addresses("climbers")
        assert history.undo()
        assert history.current is first
        assert not history.undo()
        assert history.text() == f"{len(first):,}"


def test_a_search_keeps_every_match_for_narrowing_but_describes_only_the_first(
    counter_binary: Path,
) -> None:
    decoys = DEFAULT_LIMIT + 5_000
    with running_counter_target(counter_binary, steady=decoys, climbers=0, fallers=0) as target:
        with MemoryReader(target.pid) as reader:
            found = search(reader, keep=DEFAULT_LIMIT)
        assert found.addresses is not None
        assert len(found.addresses) >= decoys + 1 and found.matches == len(found.addresses)
        assert target.counter in set(found.addresses)
        assert set(target.addresses("steady")) <= set(found.addresses)


def test_a_rescan_of_thousands_of_reads_takes_one_freeze_and_drops_the_unreadable(
    counter_binary: Path, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    freezes: list[int] = []
    enter = process_freeze.ProcessFreeze.__enter__

    def counted(self: process_freeze.ProcessFreeze) -> process_freeze.ProcessFreeze:
        freezes.append(self.pid)
        return enter(self)

    monkeypatch.setattr(process_freeze.ProcessFreeze, "__enter__", counted)
    # The threaded target: three workers bump their u64 counters every millisecond.
    kind = value_kind(parse_query("u64:0"))
    counters = array("Q", (target.counters + 8 * i for i in range(target.nthreads)))
    with MemoryReader(target.pid) as reader:
        values, unreadable = reader.read_values(counters, 8, overlapping=False)
        assert unreadable == []
        moving = Candidates(kind, counters, values, overlapping=False)
        # A condition every counter passes, however far the workers got meanwhile.
        result = rescan(reader, moving, NarrowCondition("<", (1 << 64) - 1))
    assert freezes == [target.pid, target.pid]  # one for read_values, one for the rescan
    assert list(result.candidates.addresses) == list(counters) and result.frozen
    assert stopped_tasks(target.pid) == [] and tracer_of(target.pid) == 0

    freezes.clear()
    # Every other decoy: no two side by side, so one read each, several system calls.
    count = 3 * IOV_MAX
    with running_counter_target(counter_binary, steady=2 * count, climbers=0, fallers=0) as many:
        spread = array("Q", sorted(many.addresses("steady"))[::2])
        gone = 0x10000  # never mapped: a candidate whose memory went away
        addresses = array("Q", [gone]) + spread
        candidates = Candidates(value_kind(U32), addresses, U32.needle * len(addresses), False)
        with MemoryReader(many.pid) as reader:
            result = rescan(reader, candidates, NarrowCondition("="))
        assert freezes == [many.pid]
        assert result.unreadable == 1 and list(result.candidates.addresses) == list(spread)
        assert stopped_tasks(many.pid) == [] and tracer_of(many.pid) == 0


def test_bad_input_says_why_in_one_line() -> None:
    u32, text = value_kind(U32), value_kind(parse_query("MEMTUI"))
    cases = {
        "": "type how the value changed",
        "?": "start with = ! + - > or <",
        ">": "> needs a value",
        "<": "< needs a value",
        "+ 0": "needs an amount above 0",
        "- -3": "needs an amount above 0",
        "= 4294967296": "does not fit u32, which holds 0..4294967295",
        "< -1": "does not fit u32",
        "= x": "u32 needs a whole number",
        "= 1.5": "u32 needs a whole number",
        "= 1_000": "no underscores",
        "! 5": "! takes no value",
    }
    for typed, says in cases.items():
        with pytest.raises(NarrowingError, match=None) as raised:
            parse_narrowing(typed, u32)
        assert says in str(raised.value) and "\n" not in str(raised.value), typed
    for typed in ("+", "-", "= 3", "> 1", "+ 1"):
        with pytest.raises(NarrowingError) as raised:
            parse_narrowing(typed, text)
        assert "narrows with = (unchanged) or ! (changed) only" in str(raised.value)
    assert parse_narrowing("=", text) == NarrowCondition("=")
    assert parse_narrowing("!", text) == NarrowCondition("!")
    assert parse_narrowing(" UNDO ", u32) == "undo"


def test_values_compare_as_the_search_type() -> None:
    # Saved values, not a process: the comparison alone, for each kind of number.
    i16 = value_kind(parse_query("i16:-5"))
    addresses = array("Q", [0x1000, 0x2000, 0x3000])
    old = struct.pack("<3h", -5, -5, -5)
    new = struct.pack("<3h", -4, -6, -5)
    candidates = Candidates(i16, addresses, old)
    assert list(narrow(candidates, NarrowCondition("+"), new).addresses) == [0x1000]
    assert list(narrow(candidates, NarrowCondition("<", -5), new).addresses) == [0x2000]
    assert list(narrow(candidates, NarrowCondition("-", 1), new).addresses) == [0x2000]

    u16be = value_kind(parse_query("u16be:0x0102"))
    big = Candidates(u16be, addresses, struct.pack(">3H", 0x0102, 0x0102, 0x0102))
    grown = narrow(big, NarrowCondition("+", 0x100), struct.pack(">3H", 0x0202, 0x0103, 0x0102))
    assert list(grown.addresses) == [0x1000]
    assert grown.values == struct.pack(">H", 0x0202)  # kept as they are in memory

    f64 = value_kind(parse_query("f64:1.0"))
    nan = struct.pack("<d", float("nan"))
    floats = Candidates(f64, addresses, struct.pack("<2d", 1.0, 0.0) + nan)
    now = struct.pack("<2d", 1.1, -0.0) + nan
    assert list(narrow(floats, NarrowCondition("+", 0.1), now).addresses) == [0x1000]
    # Unchanged means the same bits: NaN stays NaN, -0.0 is a change from 0.0.
    assert list(narrow(floats, NarrowCondition("="), now).addresses) == [0x3000]
    assert list(narrow(floats, NarrowCondition("<", 0.5), now).addresses) == [0x2000]


# -- reading the values: one iovec each, or whole pages ----------------------------------


def spots(target: PatternTarget) -> dict[str, array[int]]:
    """Candidate layouts over the target's 1 MiB of numbered bytes and its pattern page,
    each ascending; with the widths they are read at, they cover what the two paths do
    differently: alignments, overlaps, page and window ends, holes, sparse tails."""
    big, page = target.big, target.page
    window = 1 << 16
    edges = [window * w + d for w in range(1, 16) for d in (-9, -8, -5, -4, -3, -1, 0, 1)]
    edges += [page * p + d for p in range(1, 256, 7) for d in (-7, -2, -1, 0, 3)]
    return {
        # One value every 12 bytes over the whole region: no two side by side.
        "scattered": array("Q", range(big, big + target.big_size - 8, 12)),
        # Every third byte: overlapping values of four alignments at once.
        "unaligned": array("Q", range(big + 1, big + 300_000, 3)),
        # Every byte of a stretch, and values that run over page and window ends.
        "every byte": array("Q", range(big + 5 * window - 700, big + 5 * window + 700)),
        # Every 4th byte, and values that run over page and window ends among them.
        "edges": array(
            "Q", sorted({big + offset for offset in [*edges, *range(0, 16 * window, 4)]})
        ),
        # Pages alone with candidates, the last value of each running over the page's
        # end (once into the next window), where no other candidate is.
        "ends": array(
            "Q",
            sorted(
                big + offset
                for end in (3 * page, 5 * page, window, 2 * window)
                for offset in range(end - 1, end - page, -5)
            ),
        ),
        # Dense, then one candidate a window: the tail goes one iovec each.
        "mixed": array(
            "Q", [*range(big, big + 40_000, 6), *range(big + 40_000, big + target.big_size, window)]
        ),
        # The pattern page up to its PROT_NONE guard page, and into it: unreadable.
        "guard": array("Q", range(target.pattern + page - 3000, target.guard + 64, 3)),
    }


@pytest.mark.parametrize("width", [1, 2, 4, 8])
def test_values_cut_from_whole_pages_are_those_read_one_by_one(
    pattern_binary: Path, width: int
) -> None:
    with running_pattern_target(pattern_binary, big_mib=1) as target:
        with MemoryReader(target.pid) as reader:
            region = reader.read(target.big, target.big_size + target.page).data
            pattern = reader.read(target.pattern, target.page).data
            for name, addresses in spots(target).items():
                # At width 1, every byte is one iovec and no value runs over an end.
                if width > 1 or name not in ("every byte", "ends"):
                    assert plan_gather(addresses, width).from_pages > 0, name
                paged = reader.read_values(addresses, width)
                one_by_one = reader.read_values(addresses, width, pages=False)
                assert paged == one_by_one, name
                values, unreadable = paged
                # And both are what the memory holds, value by value.
                for index, address in enumerate(addresses):
                    got = values[index * width : (index + 1) * width]
                    if target.big <= address < target.big + target.big_size:
                        offset = address - target.big
                        assert got == region[offset : offset + width], (name, hex(address))
                    elif address + width <= target.guard:
                        offset = address - target.pattern
                        assert got == pattern[offset : offset + width], (name, hex(address))
                if name == "guard":
                    touching = [
                        index
                        for index, address in enumerate(addresses)
                        if address + width > target.guard
                    ]
                    assert unreadable == touching and touching
                else:
                    assert unreadable == []
        assert stopped_tasks(target.pid) == [] and tracer_of(target.pid) == 0
