"""The live source's reader of /proc/meminfo: one long-lived thread that reads when asked.

The UI never reads /proc itself. A thread worker for each read cost the dashboard
0.4-0.6 ms a sample (a pool thread's hop, the worker's state messages) around a read
of ~75 us (docs/performance.md); one thread waiting on a queue costs only the hop.
A request names the moment to read at, and the thread waits for it: the event loop
keeps no timer (a task, an event and a callback each second) for the pace.
One request is outstanding at a time (the app asks again once a sample is in), so
reads never overlap.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from memtui.core.meminfo.parser import read_meminfo

Deliver = Callable[[float, "dict[str, int] | None", "str | None"], None]
"""Called on the reader's thread with (time of the read, sample or None, error or None)."""

_CANCEL = -1.0
_STOP = -2.0


class MeminfoReader:
    """Reads /proc/meminfo on its own thread at the moment each :meth:`request` names."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._requests: queue.SimpleQueue[float] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="meminfo-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request(self, at: float | None = None) -> None:
        """Read once at ``at`` (``time.monotonic()``; now if None or past), in place of
        any read still waiting; the result goes to ``deliver`` from the reader's thread."""
        self._requests.put(max(0.0, time.monotonic() if at is None else at))

    def cancel(self) -> None:
        """Drop the read that is waiting, if any (one under way still delivers)."""
        self._requests.put(_CANCEL)

    def stop(self, timeout: float = 1.0) -> None:
        """End the thread after any read in progress (idempotent)."""
        if self._thread.is_alive():
            self._requests.put(_STOP)
            self._thread.join(timeout)

    def _run(self) -> None:
        due: float | None = None
        while True:
            try:
                wait = None if due is None else max(0.0, due - time.monotonic())
                item = self._requests.get(timeout=wait)
            except queue.Empty:
                due = None
                self._read()
                continue
            if item == _STOP:
                return
            due = None if item == _CANCEL else item

    def _read(self) -> None:
        try:
            sample = read_meminfo()
        except OSError as error:
            self._deliver(time.time(), None, str(error))
            return
        self._deliver(time.time(), sample, None)
