"""`memtui record` as a real process, and the CSV format it shares with --replay."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memtui.core.meminfo.fields import DEFAULT_FIELDS
from memtui.core.meminfo.parser import read_meminfo
from memtui.core.store.csv_recording import RecordingError, load_recording, read_recording


def record(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memtui", "record", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_record_writes_header_and_rows_in_bytes() -> None:
    result = record("--count", "3", "--interval", "0.1", "--fields", "MemTotal,MemFree")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "timestamp,MemTotal,MemFree"
    assert len(lines) == 4
    stamp, total, free = lines[1].split(",")
    assert abs(float(stamp) - time.time()) < 60
    assert int(total) == read_meminfo()["MemTotal"]  # bytes, not kB
    assert 0 < int(free) <= int(total)


def test_record_defaults_to_the_dashboard_fields(tmp_path: Path) -> None:
    out = tmp_path / "rec.csv"
    result = record("--count", "2", "--interval", "0.05", "--output", str(out))
    assert result.returncode == 0 and result.stdout == ""
    available = read_meminfo()
    expected = [name for name in DEFAULT_FIELDS if name in available]
    recording = load_recording(str(out))
    assert recording.fields == expected
    assert len(recording.samples) == 2


def test_record_runs_until_ctrl_c_and_flushes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "rec.csv"
    process = subprocess.Popen(
        [sys.executable, "-m", "memtui", "record", "--interval", "0.05", "--output", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if out.exists() and len(out.read_text().splitlines()) >= 4:
            break
        time.sleep(0.05)
    rows_before_stop = len(out.read_text().splitlines())
    assert rows_before_stop >= 4  # rows reached the file while it was still running
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 130  # as shells expect of a Ctrl-C
    assert process.stderr is not None and "Traceback" not in process.stderr.read()
    rows = out.read_text().splitlines()
    assert len(rows) >= rows_before_stop and rows[-1].count(",") == rows[0].count(",")


def test_record_rejects_an_unknown_field_clearly() -> None:
    result = record("--count", "1", "--fields", "Commited_AS")
    assert result.returncode == 2
    assert "Commited_AS" in result.stderr and "did you mean Committed_AS" in result.stderr
    assert "Traceback" not in result.stderr


def test_record_to_an_unwritable_path_is_one_line() -> None:
    result = record("--count", "1", "--output", "/nonexistent/dir/rec.csv")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr


def test_recording_reads_back_missing_cells_and_iso_timestamps() -> None:
    text = "timestamp,A,B\n1.5,10,\n2024-01-01T00:00:00+00:00,11,20\n"
    recording = read_recording(io.StringIO(text))
    assert recording.fields == ["A", "B"]
    assert recording.samples[0] == (1.5, {"A": 10})
    assert recording.samples[1] == (1704067200.0, {"A": 11, "B": 20})


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "empty file"),
        ("time,A\n1,2\n", "line 1 must be"),
        ("timestamp,A\n", "no samples"),
        ("timestamp,A\n1,2,3\n", "line 2 has 3 cells"),
        ("timestamp,A\n1,lots\n", "line 2: expected"),
    ],
)
def test_bad_recordings_say_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(RecordingError, match=complaint):
        read_recording(io.StringIO(text))


def test_missing_recording_file_is_a_recording_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="No such file"):
        load_recording(str(tmp_path / "nope.csv"))
