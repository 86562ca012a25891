"""The line above the dashboard: the system's memory at a glance, and sampling state."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.segment import Segment
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from memtui.core.units import format_bytes_short
from memtui.widgets.changed_cells import changed_span
from memtui.widgets.quiet_repaint import repaint


def _compact(value: float) -> str:
    """``23.5G``: the short form for narrow terminals."""
    text = format_bytes_short(value)
    number, _, unit = text.partition(" ")
    return number + ("" if unit == "B" else unit[0])


def header_text(sample: Mapping[str, int], status: str, width: int = 1000) -> str:
    """``Total 23.5 GiB  Avail 22.9 GiB  Commit 1.2 GiB/11.7 GiB  Swap 0 B/0 B  │ status``,
    or a compact form of it when that does not fit in ``width`` columns."""
    for size, sep, names in (
        (format_bytes_short, "  ", ("Total", "Avail", "Commit", "Swap")),
        (_compact, " ", ("Tot", "Avail", "Commit", "Swap")),
    ):
        text = _header(sample, status, size, sep, names)
        if len(text) <= width:
            return text
    # Still too wide: the figures matter more than the status (a replay's file name).
    room = width - (len(text) - len(status))
    if room >= 8:
        return text[: len(text) - len(status)] + status[: room - 1] + "…"
    return text[:width]


def _header(
    sample: Mapping[str, int],
    status: str,
    size: Callable[[float], str],
    sep: str,
    names: tuple[str, str, str, str],
) -> str:
    def get(name: str) -> str:
        return size(sample[name]) if name in sample else "—"

    parts = [f"{names[0]} {get('MemTotal')}", f"{names[1]} {get('MemAvailable')}"]
    parts.append(f"{names[2]} {get('Committed_AS')}/{get('CommitLimit')}")
    if "SwapTotal" in sample and "SwapFree" in sample:
        used = sample["SwapTotal"] - sample["SwapFree"]
        parts.append(f"{names[3]} {size(used)}/{size(sample['SwapTotal'])}")
    else:
        parts.append(f"{names[3]} —")
    return sep.join(parts) + f"{sep}│ {status}"


class MemoryHeader(Widget):
    """One line on the Line API: a new figure repaints the cells that changed, not the
    line (each repaint is a cursor move, a colour escape and its characters). The
    margins are spaces in the text, so the line is one segment, one escape."""

    DEFAULT_CSS = """
    MemoryHeader {
        height: 1;
        width: 1fr;
        background: $boost;
        color: $text;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._line = ""
        self._last: tuple[Mapping[str, int], str] = ({}, "")

    @property
    def content(self) -> str:
        """The line as shown."""
        return self._line

    def show(self, sample: Mapping[str, int], status: str) -> None:
        self._last = (sample, status)
        width = self.size.width
        text = header_text(sample, status, width - 2 if width else 1000)
        line = f" {text}".ljust(width) if width else text
        span = changed_span(self._line, line)
        self._line = line
        if span is not None:
            start, end = span
            repaint(self, Region(start, 0, max(1, min(end, width) - start), 1))

    def on_resize(self, _: events.Resize) -> None:
        self._line = ""  # the whole line, at its new width
        self.show(*self._last)

    def render_line(self, y: int) -> Strip:
        style = self.rich_style
        width = self.size.width
        if y != 0:
            return Strip.blank(width, style)
        line = Strip([Segment(self._line, style)])
        if line.cell_length != width:
            line = line.crop(0, width).extend_cell_length(width, style)
        return line
