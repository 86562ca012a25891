"""The memory reader against real processes: known bytes, guard pages, holes, exits."""

from __future__ import annotations

import mmap
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from targets import (
    Binaries,
    Target,
    start_python_target,
    start_target,
    stop_process,
    stopped_tasks,
)

from memtui.core.process_memory.memory_reader import (
    SPLIT_AT,
    MemoryReader,
    ReadResult,
    _SecondThread,
    merge_spans,
    read_memory,
)
from memtui.core.process_memory.reader_errors import (
    KernelThread,
    PermissionDenied,
    ProcessExitedDuringRead,
    ProcessGone,
)

# Fixtures shared with the other reader tests: binaries, target, big_target.
pytest_plugins = ["targets.fixtures"]

METHODS = ["procmem", "vm_readv", "peek"]
PAGE = mmap.PAGESIZE
KNOWN = bytes((i * 7 + 3) & 0xFF for i in range(PAGE))


@pytest.mark.parametrize("method", METHODS)
def test_reads_the_known_bytes(target: Target, method: str) -> None:
    result = read_memory(target.pid, target.known + 5, 300, method=method)
    assert result.complete and result.unreadable == []
    assert bytes(result.data) == KNOWN[5:305]


@pytest.mark.parametrize("method", ["procmem", "vm_readv"])
def test_reads_without_freezing(target: Target, method: str) -> None:
    result = read_memory(target.pid, target.known, PAGE, method=method, freeze=False)
    assert bytes(result.data) == KNOWN


@pytest.mark.parametrize("method", METHODS)
def test_a_prot_none_page_is_reported_not_shown(target: Target, method: str) -> None:
    # 'G' page, PROT_NONE page still holding 'N', 'H' page: read from inside G into H.
    start = target.guard + PAGE - 100
    result = read_memory(target.pid, start, PAGE + 200, method=method)
    guard = (target.guard + PAGE, target.guard + 2 * PAGE)
    assert result.unreadable == [guard]
    assert not result.complete
    data = bytes(result.data)
    assert data[:100] == b"G" * 100 and data[-100:] == b"H" * 100
    assert data[100:-100] == bytes(PAGE)  # zeros, never the hidden 'N' bytes
    assert b"N" not in data


@pytest.mark.parametrize("method", METHODS)
def test_a_region_unmapped_mid_session_becomes_unreadable(target: Target, method: str) -> None:
    with MemoryReader(target.pid, method=method) as reader:
        before = reader.read(target.unmap, 2 * PAGE)
        assert before.complete and bytes(before.data) == b"U" * 2 * PAGE
        target.command("u", "unmapped")
        after = reader.read(target.unmap - 16, 2 * PAGE + 32)
    assert (target.unmap, target.unmap + 2 * PAGE) in after.unreadable or any(
        s <= target.unmap and e >= target.unmap + 2 * PAGE for s, e in after.unreadable
    )
    assert b"U" not in bytes(after.data)


@pytest.mark.parametrize("method", ["procmem", "vm_readv"])
def test_a_region_unmapped_without_freeze_is_caught_by_a_fresh_map(
    target: Target, method: str
) -> None:
    with MemoryReader(target.pid, method=method, freeze=False) as reader:
        assert reader.read(target.unmap, PAGE).complete
        target.command("u", "unmapped")
        result = reader.read(target.unmap, 2 * PAGE)
    assert result.unreadable == [(target.unmap, target.unmap + 2 * PAGE)]


@pytest.mark.parametrize("method", METHODS)
def test_a_hole_is_one_unreadable_span(target: Target, method: str) -> None:
    # Just above mmap_min_addr nothing is mapped in an ordinary process. (That a hole
    # is skipped in one step, not probed page by page, is checked by counting system
    # calls in test_dump_command.)
    start, length = 0x10000, 64 << 20
    buffer = mmap.mmap(-1, length + PAGE)
    try:
        with MemoryReader(target.pid, method=method) as reader:
            unreadable = reader.read_into(start, memoryview(buffer)[:length])
    finally:
        buffer.close()
    assert unreadable == [(start, start + length)]


@pytest.mark.parametrize("method", METHODS)
def test_the_vsyscall_page_above_2_63_does_not_crash(target: Target, method: str) -> None:
    address = 0xFFFFFFFFFF600000
    result = read_memory(target.pid, address, 64, method=method)
    # On x86-64 the page is execute-only (vsyscall=xonly); where it is readable the
    # read must still work, so accept either outcome but never a crash or a lie.
    assert result.unreadable in ([(address, address + 64)], [])
    if result.unreadable:
        assert bytes(result.data) == bytes(64)


def test_read_into_reuses_a_dirty_buffer_without_leaking_old_bytes(target: Target) -> None:
    buffer = bytearray(b"\xff" * (3 * PAGE))
    with MemoryReader(target.pid) as reader:
        unreadable = reader.read_into(target.guard, memoryview(buffer))
    assert unreadable == [(target.guard + PAGE, target.guard + 2 * PAGE)]
    assert buffer[PAGE : 2 * PAGE] == bytes(PAGE)
    assert buffer[:PAGE] == b"G" * PAGE


def test_read_many_reads_several_ranges_under_one_freeze(target: Target) -> None:
    with MemoryReader(target.pid) as reader:
        first, second = reader.read_many([(target.known, 16), (target.guard, PAGE)])
    assert isinstance(first, ReadResult) and bytes(first.data) == KNOWN[:16]
    assert bytes(second.data) == b"G" * PAGE and second.end == target.guard + PAGE


def test_reads_from_another_thread_freeze_on_that_thread(target: Target) -> None:
    results: list[ReadResult] = []
    with MemoryReader(target.pid) as reader:
        worker = threading.Thread(target=lambda: results.append(reader.read(target.known, 64)))
        worker.start()
        worker.join(timeout=10)
    assert bytes(results[0].data) == KNOWN[:64]


def test_peek_without_freeze_is_refused(target: Target) -> None:
    with pytest.raises(ValueError, match="stopped process"):
        MemoryReader(target.pid, method="peek", freeze=False)


def test_missing_process_and_kernel_thread() -> None:
    with pytest.raises(ProcessGone, match="no process 4000000"):
        MemoryReader(4_000_000)
    with pytest.raises(KernelThread, match="kernel thread"):
        MemoryReader(2)


@pytest.mark.parametrize(
    ("method", "freeze"),
    [(m, True) for m in METHODS] + [("procmem", False), ("vm_readv", False)],
)
def test_a_process_that_exits_during_a_session(
    binaries: Binaries, method: str, freeze: bool
) -> None:
    doomed = start_target(binaries.target, threads=1)
    reader = MemoryReader(doomed.pid, method=method, freeze=freeze)
    try:
        assert reader.read(doomed.known, 16).complete
        doomed.stop()  # killed and reaped while the reader still holds its files
        with pytest.raises(ProcessExitedDuringRead, match="exited while"):
            reader.read(doomed.known, 16)
    finally:
        reader.close()
        doomed.stop()


def test_a_process_killed_in_the_middle_of_reading(binaries: Binaries) -> None:
    doomed = start_target(binaries.target, threads=2)
    killer = threading.Timer(0.2, doomed.process.kill)
    killer.start()
    try:
        with (
            MemoryReader(doomed.pid, freeze=False) as reader,
            pytest.raises(ProcessExitedDuringRead),
        ):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                result = reader.read(doomed.known, PAGE)
                # Until the end, every read is either whole and true, or raises.
                assert result.complete and bytes(result.data) == KNOWN
    finally:
        killer.cancel()
        doomed.stop()


@pytest.mark.parametrize("freeze", [True, False])
def test_a_large_read_split_between_threads_marks_the_faults_of_both_halves(
    freeze: bool,
) -> None:
    # A read of 2 MiB or more goes half on a second thread (with two CPUs, as in CI).
    # Each half meets pages the maps call readable but /proc/PID/mem cannot read: both
    # must come back marked, every other byte true.
    process, fields = start_python_target("eof_holes_target.py")
    try:
        base, page = int(fields["base"], 16), int(fields["page"])
        length = 1024 * page
        assert length >= 2 * SPLIT_AT
        with MemoryReader(process.pid, freeze=freeze) as reader:
            result = reader.read(base, length)
        holes = [(base + (at + 1) * page, base + (at + 3) * page) for at in (100, 700)]
        assert result.unreadable == holes
        for index in range(1024):
            chunk = result.data[index * page : (index + 1) * page]
            if index in (100, 700):
                expected = b"\xff" * page
            elif index in (101, 102, 701, 702):
                expected = bytes(page)
            else:
                expected = bytes([index & 0xFF]) * page
            assert chunk == expected, f"page {index}"
        assert stopped_tasks(process.pid) == []
    finally:
        stop_process(process)


def test_a_stream_splits_its_chunks_on_one_helper_thread_that_closing_ends() -> None:
    # Starting a thread per split read cost each chunk 90 us (0.5 ms at the 90th
    # percentile) while the target stood stopped: one helper serves every chunk, and
    # the reader's close ends it.
    process, fields = start_python_target("eof_holes_target.py")
    try:
        base, page = int(fields["base"], 16), int(fields["page"])
        before = set(os.listdir("/proc/self/task"))
        helpers: set[str] = set()
        helper_blocked = 0
        pages: list[int] = []
        addresses: list[int] = []
        regions: list[object] = []  # held, so that no id is reused
        with MemoryReader(process.pid) as reader:
            for address, chunk, _spans in reader.stream(base, 1024 * page, SPLIT_AT):
                helpers |= set(os.listdir("/proc/self/task")) - before
                for tid in helpers:
                    status = Path(f"/proc/self/task/{tid}/status").read_text()
                    helper_blocked = int(status.split("SigBlk:")[1].split()[0], 16)
                addresses.append(address)
                # Each chunk is whole, the helper's half included.
                pages += [chunk[at] for at in range(0, len(chunk), page)]
                regions.append(reader._maps)
        assert addresses == [base + at for at in range(0, 1024 * page, SPLIT_AT)]
        assert len(addresses) >= 2
        assert pages[:100] == [index & 0xFF for index in range(100)]
        assert pages[703:] == [index & 0xFF for index in range(703, 1024)]
        assert len(helpers) == 1
        # It blocks every signal: a SIGINT it took would let the handler raise on the
        # freezing thread while a freeze holds SIGINT there.
        assert all(helper_blocked & (1 << (number - 1)) for number in (2, 15))
        deadline = time.monotonic() + 5  # the thread's last steps after close's wait
        while helpers & set(os.listdir("/proc/self/task")) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not helpers & set(os.listdir("/proc/self/task"))
        # Each chunk's freeze read the maps again, and found the text parsed before.
        assert regions[0] is not None and all(each is regions[0] for each in regions)
        assert stopped_tasks(process.pid) == []
    finally:
        stop_process(process)


def test_a_result_left_unclaimed_is_not_taken_for_the_next_jobs() -> None:
    # A signal handler may raise between a job's start and its wait: the next wait
    # must return its own job's result, not the one left over.
    helper = _SecondThread()
    try:
        helper.start(lambda: 1)
        helper.start(lambda: 2)
        assert helper.result() == 2
        helper.start(lambda: 1 // 0)
        with pytest.raises(ZeroDivisionError):
            helper.result()
        helper.start(lambda: 3)
        assert helper.result() == 3
    finally:
        helper.close()


@pytest.mark.parametrize("freeze", [True, False])
def test_a_large_frozen_read_copies_once_with_vm_readv(freeze: bool, tmp_path: Path) -> None:
    # Under a freeze, a large procmem read copies with process_vm_readv (each page
    # copied once, not twice) and reads only what that left with /proc/PID/mem: the
    # two holes. Without a freeze vm_readv could read a newly exec'd program as the
    # old one, so every byte comes through /proc/PID/mem.
    process, fields = start_python_target("eof_holes_target.py")
    try:
        base, page = int(fields["base"], 16), int(fields["page"])
        log = tmp_path / "strace.log"
        code = (
            "import sys; from memtui.core.process_memory.memory_reader import MemoryReader;"
            f"r = MemoryReader({process.pid}, freeze={freeze}).read({base}, {1024 * page});"
            "print(len(r.unreadable), sum(map(len, r.data.split(bytes([255]))[:1])))"
        )
        subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=preadv2,process_vm_readv", "-o", str(log),
             sys.executable, "-c", code],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        # Each call's result: "= N" ends its line, or its "<... resumed>" line.
        results: dict[str, list[int]] = {"preadv2": [], "process_vm_readv": []}
        for line in log.read_text().splitlines():
            found = re.search(r"(preadv2|process_vm_readv)(?: resumed>|\().* = (-?\d+)", line)
            if found:
                results[found[1]].append(int(found[2]))
        copies, preads = results["process_vm_readv"], results["preadv2"]
        if freeze:
            assert len(copies) >= 2 and sum(max(got, 0) for got in copies) >= 1018 * page
            # What preads are left: the reader's 1-byte probes, and the 4 pages of holes.
            assert sum(max(got, 0) for got in preads) <= 8 * page, preads
        else:
            assert copies == []
            assert sum(max(got, 0) for got in preads) >= 1018 * page
    finally:
        stop_process(process)


def test_merge_spans() -> None:
    assert merge_spans([(5, 6), (0, 2), (2, 3), (10, 10)]) == [(0, 3), (5, 6)]


def test_permission_denied_carries_a_reason() -> None:
    error = PermissionDenied(1, "because")
    assert error.reason == "because" and "may not read process 1: because" in str(error)


def test_no_thread_is_left_stopped_after_many_reads(target: Target) -> None:
    with MemoryReader(target.pid) as reader:
        for _ in range(50):
            assert reader.read(target.known, 8).complete
    assert stopped_tasks(target.pid) == []
