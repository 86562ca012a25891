"""The live source's reader of /proc/meminfo: one long-lived thread that reads when asked.

The UI never reads /proc itself. A thread worker for each read cost the dashboard
0.4-0.6 ms a sample (a pool thread's hop, the worker's state messages) around a read
of ~75 us (docs/performance.md); one thread waiting on a queue costs only the hop.
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


class MeminfoReader:
    """Reads /proc/meminfo on its own thread each time :meth:`request` is called."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._requests: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="meminfo-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request(self) -> None:
        """Read once, soon; the result goes to ``deliver`` from the reader's thread."""
        self._requests.put(True)

    def stop(self, timeout: float = 1.0) -> None:
        """End the thread after any read in progress (idempotent)."""
        if self._thread.is_alive():
            self._requests.put(False)
            self._thread.join(timeout)

    def _run(self) -> None:
        while self._requests.get():
            try:
                sample = read_meminfo()
            except OSError as error:
                self._deliver(time.time(), None, str(error))
                continue
            self._deliver(time.time(), sample, None)
