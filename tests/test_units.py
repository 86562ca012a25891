from __future__ import annotations

from collections.abc import Callable

import pytest

from memtui.core.units import (
    format_bytes,
    format_rate,
    parse_address,
    parse_duration,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4096", 4096),
        ("0x1000", 4096),
        ("16M", 16 << 20),
        ("4k", 4096),
        ("1G", 1 << 30),
        ("2MiB", 2 << 20),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "-1", "12Q", "0xg", "1.5M"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_parse_address() -> None:
    assert parse_address("0x7fff0000") == 0x7FFF0000
    assert parse_address("4096") == 4096
    assert parse_address("0xffffffffff600000") == 0xFFFFFFFFFF600000
    with pytest.raises(ValueError):
        parse_address("zz")


@pytest.mark.parametrize("parse", [parse_address, parse_size, parse_duration])
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0x_10", "no underscores in numbers: '0x_10'"),
        ("0x1_0", "no underscores in numbers"),
        ("1_000", "no underscores in numbers: '1_000'"),
        ("\u0661\u0662", "numbers are written in ASCII digits"),  # Arabic-Indic 12
    ],
)
def test_python_only_number_syntax_is_refused_saying_why(
    parse: Callable[[str], float], text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse(text)


def test_parse_duration() -> None:
    assert parse_duration("600") == 600
    assert parse_duration("10m") == 600
    assert parse_duration("1h") == 3600
    assert parse_duration("250ms") == 0.25
    with pytest.raises(ValueError):
        parse_duration("0")


def test_format_bytes_scales_units() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1.21 * (1 << 30)) == "1.21 GiB"
    assert format_bytes(3 << 20) == "3.00 MiB"
    assert format_bytes(2048) == "2.00 KiB"


def test_format_rate_signs() -> None:
    assert format_rate(12.3 * (1 << 20)) == "+12.3 MiB/min"
    assert format_rate(-(1 << 10)) == "-1.0 KiB/min"
    assert format_rate(0) == "+0 B/min"


def test_short_bytes_keep_three_significant_figures() -> None:
    from memtui.core.units import format_bytes_short

    assert format_bytes_short(1.21 * (1 << 30)) == "1.21 GiB"
    assert format_bytes_short(536.87 * (1 << 20)) == "537 MiB"
    assert format_bytes_short(22.88 * (1 << 30)) == "22.9 GiB"
    assert format_bytes_short(0) == "0 B"
    # Up to the whole 64-bit address space: the gap below [vsyscall] is 16 EiB.
    assert format_bytes_short(1 << 40) == "1.00 TiB"
    assert format_bytes_short(0xFFFFFFFFFF600000 - 0x7FFC00021000) == "16.0 EiB"


def test_header_fits_80_columns_with_its_status() -> None:
    from memtui.widgets.memory_header import header_text

    sample = {
        "MemTotal": 23 << 30, "MemAvailable": 22 << 30, "Committed_AS": 941 << 20,
        "CommitLimit": 11 << 30, "SwapTotal": 0, "SwapFree": 0,
    }  # fmt: skip
    status = "live 1s  tiles 2m"
    wide = header_text(sample, status)
    assert wide.startswith("Total 23.0 GiB  Avail 22.0 GiB  Commit 941 MiB/11.0 GiB")
    narrow = header_text(sample, status, width=78)
    assert len(narrow) <= 78 and narrow.endswith(status)
    assert "Commit 941M/11.0G" in narrow
    replay = header_text(sample, "replay a-very-long-recording-name.csv  tiles 2.48m", 78)
    assert len(replay) == 78 and replay.endswith("…") and "│ replay a-very" in replay


def test_echoes_are_whole_when_short_and_cut_when_long() -> None:
    from memtui.core.input_echo import ECHO_LIMIT, echo, shorten

    assert shorten("[heap]+0x10") == "[heap]+0x10" and echo("0x_10") == "'0x_10'"
    assert shorten("A" * 10_000) == "A" * ECHO_LIMIT + "… (10,000 characters)"
    assert echo("A" * 10_000) == repr("A" * (ECHO_LIMIT - 2)) + "… (10,000 characters)"
    # Escapes count: forty NULs would quote as 160 characters.
    cut = echo("\0" * 100)
    assert cut.startswith("'\\x00") and len(cut.partition("…")[0]) <= ECHO_LIMIT


@pytest.mark.parametrize(
    "text", ["9" * 400, "9" * 400 + "h", "1" + "0" * 310], ids=["400-digits", "hours", "1e310"]
)
def test_parse_duration_rejects_what_is_not_finite(text: str) -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration(text)


def test_parse_duration_takes_days_and_zero_when_asked() -> None:
    assert parse_duration("7d") == 7 * 86400
    assert parse_duration("0", allow_zero=True) == 0
    with pytest.raises(ValueError, match="positive"):
        parse_duration("0")


@pytest.mark.parametrize("text", ["\u0663", "\uff11\uff12", "1\u0660M"])
def test_sizes_and_durations_are_ascii_digits(text: str) -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        parse_size(text)
    with pytest.raises(ValueError, match="ASCII digits"):
        parse_duration(text)


@pytest.mark.parametrize(
    "text", ["16777216T", "0x10000000000000000", "9" * 5000], ids=["16E", "hex", "5000-digits"]
)
def test_parse_size_refuses_2_to_the_64_and_more_in_one_short_line(text: str) -> None:
    with pytest.raises(ValueError, match="too large") as error:
        parse_size(text)
    assert len(str(error.value)) < 120


def test_cpu_time_reads_as_htop_time_plus() -> None:
    from memtui.core.units import format_cpu_time

    assert format_cpu_time(0.0) == "0:00.00"
    assert format_cpu_time(7.239) == "0:07.23"
    assert format_cpu_time(61.5) == "1:01.50"
    assert format_cpu_time(59 * 60 + 59.99) == "59:59.99"
    # From an hour on, as htop: hours, then minutes and seconds, no hundredths.
    assert format_cpu_time(3600 + 2 * 60 + 3.5) == "1h02:03"
    assert format_cpu_time(99 * 3600 + 59 * 60) == "99h59:00"
    assert format_cpu_time(5 * 86400 + 7 * 3600) == "5d07h"
