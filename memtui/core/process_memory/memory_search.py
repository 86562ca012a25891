"""Searching a live process's memory for text, bytes, integers or floats.

Pure logic over the reader core, no Textual: the memory view runs a search on its
session thread chunk by chunk (between row reads), ``memtui search`` runs the same
steps in a loop, so both find the same addresses.

What a query means (:func:`parse_query`): plain input is ASCII text, as in less and
vim; ``TYPE:VALUE`` chooses another kind, with the same TYPE names as ``memtui search
--type`` (see :data:`QUERY_HELP`). Only a known TYPE counts as a prefix, so
``http://x`` is text; ``text:x:1`` searches for ``x:1`` itself.

How it scans (:class:`MemorySearch`):

- every readable mapping, contiguous ones merged into one run, from ``start``
  (the view passes the byte after its cursor) to the top, then from the bottom back
  up to ``start``: matches come in the order ``n`` visits them;
- :data:`CHUNK` bytes at a time into one reused buffer, each chunk re-reading the
  last ``len(pattern) - 1`` bytes of the one before, so a match across two chunks is
  found exactly once; text, hex and integers with ``bytearray.find`` (any
  alignment); floats only at their natural alignment (4 or 8): compilers place
  them so, and a tolerance checked at every byte offset would mostly match noise;
- in freeze mode each chunk is read under its own freeze, so the process stops for
  about a millisecond at a time, never for the whole search; a value that moves
  while the search runs may be missed or found twice, as with scanmem;
- it stops at ``limit`` matches (:data:`DEFAULT_LIMIT`) or when ``cancel`` is set,
  checked once per chunk.

A float with a tolerance matches bit patterns in one or two contiguous integer
ranges (IEEE 754 orders same-sign values like their bits). The bytes that all of
a range shares, at the value's most significant end, are searched for with ``find``,
and each hit is decoded and compared; or the scan looks at the top byte of every
aligned word instead. Which is faster depends on the bytes, so the first two large
chunks try one each and the rest take the faster (a tolerance so wide that its
values share fewer than two bytes always takes the second; see docs/performance.md).
A tolerance that spans zero has a range of each sign: a chunk's matches of both
are merged in address order before the limit applies, so a search that stops at
``limit`` has found the first ``limit`` matches in scan order.
"""

from __future__ import annotations

import heapq
import math
import re
import struct
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Literal

from memtui.core.input_echo import echo, shorten
from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.proc_maps import Mapping, find_mapping, read_maps
from memtui.core.units import plain_number

# 4 MiB: a read of it takes about a millisecond, so a freeze per chunk stays short
# and the view's row reads, served between chunks, wait at most that long.
CHUNK = 4 << 20
DEFAULT_LIMIT = 10_000
# A float search times its two ways of finding candidates on chunks this large.
TRIAL_BYTES = 1 << 20
# The view hears of progress this often (and at once of the first match).
PROGRESS_INTERVAL = 0.05
# Kernel pages that are never worth reading ([vvar] faults through /proc/PID/mem).
SKIPPED_PATHS = frozenset({"[vsyscall]", "[vvar]", "[vvar_vclock]"})

Endian = Literal["<", ">"]

INT_TYPES = {
    f"{sign}{bits}": (bits // 8, sign == "i") for sign in ("u", "i") for bits in (8, 16, 32, 64)
}
FLOAT_TYPES = {"f32": 4, "f64": 8}
# The largest finite value of each float size: FLT_MAX and DBL_MAX.
FLOAT_MAX = {4: struct.unpack("<f", b"\xff\xff\x7f\x7f")[0], 8: sys.float_info.max}
TYPES: tuple[str, ...] = (
    "text",
    "hex",
    "utf16",
    *INT_TYPES,
    *(f"{name}be" for name in INT_TYPES if name not in ("u8", "i8")),
    *FLOAT_TYPES,
    *(f"{name}be" for name in FLOAT_TYPES),
)
ALIASES = {"t": "text", "x": "hex", "u": "utf16", "w": "utf16"}

QUERY_HELP = (
    "text (no prefix) · x:de ad be ef · u:text (UTF-16LE) · u8..u64, i8..i64 e.g. "
    "u32:1234, i64:-5, u16be:0x1234 · f32:3.14~0.001, f64:2.5~1e-9 (value~tolerance)"
)


class QueryError(ValueError):
    """A query that cannot be searched for; the message says why and what would work."""


@dataclass(frozen=True, slots=True)
class FloatRange:
    """Floats of ``size`` bytes with ``low <= value <= high``, read in ``endian`` order."""

    size: int
    endian: Endian
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class SearchPattern:
    """What to look for: exact ``needle`` bytes, or floats within ``floats``."""

    kind: str
    description: str
    needle: bytes = b""
    floats: FloatRange | None = None

    @property
    def length(self) -> int:
        """Bytes a match covers."""
        return self.floats.size if self.floats is not None else len(self.needle)

    @property
    def alignment(self) -> int:
        return self.floats.size if self.floats is not None else 1


# -- queries -----------------------------------------------------------------------


def parse_query(query: str) -> SearchPattern:
    """The pattern a search box query asks for: ``TYPE:VALUE``, or plain text."""
    head, colon, rest = query.partition(":")
    name = head.strip().lower()
    name = ALIASES.get(name, name)
    if colon and name in TYPES:
        return compile_pattern(name, rest)
    return compile_pattern("text", query)


def compile_pattern(kind: str, value: str) -> SearchPattern:
    """The pattern for ``value`` read as ``kind`` (one of :data:`TYPES` or an alias)."""
    kind = ALIASES.get(kind, kind)
    if kind == "text":
        if not value:
            raise QueryError(f"type something to search for: {QUERY_HELP}")
        return SearchPattern(kind, f"text {echo(value)}", value.encode("utf-8"))
    if kind == "utf16":
        if not value:
            raise QueryError("type the text to search for as UTF-16LE, e.g. u:hello")
        return SearchPattern(kind, f"UTF-16LE {echo(value)}", value.encode("utf-16-le"))
    if kind == "hex":
        return _hex_pattern(value)
    endian: Endian = ">" if kind.endswith("be") else "<"
    base = kind.removesuffix("be")
    if base in INT_TYPES:
        return _int_pattern(kind, base, endian, value)
    if base in FLOAT_TYPES:
        return _float_pattern(kind, FLOAT_TYPES[base], endian, value)
    raise QueryError(f"unknown type {echo(kind)}: use one of {', '.join(TYPES)}")


def _hex_pattern(value: str) -> SearchPattern:
    digits = "".join(part.removeprefix("0x").removeprefix("0X") for part in value.split())
    if not digits:
        raise QueryError("type hex bytes to search for, e.g. x:de ad be ef or x:deadbeef")
    if not re.fullmatch(r"[0-9a-fA-F]+", digits):
        raise QueryError(
            f"not hex bytes: {echo(value.strip())} (use 0-9 and a-f, e.g. de ad be ef)"
        )
    if len(digits) % 2:
        raise QueryError(f"hex bytes need two digits each: {echo(value.strip())} has {len(digits)}")
    needle = bytes.fromhex(digits)
    return SearchPattern("hex", f"bytes {shorten(needle.hex(' '))}", needle)


def _int_pattern(kind: str, base: str, endian: Endian, value: str) -> SearchPattern:
    size, signed = INT_TYPES[base]
    text = _plain_number(kind, value)
    low, high = (
        (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << 8 * size) - 1)
    )
    number: int | None
    if decimal := re.fullmatch(r"[+-]?([0-9]+)", text):
        # More digits than any 64-bit value has would not fit; int() refuses 4,300.
        number = int(text, 10) if len(decimal.group(1).lstrip("0")) <= 20 else None
    else:
        try:
            number = int(text, 0)
        except ValueError:
            raise QueryError(
                f"{kind} needs a whole number (decimal, or hex with 0x): {echo(text)}"
            ) from None
    if number is None or not low <= number <= high:
        raise QueryError(f"{shorten(text)} does not fit {kind}, which holds {low}..{high}")
    needle = number.to_bytes(size, "little" if endian == "<" else "big", signed=signed)
    order = "" if size == 1 else (" big-endian" if endian == ">" else " little-endian")
    return SearchPattern(kind, f"{base} {number}{order}", needle)


def _plain_number(kind: str, text: str) -> str:
    """``text`` stripped, or a QueryError for Python's ``1_000`` or non-ASCII digits."""
    try:
        return plain_number(text)
    except ValueError as error:
        raise QueryError(f"{kind}: {error}") from None


def _float_pattern(kind: str, size: int, endian: Endian, value: str) -> SearchPattern:
    base = kind.removesuffix("be")
    number_text, tilde, tolerance_text = (
        _plain_number(base, part) for part in value.partition("~")
    )
    usage = f"{kind} needs a number and an optional tolerance, e.g. {kind}:3.14~0.001"
    try:
        number = float(number_text)
        tolerance = float(tolerance_text) if tilde else 0.0
    except ValueError:
        raise QueryError(f"{usage}: {echo(value.strip())}") from None
    largest = FLOAT_MAX[size]
    if math.isnan(number) or number_text.lower().lstrip("+-") in ("inf", "infinity"):
        raise QueryError(f"{base} needs a finite number, not {echo(number_text)}")
    if not _fits(number, size):
        raise QueryError(
            f"{echo(number_text)} does not fit an {base}, whose largest value is "
            f"{_shortest_text(largest, size)}"
        )
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise QueryError(
            f"{base}: the tolerance must be a finite number >= 0, not {echo(tolerance_text)}"
        )
    # A bound past the largest float is the largest: infinity is within no tolerance.
    low, high = max(number - tolerance, -largest), min(number + tolerance, largest)
    if size == 4 and not tolerance:
        # The float nearest the value typed: 3.14 is not exactly any f32.
        low = high = struct.unpack("<f", struct.pack("<f", number))[0]
    label = f"{base} {number:g}" + (f" ± {tolerance:g}" if tolerance else "")
    if endian == ">":
        label += " big-endian"
    return SearchPattern(kind, label, floats=FloatRange(size, endian, low, high))


def _fits(number: float, size: int) -> bool:
    """Whether ``number`` rounds to a finite float of ``size`` bytes (3.4028235e38 does)."""
    if size == 8 or not math.isfinite(number):
        return math.isfinite(number)
    try:
        struct.pack("<f", number)
    except OverflowError:
        return False
    return True


def _shortest_text(value: float, size: int) -> str:
    """``3.4028235e+38``: the f32 as C's FLT_MAX is usually written; an f64 as repr."""
    return f"{value:.8g}" if size == 4 else repr(value)


# -- float ranges as byte patterns ---------------------------------------------------


def _float_bits(value: float, size: int) -> int:
    """The IEEE bits of ``value`` rounded to ``size`` bytes (beyond an f32: infinity)."""
    if size == 8:
        return int.from_bytes(struct.pack(">d", value), "big")
    try:
        return int.from_bytes(struct.pack(">f", value), "big")
    except OverflowError:
        return int.from_bytes(struct.pack(">f", math.copysign(math.inf, value)), "big")


def bit_ranges(floats: FloatRange) -> list[tuple[int, int]]:
    """Inclusive ranges of bit patterns (as big-endian integers) that hold every match.

    A superset: the bounds are rounded to the nearest float of the size, and every
    candidate is checked against the exact bounds afterwards.
    """
    size, low, high = floats.size, floats.low, floats.high
    sign = 1 << (8 * size - 1)
    ranges = []
    # Written out, not min()/max(): those return either zero when given 0.0 and -0.0.
    if high >= 0:
        ranges.append((_float_bits(low if low > 0 else 0.0, size), _float_bits(high, size)))
    if low < 0:
        ranges.append((_float_bits(high if high < 0 else -0.0, size), _float_bits(low, size)))
    elif low == 0:
        ranges.append((sign, sign))  # -0.0 equals 0.0
    return ranges


@dataclass(frozen=True, slots=True)
class _FloatProbe:
    """One bit range: the bytes its values share, where they sit, and how to check a hit."""

    literal: bytes
    literal_offset: int
    top_bytes: bytes
    low_bits: int
    high_bits: int


def _float_probes(floats: FloatRange) -> list[_FloatProbe]:
    size = floats.size
    probes = []
    for low_bits, high_bits in bit_ranges(floats):
        low_be = low_bits.to_bytes(size, "big")
        high_be = high_bits.to_bytes(size, "big")
        shared = 0
        while shared < size and low_be[shared] == high_be[shared]:
            shared += 1
        literal = low_be[:shared]
        top = bytes(range(low_be[0], high_be[0] + 1))
        if floats.endian == "<":
            probes.append(_FloatProbe(literal[::-1], size - shared, top, low_bits, high_bits))
        else:
            probes.append(_FloatProbe(literal, 0, top, low_bits, high_bits))
    return probes


# -- the scan ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchMatch:
    address: int
    mapping: Mapping

    @property
    def where(self) -> str:
        """``[heap]+0x10``: the mapping's short name and the offset in it."""
        return f"{self.mapping.name}+0x{self.address - self.mapping.start:x}"


@dataclass(frozen=True, slots=True)
class SearchProgress:
    """Where a search stands; ``new`` holds the matches found since the last report."""

    scanned: int
    total: int
    matches: int
    new: tuple[SearchMatch, ...]
    done: bool
    cancelled: bool = False
    truncated: bool = False
    seconds: float = 0.0
    addresses: array[int] | None = None
    """At the end: every match's address in scan order, the first ``keep`` of which
    came as :class:`SearchMatch` in ``new``; a narrowing scan starts from them."""
    values: bytes | None = None
    """At the end of a float search: the bytes of each match, in the same order."""


@dataclass
class SearchResult:
    matches: list[SearchMatch] = field(default_factory=list)
    scanned: int = 0
    total: int = 0
    cancelled: bool = False
    truncated: bool = False
    seconds: float = 0.0


def search_runs(mappings: Sequence[Mapping]) -> list[tuple[int, int]]:
    """The [start, end) runs worth searching: readable mappings, adjacent ones merged."""
    runs: list[tuple[int, int]] = []
    for mapping in sorted(mappings, key=lambda m: m.start):
        if not mapping.readable or mapping.path in SKIPPED_PATHS or mapping.size <= 0:
            continue
        if runs and runs[-1][1] == mapping.start:
            runs[-1] = (runs[-1][0], mapping.end)
        else:
            runs.append((mapping.start, mapping.end))
    return runs


def scan_plan(
    runs: Sequence[tuple[int, int]], start: int | None, length: int
) -> list[tuple[int, int]]:
    """The spans to scan in order: from ``start`` up, then from the bottom back to it.

    The run holding ``start`` is split in two; its first part ends ``length - 1``
    bytes past ``start`` so a match straddling ``start`` is still found, once.
    """
    if start is None:
        return list(runs)
    after = [(max(low, start), high) for low, high in runs if high > start]
    before = [(low, min(high, start + length - 1)) for low, high in runs if low < start]
    return [(low, high) for low, high in after + before if high - low >= length]


class ChunkScanner:
    """Where a pattern matches in one buffer of bytes; its float ways are timed per search."""

    def __init__(self, pattern: SearchPattern) -> None:
        self.pattern = pattern
        self._probes = _float_probes(pattern.floats) if pattern.floats is not None else []
        # (probe, path) -> seconds per byte of the chunk it was first tried on.
        self._path_cost: dict[tuple[int, str], float] = {}

    def offsets(
        self,
        buffer: bytes | bytearray,
        address: int,
        size: int,
        limit: int,
        accept: Callable[[int], bool] | None = None,
    ) -> list[int]:
        """The first ``limit`` offsets in ``buffer[:size]`` (read at ``address``) that match.

        In increasing order, and only those ``accept`` takes (all, if None): a refused
        offset does not count towards ``limit``.
        """
        if self.pattern.floats is None:
            found = _find_all(buffer, self.pattern.needle, size)
            return list(islice(found if accept is None else filter(accept, found), limit))
        return self._float_offsets(buffer, address, size, limit, accept)

    def _float_offsets(
        self,
        buffer: bytes | bytearray,
        address: int,
        size: int,
        limit: int,
        accept: Callable[[int], bool] | None,
    ) -> list[int]:
        floats = self.pattern.floats
        assert floats is not None
        width = floats.size
        misalignment = (-address) % width  # the first aligned offset in the buffer
        # Each probe finds its matches in address order; the first ``limit`` of all
        # of them are among the first ``limit`` of each, merged.
        per_probe = []
        for index, probe in enumerate(self._probes):
            path = self._float_path(index, probe)
            started = time.perf_counter()
            candidates: Iterator[int]
            if path == "find":
                candidates = (
                    hit - probe.literal_offset
                    for hit in _find_all(buffer, probe.literal, size)
                    if (hit - probe.literal_offset - misalignment) % width == 0
                )
            else:
                candidates = self._top_byte_candidates(buffer, probe, misalignment, size, width)
            matches = self._in_range(buffer, probe, candidates, size)
            if accept is not None:
                matches = filter(accept, matches)
            per_probe.append(list(islice(matches, limit)))
            if size >= TRIAL_BYTES and (index, path) not in self._path_cost:
                self._path_cost[index, path] = (time.perf_counter() - started) / size
        return list(islice(heapq.merge(*per_probe), limit))

    def _float_path(self, index: int, probe: _FloatProbe) -> str:
        """``find`` the bytes the range shares, or look at ``top`` bytes of every word.

        Which is faster depends on the bytes searched (``find`` slows down where the
        pattern's last byte is common), so the first two chunks of at least
        :data:`TRIAL_BYTES` try one each and the rest take the faster; both find the
        same matches.
        """
        if len(probe.literal) < 2:
            return "top"
        tried = [path for path in ("find", "top") if (index, path) in self._path_cost]
        if len(tried) < 2:
            return "top" if tried else "find"
        return min(tried, key=lambda path: self._path_cost[index, path])

    def _in_range(
        self, buffer: bytes | bytearray, probe: _FloatProbe, candidates: Iterator[int], size: int
    ) -> Iterator[int]:
        """The candidates whose float lies in the probe's bit range and the value's."""
        floats = self.pattern.floats
        assert floats is not None
        width = floats.size
        unpack = struct.Struct(f"{floats.endian}{'d' if width == 8 else 'f'}").unpack_from
        to_int: Literal["little", "big"] = "little" if floats.endian == "<" else "big"
        for offset in candidates:
            if offset < 0 or offset + width > size:
                continue
            bits = int.from_bytes(buffer[offset : offset + width], to_int)
            if not probe.low_bits <= bits <= probe.high_bits:
                continue
            value = unpack(buffer, offset)[0]
            if floats.low <= value <= floats.high:
                yield offset

    def _top_byte_candidates(
        self, buffer: bytes | bytearray, probe: _FloatProbe, first: int, size: int, width: int
    ) -> Iterator[int]:
        """Aligned words whose most significant byte is in the probe's range."""
        top_index = width - 1 if self.pattern.floats and self.pattern.floats.endian == "<" else 0
        words = (size - first) // width
        tops = bytes(memoryview(buffer)[first + top_index : first + words * width : width])
        allowed = re.escape(probe.top_bytes[:1]) + (
            b"-" + re.escape(probe.top_bytes[-1:]) if len(probe.top_bytes) > 1 else b""
        )
        for hit in re.finditer(b"[" + allowed + b"]", tops):
            yield first + hit.start() * width


def _find_all(buffer: bytes | bytearray, needle: bytes, size: int) -> Iterator[int]:
    position = buffer.find(needle, 0, size)
    while position >= 0:
        yield position
        position = buffer.find(needle, position + 1, size)


class MemorySearch:
    """One search over a process, advanced a chunk at a time by :meth:`steps`."""

    def __init__(
        self,
        pattern: SearchPattern,
        mappings: Sequence[Mapping],
        start: int | None = None,
        limit: int = DEFAULT_LIMIT,
        chunk_size: int = CHUNK,
        keep: int | None = None,
    ) -> None:
        self.pattern = pattern
        self.mappings = sorted(mappings, key=lambda m: m.start)
        self.limit = limit
        self.keep = limit if keep is None else min(keep, limit)
        """Matches described as :class:`SearchMatch`; past them only addresses are kept."""
        self.chunk_size = max(chunk_size, pattern.length * 2)
        self.plan = scan_plan(search_runs(self.mappings), start, pattern.length)
        self.total = sum(high - low for low, high in self.plan)
        self.scanned = 0
        self.matches: list[SearchMatch] = []
        self.addresses = array("Q")
        """Every match's address, in scan order: 8 bytes each, for a million of them."""
        self.values = bytearray() if pattern.floats is not None else None
        """A float search's matched bytes, in the same order (exact ones are the needle)."""
        # The wrapped plan meets itself at ``start``; matches there are looked up here.
        self._start = start
        self._seen: set[int] = set()
        self.scanner = ChunkScanner(pattern)
        self._buffer = bytearray(self.chunk_size)
        self._view = memoryview(self._buffer)

    @property
    def truncated(self) -> bool:
        return len(self.addresses) >= self.limit

    def steps(
        self, reader: MemoryReader, cancel: threading.Event | None = None
    ) -> Iterator[list[SearchMatch]]:
        """Scan chunk by chunk, yielding each chunk's new matches (often none).

        Stops at the end, at ``limit`` matches, or (checked before each chunk)
        when ``cancel`` is set.
        """
        length = self.pattern.length
        overlap = length - 1
        for low, high in self.plan:
            position = low
            while position + length <= high:
                if (cancel is not None and cancel.is_set()) or self.truncated:
                    return
                end = min(high, position + self.chunk_size)
                part = self._view[: end - position]
                unreadable = reader.read_into(position, part)
                found = self._scan(position, end - position, unreadable)
                # The next chunk re-reads the last length-1 bytes; every match found
                # here ends inside this chunk, so none is found twice.
                advance = end - position if end == high else end - position - overlap
                self.scanned += advance
                yield found
                position += advance
            if position < high:
                self.scanned += high - position  # a tail too short to hold a match

    def _scan(
        self, address: int, size: int, unreadable: list[tuple[int, int]]
    ) -> list[SearchMatch]:
        length = self.pattern.length

        seen = self._seen

        def readable_and_new(offset: int) -> bool:
            where = address + offset
            # Zeros stand in for bytes that could not be read, and the wrapped plan
            # can overlap by a few bytes at ``start``.
            return where not in seen and not any(
                s < where + length and where < e for s, e in unreadable
            )

        # A million matches cost a call each: none at all where nothing can be refused.
        accept = readable_and_new if unreadable or seen else None
        wanted = self.limit - len(self.addresses)
        offsets = self.scanner.offsets(self._buffer, address, size, wanted, accept)
        self.addresses.extend(address + offset for offset in offsets)
        if self.values is not None:
            for offset in offsets:
                self.values += self._buffer[offset : offset + length]
        if self._start is not None:
            near = range(self._start - length, self._start + length)
            self._seen.update(address + offset for offset in offsets if address + offset in near)
        found = []
        mapping: Mapping | None = None
        for offset in offsets[: max(self.keep - len(self.matches), 0)]:
            where = address + offset
            if mapping is None or not mapping.contains(where):
                # Never None: the plan's runs are made of mappings.
                mapping = find_mapping(self.mappings, where)
                assert mapping is not None
            found.append(SearchMatch(where, mapping))
        self.matches.extend(found)
        return found


def search_steps(
    reader: MemoryReader,
    pattern: SearchPattern,
    start: int | None = None,
    limit: int = DEFAULT_LIMIT,
    cancel: threading.Event | None = None,
    chunk_size: int = CHUNK,
    interval: float = PROGRESS_INTERVAL,
    keep: int | None = None,
) -> Iterator[SearchProgress | None]:
    """A whole search of ``reader``'s process, for a loop or a session thread.

    Reads the mappings afresh, then yields after every chunk: a
    :class:`SearchProgress` when one is due (every ``interval`` seconds, at the
    first match, and at the end, which has ``done`` set), else None. It finds up to
    ``limit`` matches, the first ``keep`` (default: all) as :class:`SearchMatch`.
    """
    started = time.perf_counter()
    search = MemorySearch(pattern, read_maps(reader.pid), start, limit, chunk_size, keep)
    pending: list[SearchMatch] = []
    reported = started
    for found in search.steps(reader, cancel):
        pending.extend(found)
        now = time.perf_counter()
        first = bool(found) and len(search.matches) == len(found)
        if now - reported >= interval or first:
            reported = now
            yield SearchProgress(
                search.scanned, search.total, len(search.addresses), tuple(pending), False
            )
            pending = []
        else:
            yield None
    yield SearchProgress(
        search.scanned,
        search.total,
        len(search.addresses),
        tuple(pending),
        True,
        cancelled=cancel is not None and cancel.is_set(),
        truncated=search.truncated,
        seconds=time.perf_counter() - started,
        addresses=search.addresses,
        values=bytes(search.values) if search.values is not None else None,
    )


def search_process(
    reader: MemoryReader,
    pattern: SearchPattern,
    start: int | None = None,
    limit: int = DEFAULT_LIMIT,
    cancel: threading.Event | None = None,
    on_progress: Callable[[SearchProgress], None] | None = None,
    chunk_size: int = CHUNK,
) -> SearchResult:
    """Run a whole search; the matches come in scan order (address order from ``start``)."""
    result = SearchResult()
    for progress in search_steps(reader, pattern, start, limit, cancel, chunk_size):
        if progress is None:
            continue
        result.matches.extend(progress.new)
        if on_progress is not None:
            on_progress(progress)
        if progress.done:
            result.scanned, result.total = progress.scanned, progress.total
            result.cancelled, result.truncated = progress.cancelled, progress.truncated
            result.seconds = progress.seconds
    return result
