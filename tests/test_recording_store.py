"""The recording store: its encoding, what a write reads back as, a kill -9 of a real
recorder, a replay naming a real leaker, retention and reused pids."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from targets.synthetic_machine import (
    MIB,
    START,
    SyntheticMachine,
    SyntheticProcess,
    flat,
    leaking,
)

from memtui.core.sources.replay_source import ReplaySource
from memtui.core.store.frame_codec import DEFLATED, CorruptFrame, decode, encode
from memtui.core.store.recorder import Recorder
from memtui.core.store.recording_store import (
    FLUSH_INTERVAL,
    StoreError,
    StoreReader,
    StoreWriter,
)

frames = st.lists(
    st.dictionaries(
        st.integers(0, 300),
        st.tuples(st.integers(0, 1 << 62), st.integers(0, 1 << 40)),
        max_size=40,
    ),
    min_size=1,
    max_size=8,
)


@given(frames)
@settings(max_examples=200, deadline=None)
def test_frames_decode_to_what_was_encoded(sequence: list[dict[int, tuple[int, int]]]) -> None:
    previous = None
    decoded_previous = None
    for index, frame in enumerate(sequence):
        data = encode(frame, None if index % 3 == 0 else previous, 2)
        decoded, key = decode(data, decoded_previous, 2)
        assert decoded == frame
        assert key == (index % 3 == 0)
        previous = decoded_previous = decoded


def test_a_delta_frame_is_small_and_damage_is_detected() -> None:
    first = {i: (4096 * i,) for i in range(55)}
    second = dict(first)
    for i in range(0, 55, 3):  # about a third of meminfo moves each second, by pages
        second[i] = (first[i][0] + 8192,)
    delta = encode(second, first, 1)
    assert len(delta) < 100  # 19 ids and deltas of a few pages: ~4 bytes each
    with pytest.raises(CorruptFrame):
        decode(delta, None, 1)  # a delta needs what came before
    with pytest.raises(CorruptFrame):
        decode(delta[:-2], first, 1)


def test_a_large_frame_is_deflated_and_damage_to_it_is_detected() -> None:
    # 500 processes that all moved a little: a process sample of the synthetic day.
    first = {i: (40_000 + 37 * i, 0) for i in range(1, 501)}
    second = {i: (rss + i % 7 - 3, 0) for i, (rss, _) in first.items()}
    plain = encode(second, first, 2, deflate=False)
    packed = encode(second, first, 2)
    assert packed[0] & DEFLATED and not plain[0] & DEFLATED
    assert len(packed) < 0.75 * len(plain)
    assert decode(packed, first, 2) == decode(plain, first, 2) == (second, False)
    small = encode({1: (5, 0)}, {1: (4, 0)}, 2)
    assert not small[0] & DEFLATED  # a meminfo-sized delta stays as it is
    for damaged in (packed[:-3], packed[:1] + b"\xff" * 20, packed + b"\x00"):
        with pytest.raises(CorruptFrame):
            decode(damaged, first, 2)


def as_version_1(path: Path) -> None:
    """Rewrite a store as memtui's first format wrote it: process rows holding their
    own name, command line and user, and no frame deflated."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE process_v1(
            id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, start_time REAL NOT NULL,
            name TEXT NOT NULL, cmdline TEXT NOT NULL, user TEXT,
            first_seen REAL NOT NULL, last_seen REAL NOT NULL, UNIQUE(pid, start_time));
        INSERT INTO process_v1 SELECT p.id, p.pid, p.start_time, c.name, c.cmdline, c.user,
            p.first_seen, p.last_seen FROM process p JOIN command c ON c.id = p.command;
        DROP TABLE process; DROP TABLE command;
        ALTER TABLE process_v1 RENAME TO process;
        UPDATE meta SET value = '1' WHERE key = 'version';
        """
    )
    for series, width in ((0, 1), (1, 2), (2, 1)):
        for level in [row[0] for row in db.execute("SELECT DISTINCT level FROM frame")]:
            previous = None
            rows = db.execute(
                "SELECT id, key, data FROM frame WHERE series = ? AND level = ? ORDER BY t",
                (series, level),
            ).fetchall()
            for ident, key, data in rows:
                frame, _ = decode(data, previous, width)
                plain = encode(frame, None if key else previous, width, deflate=False)
                db.execute("UPDATE frame SET data = ? WHERE id = ?", (plain, ident))
                previous = frame
    db.commit()
    db.close()


def test_a_version_1_store_still_replays_and_takes_more_samples(tmp_path: Path) -> None:
    store = tmp_path / "v1.db"
    synthetic_store(store, 600, [SyntheticProcess(10, "steady", flat(50 * MIB))])
    as_version_1(store)
    reader = StoreReader(str(store))
    assert [row.name for row in reader.process_rows([1]).values()] == ["steady"]
    reader.close()
    # Appending keeps the first format, so the memtui that wrote it still reads it.
    machine = SyntheticMachine([SyntheticProcess(11, "late", flat(20 * MIB))])
    writer = StoreWriter(str(store))
    for t in range(600, 660):
        writer.add_meminfo(START + t, machine.meminfo(t))
        if t % 5 == 0:
            writer.add_processes(START + t, machine.table(t).rows)
    writer.close()
    db = sqlite3.connect(store)
    assert db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("1",)
    assert not any(data[0] & DEFLATED for (data,) in db.execute("SELECT data FROM frame"))
    db.close()
    reader = StoreReader(str(store))
    assert sorted(row.name for row in reader.process_rows(range(1, 5)).values()) == [
        "late",
        "steady",
    ]
    assert reader.processes(START + 650, START + 650)[0][1]  # the appended samples
    reader.close()


def test_a_day_of_short_jobs_stores_each_command_once(tmp_path: Path) -> None:
    store = tmp_path / "jobs.db"
    jobs = [
        SyntheticProcess(2000 + n, "cc1", flat(30 * MIB), born=n * 6.0, dies=n * 6.0 + 5.5)
        for n in range(100)
    ]
    synthetic_store(store, 600, [SyntheticProcess(10, "steady", flat(50 * MIB)), *jobs])
    db = sqlite3.connect(store)
    assert db.execute("SELECT COUNT(*) FROM command").fetchone() == (2,)
    assert db.execute("SELECT COUNT(*) FROM process").fetchone()[0] > 90
    db.close()
    reader = StoreReader(str(store))
    names = {row.name for row in reader.process_rows(range(1, 200)).values()}
    assert names == {"steady", "cc1"}
    reader.close()


def synthetic_store(
    path: Path, seconds: float, processes: list[SyntheticProcess], process_interval: float = 5.0
) -> SyntheticMachine:
    """Drive the real recorder (writer, histories, detector) with a synthetic machine."""
    machine = SyntheticMachine(processes)
    writer = StoreWriter(str(path), process_interval=process_interval)
    clock = [START]
    recorder = Recorder(writer, process_interval=process_interval, clock=lambda: clock[0])
    for t, processes_due in machine.ticks(seconds, 1.0, process_interval):
        clock[0] = START + t
        if processes_due:
            recorder.take_processes(START + t, machine.table(t))
        recorder.take_meminfo(START + t, machine.meminfo(t))
    recorder.close()
    return machine


def test_a_store_reads_back_every_sample_and_its_rollups(tmp_path: Path) -> None:
    store = tmp_path / "day.db"
    machine = synthetic_store(
        store, 1800, [SyntheticProcess(10, "steady", flat(50 * MIB)),
                      SyntheticProcess(20, "leaky", leaking(80 * MIB, 4 * MIB))],
    )  # fmt: skip
    assert oct(store.stat().st_mode & 0o777) == "0o600"
    reader = StoreReader(str(store))
    assert reader.time_range() == (START, START + 1799)
    samples = reader.meminfo(START + 100, START + 110)
    assert [t for t, _ in samples] == [START + s for s in range(100, 111)]
    assert samples[0][1]["AnonPages"] == machine.meminfo(100)["AnonPages"]
    times, columns = reader.meminfo_means(60, START, START + 1800)
    assert len(times) == 29  # complete minutes; the 30th is still open at the end
    assert columns["MemTotal"][0] == machine.base["MemTotal"]
    raw = reader.processes(START + 600, START + 600)
    rss = {reader.process_rows([i])[i].name: value[0] for i, value in raw[0][1].items()}
    assert rss == {"steady": 50 * MIB, "leaky": 80 * MIB + 40 * MIB}
    verdict = reader.verdict_at(START + 1799)
    assert verdict is not None and verdict.suspected and verdict.pid == 20
    assert verdict.text.startswith("Leak suspected: leaky (pid 20) +4.0 MiB/min for ")
    reader.close()


def test_a_replay_names_a_slow_leak_and_moves_with_the_cursor(tmp_path: Path) -> None:
    # 1 MiB/min from minute 10 of a 50-minute store: named within 20 minutes of its
    # start, and not before it.
    store = tmp_path / "slow.db"
    synthetic_store(
        store, 3000, [SyntheticProcess(10, "steady", flat(50 * MIB)),
                      SyntheticProcess(20, "slowleak", leaking(80 * MIB, MIB, start=600))],
    )  # fmt: skip
    source = ReplaySource.open(str(store))
    page = source.load(START + 2999)
    from memtui.core.leak.leak_detector import LeakDetector

    detector = LeakDetector()
    end = detector.evaluate(page.history, page.processes, START + 2999)
    assert end.suspected and end.pid == 20, end.text
    assert end.began_at is not None and abs(end.began_at - (START + 600)) < 600
    before = source.load(START + 590)
    early = detector.evaluate(before.history, before.processes, START + 590)
    assert not early.suspected
    named = next(
        t
        for t in range(600, 3000, 30)
        if (p := source.load(START + t)) is not None
        and detector.evaluate(p.history, p.processes, START + t).pid == 20
    )
    assert named - 600 <= 20 * 60
    source.close()


def test_a_reused_pid_is_another_process(tmp_path: Path) -> None:
    store = tmp_path / "reuse.db"
    first = SyntheticProcess(30, "old", flat(400 * MIB), born=0, dies=300)
    second = SyntheticProcess(30, "new", flat(20 * MIB), born=305, dies=10_000)
    synthetic_store(store, 900, [SyntheticProcess(10, "steady", flat(50 * MIB)), first, second])
    reader = StoreReader(str(store))
    rows = reader.process_rows(range(1, 10))
    assert sorted((r.pid, r.name) for r in rows.values()) == [
        (10, "steady"),
        (30, "new"),
        (30, "old"),
    ]
    reader.close()
    source = ReplaySource.open(str(store))
    page = source.load(START + 600)
    table = page.table_at(START + 600)
    assert [(row.pid, row.name, row.rss) for row in table.rows if row.pid == 30] == [
        (30, "new", 20 * MIB)
    ]
    # Neither incarnation reads as growth or shrinkage of the other.
    _, values = page.processes.growth_series((30, second.start_time), START, START + 600)
    assert values and max(values) == min(values) == 20 * MIB
    source.close()


def test_retention_drops_old_samples_but_keeps_a_decodable_start(tmp_path: Path) -> None:
    store = tmp_path / "old.db"
    early = SyntheticProcess(20, "early", flat(10 * MIB), born=0, dies=300)
    synthetic_store(store, 1200, [SyntheticProcess(10, "steady", flat(50 * MIB)), early])
    writer = StoreWriter(str(store), retain=600)
    writer.maintain(now=START + 1200)
    writer.close()
    # The process that ended before the cutoff went, and with it its command.
    db = sqlite3.connect(store)
    assert db.execute("SELECT name FROM command").fetchall() == [("steady",)]
    assert db.execute("SELECT COUNT(*) FROM process").fetchone() == (1,)
    db.close()
    reader = StoreReader(str(store))
    span = reader.time_range()
    assert span is not None and START + 540 <= span[0] <= START + 600
    first_t = span[0]
    assert reader.meminfo(first_t, first_t + 5)  # the first kept frames still decode
    reader.close()


def test_a_store_refuses_files_that_are_not_its_own(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("precious")
    with pytest.raises(StoreError, match="not a memtui recording store"):
        StoreWriter(str(text))
    assert text.read_text() == "precious"
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(StoreError, match="not a memtui recording store"):
        StoreReader(str(other))
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "target.db")
    with pytest.raises(StoreError, match="symbolic link"):
        StoreWriter(str(link))
    assert not (tmp_path / "target.db").exists()


LEAKER = """
import ctypes, sys, time
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
rate = float(sys.argv[1])  # MiB per minute
print("ready", flush=True)
start = time.monotonic()
leaked = 0
while True:
    due = int((time.monotonic() - start) * rate / 60.0 * (1 << 20))
    while leaked + (1 << 18) <= due:
        block = libc.malloc(1 << 18)
        libc.memset(block, 7, 1 << 18)
        leaked += 1 << 18
    time.sleep(0.05)
"""


def test_kill_9_of_the_recorder_loses_seconds_and_the_replay_names_the_leaker(
    tmp_path: Path,
) -> None:
    store = tmp_path / "crash.db"
    child = subprocess.Popen(
        [sys.executable, "-c", LEAKER, "400"], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    recorder = subprocess.Popen(
        [sys.executable, "-m", "memtui", "record", "--output", str(store),
         "--interval", "0.5", "--process-interval", "1"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Until the recorder's own verdict names the child (about 20 s), then a few
        # seconds more, so that the kill lands mid-recording.
        deadline = time.monotonic() + 90
        named = False
        while not named and time.monotonic() < deadline:
            time.sleep(1)
            assert recorder.poll() is None, recorder.stderr.read() if recorder.stderr else ""
            if store.exists():
                with contextlib.closing(StoreReader(str(store))) as live:
                    stored = live.verdict_at(time.time())
                    named = stored is not None and stored.pid == child.pid
        assert named, "the recorder never named the leaking child"
        time.sleep(3)
        killed_at = time.time()
        os.kill(recorder.pid, signal.SIGKILL)
        recorder.wait(timeout=10)
    finally:
        child.kill()
        child.wait()
        if recorder.poll() is None:
            recorder.kill()
        assert child.stdout is not None
        child.stdout.close()
    reader = StoreReader(str(store))
    span = reader.time_range()
    assert span is not None
    # Every sample but those of the last commit interval (and a sample's own time).
    assert killed_at - span[1] <= FLUSH_INTERVAL + 1.5
    # And nothing missing before them: a sample every 0.5 s.
    assert reader.sample_count() >= 0.9 * (span[1] - span[0]) / 0.5
    ids = {i for _, frame in reader.processes(span[0], span[1]) for i in frame}
    rows = reader.process_rows(ids)
    assert any(row.pid == child.pid for row in rows.values())
    reader.close()
    source = ReplaySource.open(str(store))
    page = source.load(span[1])
    from memtui.core.leak.leak_detector import LeakDetector

    verdict = LeakDetector(exclude=page.exclude).evaluate(page.history, page.processes, span[1])
    assert verdict.suspected and verdict.pid == child.pid, verdict.text
    assert recorder.pid in page.exclude  # the recorder is never named
    source.close()
