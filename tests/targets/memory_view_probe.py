"""Open the memory view of PID headless and print what it says, as JSON.

    python memory_view_probe.py PID

The permission test runs this as another user (setpriv), since being refused is
a property of the viewing process; it prints the banner, the message shown in
place of the bytes, and whether the hex view is hidden.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from textual.app import App
from textual.widgets import Static

from memtui.screens.memory_screen import MemoryScreen
from memtui.widgets.hex_view import HexView


class ProbeApp(App[None]):
    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid

    def on_mount(self) -> None:
        self.push_screen(MemoryScreen(self.pid))


async def probe(pid: int) -> dict[str, object]:
    app = ProbeApp(pid)
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 10
        screen = app.screen
        while time.monotonic() < deadline:
            await pilot.pause(0.05)
            screen = app.screen
            if isinstance(screen, MemoryScreen) and screen.failure is not None:
                break
        assert isinstance(screen, MemoryScreen)
        return {
            "banner": str(screen.query_one("#memory-banner", Static).content),
            "message": str(screen.query_one("#memory-message", Static).content),
            "hex_shown": screen.query_one(HexView).display and not screen.has_class("-empty"),
            "status": screen.status,
        }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(int(sys.argv[1])))))
