"""`memtui export STORE --csv`: a store's meminfo samples as the CSV of `memtui record`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import TextIO

from memtui.core.input_echo import shorten_path
from memtui.core.meminfo.field_selection import UnknownFieldError, default_fields, validate_fields
from memtui.core.meminfo.fields import DEFAULT_FIELDS
from memtui.core.output_file import OutputFile, OutputFileError
from memtui.core.store.csv_recording import csv_header, csv_row
from memtui.core.store.recording_store import StoreError, StoreReader
from memtui.core.time_expression import TimeError, parse_time

_CHUNK = 3600.0  # decode an hour of samples at a time: memory stays flat


def run_export(args: argparse.Namespace) -> int:
    try:
        reader = StoreReader(args.store)
    except StoreError as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 1
    try:
        span = reader.time_range()
        if span is None:
            print(
                f"memtui: {shorten_path(args.store)}: the store holds no samples", file=sys.stderr
            )
            return 1
        first, last = span
        try:
            start = parse_time(args.start, last) if args.start else first
            end = parse_time(args.end, last) if args.end else last
        except TimeError as error:
            print(f"memtui export: {error}", file=sys.stderr)
            return 2
        if end < start:
            print("memtui export: --to is before --from", file=sys.stderr)
            return 2
        recorded = reader.fields
        try:
            if args.fields and [f.lower() for f in args.fields] == ["all"]:
                fields = recorded
            elif args.fields:
                fields = validate_fields(args.fields, recorded)
            else:
                fields = default_fields(recorded, DEFAULT_FIELDS)
        except UnknownFieldError as error:
            print(f"memtui export: {error}", file=sys.stderr)
            return 2
        try:
            with _csv_output(args.output) as output:
                output.write(csv_header(fields))
                position = start
                while True:
                    stop = min(end, position + _CHUNK)
                    last_chunk = stop >= end
                    for t, sample in reader.meminfo(position, stop):
                        if t < stop or last_chunk:  # a chunk's end is the next one's start
                            output.write(csv_row(t, fields, sample))
                    if last_chunk:
                        break
                    position = stop
                output.flush()
        except OutputFileError as error:
            print(f"memtui: {error}", file=sys.stderr)
            return 1
        except BrokenPipeError:
            raise  # the CLI treats a closed pipe (`| head`) as a normal end
        except OSError as error:
            where = shorten_path(args.output) if args.output else "stdout"
            print(f"memtui: cannot write {where}: {error.strerror or error}", file=sys.stderr)
            return 1
    finally:
        reader.close()
    return 0


@contextlib.contextmanager
def _csv_output(path: str | None) -> Iterator[TextIO]:
    """stdout, or a file at ``path`` put in place once the export is whole
    (:mod:`memtui.core.output_file`: 0600, no links, no other user's file)."""
    if path is None:
        yield sys.stdout
        return
    with (
        OutputFile(path) as target,
        open(target.fd, "w", encoding="utf-8", newline="", closefd=False) as stream,
    ):
        yield stream
