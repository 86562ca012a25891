"""The data inspector's decoding: numbers in both byte orders, pointers, C strings."""

from __future__ import annotations

import random
import re
import struct

import pytest

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


# -- every class of IEEE 754 bit pattern -------------------------------------------------

# (bytes, exponent bits, fraction bits, struct code) of f32 and f64.
FLOAT_FORMATS = {"f32": (4, 8, 23, "f"), "f64": (8, 11, 52, "d")}
NAN_TEXT = re.compile(r"(-?)nan\(0x([0-9a-f]+)\)")
FLT_MAX_BITS = 0x7F7FFFFF


def float_classes(label: str) -> dict[str, int]:
    """One bit pattern (as an integer) of every kind an f32 or f64 can hold."""
    _, exponent, fraction, _ = FLOAT_FORMATS[label]
    top = 1 << (exponent + fraction)
    all_ones = ((1 << exponent) - 1) << fraction
    quiet = 1 << (fraction - 1)
    positive = {
        "zero": 0,
        "smallest subnormal": 1,
        "a subnormal": 0x12345,
        "largest subnormal": quiet * 2 - 1,
        "smallest normal": 1 << fraction,
        "one": ((1 << (exponent - 1)) - 1) << fraction,
        "a normal": (((1 << (exponent - 1)) + 3) << fraction) | 0x2345,
        "largest finite": all_ones - 1,
        "infinity": all_ones,
        "quiet nan": all_ones | quiet,
        "quiet nan with a payload": all_ones | quiet | 0x1234,
        "signalling nan": all_ones | 1,
        "signalling nan with a payload": all_ones | 0x1234,
        "nan with every fraction bit": all_ones | (quiet * 2 - 1),
    }
    return {
        **{f"+{name}": bits for name, bits in positive.items()},
        **{f"-{name}": bits | top for name, bits in positive.items()},
    }


def read_back(text: str, label: str) -> int:
    """The bits the inspector's text stands for: a float, or NaN's sign and fraction."""
    _, exponent, fraction, code = FLOAT_FORMATS[label]
    if match := NAN_TEXT.fullmatch(text):
        sign = (1 << (exponent + fraction)) if match.group(1) else 0
        return sign | ((1 << exponent) - 1) << fraction | int(match.group(2), 16)
    return int.from_bytes(struct.pack(f">{code}", float(text)), "big")


def assert_both_orders_read_back(label: str, bits: int) -> None:
    size = FLOAT_FORMATS[label][0]
    little = rows(bits.to_bytes(size, "little"))[label][0]
    big = rows(bits.to_bytes(size, "big"))[label][1]
    for text in (little, big):
        assert read_back(text, label) == bits, f"{label} {bits:#x} shown as {text!r}"


@pytest.mark.parametrize("label", sorted(FLOAT_FORMATS))
def test_every_class_of_float_reads_back_to_its_bits_in_both_orders(label: str) -> None:
    for name, bits in float_classes(label).items():
        assert_both_orders_read_back(label, bits)
        if "nan" in name:  # the sign and the whole fraction, quiet bit included, as gdb
            text = rows(bits.to_bytes(FLOAT_FORMATS[label][0], "little"))[label][0]
            assert NAN_TEXT.fullmatch(text), text


def test_f32_values_next_to_flt_max_do_not_crash_the_inspector() -> None:
    # `ff ff 7f 7f` is in libc.so.6: FLT_MAX, and every f32 down to about 3.4025e38,
    # once raised OverflowError where a shorter text rounded past FLT_MAX.
    assert rows(bytes.fromhex("ffff7f7f"))["f32"][0] == "3.4028235e+38"
    low = int.from_bytes(struct.pack(">f", 3.4025e38), "big")
    assert 2 * (FLT_MAX_BITS - low + 1) >= 3190  # both signs: the issue counted 3,190
    for bits in range(low, FLT_MAX_BITS + 1):
        for sign in (0, 1 << 31):
            assert_both_orders_read_back("f32", bits | sign)


def test_random_f32_and_f64_bit_patterns_read_back() -> None:
    generator = random.Random(20260601)
    for _ in range(5000):
        assert_both_orders_read_back("f32", generator.getrandbits(32))
        assert_both_orders_read_back("f64", generator.getrandbits(64))
