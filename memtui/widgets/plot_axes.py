"""The axes of a plotext plot of bytes over the last ``window`` seconds."""

from __future__ import annotations

from typing import Any

from memtui.core.model.chart_series import x_ticks


def apply_axes(plt: Any, window: float, ticks: list[float], labels: list[str]) -> None:
    """x from ``-window`` to now, y over ``ticks``; a flat range gets a band around it."""
    plt.xlim(-window, 0)
    xt, xl = x_ticks(window)
    plt.xticks(xt, xl)
    low, high = (ticks[0], ticks[-1]) if ticks else (0.0, 1.0)
    if high <= low:
        pad = abs(low) * 0.001 or 1.0
        low, high = low - pad, high + pad
    plt.ylim(low, high)
    plt.yticks(ticks, labels)
