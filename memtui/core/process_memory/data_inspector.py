"""The data inspector: the bytes at the cursor read as numbers, a pointer and a C string.

Pure logic, no Textual. Bytes that could not be read (or are not loaded yet) are not
passed in, so a value that would need them shows as ``—``, never as zeros.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from memtui.core.process_memory.proc_maps import Mapping, find_mapping

STRING_BYTES = 64
"""At most this many bytes of the C string are shown."""
MISSING = "—"

Namer = Callable[[int], str | None]
"""Names an address by symbol (``libc.so.6!malloc+0x10``), or None: see symbols.py."""

_INTS = (("u8", "B", "b"), ("u16", "H", "h"), ("u32", "I", "i"), ("u64", "Q", "q"))


@dataclass(frozen=True, slots=True)
class InspectorRow:
    """One type: its value read little-endian and big-endian (the same for 1 byte)."""

    label: str
    little: str
    big: str


@dataclass(frozen=True, slots=True)
class Inspection:
    rows: list[InspectorRow]
    pointer: int | None
    """The 8 bytes as a little-endian address, when they are there to read."""
    pointer_target: Mapping | None
    """The readable mapping the pointer points into, if any: Enter follows it there."""
    pointer_text: str
    string: str


# (exponent bits, fraction bits) of the IEEE 754 formats the inspector shows.
_FLOAT_LAYOUT = {"f": (8, 23), "d": (11, 52)}


def _unpack(code: str, data: bytes, endian: str) -> str:
    size = struct.calcsize(code)
    if len(data) < size:
        return MISSING
    if code in _FLOAT_LAYOUT:
        return _float_text(code, int.from_bytes(data[:size], "little" if endian == "<" else "big"))
    return str(struct.unpack_from(endian + code, data)[0])


def _float_text(code: str, bits: int) -> str:
    """A float as text that reads back to ``bits``; NaN as gdb shows it, ``-nan(0x400000)``.

    NaN is told apart from its bits, not from a Python float: converting an f32
    signalling NaN to a double sets its quiet bit, and ``repr`` drops the payload.
    The hex after ``nan`` is the whole fraction field, quiet bit included.
    """
    exponent, fraction = _FLOAT_LAYOUT[code]
    sign = "-" if bits >> (exponent + fraction) else ""
    all_ones = (1 << exponent) - 1
    if (bits >> fraction) & all_ones == all_ones and bits & ((1 << fraction) - 1):
        return f"{sign}nan(0x{bits & ((1 << fraction) - 1):x})"
    value: float = struct.unpack(f">{code}", bits.to_bytes(struct.calcsize(code), "big"))[0]
    return _shortest_f32(value) if code == "f" else repr(value)


def _shortest_f32(value: float) -> str:
    """The fewest digits that read back as the same f32 (1.5, 3.14, not 3.1400001)."""
    packed = struct.pack("<f", value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        try:
            if struct.pack("<f", float(text)) == packed:
                return text
        except OverflowError:
            continue  # near FLT_MAX a short text rounds past it: 3.403e38 is no f32
    return repr(value)  # inf


TYPES = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64")
"""The inspector's types, in the order of its rows."""
_CODES = {
    label: code
    for ints in _INTS
    for label, code in ((ints[0], ints[1]), ("i" + ints[0][1:], ints[2]))
} | {"f32": "f", "f64": "d"}


def type_size(label: str) -> int:
    """Bytes a value of type ``label`` (one of TYPES) takes."""
    return struct.calcsize(_CODES[label])


def decode_value(label: str, data: bytes) -> int | float | None:
    """The little-endian value of type ``label`` at the start of ``data``; None if short."""
    code = _CODES[label]
    if len(data) < struct.calcsize(code):
        return None
    value: int | float = struct.unpack_from("<" + code, data)[0]
    return value


def value_text(label: str, data: bytes) -> str:
    """The value as the inspector shows it (floats read back to their bits, NaN's payload)."""
    return _unpack(_CODES[label], data, "<")


def decode_rows(data: bytes) -> list[InspectorRow]:
    """u8..u64 and i8..i64, then f32 and f64, each little- and big-endian."""
    rows = []
    for label, unsigned, signed in _INTS:
        for name, code in ((label, unsigned), ("i" + label[1:], signed)):
            rows.append(InspectorRow(name, _unpack(code, data, "<"), _unpack(code, data, ">")))
    for name, code in (("f32", "f"), ("f64", "d")):
        rows.append(InspectorRow(name, _unpack(code, data, "<"), _unpack(code, data, ">")))
    return rows


def name_address(address: int, mapping: Mapping, namer: Namer | None = None) -> str:
    """``libc.so.6!malloc+0x10`` where a symbol holds ``address``, else ``libc.so.6+0x98940``."""
    named = namer(address) if namer is not None else None
    return named or f"{mapping.name}+0x{address - mapping.start:x}"


def describe_pointer(
    value: int, mappings: Sequence[Mapping], namer: Namer | None = None
) -> tuple[Mapping | None, str]:
    """Where ``value`` points: the symbol or mapping and offset, or why it points nowhere."""
    mapping = find_mapping(mappings, value)
    if mapping is None:
        return None, "→ not mapped" if value else "→ NULL"
    where = f"→ {name_address(value, mapping, namer)}"
    if not mapping.readable:
        return None, f"{where} ({mapping.perms}, not readable)"
    return mapping, f"{where} ({mapping.perms})"


def c_string(data: bytes, limit: int = STRING_BYTES) -> str:
    """The NUL-terminated string at the start of ``data``, quoted, with escapes.

    Ends with ``…`` when no NUL comes within ``limit`` bytes (or the bytes known).
    """
    end = data.find(b"\0", 0, limit)
    text = data[: limit if end < 0 else end]
    shown = "".join(
        chr(byte) if 0x20 <= byte < 0x7F and byte not in (0x22, 0x5C) else _escape(byte)
        for byte in text
    )
    return f'"{shown}"' + ("…" if end < 0 else "")


def _escape(byte: int) -> str:
    named = {0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}
    return named.get(byte, f"\\x{byte:02x}")


def inspect_bytes(
    data: bytes, mappings: Sequence[Mapping], namer: Namer | None = None
) -> Inspection:
    """Everything the panel shows for the bytes ``data`` found at the cursor."""
    pointer = int.from_bytes(data[:8], "little") if len(data) >= 8 else None
    if pointer is None:
        target, text = None, MISSING
    else:
        target, where = describe_pointer(pointer, mappings, namer)
        text = f"0x{pointer:x} {where}"
    string = c_string(data) if data else MISSING
    return Inspection(decode_rows(data), pointer, target, text, string)
