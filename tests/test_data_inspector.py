"""The data inspector's decoding: numbers in both byte orders, pointers, C strings."""

from __future__ import annotations

import struct

from memtui.core.process_memory.data_inspector import MISSING, c_string, decode_rows, inspect_bytes
from memtui.core.process_memory.proc_maps import parse_maps

MAPS = parse_maps(
    "555555559000-55555557a000 rw-p 00000000 00:00 0   [heap]\n"
    "7f0000000000-7f0000001000 ---p 00000000 00:00 0\n"
)


def rows(data: bytes) -> dict[str, tuple[str, str]]:
    return {row.label: (row.little, row.big) for row in decode_rows(data)}


def test_numbers_in_both_byte_orders() -> None:
    decoded = rows(bytes.fromhex("ff fe 00 00 00 00 00 80"))
    assert decoded["u8"][0] == "255" and decoded["i8"][0] == "-1"
    assert decoded["u16"] == ("65279", "65534") and decoded["i16"] == ("-257", "-2")
    assert decoded["u64"][0] == str(0x800000000000FEFF)
    assert decoded["i64"][0] == str(0x800000000000FEFF - (1 << 64))


def test_floats_show_the_shortest_text_that_reads_back() -> None:
    decoded = rows(struct.pack("<f", 3.14) + bytes(4))
    assert decoded["f32"][0] == "3.14"  # not 3.1400001
    assert rows(struct.pack("<d", 2.5))["f64"][0] == "2.5"


def test_values_that_need_missing_bytes_show_a_dash() -> None:
    decoded = rows(b"\x01\x02")
    assert decoded["u16"][0] == "513" and decoded["u32"] == (MISSING, MISSING)
    assert inspect_bytes(b"\x01\x02", MAPS).pointer_text == MISSING
    assert inspect_bytes(b"", MAPS).string == MISSING


def test_pointers_say_where_they_point() -> None:
    heap = inspect_bytes((0x555555559010).to_bytes(8, "little"), MAPS)
    assert heap.pointer_text == "0x555555559010 → [heap]+0x10 (rw-p)"
    assert heap.pointer_target is not None and heap.pointer_target.path == "[heap]"
    guard = inspect_bytes((0x7F0000000008).to_bytes(8, "little"), MAPS)
    assert guard.pointer_target is None and "(---p, not readable)" in guard.pointer_text
    assert inspect_bytes(bytes(8), MAPS).pointer_text == "0x0 → NULL"
    assert inspect_bytes(b"\x10" * 8, MAPS).pointer_text.endswith("→ not mapped")


def test_c_strings_are_quoted_escaped_and_cut() -> None:
    assert c_string(b'say "hi"\n\x01\\\x00rest') == '"say \\"hi\\"\\n\\x01\\\\"'
    assert c_string(b"A" * 100) == '"' + "A" * 64 + '"…'
