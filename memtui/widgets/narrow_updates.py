"""Partial updates narrowed to what changed: the widgets, the lines and the cells.

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

Before any of that, Textual renders the update: every widget that overlaps the box
around *all* the changed regions, every line of it (``Compositor._get_renders`` with
that box), although only the changed lines are kept. The dashboard's ten title lines
changing each second make that box the whole screen: each tile rendered its twelve
lines to keep one, and the footer, the panel and the grid rendered theirs to keep
none. :class:`NarrowCompositor` renders, of each widget, only the changed lines on
which it shows through in a changed span: the same cells in every changed span,
from a tenth of the lines.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable
from itertools import pairwise

from rich.console import Console, RenderableType
from rich.control import Control
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
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


class NarrowCompositor(Compositor):
    """A :class:`Compositor` whose partial updates render only what changed."""

    def render_partial_update(self) -> ChopsUpdate | None:
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        spans = list(self._regions_to_spans(update_regions))
        chops = self._render_changed_chops(spans)
        chop_ends = [cut_set[1:] for cut_set in self.cuts]
        return ChopsUpdate(chops, spans, chop_ends)

    def _render_changed_chops(
        self, spans: list[tuple[int, int, int]]
    ) -> list[dict[int, Strip | None]]:
        """Textual's ``_render_chops``, for the chops inside the changed spans only.

        Front to back, as Textual renders (the first strip for a chop wins), a widget
        renders the lines on which it holds a chop of a changed span that no widget
        in front of it has filled: a tile renders its changed title line, and the
        grid and screen behind the tiles render nothing.
        """
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        # Per changed line, the chops (by their first column) that overlap a span.
        wanted: dict[int, list[int]] = {}
        for y, x1, x2 in spans:
            line_cuts = cuts[y]
            wanted.setdefault(y, []).extend(
                cut for cut, end in pairwise(line_cuts) if end > x1 and cut < x2
            )
        for widget, (region, clip) in self.visible_widgets.items():
            visible = region.intersection(clip)
            first_cut, last_cut = visible.column_span
            lines = [
                y
                for y in visible.line_range
                if y in wanted
                and any(first_cut <= cut < last_cut and chops[y][cut] is None for cut in wanted[y])
            ]
            for top, bottom in _runs(lines):
                strips = widget.render_lines(
                    Region(visible.x - region.x, top - region.y, visible.width, bottom - top)
                )
                for y, strip in zip(range(top, bottom), strips, strict=False):
                    line = chops[y]
                    final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
                    pieces = strip.divide([cut - visible.x for cut in final_cuts[1:]])
                    for cut, piece in zip(final_cuts, pieces, strict=False):
                        if line.get(cut) is None:
                            line[cut] = piece
        return chops


def _runs(lines: Iterable[int]) -> list[tuple[int, int]]:
    """The runs of consecutive numbers in ``lines`` (ascending), as (first, last + 1)."""
    runs: list[tuple[int, int]] = []
    for y in lines:
        if runs and runs[-1][1] == y:
            runs[-1] = (runs[-1][0], y + 1)
        else:
            runs.append((y, y + 1))
    return runs


@functools.cache
def _fits_this_textual() -> bool:
    """Whether Textual's private compositor has the shape NarrowCompositor relies on.

    Checked before a screen gets one, rather than by catching errors as it draws:
    those are the widgets' own, and must reach the user as they are.
    """
    try:
        parameters = list(inspect.signature(ChopsUpdate.__init__).parameters)
    except (TypeError, ValueError):
        return False
    used = ("_regions_to_spans", "cuts", "visible_widgets", "render_partial_update")
    return parameters == ["self", "chops", "spans", "chop_ends"] and all(
        hasattr(Compositor, name) for name in used
    )


def narrow_compositor(screen: Screen[object]) -> None:
    """Give ``screen`` a :class:`NarrowCompositor` (its compositor, of that class), if
    this Textual's compositor is the one it was written against."""
    compositor = getattr(screen, "_compositor", None)
    if (
        type(compositor) is Compositor
        and isinstance(getattr(compositor, "_dirty_regions", None), set)
        and _fits_this_textual()
    ):
        compositor.__class__ = NarrowCompositor
