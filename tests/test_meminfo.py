"""The /proc/meminfo parser over the real file, saved texts from several kernels, and fuzz."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memtui.core.meminfo.fields import DEFAULT_FIELDS, field_meaning, is_count_field
from memtui.core.meminfo.parser import parse_meminfo, read_meminfo

SAVED = Path(__file__).parent / "data" / "meminfo"


def saved(name: str) -> bytes:
    return (SAVED / name).read_bytes()


def test_real_meminfo_has_every_line_of_the_kernel() -> None:
    lines = [line for line in Path("/proc/meminfo").read_text().splitlines() if line.strip()]
    fields = read_meminfo()
    assert len(fields) == len(lines)
    assert fields["MemTotal"] > 0
    assert fields["MemTotal"] % 1024 == 0  # kB became bytes


def test_values_are_bytes_and_hugepage_counts_stay_counts() -> None:
    fields = parse_meminfo(saved("linux-4.19-arm64-hugepages.txt"))
    assert fields["MemTotal"] == 3884164 * 1024
    assert fields["HugePages_Total"] == 64
    assert fields["HugePages_Rsvd"] == 2
    assert fields["Hugepagesize"] == 2048 * 1024
    assert is_count_field("HugePages_Free") and not is_count_field("Hugepagesize")


def test_old_kernel_lacks_fields_without_breaking() -> None:
    fields = parse_meminfo(saved("linux-2.6.22-i386.txt"))
    assert "MemAvailable" not in fields
    assert fields["Committed_AS"] == 526868 * 1024
    assert fields["HighTotal"] == 131008 * 1024  # unknown to us, still kept


def test_arm64_only_fields_are_kept_in_kernel_order() -> None:
    fields = parse_meminfo(saved("linux-4.19-arm64-hugepages.txt"))
    names = list(fields)
    assert "ShadowCallStack" in names and "CmaTotal" in names
    assert names.index("KernelStack") < names.index("ShadowCallStack") < names.index("PageTables")


def test_malformed_lines_are_skipped_and_good_ones_kept() -> None:
    fields = parse_meminfo(saved("odd-malformed.txt"))
    assert fields == {
        "MemTotal": 16384 * 1024,
        "MemFree": 8192 * 1024,  # CRLF tolerated; the later duplicate does not win
        "NewFutureField": 42 * 1024,
        "HugePages_Total": 16,
        "PageTables": 12,  # truncated unit: a bare number is a count
    }


@pytest.mark.parametrize("name", sorted(p.name for p in SAVED.glob("*.txt")))
def test_every_saved_text_parses(name: str) -> None:
    assert parse_meminfo(saved(name))


def test_str_and_bytes_parse_alike() -> None:
    text = saved("linux-6.18-x86_64.txt")
    assert parse_meminfo(text) == parse_meminfo(text.decode())


def test_every_default_field_has_a_meaning() -> None:
    for name in DEFAULT_FIELDS:
        assert "reported by this kernel" not in field_meaning(name)
    assert "see proc(5)" in field_meaning("SomeFutureField")


@given(st.binary(max_size=2000))
def test_parser_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    fields = parse_meminfo(data)
    assert all(isinstance(v, int) and v >= 0 for v in fields.values())


field_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_()]{0,20}", fullmatch=True)


@given(st.dictionaries(field_names, st.integers(0, 2**40), min_size=1, max_size=40))
def test_well_formed_lines_round_trip(values: dict[str, int]) -> None:
    text = "".join(f"{name}:{' ' * 4}{value} kB\n" for name, value in values.items())
    assert parse_meminfo(text) == {name: value * 1024 for name, value in values.items()}
