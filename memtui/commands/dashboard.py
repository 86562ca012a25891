"""The interactive dashboard: check the options, then start the Textual app.

Everything that can fail on bad input (a missing recording, an unknown field) is
checked here, before the terminal switches to the app, so errors are one line on
stderr rather than a screen that flashes and vanishes.
"""

from __future__ import annotations

import argparse
import gc
import os
import stat
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from memtui.core.input_echo import echo, shorten_path
from memtui.core.leak.leak_detector import MIB, LeakDetector, LeakSettings
from memtui.core.locale_encoding import locale_is_utf8
from memtui.core.meminfo.field_selection import UnknownFieldError, default_fields, validate_fields
from memtui.core.meminfo.fields import DEFAULT_FIELDS, moving_fields
from memtui.core.meminfo.history import MIN_INTERVAL, MeminfoHistory
from memtui.core.meminfo.parser import read_meminfo
from memtui.core.model.dashboard_model import DashboardModel
from memtui.core.process_memory.process_facts import is_kernel_thread
from memtui.core.store.csv_recording import RecordingError, RecordingReader

if TYPE_CHECKING:
    from memtui.core.sources.prometheus.fleet import FleetLink


def replay_fields(recorded: list[str], sample: Mapping[str, int] | None = None) -> list[str]:
    """The dashboard's fields that were recorded, in its order, then the other ones;
    less the swap fields when ``sample``, one of the recording's, says it had none."""
    preferred = default_fields(recorded, DEFAULT_FIELDS)
    if sample is not None and "SwapTotal" not in sample:
        sample = None  # a CSV of a few columns says nothing of swap
    return moving_fields(preferred + [name for name in recorded if name not in preferred], sample)


def leak_settings(args: argparse.Namespace) -> LeakSettings:
    """The --leak-* options; rates are given in MiB/min."""
    # A system-wide verdict needs 30 s of steady rise (LeakSettings.system_min_span).
    if args.leak_window < 30:
        raise ValueError("--leak-window must be at least 30 seconds")
    return replace(
        LeakSettings(),
        window=args.leak_window,
        system_threshold=args.leak_threshold * MIB,
        process_threshold=args.leak_process_threshold * MIB,
        min_r_squared=args.leak_min_fit,
    )


def recorded_fields(path: str) -> tuple[list[str], dict[str, int]]:
    """The fields a recording holds, and one of its samples (a store's newest, a CSV's
    first), read from its start (a store's field table, a CSV's header and first row):
    a replay's errors show before the screen switches. Raises RecordingError or
    StoreError with a one-line message."""
    # Only a replay needs the store: the live dashboard starts without importing it.
    from memtui.core.store.recording_store import StoreError, StoreReader, is_store

    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0  # a missing file is said below, as it always was
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        # Read once to tell a store from a CSV, once for the fields, once for the rows:
        # a pipe would give each read a different part.
        raise RecordingError(
            f"{shorten_path(path)} is a pipe: a replay reads its recording more "
            "than once, so save it to a file first"
        )
    if is_store(path):
        reader = StoreReader(path)
        try:
            span = reader.time_range()
            if span is None:
                raise StoreError(f"{shorten_path(path)}: the store holds no samples yet")
            newest = reader.meminfo(span[1], span[1])
            return reader.fields, dict(newest[-1][1]) if newest else {}
        finally:
            reader.close()
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            reader_csv = RecordingReader(stream, source=shorten_path(path))
            first = next(iter(reader_csv), None)
            if first is None:
                raise RecordingError(f"{shorten_path(path)}: no samples after the header")
            return reader_csv.fields, dict(first[1])
    except OSError as error:
        raise RecordingError(f"{shorten_path(path)}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{shorten_path(path)}: not a text file") from None


def build_model(args: argparse.Namespace) -> DashboardModel:
    """The model the app starts from; raises ValueError with a user-facing message."""
    settings = leak_settings(args)
    if args.replay:
        recorded, sample = recorded_fields(args.replay)
        fields = (
            validate_fields(args.fields, recorded)
            if args.fields
            else replay_fields(recorded, sample)
        )
        return DashboardModel.for_replay(args.replay, fields, settings)
    if args.interval < MIN_INTERVAL:
        raise ValueError(f"--interval must be at least {MIN_INTERVAL} s")
    if args.history < args.interval * 2:
        raise ValueError("--history must hold at least two samples at --interval")
    try:
        sample = read_meminfo()
    except OSError as error:
        raise ValueError(f"cannot read /proc/meminfo: {error.strerror}") from None
    fields = (
        validate_fields(args.fields, sample)
        if args.fields
        else moving_fields(default_fields(sample, DEFAULT_FIELDS), sample)
    )
    history = MeminfoHistory(span_seconds=args.history, interval=args.interval)
    history.append(time.time(), sample)
    return DashboardModel(
        history=history,
        chart_fields=fields,
        interval=args.interval,
        leak=LeakDetector(settings, exclude={os.getpid()}),
    )


def pid_problem(pid: int) -> str | None:
    """Why ``--pid`` cannot be opened at all, checked before the screen switches."""
    facts_path = f"/proc/{pid}/stat"
    if not os.path.exists(facts_path):
        return f"no process with pid {pid}"
    if is_kernel_thread(pid):
        return f"pid {pid} is a kernel thread: it has no user memory to show"
    return None


def terminal_problem() -> str | None:
    """Why the dashboard cannot be drawn here: Textual reads keys from stdin and draws
    on stderr, and without a terminal on both it would pour escape codes into a pipe
    and wait for keys that never come."""
    streams = {"stdin": sys.__stdin__, "stderr": sys.__stderr__}
    missing = [name for name, stream in streams.items() if stream is None or not stream.isatty()]
    if not missing:
        return None
    return (
        f"the dashboard needs a terminal, and {' and '.join(missing)} "
        f"{'is not one' if len(missing) == 1 else 'are not'} (for CSV, use memtui record)"
    )


def fleet_link(args: argparse.Namespace) -> FleetLink:
    """The fleet of `--prometheus URL`; raises ValueError with a user-facing message."""
    from memtui.core.sources.prometheus.client import PrometheusClient, check_selector
    from memtui.core.sources.prometheus.credentials import load_credentials
    from memtui.core.sources.prometheus.fleet import FleetLink, FleetSource

    url = args.prometheus.strip()
    if not url.startswith(("http://", "https://")) or len(url) < 10:
        raise ValueError(f"--prometheus takes an http:// or https:// URL: {echo(url)}")
    if args.replay or args.pid is not None:
        raise ValueError("--prometheus goes without --replay and --pid")
    selector = check_selector(args.match) if args.match else None
    credentials = load_credentials(args.prometheus_auth_file)
    source = FleetSource(
        PrometheusClient(url, credentials),
        selector,
        window=args.history,
        settings=leak_settings(args),
    )
    return FleetLink(source, url, history=args.history)


def run_dashboard(args: argparse.Namespace) -> int:
    # The cyclic GC's passes during the start walk every object the imports make
    # (Textual's and Rich's modules: hundreds of thousands); a full one of 50-80 ms
    # fell inside the first frame. Off while importing; then those objects, which
    # live as long as the process, are frozen out of every later pass.
    gc.disable()
    try:
        return _start_dashboard(args)
    finally:
        gc.enable()


def _start_dashboard(args: argparse.Namespace) -> int:
    fleet: FleetLink | None = None
    if args.prometheus is not None:
        try:
            fleet = fleet_link(args)
        except ValueError as error:
            print(f"memtui: {error}", file=sys.stderr)
            return 2
    elif args.match is not None or args.prometheus_auth_file is not None:
        print("memtui: --match and --prometheus-auth-file go with --prometheus", file=sys.stderr)
        return 2
    expected: tuple[type[Exception], ...] = (RecordingError, UnknownFieldError)
    if args.replay:
        from memtui.core.store.recording_store import StoreError

        expected = (*expected, StoreError)
    try:
        model = build_model(args)
    except expected as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 2 if isinstance(error, UnknownFieldError) else 1
    except ValueError as error:
        print(f"memtui: {error}", file=sys.stderr)
        return 2
    if not model.chart_fields:
        print(
            "memtui: this kernel reports none of the default fields; use --fields", file=sys.stderr
        )
        return 2

    if args.write and args.pid is None:
        print("memtui: --write goes with --pid PID, the process it may write to", file=sys.stderr)
        return 2
    if args.pid is not None:
        problem = pid_problem(args.pid)
        if problem is not None:
            print(f"memtui: {problem}", file=sys.stderr)
            return 1

    problem = terminal_problem()
    if problem is not None:
        print(f"memtui: {problem}", file=sys.stderr)
        return 1

    # The terminal's colours as Rich (under Textual) detects them, from TERM and
    # COLORTERM on the stream Textual draws on.
    from rich.console import Console

    from memtui.app import MemtuiApp

    writer = None
    if args.write and args.pid is not None:
        # The one place a writer is made: without --write nothing in memtui can
        # write (nor imports the writer and the search it uses).
        from memtui.core.process_memory.memory_writer import MemoryWriter

        writer = MemoryWriter(args.pid)
    colors = Console(file=sys.__stderr__).color_system
    app = MemtuiApp(
        model,
        start_pid=args.pid,
        fleet=fleet,
        ascii_only=args.ascii or not locale_is_utf8(),
        color_system=colors,
        writer=writer,
    )
    gc.freeze()
    gc.enable()
    try:
        app.run()
    finally:
        if fleet is not None:
            fleet.source.close()
    return app.return_code or 0
