"""The key footer of every screen: one line, one widget, fitted to the terminal.

Textual's Footer lays the keys out in one row and cuts what does not fit: at 80
columns that was the help and quit keys of the picker and the zoom, the two a
newcomer looks for. Here the help key goes first (htop's F1 is first for the same
reason), and below WIDE columns the keys pack tighter and the command-palette hint
(reachable with Ctrl-P all the same) gives up its place.

Textual's Footer is a container with a widget for every key, each one mounted,
styled and rendered on its own: 36-49 ms of the dashboard's first frame, and work in
every frame whose changes it lies among. This footer draws the same line as one
widget (htop's is one line too): the key in the footer's key colours, then its
description, a disabled key dimmed. A click on a key presses it, as in Textual's.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

WIDE = 100
"""Columns from which the footer has room for padding and the palette hint."""

FIRST_ACTIONS = ("help", "app.help", "quit", "app.quit")
"""Actions whose keys come first, in this order."""


class FooterKeyLabel(NamedTuple):
    """One key as the footer shows it."""

    key: str
    """The key that a click on it presses."""
    key_display: str
    description: str
    action: str
    enabled: bool


class _Shown(NamedTuple):
    """Everything the line is drawn from."""

    keys: tuple[FooterKeyLabel, ...]
    palette: FooterKeyLabel | None
    compact: bool


def _rank(label: FooterKeyLabel) -> int:
    action = label.action
    return FIRST_ACTIONS.index(action) if action in FIRST_ACTIONS else len(FIRST_ACTIONS)


class KeyFooter(Widget, can_focus=False):
    """The screen's keys on one line: help and quit first, packed tighter when narrow."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "footer-key--key",
        "footer-key--description",
        "key-footer--palette-edge",
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-footer--palette-edge {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: _Shown | None = None
        self._spans: list[tuple[int, int, FooterKeyLabel]] = []
        """Where each key lies on the line as last drawn: (start, end, key)."""
        self.visible_keys: list[FooterKeyLabel] = []
        """The keys whose whole label was drawn, in order (the palette's last)."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Every focus change says the bindings changed; moving between tiles changes
        # no key, and the line is redrawn only when one does.
        if self.is_attached and screen is self.screen and self._shown != self._what_to_show():
            self.refresh()

    @property
    def compact(self) -> bool:
        """Packed tight (below WIDE columns): no padding around a key."""
        return self.size.width < WIDE

    def _what_to_show(self) -> _Shown:
        """The screen's keys to show, then the palette's (or None), and the style."""
        screen = self.screen
        by_action: dict[str, FooterKeyLabel] = {}
        for _, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in by_action:
                by_action[binding.action] = FooterKeyLabel(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    enabled,
                )
        keys = tuple(sorted(by_action.values(), key=_rank))  # stable: Textual's order
        palette = None
        if not self.compact and self.app.ENABLE_COMMAND_PALETTE:  # the palette's key
            found = screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, _tooltip = found
                palette = FooterKeyLabel(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    enabled,
                )
        return _Shown(keys, palette, self.compact)

    def _label(
        self, label: FooterKeyLabel, key_style: Style, text_style: Style, compact: bool
    ) -> Text:
        if compact:
            key, description = label.key_display, f" {label.description}"
        else:
            key, description = f" {label.key_display} ", f"{label.description} "
        if not label.description:
            description = ""
        text = Text.assemble((key, key_style), (description, text_style))
        if not label.enabled:
            text.stylize(Style(dim=True))
        return text

    def render(self) -> Text:
        shown = self._what_to_show()
        self._shown = shown
        keys, palette, compact = shown
        base = self.rich_style
        key_style = base + self.get_component_rich_style("footer-key--key")
        text_style = base + self.get_component_rich_style("footer-key--description")
        width = self.size.width
        right = Text()
        if palette is not None:
            edge = base + self.get_component_rich_style("key-footer--palette-edge")
            # Textual's palette key: always compact, one cell of padding after it.
            hint = self._label(palette, key_style, text_style, compact=True)
            right = Text.assemble(("▏", edge), hint, (" ", base))
        room = max(width - right.cell_len, 0)
        line = Text(style=base, no_wrap=True, end="")
        spans: list[tuple[int, int, FooterKeyLabel]] = []
        visible: list[FooterKeyLabel] = []
        for label in keys:
            piece = self._label(label, key_style, text_style, compact)
            start = line.cell_len
            line.append_text(piece)
            if compact:
                line.append(" ")
            end = min(start + piece.cell_len, room)
            if start < room:
                spans.append((start, end, label))
            if start + piece.cell_len <= room:
                visible.append(label)
        line.truncate(room, pad=True)
        if palette is not None:
            spans.append((room + 1, width, palette))
            visible.append(palette)
            line.append_text(right)
        self._spans = spans
        self.visible_keys = visible
        return line

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, label in self._spans:
            if start <= event.x < end:
                if label.enabled:
                    self.app.simulate_key(label.key)
                else:
                    self.app.bell()
                return
