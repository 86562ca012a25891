"""Repaint part of a widget without the two messages Textual sends for it.

``Widget.refresh(region)`` marks the region dirty, then posts a Prompt to the widget
so that it goes idle; on its idle the widget posts ``Update(widget)`` to its screen,
which adds the widget to the screen's dirty widgets and, on its own idle, starts the
frame. Each message wakes the task of the one it is for. On the idle dashboard the
tiles' titles were 18 of the 24 messages a second (docs/performance.md).

:func:`repaint` does to the widget what ``refresh`` does, and then what the screen
does with the Update message: it adds the widget to the screen's dirty widgets and
prompts the screen. The same frame follows, without a message to the widget or an
Update to the screen. Where this Textual's private parts are not the ones it was
written against, or the widget is not on a screen that is drawn, it calls
``refresh``.
"""

from __future__ import annotations

from textual.dom import NoScreen
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget

_WIDGET_PARTS = (
    "_set_dirty",
    "clear_cached_dimensions",
    "_layout_cache",
    "_rich_style_cache",
    "_is_mounted",
    "_closing",
)
_fits: bool | None = None
"""Whether this Textual has the parts: found out on the first repaint."""


def _has_the_parts(widget: Widget, screen: Screen[object]) -> bool:
    return (
        all(hasattr(widget, name) for name in _WIDGET_PARTS)
        and isinstance(getattr(screen, "_dirty_widgets", None), set)
        and hasattr(getattr(screen, "_compositor", None), "__contains__")
    )


def _quiet_screen(widget: Widget) -> Screen[object] | None:
    """The screen whose dirty widgets ``widget`` can join directly, or None: then
    only ``refresh`` will do."""
    global _fits
    try:
        screen = widget.screen
    except NoScreen:
        return None
    if _fits is None:
        _fits = _has_the_parts(widget, screen)
    if not _fits:
        return None
    # Textual's own conditions for the Update message, and for the screen to take it.
    if not widget._is_mounted or widget._closing or not widget.display:
        return None
    if screen not in screen._compositor:
        return None
    return screen


def repaint(widget: Widget, region: Region) -> None:
    """Repaint ``region`` (in the widget's own cells) at the next frame."""
    screen = _quiet_screen(widget)
    if screen is None:
        widget.refresh(region)
        return
    # What Widget.refresh does to a mounted widget for a repaint ...
    widget._layout_cache.clear()
    widget._set_dirty(region)
    widget.clear_cached_dimensions()
    widget._rich_style_cache.clear()
    # ... and what the screen does with the Update message the widget's idle sends.
    screen._dirty_widgets.add(widget)
    screen.check_idle()
