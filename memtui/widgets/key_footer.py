"""The key footer of every screen, fitted to the terminal it is in.

Textual's Footer lays the keys out in one row and cuts what does not fit: at 80
columns that was the help and quit keys of the picker and the zoom, the two a
newcomer looks for. Here the help key goes first (htop's F1 is first for the same
reason), and below WIDE columns the keys pack tighter and the command-palette hint
(reachable with Ctrl-P all the same) gives up its place.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

WIDE = 100
"""Columns from which the footer has room for padding and the palette hint."""

FIRST_ACTIONS = ("help", "app.help", "quit", "app.quit")
"""Actions whose keys come first, in this order."""


def _rank(widget: Widget) -> int:
    action = widget.action if isinstance(widget, FooterKey) else None
    return FIRST_ACTIONS.index(action) if action in FIRST_ACTIONS else len(FIRST_ACTIONS)


class KeyFooter(Footer):
    """Footer with the help and quit keys first, packed tighter when narrow."""

    _composed_for: tuple[object, ...] | None = None
    """What the keys on show were composed from (see _what_to_show)."""

    def _what_to_show(self) -> tuple[object, ...]:
        """Everything Footer.compose reads: the screen's bindings and the two styles."""
        bindings = tuple(
            (b.key, b.key_display, b.action, b.description, b.show, enabled, tooltip)
            for _, b, enabled, tooltip in self.screen.active_bindings.values()
        )
        return (self.compact, self.show_command_palette, bindings)

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        self._composed_for = self._what_to_show() if keys else None
        # sorted is stable: the other keys keep the order Textual gave them.
        yield from sorted(keys, key=_rank)

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Textual's Footer rebuilds every key on every focus change (each remounted
        # and styled: 20-25 ms, three times before the first frame was written);
        # moving between tiles changes no key.
        shown = self._composed_for
        if self.is_attached and screen is self.screen and shown == self._what_to_show():
            return
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < WIDE
        if self.compact != narrow or self.show_command_palette == narrow:
            self.compact = narrow
            self.show_command_palette = not narrow
            self.refresh(recompose=True)
