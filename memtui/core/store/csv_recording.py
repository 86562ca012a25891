"""The CSV format of `memtui record`, read back by `memtui --replay` and written by
`memtui export`.

Header ``timestamp,<field>...``; one row per sample; timestamp in Unix seconds
(ISO 8601 is accepted on reading); values in bytes (HugePages_* as counts); an empty
cell where the kernel did not report the field at that moment.

Reading streams row by row, so a replay's cost is linear in the file and its first
frame (saying how many rows are read) shows while the rest loads; lines longer than
:data:`MAX_LINE` (``/dev/zero``, a binary file) and values beyond 64 bits are
refused with the line at fault, and a replay reads at most :data:`MAX_ROWS` rows.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from memtui.core.input_echo import shorten_path

MAX_LINE = 1 << 16
"""Longest line read: a meminfo CSV row is about 1 KB even with every field."""
MAX_ROWS = 1_000_000
"""Rows a replay reads: 11.5 days at one a second. The rest is left out, and said so."""
_MAX_VALUE = (1 << 63) - 1


class RecordingError(ValueError):
    """A recording that cannot be replayed; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Recording:
    fields: list[str]
    samples: list[tuple[float, dict[str, int]]]


def csv_header(fields: Sequence[str]) -> str:
    return ",".join(["timestamp", *fields]) + "\n"


def csv_row(timestamp: float, fields: Sequence[str], sample: Mapping[str, int]) -> str:
    cells = [f"{timestamp:.3f}"]
    cells.extend(str(sample[name]) if name in sample else "" for name in fields)
    return ",".join(cells) + "\n"


def _parse_timestamp(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return datetime.fromisoformat(text).timestamp()
    if math.isnan(value) or math.isinf(value) or not 0 <= value < 1e11:
        raise ValueError(text)
    return value


def _bounded_lines(stream: TextIO, source: str) -> Iterator[str]:
    number = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE:
            raise RecordingError(
                f"{source}: line {number} is longer than {MAX_LINE} characters:"
                " not a recording of `memtui record`"
            )
        yield line


class RecordingReader:
    """Reads a recording one sample at a time: ``fields`` after construction (the
    header is checked then), then iterate for (timestamp, sample) pairs.

    ``truncated`` is True once iteration stopped at ``max_rows``.
    """

    def __init__(self, stream: TextIO, source: str = "recording", max_rows: int = MAX_ROWS):
        self.source = source
        self.max_rows = max_rows
        self.truncated = False
        self.rows = 0
        self._reader = csv.reader(_bounded_lines(stream, source))
        try:
            header = next(self._reader)
        except StopIteration:
            raise RecordingError(f"{source}: empty file, expected a header") from None
        except csv.Error as error:
            raise RecordingError(f"{source}: not CSV ({error})") from None
        if not header or header[0].strip() != "timestamp" or len(header) < 2:
            raise RecordingError(
                f"{source}: line 1 must be 'timestamp,<field>...', as `memtui record` writes"
            )
        self.fields = [name.strip() for name in header[1:]]
        self._width = len(header)

    def __iter__(self) -> Iterator[tuple[float, dict[str, int]]]:
        reader = self._reader
        source = self.source
        fields = self.fields
        try:
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if self.rows >= self.max_rows:
                    self.truncated = True
                    return
                if len(row) != self._width:
                    raise RecordingError(
                        f"{source}: line {line} has {len(row)} cells, the header has {self._width}"
                    )
                try:
                    timestamp = _parse_timestamp(row[0].strip())
                    sample = {
                        name: int(cell) for name, cell in zip(fields, row[1:], strict=True) if cell
                    }
                except ValueError:
                    raise RecordingError(
                        f"{source}: line {line}: expected a timestamp and whole numbers"
                    ) from None
                if any(not 0 <= value <= _MAX_VALUE for value in sample.values()):
                    raise RecordingError(
                        f"{source}: line {line}: a value is out of range (0 to 2**63-1)"
                    )
                self.rows += 1
                yield timestamp, sample
        except csv.Error as error:
            raise RecordingError(f"{source}: line {reader.line_num}: {error}") from None


def read_recording(stream: TextIO, source: str = "recording") -> Recording:
    """Parse a whole recording; raise RecordingError naming the line at fault."""
    reader = RecordingReader(stream, source)
    samples = list(reader)
    if not samples:
        raise RecordingError(f"{source}: no samples after the header")
    return Recording(fields=reader.fields, samples=samples)


def load_recording(path: str) -> Recording:
    """Open and parse a recording file; OSError becomes RecordingError."""
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            return read_recording(stream, source=shorten_path(path))
    except OSError as error:
        raise RecordingError(f"{shorten_path(path)}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{shorten_path(path)}: not a text file") from None
