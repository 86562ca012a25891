"""`memtui record`: /proc/meminfo samples as CSV, one flushed row per sample."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TextIO

from memtui.core.meminfo.field_selection import UnknownFieldError, default_fields, validate_fields
from memtui.core.meminfo.fields import DEFAULT_FIELDS
from memtui.core.meminfo.parser import read_meminfo
from memtui.core.output_file import OutputFileError, open_stream
from memtui.core.store.csv_recording import csv_header, csv_row
from memtui.entry_point import INTERRUPTED


def writes_store(output: str | None) -> bool:
    """A store unless the output is stdout or a .csv file (the CSV of issue 2)."""
    return output is not None and not output.lower().endswith(".csv")


def run_record(args: argparse.Namespace) -> int:
    if writes_store(args.output):
        from memtui.commands.record_store import run_record_store

        return run_record_store(args)
    try:
        first = read_meminfo()
    except OSError as error:
        print(f"memtui: cannot read /proc/meminfo: {error.strerror}", file=sys.stderr)
        return 1
    try:
        fields = (
            validate_fields(args.fields, first)
            if args.fields
            else default_fields(first, DEFAULT_FIELDS)
        )
    except UnknownFieldError as error:
        print(f"memtui record: {error}", file=sys.stderr)
        return 2

    output: TextIO
    if args.output:
        # In place at once, 0600, never through a link or into another user's file
        # (memtui.core.output_file): a recording is read while it grows.
        try:
            fd = open_stream(args.output)
        except OutputFileError as error:
            print(f"memtui: {error}", file=sys.stderr)
            return 1
        output = open(fd, "w", encoding="utf-8", newline="")  # noqa: SIM115
    else:
        output = sys.stdout
    try:
        code = _record(output, fields, args.interval, args.count, first)
    except KeyboardInterrupt:
        # Ctrl-C is the normal way to end an open-ended recording; the rows are all
        # written, and the shell is told it was interrupted, as it expects.
        code = INTERRUPTED
    except BrokenPipeError:
        # `memtui record | head`: stop quietly; point stdout at /dev/null so the
        # interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except OSError as error:
        print(f"memtui: writing the recording failed: {error.strerror}", file=sys.stderr)
        code = 1
    if output is not sys.stdout:
        try:
            output.close()
        except OSError as error:
            # close() flushes what is still buffered: a full disk may say so only now,
            # or say again what the write above already reported.
            if code == 0:
                print(f"memtui: writing the recording failed: {error.strerror}", file=sys.stderr)
                code = 1
    return code


def _record(
    output: TextIO, fields: list[str], interval: float, count: int | None, first: dict[str, int]
) -> int:
    output.write(csv_header(fields))
    output.flush()
    # Ticks are scheduled on the monotonic clock so rows do not drift with read time.
    start = time.monotonic()
    written = 0
    sample: dict[str, int] | None = first
    while count is None or written < count:
        if sample is None:
            try:
                sample = read_meminfo()
            except OSError as error:
                print(f"memtui: cannot read /proc/meminfo: {error.strerror}", file=sys.stderr)
                return 1
        output.write(csv_row(time.time(), fields, sample))
        output.flush()
        written += 1
        sample = None
        if count is not None and written >= count:
            break
        delay = start + written * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return 0
