"""The telescope: the words from an address, each followed through the pointers it holds.

As pwndbg's ``telescope`` and GEF's ``dereference`` show them: a row per 8-byte
word, its value, then what that value points at, and so on, up to :data:`DEPTH`
steps, each step named by symbol or mapping. A step that points at text shows the
string and ends the chain; a pointer back to an address already in the chain (a
list that loops, a pointer to itself) ends it at the first repeat.

The chains are read level by level, all rows at once, through one ``read_ranges``
call per level; the view hands in reads under one freeze, so every row is the same
moment of the process. Pure logic over that callable: no Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from memtui.core.process_memory.data_inspector import Namer, c_string, name_address
from memtui.core.process_memory.proc_maps import Mapping, find_mapping
from memtui.core.process_memory.read_result import ReadResult

ROWS = 16
WORD = 8
DEPTH = 5
"""Dereferences followed at most from a row's word."""
TEXT_BYTES = 48
"""Bytes read at each step: a word, and enough of a string to show."""
MIN_TEXT = 4
"""Printable characters from which a step counts as pointing at text."""
_PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}

ReadRanges = Callable[[list[tuple[int, int]]], list[ReadResult]]


@dataclass(frozen=True, slots=True)
class TelescopeStep:
    """A value in a chain, and what it points at: a name, or None for no mapping."""

    value: int
    where: str | None


@dataclass(frozen=True, slots=True)
class TelescopeRow:
    """The word at ``address`` (None: unreadable) and the chain it starts."""

    address: int
    steps: tuple[TelescopeStep, ...]
    text: str | None = None
    """The string the last step points at, quoted as the inspector quotes it."""
    looped: bool = False
    """The last step points back into the chain."""

    @property
    def value(self) -> int | None:
        return self.steps[0].value if self.steps else None


def _is_text(data: bytes) -> bool:
    head = data[:MIN_TEXT]
    return len(head) == MIN_TEXT and all(byte in _PRINTABLE for byte in head)


def _known(result: ReadResult, length: int) -> bytes:
    """The bytes at the start of ``result`` that were read, up to the first unreadable one."""
    end = min((start for start, _ in result.unreadable), default=result.end) - result.address
    return bytes(result.data[: min(length, max(end, 0))])


def read_telescope(
    read_ranges: ReadRanges,
    start: int,
    mappings: Sequence[Mapping],
    namer: Namer | None = None,
    rows: int = ROWS,
    depth: int = DEPTH,
) -> list[TelescopeRow]:
    """``rows`` words from ``start``, each with its chain, read through ``read_ranges``."""

    def readable(address: int) -> Mapping | None:
        mapping = find_mapping(mappings, address)
        return mapping if mapping is not None and mapping.readable else None

    def where(value: int) -> str | None:
        mapping = find_mapping(mappings, value)
        return name_address(value, mapping, namer) if mapping is not None else None

    (block,) = read_ranges([(start, rows * WORD)])
    words = _known(block, rows * WORD)
    chains: list[list[int]] = []
    for index in range(rows):
        word = words[index * WORD : (index + 1) * WORD]
        chains.append([int.from_bytes(word, "little")] if len(word) == WORD else [])
    texts: list[str | None] = [None] * rows
    looped = [bool(chains[i]) and chains[i][0] == start + i * WORD for i in range(rows)]
    open_rows = [i for i in range(rows) if chains[i] and not looped[i]]
    for _ in range(depth + 1):
        wanted = sorted({chains[i][-1] for i in open_rows if readable(chains[i][-1])})
        if not wanted:
            break
        memory = {
            result.address: _known(result, TEXT_BYTES)
            for result in read_ranges([(address, TEXT_BYTES) for address in wanted])
        }
        still_open = []
        for i in open_rows:
            chain, pointer = chains[i], chains[i][-1]
            data = memory.get(pointer)
            if data is None:
                continue  # not readable: the chain ends at this value
            if _is_text(data):
                texts[i] = c_string(data, TEXT_BYTES)
                continue
            if len(data) < WORD or len(chain) > depth:
                continue
            value = int.from_bytes(data[:WORD], "little")
            chain.append(value)
            if value == start + i * WORD or value in chain[:-1]:
                looped[i] = True
                continue
            still_open.append(i)
        open_rows = still_open
    return [
        TelescopeRow(
            start + i * WORD,
            tuple(TelescopeStep(value, where(value)) for value in chains[i]),
            texts[i],
            looped[i],
        )
        for i in range(rows)
    ]


def format_row(row: TelescopeRow, start: int) -> str:
    """``+0x08 7ffc12345678: 0x55d0… [heap]+0x2a0 → 0x404080 a.out!g → 0x1111``."""
    offset = row.address - start
    head = f"+0x{offset:02x} {row.address:x}:"
    if not row.steps:
        return f"{head} ??"
    parts = [f"0x{step.value:x}" + (f" {step.where}" if step.where else "") for step in row.steps]
    text = " → ".join(parts)
    if row.text is not None:
        text += f" → {row.text}"
    if row.looped:
        text += " ↺"
    return f"{head} {text}"
