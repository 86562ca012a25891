"""Writing to a live process (memtui --write), at the core: real targets, real /proc.

The values target (targets/values_target.c) holds a read-write page with a byte it
increments on cue ('c') and, right after it, a read-only (mprotect PROT_READ) page of
'B'; the reader target (targets/target.c) has worker threads, a PROT_NONE guard page
and a region it unmaps on cue ('u').
"""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from targets import Target, assert_running, peek, stopped_tasks
from targets.values import COUNTER_AT, U64, U64_AT, running_values_target

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_writer import (
    MemoryWriter,
    WriteRefused,
    parse_edit,
)
from memtui.core.process_memory.process_freeze import list_tids

pytest_plugins = ["targets.fixtures"]


@pytest.fixture
def values(values_binary: Path) -> Iterator[Target]:
    with running_values_target(values_binary) as target:
        yield target


# -- what the user types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("41 42", b"AB"),
        ("4142", b"AB"),
        ("x:41 42", b"AB"),
        ('"hi"', b"hi"),
        ('"a\\0\\xff\\n"', b"a\x00\xff\n"),
        ("text:hi there", b"hi there"),
        ("u32:5", (5).to_bytes(4, "little")),
        ("i16:-2", b"\xfe\xff"),
        ("u8:0xff", b"\xff"),
        ("u64:0x1122334455667788", bytes.fromhex("8877665544332211")),
        ("u32be:5", (5).to_bytes(4, "big")),
        ("f64:2.5", struct.pack("<d", 2.5)),
        ("f32:1.5", struct.pack("<f", 1.5)),
        ("F32: -0.1", struct.pack("<f", -0.1)),
    ],
)
def test_an_edit_is_hex_text_in_quotes_or_a_typed_value(text: str, data: bytes) -> None:
    assert parse_edit(text).data == data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "type what to write"),
        ("hello", "not hex bytes: 'hello'; text goes in quotes (\"text\")"),
        ("414", "two digits each"),
        ("u8:256", "does not fit u8"),
        ("i16:-40000", "does not fit i16"),
        ("f32:1e39", "does not fit an f32"),
        ("f64:2.5~0.1", "takes no tolerance"),
        ('""', "between the quotes"),
        ('"\\x"', "bad escape"),
        ("x:" + "00" * 5000, "at most 4,096 bytes"),
    ],
)
def test_an_edit_that_means_no_bytes_says_why(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_edit(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


# -- writes ------------------------------------------------------------------------------


def test_a_write_reads_back_the_program_uses_it_and_undo_puts_back_the_old_bytes(
    values: Target,
) -> None:
    writer = MemoryWriter(values.pid)
    counter = values.values + COUNTER_AT
    assert peek(values.pid, counter, 1) == b"\x00"
    with MemoryReader(values.pid, freeze=False) as reader:
        done = writer.write(reader, counter, parse_edit("u8:0x41").data)
        assert (done.write.before, done.write.after, done.undo_left) == (b"\x00", b"A", 1)
        assert peek(values.pid, counter, 1) == b"A"
        # The program's own next increment starts from the value written.
        values.command("c", "changed")
        assert peek(values.pid, counter, 1) == b"B"
        u64 = values.values + U64_AT
        writer.write(reader, u64, parse_edit("u64:5").data)
        assert peek(values.pid, u64, 8) == (5).to_bytes(8, "little")
        undone = writer.undo(reader)
        assert undone.undone and undone.undo_left == 1
        assert peek(values.pid, u64, 8) == U64.to_bytes(8, "little")
    assert stopped_tasks(values.pid) == []


def test_undo_refuses_bytes_the_program_changed_since_and_drops_the_entry(
    values: Target,
) -> None:
    writer = MemoryWriter(values.pid)
    counter = values.values + COUNTER_AT
    with MemoryReader(values.pid) as reader:
        writer.write(reader, counter, b"\x10")
        values.command("c", "changed")  # the program moves the counter on to 0x11
        with pytest.raises(WriteRefused) as refused:
            writer.undo(reader)
        assert str(refused.value) == (
            f"not undone: 0x{counter:x} holds 11 now, not the 10 written (changed since); "
            "dropped from the undo list"
        )
        assert peek(values.pid, counter, 1) == b"\x11"  # the program's value stays
        assert writer.undo_count == 0
        with pytest.raises(WriteRefused, match=r"^nothing to undo$"):
            writer.undo(reader)


def test_a_write_to_the_read_only_page_is_refused_and_changes_nothing(values: Target) -> None:
    writer = MemoryWriter(values.pid)
    other = values.other
    last_rw = peek(values.pid, other - 2, 2)
    with MemoryReader(values.pid) as reader:
        # /proc/PID/mem as root would write it (FOLL_FORCE): the maps must refuse first.
        with pytest.raises(WriteRefused) as refused:
            writer.write(reader, other + 0x10, b"XY")
        assert str(refused.value) == (
            f"0x{other + 0x10:x} is in [anon] (r--p), which is not writable: nothing written"
        )
        # Starting in the writable page and running into the read-only one: no byte of
        # either changes.
        with pytest.raises(WriteRefused, match=f"^0x{other:x} is in .*not writable"):
            writer.write(reader, other - 2, b"WXYZ")
    assert peek(values.pid, other, values.page) == b"B" * values.page
    assert peek(values.pid, other - 2, 2) == last_rw
    assert writer.undo_count == 0
    assert stopped_tasks(values.pid) == []


def test_writes_to_unmapped_and_prot_none_memory_are_refused(target: Target) -> None:
    writer = MemoryWriter(target.pid)
    page = target.page
    with MemoryReader(target.pid) as reader:
        with pytest.raises(WriteRefused, match=f"^0x{target.guard + page:x} is in .*---p"):
            writer.write(reader, target.guard + page, b"x")
        assert peek(target.pid, target.guard, 1) == b"G"
        target.command("u", "unmapped")
        with pytest.raises(WriteRefused) as refused:
            writer.write(reader, target.unmap + 8, b"x")
        assert str(refused.value) == f"0x{target.unmap + 8:x} is not mapped: nothing written"
        with pytest.raises(WriteRefused, match="is not mapped"):
            writer.write(reader, 0x10, b"x")
        # A write that works, among threads that run: none is left stopped after it.
        writer.write(reader, target.known, b"\x99")
        assert peek(target.pid, target.known, 1) == b"\x99"
    assert_running(target)  # the fixture's teardown checks this again


def test_a_write_freezes_every_thread_even_when_reading_does_not(target: Target) -> None:
    with MemoryReader(target.pid, freeze=False) as reader:
        with reader.one_moment() as _:
            assert stopped_tasks(target.pid) == []
        with reader.one_moment(freeze=True) as _:
            assert sorted(stopped_tasks(target.pid)) == sorted(list_tids(target.pid))
    assert_running(target)


def test_a_writer_refuses_a_process_that_reused_its_pid(values: Target) -> None:
    writer = MemoryWriter(values.pid)
    writer._started = "1"  # as if the process opened had been another
    with MemoryReader(values.pid) as reader, pytest.raises(WriteRefused, match="not the one"):
        writer.write(reader, values.values + COUNTER_AT, b"x")
    assert peek(values.pid, values.values + COUNTER_AT, 1) == b"\x00"


def test_memtui_does_not_write_to_itself() -> None:
    here = bytearray(b"unchanged")
    address = ctypes.addressof(ctypes.c_char.from_buffer(here))
    writer = MemoryWriter(os.getpid())
    refused = pytest.raises(WriteRefused, match="is memtui itself, which does not write")
    with MemoryReader(os.getpid(), freeze=False) as reader, refused:
        writer.write(reader, address, b"X")
    assert here == b"unchanged"
