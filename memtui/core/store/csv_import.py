"""A CSV recording turned into a store, so a replay of either travels the same way.

Linear in the file, with progress: the replay's first frame shows while a long CSV
is still being read. The store is a temporary file that nothing else can open (mode
0600, deleted as soon as the replay has it open).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable

from memtui.core.input_echo import shorten_path
from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.store.csv_recording import MAX_ROWS, RecordingError, RecordingReader
from memtui.core.store.recording_store import MEMINFO, StoreWriter

PROGRESS_EVERY = 20_000


def import_csv(
    path: str,
    progress: Callable[[int], object] | None = None,
    max_rows: int = MAX_ROWS,
) -> tuple[str, bool]:
    """Read the CSV at ``path`` into a new temporary store; return its path and whether
    the CSV had more rows than ``max_rows``. Raises RecordingError."""
    handle, store_path = tempfile.mkstemp(prefix="memtui-replay-", suffix=".db")
    os.close(handle)
    os.unlink(store_path)  # the writer creates it, exclusively
    try:
        writer = StoreWriter(store_path, durable=False, process_interval=0.0)
        history = MeminfoHistory(
            span_seconds=60.0,
            capacity=64,
            on_bucket=lambda width, t, means: writer.add_rollup(MEMINFO, int(width), t, means),
        )
        try:
            with open(path, newline="", encoding="utf-8") as stream:
                reader = RecordingReader(stream, source=shorten_path(path), max_rows=max_rows)
                for number, (timestamp, sample) in enumerate(reader, 1):
                    if not history.append(timestamp, sample):
                        raise RecordingError(
                            f"{shorten_path(path)}: line {number + 1}: "
                            "the timestamp goes back in time"
                        )
                    writer.add_meminfo(timestamp, sample)
                    if number % PROGRESS_EVERY == 0:
                        writer.flush(force=True)
                        if progress is not None:
                            progress(number)
                if reader.rows == 0:
                    raise RecordingError(f"{shorten_path(path)}: no samples after the header")
        except OSError as error:
            raise RecordingError(f"{shorten_path(path)}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise RecordingError(f"{shorten_path(path)}: not a text file") from None
        finally:
            writer.close()
    except BaseException:
        _remove(store_path)
        raise
    return store_path, reader.truncated


def _remove(path: str) -> None:
    for name in (path, f"{path}-journal", f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
