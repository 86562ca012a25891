"""The line above the dashboard: the system's memory at a glance, and sampling state."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual import events
from textual.widgets import Static

from memtui.core.units import format_bytes_short


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


class MemoryHeader(Static):
    # No CSS padding: the margins are spaces in the text, which fills the line, so
    # the line is one segment and one colour escape each time a figure changes
    # (padding and the fill after the text were three more).
    DEFAULT_CSS = """
    MemoryHeader {
        height: 1;
        width: 1fr;
        background: $boost;
        color: $text;
    }
    """

    _last: tuple[Mapping[str, int], str] = ({}, "")

    def show(self, sample: Mapping[str, int], status: str) -> None:
        self._last = (sample, status)
        width = self.size.width
        text = header_text(sample, status, width - 2 if width else 1000)
        line = f" {text}".ljust(width) if width else text
        if str(self.content) != line:
            self.update(line, layout=False)

    def on_resize(self, _: events.Resize) -> None:
        self.show(*self._last)
