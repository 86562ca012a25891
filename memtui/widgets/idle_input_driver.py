"""A terminal driver whose input thread sleeps until there is input.

Textual's Linux driver reads keys on a thread that waits in ``select`` for at most
0.1 s, then ticks its escape-sequence parser and waits again
(``LinuxDriver.run_input_thread`` in textual/drivers/linux_driver.py): ten wake-ups
a second, each taking the GIL from the event loop, while nobody types. The tick is
needed only while the parser waits on a timeout: after a lone ESC, to tell the Esc
key from the start of a sequence. The 0.1 s is also how soon the thread sees that
the app wants it to stop.

:class:`IdleInputDriver` keeps Textual's loop, with two changes: it waits without a
time limit while the parser waits on nothing, and the exit event wakes it through a
pipe. Where Textual's parser has changed shape, it falls back to the 0.1 s wait.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from contextlib import suppress
from typing import TYPE_CHECKING

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

if TYPE_CHECKING:
    from textual.app import App

TICK = 0.1
"""Textual's wait while an escape sequence may be pending (seconds)."""


class _WakingEvent(threading.Event):
    """An event that, once set, also makes a pipe readable."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self._wake_fd = wake_fd

    def set(self) -> None:
        super().set()
        if self._wake_fd >= 0:
            with suppress(BlockingIOError):  # the pipe is full: the thread is woken already
                os.write(self._wake_fd, b"!")

    def detach(self) -> None:
        """Write to the pipe no more: it is about to be closed, and its number reused."""
        self._wake_fd = -1


def _waits_on_timeout(parser: XTermParser) -> bool:
    """The parser holds a partial sequence that only a tick after its timeout ends."""
    pending = getattr(parser, "_timeout_time", TICK)
    return pending is not None


class IdleInputDriver(LinuxDriver):
    """:class:`LinuxDriver`, without its ten wake-ups a second while idle."""

    def __init__(
        self,
        app: App[object],
        *,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.exit_event: _WakingEvent = _WakingEvent(self._wake_write)

    def close(self) -> None:
        super().close()
        self.exit_event.detach()
        for fd in (self._wake_read, self._wake_write):
            with suppress(OSError):
                os.close(fd)
        self._wake_read = self._wake_write = -1

    def _drain_wake(self) -> None:
        with suppress(BlockingIOError):  # empty
            while os.read(self._wake_read, 64):
                pass

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events, as Textual does, without idle ticks."""
        fileno = self.fileno
        wake = self._wake_read
        selector = selectors.SelectSelector()  # as Textual: it also takes files, /dev/null
        selector.register(fileno, selectors.EVENT_READ)
        selector.register(wake, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        feed = parser.feed
        tick = parser.tick
        decode = getincrementaldecoder("utf-8")().decode
        process = self.process_message
        try:
            while not self.exit_event.is_set():
                ready = selector.select(TICK if _waits_on_timeout(parser) else None)
                for key, _mask in ready:
                    if key.fd == wake:
                        self._drain_wake()
                        continue
                    text = decode(os.read(fileno, 4096))
                    if not text:  # the terminal hung up: Textual's loop spins here
                        selector.unregister(fileno)
                        continue
                    for event in feed(text):
                        process(event)
                for event in tick():
                    process(event)
            # Textual ends with one more wait of 0.1 s on no file at all, then a tick:
            # the wait only delays the exit.
            for event in tick():
                process(event)
        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
