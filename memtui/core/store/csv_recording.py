"""The CSV format of `memtui record`, read back by `memtui --replay`.

Header ``timestamp,<field>...``; one row per sample; timestamp in Unix seconds
(ISO 8601 is accepted on reading); values in bytes (HugePages_* as counts); an empty
cell where the kernel did not report the field at that moment.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO


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
    if math.isnan(value) or math.isinf(value):
        raise ValueError(text)
    return value


def read_recording(stream: TextIO, source: str = "recording") -> Recording:
    """Parse a recording; raise RecordingError naming the line at fault."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise RecordingError(f"{source}: empty file, expected a header") from None
    except csv.Error as error:
        raise RecordingError(f"{source}: not CSV ({error})") from None
    if not header or header[0].strip() != "timestamp" or len(header) < 2:
        raise RecordingError(
            f"{source}: line 1 must be 'timestamp,<field>...', as `memtui record` writes"
        )
    fields = [name.strip() for name in header[1:]]
    samples: list[tuple[float, dict[str, int]]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise RecordingError(
                    f"{source}: line {line} has {len(row)} cells, the header has {len(header)}"
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
            samples.append((timestamp, sample))
    except csv.Error as error:
        raise RecordingError(f"{source}: line {reader.line_num}: {error}") from None
    if not samples:
        raise RecordingError(f"{source}: no samples after the header")
    return Recording(fields=fields, samples=samples)


def load_recording(path: str) -> Recording:
    """Open and parse a recording file; OSError becomes RecordingError."""
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            return read_recording(stream, source=path)
    except OSError as error:
        raise RecordingError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{path}: not a text file") from None
