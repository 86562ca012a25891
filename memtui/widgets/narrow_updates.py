"""Line updates that start where the change starts, not at the widget's left edge.

Textual writes a changed region of a line as the widget's piece of that line (a
"chop": lines are cut only at widget edges) from the chop's start to the region's
end (``ChopsUpdate.render_segments`` in textual/_compositor.py, whose twin
``__rich_console__`` carries the note "TODO: crop to x extents"; Textual issue #5625).
A dashboard tile whose newest bar, at its right edge, moved up one eighth resent its
whole line: the y label, the axis, 30 columns of bars and two colour escapes, 118
bytes for one changed cell. Over SSH, bytes are what memtui must keep low.

:class:`NarrowChopsUpdate` renders the same update, but crops each chop at the start
of the changed region too. A chop that holds a character of two cells, or one of
none, is written as Textual writes it: a crop could split the wide one.
"""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.control import Control
from textual._compositor import ChopsUpdate
from textual.strip import Strip


def _one_cell_each(strip: Strip) -> bool:
    """Every character of ``strip`` takes one cell: a crop anywhere splits none."""
    return strip.cell_length == len(strip.text)


class NarrowChopsUpdate(ChopsUpdate):
    """A :class:`ChopsUpdate` whose partial lines start at the changed region."""

    @classmethod
    def of(cls, update: ChopsUpdate) -> NarrowChopsUpdate:
        return cls(update.chops, update.spans, update.chop_ends)

    def render_segments(self, console: Console) -> str:
        try:
            return self._render_narrow(console)
        except Exception:  # Textual's private update changed shape: write it as Textual does
            return super().render_segments(console)

    def _render_narrow(self, console: Console) -> str:
        sequences: list[str] = []
        append = sequences.append
        move_to = Control.move_to
        chops = self.chops
        chop_ends = self.chop_ends
        last_y = self.spans[-1][0]
        for y, x1, x2 in self.spans:
            line = chops[y]
            ends = chop_ends[y]
            for end, (x, strip) in zip(ends, line.items(), strict=False):
                if strip is None or x > x2 or end <= x1:
                    continue
                if x2 > x >= x1 and end <= x2:
                    append(move_to(x, y).segment.text)
                    append(strip.render(console))
                    continue
                start = x1 - x if x1 > x and _one_cell_each(strip) else 0
                strip = strip.crop(start, min(end, x2) - x)
                append(move_to(x + start, y).segment.text)
                append(strip.render(console))
            if y != last_y:
                append("\n")
        return "".join(sequences)


def narrowed(renderable: RenderableType | None) -> RenderableType | None:
    """``renderable``, as a :class:`NarrowChopsUpdate` if it is a partial update."""
    if type(renderable) is ChopsUpdate:
        try:
            return NarrowChopsUpdate.of(renderable)
        except AttributeError:  # a Textual whose update keeps other fields
            return renderable
    return renderable
