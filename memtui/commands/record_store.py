"""`memtui record --output FILE.db`: record into a store until SIGTERM or Ctrl-C.

Every meminfo field each ``--interval``, every process each ``--process-interval``,
/proc/pressure/memory, and the leak verdict, in one SQLite file that `memtui --replay`
opens and `memtui export` turns back into CSV.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from memtui.core.store.recorder import Recorder
from memtui.core.store.recording_store import StoreError, StoreWriter
from memtui.entry_point import INTERRUPTED


class _Terminated(Exception):
    """SIGTERM: how a service manager ends a recording, a normal end (exit 0)."""


def _stop_on_sigterm() -> None:
    def stop(signum: int, frame: object) -> None:
        raise _Terminated

    signal.signal(signal.SIGTERM, stop)


def run_record_store(args: argparse.Namespace) -> int:
    if args.fields:
        print(
            "memtui record: --fields chooses a CSV's columns; a store keeps every field"
            " (choose them later with `memtui export STORE --csv --fields ...`)",
            file=sys.stderr,
        )
        return 2
    _stop_on_sigterm()
    try:
        writer = StoreWriter(
            args.output,
            retain=args.retain,
            max_size=args.max_size,
            interval=args.interval,
            process_interval=args.process_interval,
        )
    except StoreError as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 1
    recorder = Recorder(writer, interval=args.interval, process_interval=args.process_interval)
    status = 0
    try:
        while args.count is None or recorder.samples < args.count:
            delay = recorder.tick()
            if args.count is not None and recorder.samples >= args.count:
                break
            if delay > 0:
                time.sleep(delay)
    except _Terminated:
        pass  # the normal end of an open-ended recording under systemd
    except KeyboardInterrupt:
        status = INTERRUPTED  # Ctrl-C: the recording is whole; the shell hears 130
    except StoreError as error:
        print(f"memtui: {error}", file=sys.stderr)
        status = 1
    except OSError as error:
        print(f"memtui: recording failed: {error.strerror or error}", file=sys.stderr)
        status = 1
    finally:
        # A second signal while closing must not cut the last commit short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            recorder.close()
        except StoreError as error:
            print(f"memtui: {error}", file=sys.stderr)
            status = 1
    return status
