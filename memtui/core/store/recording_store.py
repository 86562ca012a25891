"""The recording store: one SQLite file holding what `memtui record` saw, for replay.

What it holds (every time is Unix seconds):

- ``frame``: samples of three series, each row one moment, encoded as what changed
  since the row before (:mod:`memtui.core.store.frame_codec`), with a key frame every
  :data:`KEY_EVERY` rows so any stretch decodes from the key frame before it. Rows
  are appended in time order under a rowid, so pages fill densely; the index on
  (series, level, t) finds a stretch (keyed on it instead, interleaved inserts left
  two thirds of every page empty):

  - ``MEMINFO``: every /proc/meminfo field, in bytes (HugePages_* as counts);
  - ``PROCESSES``: each live process's RSS and swap, in KiB;
  - ``PRESSURE``: /proc/pressure/memory, ``some``/``full`` avg10 (hundredths of a
    percent) and total (microseconds).

  ``level`` 0 holds the samples themselves; levels 10, 60 and 600 hold the means of
  10 s, 1 min and 10 min buckets (as the live history keeps them), so a replay reads
  a day of trend as 1,440 rows instead of 86,400.
- ``field`` and ``process``: what the ids in frames stand for. A process is its pid
  *and* start time, so a reused pid is a new process. Its name, command line and
  user are a row of ``command``, which every run of the same job shares (a day of
  a compile loop is 200,000 processes of a few commands). Version 1 stores held
  them in ``process`` itself; they are still read, and appended to as they are.
- ``pss``: PSS and USS per process, at the slower cadence they are read at.
- ``verdict``: the leak verdict as it was, whenever it changed.
- ``session``: each run of the recorder: its pid (never named as a leaker), host,
  kernel, intervals.

Crash safety: WAL journal, ``synchronous=FULL``, a commit every
:data:`FLUSH_INTERVAL` seconds and a checkpoint every minute; a kill -9 or a power
cut loses at most the samples since the last commit, and SQLite opens what is left.
Size: ``retain`` seconds of history (older rows are deleted, the file's pages reused)
and ``max_size`` bytes (the oldest raw samples go first, the coarse means last, so
long trends outlive the detail).
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from memtui.core.input_echo import shorten_path
from memtui.core.output_file import OutputFileError, check_in_place
from memtui.core.processes.process_table import ProcessRow
from memtui.core.store.frame_codec import CorruptFrame, Values, decode, encode

FORMAT = "memtui recording store"
VERSION = 2
"""Version 2 deflates large frames (frame_codec.DEFLATED); version 1 stores are read,
and appended to without it, so that the memtui that wrote them still reads them."""
READ_VERSIONS = (1, 2)

MEMINFO = 0
PROCESSES = 1
PRESSURE = 2
_WIDTHS = {MEMINFO: 1, PROCESSES: 2, PRESSURE: 1}
RAW = 0
ROLLUP_LEVELS = (10, 60, 600)
PROCESS_ROLLUP_LEVELS = (60, 600)

KEY_EVERY = 60
"""A key frame every this many frames of a series and level: a raw stretch decodes
from at most a minute of frames before it."""
FLUSH_INTERVAL = 2.0
PAGE_SIZE = 4096
COMMANDS_CACHED = 4096
"""Commands whose ids the writer remembers (the rest are looked up in the store)."""
CHECKPOINT_INTERVAL = 60.0
MAINTAIN_INTERVAL = 600.0
DEFAULT_RETAIN = 7 * 86400.0
DEFAULT_MAX_SIZE = 1 << 30
PRESSURE_FIELDS = ("some_avg10", "full_avg10", "some_total", "full_total")

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE field(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE command(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    cmdline TEXT NOT NULL,
    user TEXT
);
CREATE INDEX command_text ON command(cmdline, name);
CREATE TABLE process(
    id INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL,
    start_time REAL NOT NULL,
    command INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    UNIQUE(pid, start_time)
);
CREATE TABLE frame(
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL,
    level INTEGER NOT NULL,
    t REAL NOT NULL,
    key INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX frame_at ON frame(series, level, t);
CREATE TABLE pss(
    process_id INTEGER NOT NULL,
    t REAL NOT NULL,
    pss INTEGER,
    uss INTEGER,
    PRIMARY KEY(process_id, t)
) WITHOUT ROWID;
CREATE TABLE verdict(
    t REAL PRIMARY KEY,
    suspected INTEGER NOT NULL,
    pid INTEGER,
    process_id INTEGER,
    name TEXT,
    rate REAL,
    held_for REAL,
    evidence TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE session(
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    ended REAL,
    pid INTEGER NOT NULL,
    start_time REAL NOT NULL,
    hostname TEXT NOT NULL,
    kernel TEXT NOT NULL,
    interval REAL NOT NULL,
    process_interval REAL NOT NULL
);
"""


class StoreError(Exception):
    """A store that cannot be opened or written; the message says which and why."""


def is_store(path: str) -> bool:
    """Whether ``path`` starts like an SQLite file (a store, or something else SQLite)."""
    try:
        with open(path, "rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _check_own_file(path: str) -> None:
    """Refuse a path that is a symbolic link, not a regular file, or someone else's:
    the store and SQLite's -wal and -shm beside it must all be the user's own
    (the rules of every file memtui writes, :mod:`memtui.core.output_file`)."""
    for candidate in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        try:
            check_in_place(candidate)
        except OutputFileError as error:
            raise StoreError(str(error)) from None


def _connect(path: str, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            uri = "file:" + path.replace("?", "%3f").replace("#", "%23") + "?mode=ro"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as error:
        raise StoreError(f"{shorten_path(path)}: {error}") from None
    return connection


@dataclass(frozen=True, slots=True)
class StoredProcess:
    """One row of ``process``."""

    id: int
    pid: int
    start_time: float
    name: str
    cmdline: str
    user: str | None
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class StoredVerdict:
    """One row of ``verdict``: the verdict as the recorder saw it at ``t``."""

    t: float
    suspected: bool
    pid: int | None
    name: str | None
    rate: float | None
    held_for: float
    evidence: str
    text: str


@dataclass(frozen=True, slots=True)
class StoredSession:
    started: float
    ended: float | None
    pid: int
    start_time: float
    hostname: str
    kernel: str
    interval: float
    process_interval: float


class _SeriesState:
    """The writer's memory of one series and level: the last frame, for deltas."""

    __slots__ = ("count", "previous")

    def __init__(self) -> None:
        self.previous: Mapping[int, Values] | None = None
        self.count = 0


class StoreWriter:
    """Appends to a store, creating it if new. One thread uses it."""

    def __init__(
        self,
        path: str,
        *,
        retain: float = DEFAULT_RETAIN,
        max_size: int = DEFAULT_MAX_SIZE,
        interval: float = 1.0,
        process_interval: float = 5.0,
        durable: bool = True,
    ) -> None:
        """``durable`` False (a replay's temporary import) skips the journal and fsyncs."""
        self.path = path
        self.durable = durable
        self.retain = retain
        self.max_size = max_size
        _check_own_file(path)
        new = not os.path.exists(path)
        if new:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            except OSError as error:
                raise StoreError(
                    f"cannot create {shorten_path(path)}: {error.strerror or error}"
                ) from None
            os.close(fd)
        elif not is_store(path):
            raise StoreError(
                f"{shorten_path(path)} exists and is not a memtui recording store: "
                "refusing to overwrite it"
            )
        self._db = _connect(path, readonly=False)
        self._version = VERSION
        try:
            self._prepare(new)
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise StoreError(f"{shorten_path(path)}: {error}") from None
        self._fields: dict[str, int] = dict(
            (name, ident) for ident, name in self._db.execute("SELECT id, name FROM field")
        )
        self._processes: dict[tuple[int, float], int] = {}
        self._commands: OrderedDict[tuple[str, str, str | None], int] = OrderedDict()
        self._process_seen: dict[int, float] = {}
        self._pss_written: dict[int, tuple[float, int | None, int | None]] = {}
        self._states: dict[tuple[int, int], _SeriesState] = {}
        self._rows: list[tuple[int, int, float, int, bytes]] = []
        self._other: list[tuple[str, Sequence[object]]] = []
        self._last_flush = self._last_checkpoint = self._last_maintain = time.monotonic()
        self._last_verdict: tuple[bool, int | None, str] | None = None
        self._last_verdict_t = -math.inf
        self._session = self._start_session(interval, process_interval)
        self._sampled = False

    def _prepare(self, new: bool) -> None:
        db = self._db
        if new:
            # Before anything is written: a page's size is fixed once the file has one.
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        if self.durable:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
        else:
            db.execute("PRAGMA journal_mode=MEMORY")
            db.execute("PRAGMA synchronous=OFF")
        if new:
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            db.execute("BEGIN")
            for statement in _statements():
                db.execute(statement)
            db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [("format", FORMAT), ("version", str(VERSION))],
            )
            db.execute("COMMIT")
        else:
            self._version = check_format(db, self.path)

    def _start_session(self, interval: float, process_interval: float) -> int:
        uname = os.uname()
        start_time = _own_start_time()
        cursor = self._db.execute(
            "INSERT INTO session(started, ended, pid, start_time, hostname, kernel, interval,"
            " process_interval) VALUES (?, NULL, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                os.getpid(),
                start_time,
                uname.nodename,
                uname.release,
                interval,
                process_interval,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    # -- adding samples --------------------------------------------------------------

    def _field_id(self, name: str) -> int:
        ident = self._fields.get(name)
        if ident is None:
            cursor = self._db.execute("INSERT INTO field(name) VALUES (?)", (name,))
            assert cursor.lastrowid is not None
            ident = self._fields[name] = cursor.lastrowid
        return ident

    def _frame(self, series: int, level: int, t: float, current: Mapping[int, Values]) -> None:
        state = self._states.setdefault((series, level), _SeriesState())
        key = state.previous is None or state.count % KEY_EVERY == 0
        data = encode(current, None if key else state.previous, _WIDTHS[series], self._version >= 2)
        self._rows.append((series, level, t, int(key), data))
        state.previous = current
        state.count += 1

    def add_meminfo(self, t: float, sample: Mapping[str, int]) -> None:
        if not self._sampled:
            # A session begins with its first sample (a replay then knows which
            # processes started while it was watching).
            self._sampled = True
            self._other.append(("UPDATE session SET started = ? WHERE id = ?", (t, self._session)))
        self._frame(MEMINFO, RAW, t, {self._field_id(n): (int(v),) for n, v in sample.items()})

    def add_pressure(self, t: float, values: Mapping[str, int]) -> None:
        frame = {
            PRESSURE_FIELDS.index(n): (int(v),) for n, v in values.items() if n in PRESSURE_FIELDS
        }
        state = self._states.get((PRESSURE, RAW))
        if state is not None and state.previous == frame:
            return  # unchanged (an idle machine's PSI): nothing to write
        self._frame(PRESSURE, RAW, t, frame)

    def process_id(
        self, pid: int, start_time: float, name: str, cmdline: str, user: str | None, t: float
    ) -> int:
        key = (pid, start_time)
        ident = self._processes.get(key)
        if ident is None:
            row = self._db.execute(
                "SELECT id FROM process WHERE pid = ? AND start_time = ?", key
            ).fetchone()
            if row is not None:
                ident = int(row[0])
            elif self._version < 2:
                cursor = self._db.execute(
                    "INSERT INTO process(pid, start_time, name, cmdline, user, first_seen,"
                    " last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (pid, start_time, storable(name), storable(cmdline), user, t, t),
                )
                assert cursor.lastrowid is not None
                ident = cursor.lastrowid
            else:
                command = self._command_id(storable(name), storable(cmdline), user)
                cursor = self._db.execute(
                    "INSERT INTO process(pid, start_time, command, first_seen, last_seen)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (pid, start_time, command, t, t),
                )
                assert cursor.lastrowid is not None
                ident = cursor.lastrowid
            self._processes[key] = ident
        self._process_seen[ident] = t
        return ident

    def _command_id(self, name: str, cmdline: str, user: str | None) -> int:
        key = (name, cmdline, user)
        commands = self._commands
        ident = commands.get(key)
        if ident is not None:
            commands.move_to_end(key)
            return ident
        row = self._db.execute(
            "SELECT id FROM command WHERE cmdline = ? AND name = ? AND user IS ?",
            (cmdline, name, user),
        ).fetchone()
        if row is None:
            cursor = self._db.execute(
                "INSERT INTO command(name, cmdline, user) VALUES (?, ?, ?)", key
            )
            assert cursor.lastrowid is not None
            ident = cursor.lastrowid
        else:
            ident = int(row[0])
        commands[key] = ident
        if len(commands) > COMMANDS_CACHED:
            commands.popitem(last=False)
        return ident

    def add_processes(self, t: float, rows: Iterable[ProcessRow]) -> None:
        """One process sample: every row with an RSS, and its PSS/USS when newly read."""
        frame: dict[int, Values] = {}
        live: set[tuple[int, float]] = set()
        for row in rows:
            if row.rss is None:
                continue  # kernel threads, zombies: no memory to record
            key = (row.pid, row.create_time)
            ident = self.process_id(row.pid, row.create_time, row.name, row.cmdline, row.user, t)
            live.add(key)
            frame[ident] = (_kib(row.rss), _kib(row.swap or 0))
            if row.pss_read_at is not None:
                reading = (row.pss_read_at, row.pss, row.uss)
                last = self._pss_written.get(ident)
                if last is None or (last[0] < reading[0] and last[1:] != reading[1:]):
                    self._other.append(
                        (
                            "INSERT OR REPLACE INTO pss(process_id, t, pss, uss)"
                            " VALUES (?, ?, ?, ?)",
                            (ident, t, row.pss, row.uss),
                        )
                    )
                    self._pss_written[ident] = reading
        for key in [key for key in self._processes if key not in live]:
            ident = self._processes.pop(key)
            seen = self._process_seen.pop(ident, t)
            self._other.append(("UPDATE process SET last_seen = ? WHERE id = ?", (seen, ident)))
            self._pss_written.pop(ident, None)
        self._frame(PROCESSES, RAW, t, frame)

    def add_rollup(
        self,
        series: int,
        width: int,
        t: float,
        values: Mapping[object, float | tuple[float, float]],
    ) -> None:
        """A bucket mean: meminfo fields by name, processes by (pid, start) -> (rss, swap)."""
        frame: dict[int, Values] = {}
        if series == MEMINFO:
            for name, value in values.items():
                if isinstance(value, float) and not math.isnan(value):
                    frame[self._field_id(str(name))] = (round(value),)
        else:
            for key, pair in values.items():
                ident = self._processes.get(key)  # type: ignore[call-overload]
                if ident is None or not isinstance(pair, tuple) or math.isnan(pair[0]):
                    continue
                frame[ident] = (_kib(pair[0]), _kib(0.0 if math.isnan(pair[1]) else pair[1]))
        self._frame(series, width, t, frame)

    def add_verdict(
        self,
        t: float,
        *,
        suspected: bool,
        pid: int | None,
        start_time: float | None,
        name: str | None,
        rate: float | None,
        held_for: float,
        evidence: str,
        text: str,
    ) -> None:
        """Store the verdict when it changes, and each minute while it holds."""
        state = (suspected, pid, evidence)
        if state == self._last_verdict and not (suspected and t - self._last_verdict_t >= 60):
            return
        self._last_verdict = state
        self._last_verdict_t = t
        process_id = None
        if pid is not None and start_time is not None:
            process_id = self._processes.get((pid, start_time))
        self._other.append(
            (
                "INSERT OR REPLACE INTO verdict(t, suspected, pid, process_id, name, rate,"
                " held_for, evidence, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (t, int(suspected), pid, process_id, name, rate, held_for, evidence, text),
            )
        )

    # -- committing ------------------------------------------------------------------

    def flush(self, force: bool = False) -> None:
        """Commit what has been added, at most every FLUSH_INTERVAL unless ``force``."""
        now = time.monotonic()
        if not force and now - self._last_flush < FLUSH_INTERVAL:
            return
        self._last_flush = now
        db = self._db
        try:
            db.execute("BEGIN")
            db.executemany(
                "INSERT OR REPLACE INTO frame(series, level, t, key, data) VALUES (?, ?, ?, ?, ?)",
                self._rows,
            )
            for sql, parameters in self._other:
                db.execute(sql, parameters)
            db.executemany(
                "UPDATE process SET last_seen = ? WHERE id = ?",
                [(seen, ident) for ident, seen in self._process_seen.items()],
            )
            db.execute("UPDATE session SET ended = ? WHERE id = ?", (time.time(), self._session))
            db.execute("COMMIT")
        except sqlite3.Error as error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise StoreError(f"writing {self.path} failed: {error}") from None
        self._rows.clear()
        self._other.clear()
        if self.durable and (force or now - self._last_checkpoint >= CHECKPOINT_INTERVAL):
            self._last_checkpoint = now
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if now - self._last_maintain >= MAINTAIN_INTERVAL:
            self._last_maintain = now
            self.maintain()

    def maintain(self, now: float | None = None) -> None:
        """Drop what is older than ``retain``, then the oldest detail while the file is
        over ``max_size``."""
        cutoff = (time.time() if now is None else now) - self.retain
        db = self._db
        db.execute("BEGIN")
        for series, level in self._levels():
            _delete_before(db, series, level, cutoff)
        db.execute("DELETE FROM pss WHERE t < ?", (cutoff,))
        db.execute("DELETE FROM verdict WHERE t < ?", (cutoff,))
        gone = db.execute("DELETE FROM process WHERE last_seen < ?", (cutoff,)).rowcount
        if self._version >= 2 and gone > 0:
            # Commands no process runs any more (a scan of every process: only when
            # some went).
            db.execute("DELETE FROM command WHERE id NOT IN (SELECT command FROM process)")
            self._commands.clear()
        db.execute("COMMIT")
        db.execute("PRAGMA incremental_vacuum")
        # Over the size limit: the oldest hour of the finest level goes, then the next.
        for series, level in sorted(self._levels(), key=lambda sl: (sl[1], sl[0])):
            while self.size() > self.max_size:
                first = db.execute(
                    "SELECT MIN(t) FROM frame WHERE series = ? AND level = ?", (series, level)
                ).fetchone()[0]
                last = db.execute(
                    "SELECT MAX(t) FROM frame WHERE series = ? AND level = ?", (series, level)
                ).fetchone()[0]
                if first is None or last is None or last - first < 3600:
                    break
                db.execute("BEGIN")
                _delete_before(db, series, level, first + 3600)
                db.execute("COMMIT")
                db.execute("PRAGMA incremental_vacuum")

    def _levels(self) -> list[tuple[int, int]]:
        return [
            (int(series), int(level))
            for series, level in self._db.execute("SELECT DISTINCT series, level FROM frame")
        ]

    def size(self) -> int:
        """Bytes in use: the file's pages less the free ones, plus the WAL."""
        db = self._db
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * page_size)

    def close(self) -> None:
        """Commit everything, checkpoint the WAL into the file, close."""
        try:
            self.flush(force=True)
            if self.durable:
                # Back to a rollback journal: the WAL is folded in and removed, and
                # the store is one file again until the next writer opens it.
                self._db.execute("PRAGMA journal_mode=DELETE")
        finally:
            self._db.close()


def _statements() -> list[str]:
    return [part.strip() for part in _SCHEMA.split(";") if part.strip()]


def storable(text: str) -> str:
    """Text SQLite can hold: bytes that were not UTF-8 (kept by Python as surrogates in
    command lines and names) become backslash escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def _kib(value: float) -> int:
    return round(value / 1024)


def _own_start_time() -> float:
    """This process's start time as psutil gives it, to key it like any process."""
    import psutil  # the recorder samples processes with it anyway

    return float(psutil.Process().create_time())


def _delete_before(db: sqlite3.Connection, series: int, level: int, cutoff: float) -> None:
    """Delete the frames of one series and level before ``cutoff``, keeping the key frame
    the first kept frame decodes from."""
    row = db.execute(
        "SELECT MAX(t) FROM frame WHERE series = ? AND level = ? AND key = 1 AND t <= ?",
        (series, level, cutoff),
    ).fetchone()
    if row is None or row[0] is None:
        return
    db.execute(
        "DELETE FROM frame WHERE series = ? AND level = ? AND t < ?", (series, level, row[0])
    )


def check_format(db: sqlite3.Connection, path: str) -> int:
    """The store's format version; StoreError if this memtui cannot read it."""
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as error:
        raise StoreError(
            f"{shorten_path(path)} is not a memtui recording store ({error})"
        ) from None
    if meta.get("format") != FORMAT:
        raise StoreError(f"{shorten_path(path)} is not a memtui recording store")
    version = meta.get("version", "?")
    if version not in {str(known) for known in READ_VERSIONS}:
        known = " and ".join(str(number) for number in READ_VERSIONS)
        raise StoreError(
            f"{shorten_path(path)} is a store of format version {version}; "
            f"this memtui reads versions {known}"
        )
    return int(version)


class StoreReader:
    """Reads a store: time ranges of samples, decoded. One thread uses it."""

    def __init__(self, path: str) -> None:
        self.path = path
        if not os.path.exists(path):
            raise StoreError(f"{shorten_path(path)}: no such file")
        if not is_store(path):
            raise StoreError(f"{shorten_path(path)} is not a memtui recording store")
        self._db = _connect(path, readonly=True)
        try:
            self._version = check_format(self._db, path)
            self._fields = {
                int(ident): str(name)
                for ident, name in self._db.execute("SELECT id, name FROM field")
            }
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise StoreError(f"{shorten_path(path)}: {error}") from None

    def close(self) -> None:
        self._db.close()

    def refresh(self) -> None:
        """Re-read the field names (a recorder may still be writing the store)."""
        self._fields = {
            int(ident): str(name) for ident, name in self._db.execute("SELECT id, name FROM field")
        }

    @property
    def fields(self) -> list[str]:
        return [self._fields[ident] for ident in sorted(self._fields)]

    def time_range(self) -> tuple[float, float] | None:
        row = self._db.execute(
            "SELECT MIN(t), MAX(t) FROM frame WHERE series = ? AND level = ?", (MEMINFO, RAW)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return float(row[0]), float(row[1])

    def sample_count(self) -> int:
        return int(
            self._db.execute(
                "SELECT COUNT(*) FROM frame WHERE series = ? AND level = ?", (MEMINFO, RAW)
            ).fetchone()[0]
        )

    def sample_time(self, near: float, direction: int) -> float | None:
        """The raw sample time after (``direction`` 1) or before (-1) ``near``."""
        if direction > 0:
            sql = "SELECT MIN(t) FROM frame WHERE series = ? AND level = ? AND t > ?"
        else:
            sql = "SELECT MAX(t) FROM frame WHERE series = ? AND level = ? AND t < ?"
        row = self._db.execute(sql, (MEMINFO, RAW, near)).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def _frames(
        self, series: int, level: int, start: float, end: float
    ) -> list[tuple[float, dict[int, Values]]]:
        """Decoded frames with ``start <= t <= end``, decoded from the key frame before."""
        db = self._db
        row = db.execute(
            "SELECT MAX(t) FROM frame WHERE series = ? AND level = ? AND key = 1 AND t <= ?",
            (series, level, start),
        ).fetchone()
        begin = row[0] if row is not None and row[0] is not None else start
        rows = db.execute(
            "SELECT t, data FROM frame WHERE series = ? AND level = ? AND t >= ? AND t <= ?"
            " ORDER BY t",
            (series, level, begin, end),
        ).fetchall()
        width = _WIDTHS[series]
        decoded: list[tuple[float, dict[int, Values]]] = []
        previous: dict[int, Values] | None = None
        for t, data in rows:
            try:
                frame, _ = decode(data, previous, width)
            except CorruptFrame:
                previous = None  # wait for the next key frame
                continue
            previous = frame
            if t >= start:
                decoded.append((float(t), frame))
        return decoded

    def meminfo(self, start: float, end: float) -> list[tuple[float, dict[str, int]]]:
        """Raw meminfo samples from ``start`` to ``end``, fields by name."""
        self._ensure_fields()
        names = self._fields
        return [
            (t, {names[i]: values[0] for i, values in frame.items() if i in names})
            for t, frame in self._frames(MEMINFO, RAW, start, end)
        ]

    def meminfo_means(
        self, width: int, start: float, end: float
    ) -> tuple[list[float], dict[str, list[float]]]:
        """Stored bucket means of ``width`` seconds: times, and a column per field."""
        self._ensure_fields()
        frames = self._frames(MEMINFO, width, start, end)
        times = [t for t, _ in frames]
        columns: dict[str, list[float]] = {}
        for position, (_, frame) in enumerate(frames):
            for ident, values in frame.items():
                name = self._fields.get(ident)
                if name is None:
                    continue
                column = columns.get(name)
                if column is None:
                    column = columns[name] = [math.nan] * len(frames)
                column[position] = float(values[0])
        return times, columns

    def _ensure_fields(self) -> None:
        count = self._db.execute("SELECT COUNT(*) FROM field").fetchone()[0]
        if count != len(self._fields):
            self.refresh()

    def processes(self, start: float, end: float) -> list[tuple[float, dict[int, tuple[int, int]]]]:
        """Raw process samples: per time, process id -> (RSS, swap) in bytes."""
        return [
            (t, {ident: (v[0] * 1024, v[1] * 1024) for ident, v in frame.items()})
            for t, frame in self._frames(PROCESSES, RAW, start, end)
        ]

    def process_means(
        self, width: int, start: float, end: float
    ) -> tuple[list[float], dict[int, tuple[list[float], list[float]]]]:
        """Stored bucket means of RSS and swap per process id, in bytes."""
        frames = self._frames(PROCESSES, width, start, end)
        times = [t for t, _ in frames]
        columns: dict[int, tuple[list[float], list[float]]] = {}
        for position, (_, frame) in enumerate(frames):
            for ident, (rss, swap) in frame.items():
                pair = columns.get(ident)
                if pair is None:
                    pair = columns[ident] = ([math.nan] * len(frames), [math.nan] * len(frames))
                pair[0][position] = rss * 1024.0
                pair[1][position] = swap * 1024.0
        return times, columns

    def pressure(self, start: float, end: float) -> list[tuple[float, dict[str, int]]]:
        return [
            (t, {PRESSURE_FIELDS[i]: v[0] for i, v in frame.items() if i < len(PRESSURE_FIELDS)})
            for t, frame in self._frames(PRESSURE, RAW, start, end)
        ]

    def process_rows(self, ids: Iterable[int]) -> dict[int, StoredProcess]:
        wanted = sorted(set(ids))
        found: dict[int, StoredProcess] = {}
        for index in range(0, len(wanted), 500):
            chunk = wanted[index : index + 500]
            marks = ",".join("?" * len(chunk))
            if self._version < 2:
                sql = (
                    "SELECT id, pid, start_time, name, cmdline, user, first_seen, last_seen"
                    f" FROM process WHERE id IN ({marks})"
                )
            else:
                sql = (
                    "SELECT p.id, p.pid, p.start_time, c.name, c.cmdline, c.user,"
                    " p.first_seen, p.last_seen FROM process p JOIN command c"
                    f" ON c.id = p.command WHERE p.id IN ({marks})"
                )
            for row in self._db.execute(sql, chunk):
                found[int(row[0])] = StoredProcess(*row)
        return found

    def pss_at(
        self, ids: Iterable[int], at: float
    ) -> dict[int, tuple[float, int | None, int | None]]:
        """The newest PSS and USS read at or before ``at``, per process id."""
        found: dict[int, tuple[float, int | None, int | None]] = {}
        for ident in ids:
            row = self._db.execute(
                "SELECT t, pss, uss FROM pss WHERE process_id = ? AND t <= ? ORDER BY t DESC"
                " LIMIT 1",
                (ident, at),
            ).fetchone()
            if row is not None:
                found[ident] = (float(row[0]), row[1], row[2])
        return found

    def pss_readings(
        self, ident: int, start: float, end: float
    ) -> list[tuple[float, int | None, int | None]]:
        """(time, PSS, USS) of one process from ``start`` to ``end``, oldest first."""
        return [
            (float(t), pss, uss)
            for t, pss, uss in self._db.execute(
                "SELECT t, pss, uss FROM pss WHERE process_id = ? AND t >= ? AND t <= ? ORDER BY t",
                (ident, start, end),
            )
        ]

    def verdicts(self, start: float, end: float) -> list[StoredVerdict]:
        return [
            StoredVerdict(float(t), bool(s), pid, name, rate, float(held or 0.0), evidence, text)
            for t, s, pid, name, rate, held, evidence, text in self._db.execute(
                "SELECT t, suspected, pid, name, rate, held_for, evidence, text FROM verdict"
                " WHERE t >= ? AND t <= ? ORDER BY t",
                (start, end),
            )
        ]

    def verdict_at(self, at: float) -> StoredVerdict | None:
        row = self._db.execute(
            "SELECT t, suspected, pid, name, rate, held_for, evidence, text FROM verdict"
            " WHERE t <= ? ORDER BY t DESC LIMIT 1",
            (at,),
        ).fetchone()
        if row is None:
            return None
        t, s, pid, name, rate, held, evidence, text = row
        return StoredVerdict(float(t), bool(s), pid, name, rate, float(held or 0.0), evidence, text)

    def sessions(self) -> list[StoredSession]:
        return [
            StoredSession(*row)
            for row in self._db.execute(
                "SELECT started, ended, pid, start_time, hostname, kernel, interval,"
                " process_interval FROM session ORDER BY started"
            )
        ]
