"""What the memory view's ``g`` (go to) accepts, resolved against a process's mappings.

Grammar, in the order it is tried:

- a hex address, with or without ``0x``: ``0x7f12ab340000``, ``7f12ab340000``;
- a mapping name: ``[heap]``, ``[stack]``, ``[vdso]``, a file's base name
  (``libc.so.6``) or its full path; ``heap`` and ``stack`` may drop the brackets.
  A name mapped several times (a library's text, data and bss) means its *lowest*
  mapping, the load base, as in ``libc.so.6+0x1000``;
- a symbol of a mapped file: ``malloc``, or ``libc.so.6!malloc`` when the name alone is
  ambiguous (the error lists the candidates); see
  :mod:`memtui.core.process_memory.symbols`;
- any of those plus or minus an offset: ``[stack]+0x100``, ``[heap]-10``, ``malloc+0x10``.

Every number is hex, offsets included, ``0x`` or not: a hex viewer shows nothing in
decimal, and ``+100`` meaning 0x100 there is the least surprising reading. For a
decimal offset write it with a ``#`` prefix, ``+#4096``. Bare hex wins over a file
name made only of hex digits (a file called ``cafe``); write ``./cafe`` or its full
path for that file. A mapping name wins over a symbol of the same name, and a number
or mapping with an offset over a symbol whose whole name is the text.
"""

from __future__ import annotations

import re

from memtui.core.input_echo import shorten
from memtui.core.process_memory.proc_maps import Mapping, find_mapping
from memtui.core.units import plain_number

# Not typing.TYPE_CHECKING: importing typing costs a headless start-up 6-7 ms, and
# `memtui dump PID [heap]` comes here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Protocol
else:
    Protocol = object

_HEX = re.compile(r"(?:0[xX])?([0-9a-fA-F]+)")
_DECIMAL = re.compile(r"#([0-9]+)")
# A number but for Python's underscores (0x_10, #1_000): worth saying why it is refused.
_UNDERSCORED = re.compile(r"(?:0[xX])?[0-9a-fA-F_]*_[0-9a-fA-F_]*|#[0-9_]*_[0-9_]*")
_ADDRESS_LIMIT = 1 << 64
# Decimal digits past which a number is beyond the address space (and int() may refuse).
_DECIMAL_DIGITS = 20

USAGE = (
    "use hex (0x7f12ab340000), or a mapping or symbol with an optional offset: "
    "[heap], [stack]+0x100, libc.so.6+1000, malloc+0x10, libc.so.6!malloc"
)


class SymbolResolver(Protocol):
    """What names symbols: :class:`memtui.core.process_memory.symbols.ProcessSymbols`."""

    def resolve(self, text: str) -> int | None: ...


def parse_number(text: str) -> int | None:
    """A hex number (``0x`` optional), or decimal after ``#``; None if it is neither."""
    text = text.strip()
    if match := _HEX.fullmatch(text):
        return int(match.group(1), 16)
    if match := _DECIMAL.fullmatch(text):
        digits = match.group(1).lstrip("0")
        return int(digits or "0") if len(digits) <= _DECIMAL_DIGITS else _ADDRESS_LIMIT
    return None


def _names(mapping: Mapping) -> set[str]:
    # What the view shows (printable, escaped) as well as the raw path.
    names = {mapping.path, mapping.name, mapping.display_path}
    if mapping.is_special:
        names.add(mapping.path[1:-1])  # heap, stack
    elif mapping.deleted:
        names.add(mapping.path.removesuffix(" (deleted)"))
    return names


def find_named(mappings: Sequence[Mapping], name: str) -> Mapping | None:
    """The lowest mapping whose path, base name or bracket-less kernel name is ``name``."""
    name = name.strip()
    if not name:
        return None
    matches = [m for m in mappings if m.path and name in _names(m)]
    if not matches and name.startswith("./"):
        matches = [m for m in mappings if m.path and name[2:] in _names(m)]
    return min(matches, key=lambda m: m.start) if matches else None


def _base(mappings: Sequence[Mapping], text: str, symbols: SymbolResolver | None) -> int | None:
    number = parse_number(text)
    if number is not None:
        return number
    mapping = find_named(mappings, text)
    if mapping is not None:
        return mapping.start
    return symbols.resolve(text) if symbols is not None and text else None


def _splits(text: str) -> list[tuple[str, int]]:
    """(base, offset) readings of ``text``: whole first, then at each +/- from the right.

    Names may contain + and - themselves (libstdc++.so.6, ld-linux-x86-64.so.2), so a
    split counts only where what follows is a number and what precedes resolves.
    """
    readings = [(text, 0)]
    for position in range(len(text) - 1, 0, -1):
        sign = text[position]
        if sign not in "+-":
            continue
        offset = parse_number(text[position + 1 :])
        if offset is not None:
            readings.append((text[:position].strip(), offset if sign == "+" else -offset))
    return readings


def resolve_address(
    text: str, mappings: Sequence[Mapping], symbols: SymbolResolver | None = None
) -> int:
    """The address ``text`` names in a process with ``mappings`` (and ``symbols``).

    Raises ValueError with a message for the user when ``text`` is not an address
    or names no mapping or symbol (AmbiguousSymbol, a ValueError, when it names
    several). The address itself need not be mapped; see :func:`require_mapped`.
    """
    text = text.strip()
    if not text:
        raise ValueError(f"type an address: {USAGE}")
    # Numbers and mappings first, for every reading, and only then symbols: reading
    # a process's symbol tables is the costly part, and `[heap]+10` needs none.
    for names in (None, symbols) if symbols is not None else (None,):
        for base_text, offset in _splits(text):
            base = _base(mappings, base_text, names)
            if base is None:
                continue
            address = base + offset
            if not 0 <= address < _ADDRESS_LIMIT:
                raise ValueError(f"{shorten(text)} is outside the 64-bit address space")
            return address
    for position in (0, *(i + 1 for i, sign in enumerate(text) if sign in "+-")):
        if _UNDERSCORED.fullmatch(part := text[position:].strip()):
            plain_number(part)  # raises, saying why
    name = _splits(text)[-1][0]
    if name.startswith("[") or "/" in name or "." in name:
        raise ValueError(f"no mapping named {shorten(name)} in this process")
    if symbols is not None:
        raise ValueError(f"not an address, mapping or symbol: {shorten(name)} ({USAGE})")
    raise ValueError(f"not an address: {shorten(text)} ({USAGE})")


def resolve_in_process(pid: int, text: str) -> int:
    """The address ``text`` names in process ``pid``, its symbols included.

    Reads the mappings, and only the files a symbol needs (all of them for a bare
    name, one for ``FILE!NAME``). Raises ReaderError if the mappings cannot be read,
    ValueError with the message for the user if ``text`` names nothing there.
    """
    from memtui.core.process_memory.proc_maps import read_maps

    mappings = read_maps(pid)
    return resolve_address(text, mappings, _SymbolsOnDemand(pid, mappings))


class _SymbolsOnDemand:
    """ProcessSymbols, imported and built only once a name is not a number or mapping.

    The symbols module needs dataclasses (and so inspect, ast, typing): 8 ms of a
    headless start-up that ``[heap]`` or ``libc.so.6+0x10`` has no use for.
    """

    def __init__(self, pid: int, mappings: Sequence[Mapping]) -> None:
        self._pid = pid
        self._mappings = mappings
        self._symbols: SymbolResolver | None = None

    def resolve(self, text: str) -> int | None:
        if self._symbols is None:
            from memtui.core.process_memory.symbols import ProcessSymbols

            self._symbols = ProcessSymbols(self._pid, self._mappings)
        return self._symbols.resolve(text)


def require_mapped(address: int, mappings: Sequence[Mapping]) -> Mapping:
    """The mapping that holds ``address``; ValueError saying so if none does."""
    mapping = find_mapping(mappings, address)
    if mapping is None:
        raise ValueError(f"0x{address:x} is not mapped in this process")
    return mapping
