"""ASCII-only output for a terminal whose locale is not UTF-8 (LANG=C, POSIX, latin1).

Such a terminal shows the UTF-8 bytes of a block, a braille dot or a box line as
two or three characters of mojibake each, and the screen falls apart. htop falls
back to ASCII there; so does memtui: every character drawn (memtui's bars and axes,
plotext's braille, Textual's borders, scrollbars and footer) goes through one line
filter at the end of Textual's compositor, which replaces each character that is not
ASCII by one ASCII character of the same width, so the layout stays as it was.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

# Bars from low to high, then lines and corners, then the few symbols memtui uses.
_TABLE = {
    **dict.fromkeys("▁▂", "_"),
    **dict.fromkeys("▃▄", "="),
    **dict.fromkeys("▅▆▇█▉▊▋▌▍▎", "#"),
    **dict.fromkeys("▏▕│┃║╎╏┆┇┊┋▐", "|"),
    **dict.fromkeys("─━═╌╍┄┅┈┉▔", "-"),
    **dict.fromkeys("┌┐└┘├┤┬┴┼╭╮╯╰╔╗╚╝╠╣╦╩╬┏┓┗┛┣┫┳┻╋", "+"),
    **dict.fromkeys("▲▴↑⬆", "^"),
    **dict.fromkeys("▼▾↓⬇", "v"),
    **dict.fromkeys("◀◂←", "<"),
    **dict.fromkeys("▶▸→⏎", ">"),
    **dict.fromkeys("…⋯", "~"),
    **dict.fromkeys("·•∙●◆", "*"),
    **dict.fromkeys("\u2014\u2013", "-"),  # em and en dashes
    "²": "2",
    "\u00d7": "x",  # multiplication sign
    "±": "+",
}


@lru_cache(4096)
def ascii_text(text: str) -> str:
    """``text`` with each character outside ASCII replaced by one that is inside.

    >>> ascii_text("▁▄█ │ 1.2G… ▲")
    '_=# | 1.2G~ ^'
    """
    if text.isascii():
        return text
    return "".join(_ascii_char(char) for char in text)


def _ascii_char(char: str) -> str:
    if char.isascii():
        return char
    if char in _TABLE:
        return _TABLE[char]
    if "\u2800" <= char <= "\u28ff":  # braille (plotext): a dot where any dot is set
        return "." if char != "\u2800" else " "
    # Accented letters lose their accent (é -> e); anything else is a '?', twice for a
    # character two cells wide, so the columns after it stay where they were.
    base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if len(base) == 1:
        return base
    return "??" if unicodedata.east_asian_width(char) in ("W", "F") else "?"


class AsciiFilter(LineFilter):
    """Textual's line filter that keeps the output ASCII (see the module's docstring)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(ascii_text(text), style, control)
            if not control
            else Segment(text, style, control)
            for text, style, control in segments
        ]
