"""A CSV replay loads as it reads: the first frame while the file is still being read,
a bounded number of rows, and no endless line (issue 9, items 13 and 14).

A 1,000,000-row CSV once showed a blank screen for 500 s and took 770 MB, and
`--replay /dev/zero` grew until MemoryError.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

from memtui.core.store.csv_import import PROGRESS_EVERY, import_csv
from memtui.core.store.csv_recording import MAX_LINE
from memtui.core.store.recording_store import StoreReader

START = 1_796_000_000
ROWS = PROGRESS_EVERY + 5_000
# How long the writer holds the last reader's pipe open when no one lets it go.
HOLD_SECONDS = 30


def csv_text(rows: int, start: int = START) -> bytes:
    lines = ["timestamp,MemTotal,MemFree,MemAvailable,Committed_AS"]
    lines += [f"{start + i},{8 << 30},{(4 << 30) - i * 4096},{6 << 30},{1 << 30}"
              for i in range(rows)]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


class HeldRecording:
    """A FIFO that reads like a long recording: its rows, then a wait at the end (as
    for the rest of a long file) until :meth:`finish`."""

    def __init__(self, path: Path, text: bytes) -> None:
        self.path = path
        self.text = text
        self.finished = threading.Event()
        os.mkfifo(path)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with open(self.path, "wb") as pipe, contextlib.suppress(BrokenPipeError):
            pipe.write(self.text)
            pipe.flush()
            self.finished.wait(HOLD_SECONDS)

    def finish(self) -> None:
        self.finished.set()
        self._thread.join(timeout=10)


def test_a_csv_is_read_into_the_replay_with_progress_before_its_end(tmp_path: Path) -> None:
    # The replay's first frame shows that progress ("reading 20,000 rows…") while the
    # rest is read, instead of a blank screen until the end of the file.
    recording = HeldRecording(tmp_path / "long.csv", csv_text(ROWS))
    progress: list[tuple[int, bool]] = []
    reported = threading.Event()

    def report(rows: int) -> None:
        progress.append((rows, recording.finished.is_set()))
        reported.set()

    imported: list[tuple[str, bool]] = []
    worker = threading.Thread(
        target=lambda: imported.append(import_csv(str(recording.path), report)), daemon=True
    )
    worker.start()
    try:
        reported.wait(HOLD_SECONDS)
        assert progress == [(PROGRESS_EVERY, False)]
    finally:
        recording.finish()
        worker.join(timeout=60)
    store, cut = imported[0]
    try:
        reader = StoreReader(store)
        try:
            assert not cut
            assert reader.time_range() == (START, START + ROWS - 1)
        finally:
            reader.close()
    finally:
        os.unlink(store)


def test_a_replay_reads_at_most_its_row_limit_and_says_it_cut(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(csv_text(150))
    store, cut = import_csv(str(path), max_rows=100)
    try:
        reader = StoreReader(store)
        try:
            assert cut
            assert reader.time_range() == (START, START + 99)
        finally:
            reader.close()
    finally:
        os.unlink(store)
    whole, cut = import_csv(str(path), max_rows=150)
    os.unlink(whole)
    assert not cut


def test_replaying_dev_zero_is_refused_in_one_line() -> None:
    # Bounded: the first line is cut at MAX_LINE characters, so 64 KiB are read at most.
    result = subprocess.run(
        [sys.executable, "-m", "memtui", "--replay", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"memtui: /dev/zero: line 1 is longer than {MAX_LINE} characters: not a "
        "recording of `memtui record`\n"
    )
