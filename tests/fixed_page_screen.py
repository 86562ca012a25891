"""The memory view as snapshots show it: one page at a fixed address, no per-run text.

A target maps a page at a fixed address (MAP_FIXED_NOREPLACE); the screen keeps only
that mapping, and the PID and the read timing, which change every run, are replaced
by fixed text.
"""

from __future__ import annotations

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from memtui.core.process_memory.memory_session import MapsRead
from memtui.screens.memory_screen import MemoryScreen

FIXED_PID = 4242


class FixedPageScreen(MemoryScreen):
    """The memory view with only the mapping at ``fixed_address``."""

    fixed_address = 0

    def _show_mappings(self, event: MapsRead) -> None:
        fixed = [m for m in event.mappings if m.start == self.fixed_address]
        super()._show_mappings(MapsRead(fixed, event.rss))

    def _show_title(self) -> None:
        self.status = "read 4.0 KiB, 0.1 ms, frozen" if self.mappings else self.status
        super()._show_title()
        title = self.query_one("#memory-title", Static)
        title.update(str(title.content).replace(f"PID {self.pid} ", f"PID {FIXED_PID} "))


class FixedPageApp(App[None]):
    """Shows the page at ``fixed_address`` of process ``pid``, without auto-refresh."""

    def __init__(self, pid: int, fixed_address: int) -> None:
        super().__init__()
        self.pid = pid
        self.fixed_address = fixed_address

    def on_mount(self) -> None:
        screen = FixedPageScreen(self.pid, auto_refresh=False)
        screen.fixed_address = self.fixed_address
        self.push_screen(screen)


async def memory_screen_ready(pilot: Pilot[None]) -> MemoryScreen:
    """The memory view once its mappings are in (a few seconds at most)."""
    app = pilot.app
    for _ in range(250):
        if isinstance(app.screen, MemoryScreen) and app.screen.mappings:
            break
        await pilot.pause(0.02)
    screen = app.screen
    assert isinstance(screen, MemoryScreen)
    return screen
