"""Parsing /proc/PID/maps: saved text with the awkward cases, plus one live read."""

from __future__ import annotations

import os

import pytest

from memtui.core.process_memory.proc_maps import (
    Mapping,
    find_mapping,
    next_mapping,
    parse_maps,
    parse_maps_line,
    read_maps,
    readable_spans,
)
from memtui.core.process_memory.reader_errors import KernelThread, ProcessGone

SAVED_MAPS = """\
5579eff3c000-5579eff3d000 r--p 00000000 fd:01 1054321                    /opt/my app/bin/target
5579eff3d000-5579eff3e000 r-xp 00001000 fd:01 1054321                    /opt/my app/bin/target
557a2435c000-557a2437d000 rw-p 00000000 00:00 0                          [heap]
7f5d56ea3000-7f5d56ea4000 ---p 00000000 00:00 0\x20
7f5d56ea4000-7f5d576a4000 rw-p 00000000 00:00 0\x20
7f5d586a9000-7f5d586cf000 r--p 00000000 fd:01 2097300                    /usr/lib/libc.so.6
7f5d58800000-7f5d58900000 rw-s 00000000 00:01 4242                       /memfd:cache (deleted)
7f5d58900000-7f5d58901000 r--p 00000000 fd:01 77                         /tmp/old lib.so (deleted)
this line is garbage
7f5d58a00000 r--p 00000000 fd:01 1
zzzz-7f5d58a01000 r--p 00000000 fd:01 1 /bad/hex
7f5d58a02000-7f5d58a01000 r--p 00000000 fd:01 1 /end/before/start
7f5d58a03000-7f5d58a04000 r--p 00000000 fd:01 notanumber /bad/inode
7f5d58896000-7f5d5889a000 r--p 00000000 00:00 0                          [vvar]
7f5d5889c000-7f5d5889e000 r-xp 00000000 00:00 0                          [vdso]
7ffeccf88000-7ffeccfa9000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
"""


@pytest.fixture
def mappings() -> list[Mapping]:
    return parse_maps(SAVED_MAPS)


def test_malformed_lines_are_skipped(mappings: list[Mapping]) -> None:
    assert len(mappings) == 12
    assert all(m.start <= m.end for m in mappings)
    assert [m.start for m in mappings] == sorted(m.start for m in mappings)


def test_a_path_with_spaces_is_kept_whole(mappings: list[Mapping]) -> None:
    first = mappings[0]
    assert first.path == "/opt/my app/bin/target"
    assert first.name == "target"
    assert (first.offset, first.device, first.inode, first.perms) == (0, "fd:01", 1054321, "r--p")
    assert mappings[1].offset == 0x1000


def test_deleted_files_are_flagged(mappings: list[Mapping]) -> None:
    deleted = [m for m in mappings if m.deleted]
    assert [m.path for m in deleted] == ["/memfd:cache (deleted)", "/tmp/old lib.so (deleted)"]
    assert deleted[1].name == "old lib.so (deleted)"


def test_special_and_anonymous_mappings(mappings: list[Mapping]) -> None:
    by_name = {m.name: m for m in mappings}
    for special in ("[heap]", "[stack]", "[vdso]", "[vvar]", "[vsyscall]"):
        assert by_name[special].is_special
        assert not by_name[special].deleted
    anonymous = [m for m in mappings if not m.path]
    assert len(anonymous) == 2 and all(m.name == "[anon]" for m in anonymous)
    assert not anonymous[0].readable and anonymous[1].readable


def test_the_vsyscall_page_above_2_63_parses(mappings: list[Mapping]) -> None:
    vsyscall = mappings[-1]
    assert vsyscall.start == 0xFFFFFFFFFF600000 and vsyscall.size == 4096
    assert not vsyscall.readable


def test_find_mapping_bisects(mappings: list[Mapping]) -> None:
    heap = mappings[2]
    assert find_mapping(mappings, heap.start) is heap
    assert find_mapping(mappings, heap.end - 1) is heap
    assert find_mapping(mappings, heap.end) is None  # the end is exclusive, then a hole
    assert find_mapping(mappings, 0) is None
    assert find_mapping(mappings, (1 << 64) - 1) is None
    assert next_mapping(mappings, heap.end) is mappings[3]


def test_readable_spans_merge_neighbours_and_skip_prot_none(mappings: list[Mapping]) -> None:
    spans = readable_spans(mappings, 0x5579EFF3C800, 0x5579EFF3D800)
    assert spans == [(0x5579EFF3C800, 0x5579EFF3D800)]  # two adjacent mappings, one span
    guard, anon = mappings[3], mappings[4]
    assert readable_spans(mappings, guard.start, anon.start + 16) == [(anon.start, anon.start + 16)]
    assert readable_spans(mappings, 0, 0x1000) == []


def test_empty_and_blank_text() -> None:
    assert parse_maps("") == []
    assert parse_maps("\n\n") == []
    assert parse_maps_line("") is None


def test_read_maps_of_this_process() -> None:
    mappings = read_maps(os.getpid())
    assert any(m.path == "[stack]" for m in mappings)
    here = find_mapping(mappings, id(mappings))  # a live object is in a readable mapping
    assert here is not None and here.readable


def test_read_maps_errors_name_the_cause() -> None:
    with pytest.raises(KernelThread, match="kernel thread"):
        read_maps(2)
    with pytest.raises(ProcessGone, match="no process"):
        read_maps(4_000_000)
