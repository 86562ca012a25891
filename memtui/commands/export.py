"""`memtui export STORE --csv`: a store's meminfo samples as the CSV of `memtui record`."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from memtui.core.input_echo import shorten_path
from memtui.core.meminfo.field_selection import UnknownFieldError, default_fields, validate_fields
from memtui.core.meminfo.fields import DEFAULT_FIELDS
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
        output: TextIO = sys.stdout
        if args.output:
            try:
                output = open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as error:
                print(
                    f"memtui: cannot write {shorten_path(args.output)}: {error.strerror}",
                    file=sys.stderr,
                )
                return 1
        try:
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
        finally:
            if output is not sys.stdout:
                output.close()
    finally:
        reader.close()
    return 0
