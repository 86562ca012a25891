"""The line above the dashboard: the system's memory at a glance, and sampling state."""

from __future__ import annotations

from collections.abc import Mapping

from textual.widgets import Static

from memtui.core.units import format_bytes_short


def _size(sample: Mapping[str, int], name: str) -> str:
    return format_bytes_short(sample[name]) if name in sample else "—"


def header_text(sample: Mapping[str, int], status: str) -> str:
    """``Total 23.4 GiB  Avail 22.9 GiB  Commit 1.2 GiB/11.7 GiB  Swap 0 B/0 B  status``."""
    parts = [f"Total {_size(sample, 'MemTotal')}", f"Avail {_size(sample, 'MemAvailable')}"]
    commit = f"Commit {_size(sample, 'Committed_AS')}/{_size(sample, 'CommitLimit')}"
    parts.append(commit)
    if "SwapTotal" in sample and "SwapFree" in sample:
        used = sample["SwapTotal"] - sample["SwapFree"]
        parts.append(f"Swap {format_bytes_short(used)}/{format_bytes_short(sample['SwapTotal'])}")
    else:
        parts.append("Swap —")
    return "  ".join(parts) + f"  │ {status}"


class MemoryHeader(Static):
    DEFAULT_CSS = """
    MemoryHeader {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $boost;
        color: $text;
    }
    """

    def show(self, sample: Mapping[str, int], status: str) -> None:
        text = header_text(sample, status)
        if str(self.content) != text:
            self.update(text)
