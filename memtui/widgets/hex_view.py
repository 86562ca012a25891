"""A live hex viewer over a process's mappings, on Textual's Line API.

Only the rows on screen are drawn, from two bounded LRU caches (row bytes and rendered
strips), so memory stays flat however far one scrolls. A row whose bytes have not
arrived is drawn as dim dots and asked of the :class:`MemorySession` (with a screen
of prefetch above and below); when the session's answer arrives the rows are
refreshed. The virtual space is the concatenation of the mappings
(:class:`HexLayout`), so Page Down and End run on from one mapping into the next.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from memtui.core.process_memory.hex_rows import (
    ROW_BYTES,
    HexLayout,
    LayoutBlock,
    SegmentKind,
    Span,
    ascii_column,
    format_row,
    hex_column,
    marker_text,
    row_width,
)
from memtui.core.process_memory.memory_session import MemorySession, RowsRead
from memtui.core.process_memory.proc_maps import Mapping

# 4096 rows is 64 KiB of data: dozens of screens of a tall terminal, a small, fixed cost.
ROW_CACHE_ROWS = 4096
STRIP_CACHE_ROWS = 1024
# Rows read beyond the screen, in screens, above and below: one Page Down away
# is then already in the cache.
PREFETCH_SCREENS = 1
# A changed byte stays highlighted for this many refreshes, fading at each.
FADE_REFRESHES = 3

_KIND_CLASS: dict[SegmentKind, str] = {
    "address": "hexview--address",
    "hex": "hexview--hex",
    "hex_unreadable": "hexview--unreadable",
    "hex_pending": "hexview--pending",
    "ascii": "hexview--ascii",
    "ascii_unreadable": "hexview--unreadable",
    "ascii_pending": "hexview--pending",
    "sep": "hexview--sep",
    "marker": "hexview--marker",
}


@dataclass(frozen=True, slots=True)
class _Row:
    data: bytes
    unreadable: tuple[Span, ...]
    generation: int
    changed: tuple[int, ...] | None = None
    """Per byte, the generation whose read changed it last (-1: never); None if none did."""


def _changes(
    old: _Row | None, data: bytes, spans: tuple[Span, ...], address: int, generation: int
) -> tuple[int, ...] | None:
    """The ``changed`` of a row read anew: bytes that differ from ``old`` get ``generation``."""
    if old is None:
        return None
    if old.data == data:
        return old.changed
    stamps = list(old.changed) if old.changed is not None else [-1] * ROW_BYTES
    stamps += [-1] * (ROW_BYTES - len(stamps))
    for index in range(min(len(data), len(old.data))):
        where = address + index
        if old.data[index] != data[index] and not any(
            s <= where < e for s, e in spans + old.unreadable
        ):
            stamps[index] = generation
    return tuple(stamps)


class HexView(ScrollView, can_focus=True):
    """Rows of ``address  hex  │ascii`` over every mapping of a process, and a byte cursor."""

    BINDINGS = [
        Binding("up,k", "cursor_rows(-1)", "Up", show=False),
        Binding("down,j", "cursor_rows(1)", "Down", show=False),
        Binding("left,h", "cursor_bytes(-1)", "Left", show=False),
        Binding("right,l", "cursor_bytes(1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "mapping_edge(-1)", "Start of mapping", show=False),
        Binding("end", "mapping_edge(1)", "End of mapping", show=False),
    ]

    COMPONENT_CLASSES = {
        "hexview--address",
        "hexview--hex",
        "hexview--ascii",
        "hexview--sep",
        "hexview--unreadable",
        "hexview--pending",
        "hexview--marker",
        "hexview--cursor",
        "hexview--changed-0",
        "hexview--changed-1",
        "hexview--changed-2",
        "hexview--match",
        "hexview--match-current",
        "hexview--selection",
    }

    DEFAULT_CSS = """
    HexView {
        background: $surface;
        color: $text;
        overflow-y: scroll;
        overflow-x: auto;
        scrollbar-size-vertical: 1;
        & > .hexview--address { color: $text-primary; }
        & > .hexview--ascii { color: $text-secondary; }
        & > .hexview--sep { color: $text-muted; }
        & > .hexview--unreadable { color: $text-disabled; text-style: dim; }
        & > .hexview--pending { color: $text-disabled; text-style: dim; }
        & > .hexview--marker { color: $text-muted; text-style: italic; }
        & > .hexview--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        & > .hexview--changed-0 { background: $error; color: $text; text-style: bold; }
        & > .hexview--changed-1 { background: $error 55%; color: $text; }
        & > .hexview--changed-2 { background: $error 25%; }
        & > .hexview--match { background: $success 35%; }
        & > .hexview--match-current { background: $success; color: $text; text-style: bold; }
        & > .hexview--selection { background: $accent 50%; color: $text; }
        &:focus > .hexview--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
    }
    """

    class RowsArrived(Message):
        """Posted from the session thread: bytes for some rows were read."""

        def __init__(self, rows: RowsRead) -> None:
            super().__init__()
            self.rows = rows

    class CursorMoved(Message):
        """The byte cursor moved to ``address`` (None when nothing is shown)."""

        def __init__(self, hex_view: HexView, address: int | None) -> None:
            super().__init__()
            self.hex_view = hex_view
            self.address = address

        @property
        def control(self) -> HexView:
            return self.hex_view

    generation: var[int] = var(0, init=False)
    """Rows read before this generation are stale: still drawn, but read again."""

    def __init__(
        self,
        session: MemorySession | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.session = session
        self.row_layout = HexLayout([])
        self.cursor_row = 0
        self.cursor_column = 0
        self._rows: LRUCache[int, _Row] = LRUCache(ROW_CACHE_ROWS)
        self._strips: LRUCache[int, Strip] = LRUCache(STRIP_CACHE_ROWS)
        self._styles: dict[str, Style] | None = None
        self.requests = 0
        """Row requests made to the session, for tests and the bench."""
        self.matches: Sequence[int] = []
        """Addresses of search matches, sorted (a list, or the ``array('Q')`` of a narrowing
        scan's candidates): their bytes are highlighted."""
        self.match_length = 0
        self.current_match: int | None = None
        self.selection_anchor: int | None = None
        """Where the selection (v) started; it runs from there to the cursor, both in."""

    # -- content --------------------------------------------------------------------

    def set_mappings(self, mappings: list[Mapping]) -> int | None:
        """Lay out rows for ``mappings``, keeping the cursor on its address if still mapped.

        If it is not (unmapped meanwhile), the cursor goes to the nearest mapping and
        its row to the top, so that what the screen shows is where the cursor is;
        returns the address the cursor lost then, else None.
        """
        address = self.cursor_address
        top_address = self.row_layout.row_address(int(self.scroll_y))
        layout = HexLayout(mappings)
        if [(b.start, b.end, b.marker) for b in layout.blocks] == [
            (b.start, b.end, b.marker) for b in self.row_layout.blocks
        ]:
            self.row_layout = layout  # same rows; keep the caches
            return None
        self.row_layout = layout
        self._strips.clear()
        self.virtual_size = Size(row_width(layout.digits), layout.total_rows)
        lost = None
        if address is not None and self._place_cursor(address):
            top = layout.row_of(top_address) if top_address is not None else None
            self.scroll_to(y=top if top is not None else self.cursor_row, animate=False)
        elif address is not None:
            lost = address
            self.cursor_row, self.cursor_column = layout.data_row_nearest(address) or 0, 0
            self.scroll_to(y=self.cursor_row, animate=False)
        else:
            first = layout.data_row_near(0, 1)
            self.cursor_row, self.cursor_column = (first or 0), 0
        self.refresh()
        self._cursor_moved()
        return lost

    def forget(self) -> None:
        """Drop the layout and every row read: they belong to a program that is gone."""
        self.row_layout = HexLayout([])
        self._rows.clear()
        self._strips.clear()
        self.cursor_row = self.cursor_column = 0
        self.virtual_size = Size(row_width(self.row_layout.digits), 0)
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def reload(self) -> None:
        """Read the rows on screen again (refresh); old bytes stay until new ones arrive.

        Nothing is repainted here: when the bytes arrive, only rows whose bytes (or
        fading highlights) changed are, so a refresh of a still screen writes
        nothing to the terminal.
        """
        self.generation += 1
        self._request_screen()

    def on_hex_view_rows_arrived(self, message: HexView.RowsArrived) -> None:
        # Not stopped: the screen shows how long the read took.
        self.add_rows(message.rows)

    def add_rows(self, rows: RowsRead) -> None:
        """Store the rows of a session answer and repaint those on screen that changed."""
        generation = rows.generation
        top = int(self.scroll_y)
        bottom = top + self.scrollable_content_region.height
        for result in rows.results:
            data = bytes(result.data)
            spans = result.unreadable
            for offset in range(0, len(data), ROW_BYTES):
                address = result.address + offset
                current = self._rows.get(address)
                if current is not None and current.generation > generation:
                    continue
                end = address + ROW_BYTES
                row_spans = tuple((s, e) for s, e in spans if s < end and e > address)
                row_data = data[offset : offset + ROW_BYTES]
                same = (
                    current is not None
                    and current.data == row_data
                    and current.unreadable == row_spans
                )
                changed = _changes(current, row_data, row_spans, address, generation)
                # Textual's LRUCache.set() keeps an existing key's old value: drop it first.
                self._rows.discard(address)
                self._rows.set(address, _Row(row_data, row_spans, generation, changed))
                row = self.row_layout.row_of(address)
                if row is None:
                    continue
                if same and self._strips.get(row) is not None and not self._fading(changed):
                    continue  # drawn already with these very bytes: nothing to repaint
                self._strips.discard(row)
                if top <= row < bottom:
                    self.refresh_lines(row)

    # -- the cursor -------------------------------------------------------------------

    @property
    def cursor_address(self) -> int | None:
        """The address of the byte under the cursor, None when no mapping is shown."""
        address = self.row_layout.row_address(self.cursor_row)
        return None if address is None else address + self.cursor_column

    @property
    def cursor_mapping(self) -> Mapping | None:
        block = self.row_layout.block_at_row(self.cursor_row)
        return block.mapping if block is not None else None

    @property
    def selection(self) -> tuple[int, int] | None:
        """The selected bytes as (start, length), None when nothing is selected."""
        cursor = self.cursor_address
        if self.selection_anchor is None or cursor is None:
            return None
        start, end = sorted((self.selection_anchor, cursor))
        return start, end - start + 1

    def start_selection(self) -> bool:
        """Start a selection at the cursor (moving extends it); False if no byte is there."""
        self.selection_anchor = self.cursor_address
        self._repaint_all()
        return self.selection_anchor is not None

    def end_selection(self) -> None:
        self.selection_anchor = None
        self._repaint_all()

    def _repaint_all(self) -> None:
        self._strips.clear()
        self.refresh()

    def go_to(self, address: int) -> bool:
        """Put the cursor on ``address`` and its row at the top; False if no row shows it."""
        if not self._place_cursor(address):
            return False
        self.scroll_to(y=self.cursor_row, animate=False)
        self._cursor_moved()
        return True

    def _place_cursor(self, address: int) -> bool:
        row = self.row_layout.row_of(address)
        if row is None or self.row_layout.row_address(row) is None:
            return False
        self._set_cursor(row, address % ROW_BYTES)
        return True

    def _set_cursor(self, row: int, column: int) -> None:
        old = self.cursor_row
        self.cursor_row, self.cursor_column = row, column
        if self.selection_anchor is not None:
            # Every row between the old and the new end of the selection changes.
            self._repaint_all()
            return
        for changed in {old, row}:
            self._strips.discard(changed)
            self.refresh_lines(changed)

    def _cursor_moved(self) -> None:
        self.post_message(self.CursorMoved(self, self.cursor_address))

    def _keep_cursor_visible(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False)

    def _move_rows(self, delta: int) -> bool:
        layout = self.row_layout
        if not layout.total_rows:
            return False
        step = 1 if delta > 0 else -1
        target = min(max(self.cursor_row + delta, 0), layout.total_rows - 1)
        row = layout.data_row_near(target, step)
        if row is None:
            row = layout.data_row_near(target, -step)
        if row is None or row == self.cursor_row:
            return False
        self._set_cursor(row, self.cursor_column)
        return True

    def action_cursor_rows(self, delta: int) -> None:
        if self._move_rows(delta):
            self._keep_cursor_visible()
            self._cursor_moved()

    def action_cursor_bytes(self, delta: int) -> None:
        column = self.cursor_column + delta
        if 0 <= column < ROW_BYTES:
            self._set_cursor(self.cursor_row, column)
        else:
            before = self.cursor_row
            if not self._move_rows(1 if delta > 0 else -1) or self.cursor_row == before:
                return
            self._set_cursor(self.cursor_row, 0 if delta > 0 else ROW_BYTES - 1)
            self._keep_cursor_visible()
        self._cursor_moved()

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        offset = self.cursor_row - int(self.scroll_y)
        self.scroll_to(y=int(self.scroll_y) + direction * height, animate=False)
        if self._move_rows(direction * height):
            # Keep the cursor where it was on the screen, as less and editors do.
            top = min(max(self.cursor_row - offset, 0), self.max_scroll_y)
            self.scroll_to(y=top, animate=False)
            self._keep_cursor_visible()
            self._cursor_moved()

    def action_mapping_edge(self, direction: int) -> None:
        """Home/End: to the first/last byte of the mapping; once there, of the next one."""
        block = self.row_layout.block_at_row(self.cursor_row)
        if block is None:
            return
        at_edge = (
            (self.cursor_row, self.cursor_column) == (block.first_row, 0)
            if direction < 0
            else (self.cursor_row, self.cursor_column) == (block.last_row, ROW_BYTES - 1)
        )
        if at_edge:
            following = self._next_data_block(block, direction)
            if following is None:
                return
            block = following
        if direction < 0:
            self._set_cursor(block.first_row, 0)
        else:
            self._set_cursor(block.last_row, ROW_BYTES - 1)
        self._keep_cursor_visible()
        self._cursor_moved()

    def _next_data_block(self, block: LayoutBlock, direction: int) -> LayoutBlock | None:
        row = self.row_layout.data_row_near(
            block.last_row + 1 if direction > 0 else block.first_row - 1, direction
        )
        return self.row_layout.block_at_row(row) if row is not None else None

    def on_resize(self) -> None:
        # A banner above, or a smaller terminal, must not hide the cursor's row.
        self._keep_cursor_visible()

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_y) + event.y
        if self.row_layout.row_address(row) is None:
            return
        x = int(self.scroll_x) + event.x
        block = self.row_layout.block_at_row(row)
        digits = block.digits if block is not None else self.row_layout.digits
        column = self.cursor_column
        for index in range(ROW_BYTES):
            if hex_column(index, digits) <= x < hex_column(index, digits) + 2 or x == ascii_column(
                index, digits
            ):
                column = index
        self._set_cursor(row, column)
        self._cursor_moved()

    # -- drawing ------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()

    def on_focus(self) -> None:
        self._strips.discard(self.cursor_row)
        self.refresh_lines(self.cursor_row)

    def on_blur(self) -> None:
        self.on_focus()

    def _base_style(self) -> Style:
        # rich_style walks the DOM for inherited styles (~70 µs); a screen has dozens
        # of rows, and notify_style_update() drops this whenever it could change.
        if self._styles is None:
            self._styles = {}
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def _style(self, name: str) -> Style:
        if self._styles is None:
            self._styles = {}
        style = self._styles.get(name)
        if style is None:
            style = self._base_style() + self.get_component_rich_style(name, partial=True)
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        if row >= self.row_layout.total_rows:
            return Strip.blank(width, self._base_style())
        strip = self._strips.get(row)
        if strip is None:
            strip, complete = self._render_row(row)
            if complete:
                self._strips.set(row, strip)
            else:
                self._request_screen()
        return strip.crop_extend(scroll_x, scroll_x + width, self._base_style())

    def _render_row(self, row: int) -> tuple[Strip, bool]:
        """The row's strip, and whether it shows current bytes (worth caching)."""
        block = self.row_layout.block_at_row(row)
        assert block is not None
        if block.marker:
            text = marker_text(block)
            return Strip([Segment(text, self._style("hexview--marker"))]), True
        address = block.start + (row - block.first_row) * ROW_BYTES
        cached = self._rows.get(address)
        data = cached.data if cached is not None else None
        spans = cached.unreadable if cached is not None else ()
        segments = format_row(address, data, spans, block.digits)
        styles = [self._style(_KIND_CLASS[kind]) for _, kind in segments]
        # The spaces between bytes take the style of the byte before them, so that a
        # run of bytes alike becomes one segment below: 5 segments a row instead of
        # 50 makes every later step of the compositor cheaper.
        for index, (text, kind) in enumerate(segments):
            if kind == "sep" and text.isspace() and index > 1:
                styles[index] = styles[index - 1]
        # format_row puts the 16 ASCII cells last; the hex cells are every other
        # segment after the address and its separator.
        ascii_start = len(segments) - ROW_BYTES
        for index, name in self.highlights(address):
            style = self._style(name)
            for position in (2 + 2 * index, ascii_start + index):
                styles[position] = styles[position] + style
        if row == self.cursor_row:
            cursor = self._style("hexview--cursor")
            for position in (2 + 2 * self.cursor_column, ascii_start + self.cursor_column):
                styles[position] = styles[position] + cursor
        out: list[Segment] = []
        run_text: list[str] = []
        run_style: Style | None = None
        for (text, _), style in zip(segments, styles, strict=True):
            if style is not run_style and run_text:
                out.append(Segment("".join(run_text), run_style))
                run_text = []
            run_style = style
            run_text.append(text)
        if run_text:
            out.append(Segment("".join(run_text), run_style))
        complete = cached is not None and cached.generation >= self.generation
        return Strip(out, row_width(block.digits)), complete

    def highlights(self, address: int) -> list[tuple[int, str]]:
        """(byte index, component class): changed bytes and matches in the row at ``address``."""
        cached = self._rows.get(address)
        marks: list[tuple[int, str]] = []
        if cached is not None and cached.changed is not None:
            for index, stamp in enumerate(cached.changed):
                age = self.generation - stamp
                if stamp >= 0 and age < FADE_REFRESHES:
                    marks.append((index, f"hexview--changed-{max(age, 0)}"))
        matches = self.matches
        if matches:
            end = address + ROW_BYTES
            first = bisect.bisect_left(matches, address - self.match_length + 1)
            # By index: a slice would copy the rest of a million matches for each row.
            for index in range(first, len(matches)):
                match = matches[index]
                if match >= end:
                    break
                name = "hexview--match-current" if match == self.current_match else "hexview--match"
                low, high = max(match, address), min(match + self.match_length, end)
                marks.extend((where - address, name) for where in range(low, high))
        selection = self.selection
        if selection is not None:
            start, length = selection
            low, high = max(start, address), min(start + length, address + ROW_BYTES)
            marks.extend((where - address, "hexview--selection") for where in range(low, high))
        return marks

    def _fading(self, changed: tuple[int, ...] | None) -> bool:
        """A highlight of these stamps looks different now than at the last paint."""
        if changed is None:
            return False
        return any(stamp >= 0 and self.generation - stamp <= FADE_REFRESHES for stamp in changed)

    def set_matches(self, matches: Sequence[int], length: int, current: int | None) -> None:
        """Highlight ``length`` bytes at each of ``matches`` (sorted), ``current`` the most."""
        self.matches, self.match_length, self.current_match = matches, length, current
        self._strips.clear()
        self.refresh()

    def changed_on_screen(self) -> int:
        """Bytes on screen that the latest refresh found changed."""
        count = 0
        for address in self._visible_addresses():
            cached = self._rows.get(address)
            if cached is not None and cached.changed is not None:
                count += cached.changed.count(self.generation)
        return count

    def _visible_addresses(self) -> list[int]:
        top = int(self.scroll_y)
        height = self.scrollable_content_region.height
        rows = range(top, min(top + height, self.row_layout.total_rows))
        return [a for a in map(self.row_layout.row_address, rows) if a is not None]

    def bytes_at(self, address: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``address`` as last read: they stop at the first
        byte that is unreadable or not read yet."""
        out = bytearray()
        position = address
        while len(out) < length:
            row_address = position - position % ROW_BYTES
            cached = self._rows.get(row_address)
            if cached is None:
                break
            offset = position - row_address
            stop = min(len(cached.data), offset + length - len(out))
            for start, end in cached.unreadable:
                if end > position and start < row_address + stop:
                    stop = min(stop, max(start, position) - row_address)
            if stop <= offset:
                break
            out += cached.data[offset:stop]
            position = row_address + stop
            if stop < len(cached.data):
                break
        return bytes(out)

    def _window(self) -> tuple[int, int]:
        """The rows to hold: the screen plus PREFETCH_SCREENS screens above and below."""
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        return top - PREFETCH_SCREENS * height, top + (1 + PREFETCH_SCREENS) * height - 1

    def _request_screen(self) -> None:
        """Ask the session for the rows of the window that are missing or stale."""
        session = self.session
        if session is None:
            return
        ranges = self._missing_ranges()
        if ranges and session.request(ranges, self.generation):
            self.requests += 1

    def _missing_ranges(self) -> list[tuple[int, int]]:
        # Only what is missing: rows on screen that are already current must not come
        # back, or their strips would be dropped and painted again for nothing.
        missing: list[tuple[int, int]] = []
        for start, length in self.row_layout.read_ranges(*self._window()):
            for address in range(start, start + length, ROW_BYTES):
                cached = self._rows.get(address)
                if cached is not None and cached.generation >= self.generation:
                    continue
                if missing and missing[-1][0] + missing[-1][1] == address:
                    missing[-1] = (missing[-1][0], missing[-1][1] + ROW_BYTES)
                else:
                    missing.append((address, ROW_BYTES))
        return missing

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Ask now rather than when the next frame paints the missing rows: the read
        # then overlaps the wait for that frame. Checking the prefetch too means a
        # held Page Down always finds the next screen read already.
        if int(old_value) != int(new_value):
            self._request_screen()

    # -- for tests and the bench ------------------------------------------------------

    def row_text(self, row: int) -> str:
        """The text of virtual row ``row`` as drawn now (no styles)."""
        strip, _ = self._render_row(row)
        return strip.text

    def visible_rows_loaded(self) -> bool:
        """Every row on screen shows bytes of the current generation."""
        for address in self._visible_addresses():
            cached = self._rows.get(address)
            if cached is None or cached.generation < self.generation:
                return False
        return True

    def visible_rows_drawn(self) -> bool:
        """Every row on screen has been drawn with current bytes (strips are cached only then)."""
        top = int(self.scroll_y)
        height = self.scrollable_content_region.height
        return all(
            self._strips.get(row) is not None
            for row in range(top, min(top + height, self.row_layout.total_rows))
        )
