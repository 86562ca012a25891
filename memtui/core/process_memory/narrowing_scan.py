"""Narrowing scans: keep only the matches of a search whose value changed as you say.

The loop of scanmem, GameConqueror, PINCE and Cheat Engine: search a value, let the
program change it, keep the matches that changed the way it did, repeat until one
address is left. What a step keeps (:func:`parse_narrowing`; the table is the
README's, a contract):

=========  ===========================================
``=``      the value is unchanged since the last scan
``!``      it changed
``+``      it increased
``-``      it decreased
``= V``    it equals V (``> V``, ``< V``: greater, less)
``+ D``    it grew by exactly D (``- D``: shrank by D)
=========  ===========================================

Values are read as the search's type (:class:`ValueKind`): the integer of its width,
sign and byte order, the float, or, for text and bytes, the bytes themselves, for
which only ``=`` and ``!`` mean anything.

Like scanmem, a step compares each value with the one read at the step before (the
search itself for the first step) and then remembers the new one; a match that can no
longer be read (its memory was unmapped) is dropped. Candidates are kept compactly, a
million in 12 MB for u32: the addresses in an ``array('Q')``, the values read last
end to end in one ``bytes``. A step reads only those addresses
(:meth:`MemoryReader.read_values`: one freeze, a thousand reads per system call, or
the pages of dense candidates whole) and filters them with ``map``/``compress`` in C,
never a Python loop per candidate.
"""

from __future__ import annotations

import math
import re
import struct
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import compress
from operator import eq, gt, lt, ne, sub
from typing import Literal

from memtui.core.input_echo import echo
from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_search import (
    FLOAT_MAX,
    INT_TYPES,
    QueryError,
    SearchPattern,
)
from memtui.core.units import plain_number

NARROW_HELP = (
    "= unchanged · ! changed · + increased · - decreased · = V, > V, < V · "
    "+ D, - D grew/shrank by D · undo"
)
UNDO_WORDS = frozenset({"undo", "u"})
# Steps that undo can go back through; older ones stay in the history line only.
UNDO_DEPTH = 32

Operator = Literal["=", "!", "+", "-", ">", "<"]
_INT_CODES = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h"}
_INT_CODES |= {(4, False): "I", (4, True): "i", (8, False): "Q", (8, True): "q"}
_BIT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
assert all(array(code).itemsize == size for (size, _), code in _INT_CODES.items())
# A float step by D matches within a few units in the last place of the values: 0.1
# is not exactly any float, and 1.1 - 1.0 is not exactly 0.1.
_FLOAT_ULPS = {4: 4 * 2.0**-23, 8: 4 * 2.0**-52}
_HOST_LITTLE = sys.byteorder == "little"


class NarrowingError(QueryError):
    """Input the narrowing prompt cannot use; the message says why and what would work."""


@dataclass(frozen=True, slots=True)
class ValueKind:
    """How the candidates' bytes are read: as a number of ``width`` bytes, or as bytes."""

    name: str
    width: int
    code: str | None
    """The ``array`` typecode of the number (``I``, ``q``, ``d``), or None for bytes."""
    big_endian: bool = False
    low: int | float = 0
    high: int | float = 0

    @property
    def is_number(self) -> bool:
        return self.code is not None

    @property
    def is_float(self) -> bool:
        return self.code in ("f", "d")

    def numbers(self, raw: bytes) -> array[int] | array[float]:
        """``raw`` (the values end to end, as in memory) as numbers."""
        assert self.code is not None
        values = array(self.code, raw)
        if self.big_endian == _HOST_LITTLE and self.width > 1:
            values.byteswap()
        return values


def value_kind(pattern: SearchPattern) -> ValueKind:
    """What a search's matches hold, read as it searched for them."""
    if pattern.floats is not None:
        size = pattern.floats.size
        code = "f" if size == 4 else "d"
        largest = FLOAT_MAX[size]
        name = f"f{size * 8}"
        return ValueKind(name, size, code, pattern.floats.endian == ">", -largest, largest)
    base = pattern.kind.removesuffix("be")
    if base in INT_TYPES:
        size, signed = INT_TYPES[base]
        bits = 8 * size
        low, high = (-(1 << bits - 1), (1 << bits - 1) - 1) if signed else (0, (1 << bits) - 1)
        return ValueKind(
            base, size, _INT_CODES[size, signed], pattern.kind.endswith("be"), low, high
        )
    return ValueKind(pattern.kind, pattern.length, None)


def can_overlap(pattern: SearchPattern) -> bool:
    """Whether two matches may lie closer than their length (the needle repeats itself).

    ``u32:0`` matches at every byte of a run of zeros; ``MEMTUI`` never overlaps
    another ``MEMTUI``. Floats are found at their alignment only.
    """
    if pattern.floats is not None:
        return False
    needle = pattern.needle
    return any(needle[shift:] == needle[:-shift] for shift in range(1, len(needle)))


@dataclass(frozen=True, slots=True)
class NarrowCondition:
    """What one step keeps: ``operator`` with its ``operand`` (None: against the last scan)."""

    operator: Operator
    operand: int | float | None = None

    @property
    def text(self) -> str:
        """``+``, ``= 41``, ``- 2``: as the history line shows it."""
        if self.operand is None:
            return self.operator
        number = f"{self.operand:g}" if isinstance(self.operand, float) else str(self.operand)
        return f"{self.operator} {number}"


Undo = Literal["undo"]


def parse_narrowing(text: str, kind: ValueKind) -> NarrowCondition | Undo:
    """The step typed in the prompt, or ``"undo"``; NarrowingError says what is wrong."""
    stripped = text.strip()
    if stripped.lower() in UNDO_WORDS:
        return "undo"
    if not stripped:
        raise NarrowingError(f"type how the value changed: {NARROW_HELP}")
    operator, rest = _split_operator(stripped)
    if not kind.is_number:
        if operator in ("=", "!") and not rest:
            return NarrowCondition(operator)
        raise NarrowingError(f"a {kind.name} search narrows with = (unchanged) or ! (changed) only")
    if operator == "!":
        if rest:
            raise NarrowingError(
                f"! takes no value: it keeps the matches that changed ({echo(text)})"
            )
        return NarrowCondition("!")
    if not rest:
        if operator in (">", "<"):
            word, change = (
                ("greater", "+ increased") if operator == ">" else ("less", "- decreased")
            )
            raise NarrowingError(
                f"{operator} needs a value ({operator} V: {word} than V; {change})"
            )
        return NarrowCondition(operator)
    number = _number(rest, kind)
    if operator in ("+", "-"):
        if number <= 0:
            raise NarrowingError(
                f"{operator} D needs an amount above 0: {echo(rest)} (= keeps the unchanged)"
            )
        if number > kind.high - kind.low:
            raise NarrowingError(f"a {kind.name} cannot change by {rest.strip()}")
    elif not kind.low <= number <= kind.high:
        raise NarrowingError(f"{rest.strip()} does not fit {kind.name}, which holds {_range(kind)}")
    return NarrowCondition(operator, number)


def _split_operator(text: str) -> tuple[Operator, str]:
    spellings: tuple[tuple[str, Operator], ...] = (
        ("!=", "!"),
        ("==", "="),
        ("=", "="),
        ("!", "!"),
        ("+", "+"),
        ("-", "-"),
        (">", ">"),
        ("<", "<"),
    )
    for spelled, operator in spellings:
        if text.startswith(spelled):
            return operator, text[len(spelled) :].strip()
    raise NarrowingError(f"start with = ! + - > or <: {echo(text)} ({NARROW_HELP})")


def _number(text: str, kind: ValueKind) -> int | float:
    try:
        plain = plain_number(text)
    except ValueError as error:
        raise NarrowingError(str(error)) from None
    if kind.is_float:
        try:
            number = float(plain)
        except ValueError:
            raise NarrowingError(f"{kind.name} needs a number, e.g. 2.5: {echo(plain)}") from None
        if not math.isfinite(number):
            raise NarrowingError(f"{kind.name} needs a finite number, not {echo(plain)}")
        if kind.width == 4 and abs(number) <= kind.high:
            number = struct.unpack("<f", struct.pack("<f", number))[0]  # as the f32 holds it
        return number
    if re.fullmatch(r"[+-]?[0-9]{1,20}", plain):
        return int(plain, 10)
    try:
        return int(plain, 0)
    except ValueError:
        raise NarrowingError(
            f"{kind.name} needs a whole number (decimal, or hex with 0x): {echo(plain)}"
        ) from None


def _range(kind: ValueKind) -> str:
    if kind.is_float:
        return f"±{kind.high:.8g}"
    return f"{kind.low}..{kind.high}"


# -- candidates ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidates:
    """Addresses still in the running, ascending, with the value each held at the last scan."""

    kind: ValueKind
    addresses: array[int]
    values: bytes
    overlapping: bool = True
    """Two of them may lie closer than ``kind.width`` (see :func:`can_overlap`)."""

    def __len__(self) -> int:
        return len(self.addresses)

    @property
    def nbytes(self) -> int:
        return len(self.addresses) * self.addresses.itemsize + len(self.values)


def candidates_from_search(
    pattern: SearchPattern, addresses: array[int], values: bytes | None = None
) -> Candidates:
    """The matches of a search, as the first step sees them.

    ``addresses`` come in scan order: up from where the search started, then from the
    bottom back up to it; they are put in address order. An exact pattern's values
    are its needle; a float search passes the values it found (``values``, in the
    same order as ``addresses``).
    """
    kind = value_kind(pattern)
    ordered, turn = _in_address_order(addresses)
    if values is None:
        raw = pattern.needle * len(ordered)
    else:
        cut = turn * kind.width
        raw = values[cut:] + values[:cut]
    return Candidates(kind, ordered, raw, can_overlap(pattern))


def _in_address_order(addresses: array[int]) -> tuple[array[int], int]:
    """The scan-order ``addresses`` rotated into address order, and where they turned."""
    count = len(addresses)
    if count < 2 or addresses[-1] > addresses[0]:
        return addresses, 0
    # Two ascending runs, the second all below the first: find where it starts.
    low, high = 1, count
    while low < high:
        middle = (low + high) // 2
        if addresses[middle] < addresses[0]:
            high = middle
        else:
            low = middle + 1
    return addresses[low:] + addresses[:low], low


# -- one step ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NarrowResult:
    """What one rescan kept, with how many could not be read and how long it took."""

    candidates: Candidates
    condition: NarrowCondition
    before: int
    unreadable: int
    seconds: float
    frozen: bool


def narrow(candidates: Candidates, condition: NarrowCondition, new_values: bytes) -> Candidates:
    """The candidates whose value, now ``new_values``, passes ``condition``.

    A value that could not be read must already be out (see :func:`rescan`).
    """
    kind = candidates.kind
    keep = _keep_mask(kind, condition, candidates.values, new_values)
    if keep is None:
        return Candidates(kind, candidates.addresses, new_values, candidates.overlapping)
    return _kept(candidates, keep, new_values)


def _keep_mask(kind: ValueKind, condition: NarrowCondition, old: bytes, new: bytes) -> bytes | None:
    """One byte per candidate, 1 to keep it; None to keep every one."""
    operator, operand = condition.operator, condition.operand
    if operator in ("=", "!") and operand is None:
        if old == new:
            return None if operator == "=" else bytes(len(old) // kind.width)
        # Unchanged means the same bytes: a float NaN stays NaN, -0.0 is not 0.0.
        return bytes(map(eq if operator == "=" else ne, *_lanes(kind, old, new)))
    assert kind.code is not None
    now = kind.numbers(new)
    if operand is None:
        before = kind.numbers(old)
        return bytes(map(gt if operator == "+" else lt, now, before))
    if operator in ("=", ">", "<"):
        # operand.__lt__(v) is v > operand: the comparison runs in C for every value.
        compare = {"=": operand.__eq__, ">": operand.__lt__, "<": operand.__gt__}[operator]
        return bytes(map(compare, now))  # type: ignore[arg-type]
    before = kind.numbers(old)
    steps: Iterable[int | float] = (
        map(sub, now, before) if operator == "+" else map(sub, before, now)
    )
    if kind.is_float:
        return bytes(map(_near(operand, kind.width), steps, now, before))
    return bytes(map(operand.__eq__, steps))


def _lanes(kind: ValueKind, old: bytes, new: bytes) -> tuple[Iterable[object], Iterable[object]]:
    """``old`` and ``new`` cut into one comparable item per candidate."""
    code = _BIT_CODES.get(kind.width)
    if code is not None:
        return array(code, old), array(code, new)
    width = kind.width
    starts = range(0, len(old), width)
    return (
        map(old.__getitem__, map(slice, starts, range(width, len(old) + width, width))),
        map(new.__getitem__, map(slice, starts, range(width, len(new) + width, width))),
    )


def _near(amount: float, width: int) -> Callable[[float, float, float], bool]:
    ulps = _FLOAT_ULPS[width]

    def near(step: float, now: float, before: float) -> bool:
        return abs(step - amount) <= ulps * max(abs(now), abs(before), abs(amount))

    return near


def _kept(candidates: Candidates, keep: bytes, new_values: bytes) -> Candidates:
    kind = candidates.kind
    count = keep.count(1)
    if count == len(keep):
        return Candidates(kind, candidates.addresses, new_values, candidates.overlapping)
    addresses = array("Q", compress(candidates.addresses, keep))
    code = _BIT_CODES.get(kind.width)
    if code is not None:
        values = array(code, compress(array(code, new_values), keep)).tobytes()
    else:
        width = kind.width
        starts = compress(range(0, len(new_values), width), keep)
        values = b"".join(new_values[start : start + width] for start in starts)
    return Candidates(kind, addresses, values, candidates.overlapping)


def rescan(
    reader: MemoryReader, candidates: Candidates, condition: NarrowCondition
) -> NarrowResult:
    """Read every candidate again (one freeze, if the reader freezes) and keep those
    that pass ``condition``; those that cannot be read are dropped."""
    started = time.perf_counter()
    kind = candidates.kind
    new_values, unreadable = reader.read_values(
        candidates.addresses, kind.width, candidates.overlapping
    )
    current = candidates
    if unreadable:
        readable = bytearray(b"\x01") * len(candidates)
        for index in unreadable:
            readable[index] = 0
        current = _kept(candidates, bytes(readable), candidates.values)
        new_values = _kept(candidates, bytes(readable), new_values).values
    kept = narrow(current, condition, new_values)
    return NarrowResult(
        kept,
        condition,
        len(candidates),
        len(unreadable),
        time.perf_counter() - started,
        reader.freeze,
    )


def rescan_steps(
    candidates: Candidates, condition: NarrowCondition
) -> Callable[[MemoryReader], Iterator[NarrowResult]]:
    """A session job that runs one rescan as its single step (so under one freeze)."""

    def job(reader: MemoryReader) -> Iterator[NarrowResult]:
        yield rescan(reader, candidates, condition)

    return job


# -- the steps so far --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NarrowStep:
    condition: NarrowCondition | None
    """None for the search the steps start from."""
    count: int


class NarrowingHistory:
    """The candidates after each step, for undo, and the line that tells the steps."""

    def __init__(self, first: Candidates) -> None:
        self.steps: list[NarrowStep] = [NarrowStep(None, len(first))]
        self._states: list[Candidates] = [first]

    @property
    def current(self) -> Candidates:
        return self._states[-1]

    @property
    def can_undo(self) -> bool:
        return len(self._states) > 1

    def push(self, result: NarrowResult) -> None:
        self.steps.append(NarrowStep(result.condition, len(result.candidates)))
        self._states.append(result.candidates)
        if len(self._states) > UNDO_DEPTH + 1:
            # The oldest state goes; its step stays in the line (it happened).
            del self._states[0]

    def undo(self) -> bool:
        """Back one step; False if there is none to go back to."""
        if not self.can_undo:
            return False
        self._states.pop()
        self.steps.pop()
        return True

    def text(self) -> str:
        """``1,204,332 → 5,120 (+) → 3 (= 41)``"""
        parts = []
        for step in self.steps:
            count = f"{step.count:,}"
            parts.append(count if step.condition is None else f"{count} ({step.condition.text})")
        return " → ".join(parts)
