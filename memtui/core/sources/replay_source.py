"""A recording store opened for time travel: pages of history around a time cursor.

Every sample within :data:`PAGE_BEHIND` before and :data:`PAGE_AHEAD` after the cursor
is read, and before that the stored bucket means as far back as the live history
keeps them (6 hours of 10 s means, 2 days of 1 min, 30 days of 10 min), so stepping
through a quarter of an hour needs no read and the verdict's long fits see what a
live run would have seen. A page of a 24-hour store reads ~10,000 rows.

A page can come in two steps: the meminfo first (a fraction of a second, enough for
the first frame), then its processes (:meth:`ReplaySource.with_processes`: the bulk
of a busy day's page, seconds for 500 processes), so a replay shows its charts at
once and its verdict and picker when the processes are in.

Only one thread may use a source at a time (the app's replay worker).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from memtui.core.meminfo.history import MeminfoHistory, capacity_for
from memtui.core.processes.process_history import (
    PROCESS_TIERS,
    ProcessHistories,
    ProcessInfo,
    ProcessKey,
)
from memtui.core.sources.history_page import HistoryPage, RecordedSample
from memtui.core.store.recording_store import StoredProcess, StoreError, StoreReader
from memtui.core.tiered_series import TIERS

PAGE_BEHIND = 900.0
PAGE_AHEAD = 900.0
MARKS = 200
MARK_GAP = 300.0


def _info(row: StoredProcess) -> ProcessInfo:
    return ProcessInfo(
        row.pid, row.start_time, row.name, row.cmdline, row.user, row.first_seen, row.last_seen
    )


class ReplaySource:
    """Reads pages of a store for a cursor."""

    def __init__(self, reader: StoreReader, label: str | None = None) -> None:
        self.reader = reader
        self.label = label or reader.path
        span = reader.time_range()
        if span is None:
            raise StoreError(f"{reader.path}: the store holds no samples yet")
        self.first, self.last = span
        sessions = reader.sessions()
        self.sessions = sessions
        self.exclude = frozenset(session.pid for session in sessions)
        self.has_processes = bool(sessions) and any(s.process_interval > 0 for s in sessions)

    @classmethod
    def open(cls, path: str) -> ReplaySource:
        return cls(StoreReader(path))

    def close(self) -> None:
        self.reader.close()

    def refresh(self) -> None:
        """See samples a recorder added since the store was opened."""
        self.reader.refresh()
        span = self.reader.time_range()
        if span is not None:
            self.first, self.last = span

    def clamp(self, at: float) -> float:
        return min(max(at, self.first), self.last)

    def load(self, at: float, *, with_processes: bool = True) -> HistoryPage:
        """The page around ``at`` (clamped to the recording). Without
        ``with_processes``, a recording's processes are left for
        :meth:`with_processes` (the page says ``processes_pending``)."""
        at = self.clamp(at)
        reader = self.reader
        raw_from, raw_to = at - PAGE_BEHIND, at + PAGE_AHEAD
        samples = reader.meminfo(raw_from, raw_to)
        history = MeminfoHistory(
            span_seconds=PAGE_BEHIND + PAGE_AHEAD,
            capacity=max(2, len(samples), capacity_for(60.0)),
        )
        for width, keep in TIERS:
            times, columns = reader.meminfo_means(int(width), at - keep, raw_to)
            history.tiered.load_tier(width, times, columns)
        for t, sample in samples:
            history.append(t, sample)

        page = HistoryPage(
            history=history,
            processes=self._new_processes(at),
            raw_from=samples[0][0] if samples else raw_from,
            raw_to=samples[-1][0] if samples else raw_to,
            first=self.first,
            last=self.last,
            exclude=self.exclude,
            has_processes=self.has_processes,
            at=at,
        )
        if self.has_processes:
            if with_processes:
                self._load_processes(page, at, raw_from, raw_to)
            else:
                page.processes_pending = True
        page.marks = self.verdict_marks(self.first, self.last)[-MARKS:]
        return page

    def with_processes(self, page: HistoryPage) -> HistoryPage:
        """``page`` (loaded without its processes) with them: a new page sharing its
        meminfo, so the UI may keep reading the old one meanwhile."""
        if not page.processes_pending:
            return page
        at = page.at
        full = dataclasses.replace(
            page,
            processes=self._new_processes(at),
            samples=[],
            infos={},
            pss={},
            processes_pending=False,
        )
        self._load_processes(full, at, at - PAGE_BEHIND, at + PAGE_AHEAD)
        return full

    def _new_processes(self, at: float) -> ProcessHistories:
        processes = ProcessHistories(raw_capacity=int((PAGE_BEHIND + PAGE_AHEAD) / 0.25) + 2)
        processes.watched_since = self._watched_since(at)
        return processes

    def _load_processes(self, page: HistoryPage, at: float, raw_from: float, raw_to: float) -> None:
        reader = self.reader
        raw = reader.processes(raw_from, raw_to)
        means = [
            (width, *reader.process_means(int(width), at - keep, raw_to))
            for width, keep in PROCESS_TIERS
        ]
        ids: set[int] = set()
        for _, frame in raw:
            ids.update(frame)
        for _, _, columns in means:
            ids.update(columns)
        stored = reader.process_rows(ids)
        keys: dict[int, ProcessKey] = {i: (row.pid, row.start_time) for i, row in stored.items()}
        infos = {keys[i]: _info(row) for i, row in stored.items()}
        page.infos = infos
        for width, times, columns in means:
            rss = {keys[i]: pair[0] for i, pair in columns.items() if i in keys}
            swap = {keys[i]: pair[1] for i, pair in columns.items() if i in keys}
            page.processes.load_tier(width, times, rss, swap, _infos_of(infos, rss))
        sampled_at: list[float] = []
        rss_samples: list[dict[ProcessKey, float]] = []
        swap_samples: list[dict[ProcessKey, float]] = []
        seen: dict[ProcessKey, None] = {}
        for t, frame in raw:
            memory = {keys[i]: value for i, value in frame.items() if i in keys}
            page.samples.append(RecordedSample(t, memory))
            sampled_at.append(t)
            rss_samples.append({key: value[0] for key, value in memory.items()})
            swap_samples.append({key: value[1] for key, value in memory.items()})
            seen.update(dict.fromkeys(memory))
        page.processes.extend_recorded(
            sampled_at, rss_samples, swap_samples, _infos_of(infos, seen)
        )
        for ident, key in keys.items():
            readings = reader.pss_readings(ident, raw_from - 600.0, raw_to)
            if readings:
                page.pss[key] = readings

    def _watched_since(self, at: float) -> float:
        """When the recorder session that covers ``at`` began."""
        started = [s.started for s in self.sessions if s.started <= at]
        return max(started) if started else self.first

    def step(self, page: HistoryPage | None, at: float, direction: int) -> float | None:
        """The sample time after (1) or before (-1) ``at``: from the page when it
        holds one, else from the store."""
        if page is not None:
            found = page.step(at, direction)
            if found is not None:
                return found
        return self.reader.sample_time(at, direction)

    def verdict_marks(self, start: float, end: float) -> list[tuple[float, str]]:
        """When the recorder's verdict fired, for the zoom chart: a firing after a
        quiet spell of at least MARK_GAP seconds (or a new culprit) is a new mark."""
        marks: list[tuple[float, str]] = []
        last_suspected = -math.inf
        last_pid: int | None = None
        for stored in self.reader.verdicts(start - 86400.0, end):
            if not stored.suspected:
                continue
            fresh = stored.t - last_suspected > MARK_GAP or stored.pid != last_pid
            if fresh and stored.t >= start:
                marks.append((stored.t, stored.text))
            last_suspected, last_pid = stored.t, stored.pid
        return marks


def _infos_of(
    infos: dict[ProcessKey, ProcessInfo], keys: Iterable[ProcessKey]
) -> list[ProcessInfo]:
    return [infos[key] for key in keys if key in infos]
