"""The watch pane: values the user keeps an eye on, one row each, refreshed with the view.

A row is the watch's symbol or mapping and offset, its type and value now, how many
times the value changed since it was added, and a sparkline of its latest values
(:mod:`memtui.core.process_memory.watches`). Enter on a row asks the view to move its
cursor there; ``x`` or Delete asks it to remove the watch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from memtui.core.input_echo import cut_from_left
from memtui.core.model.sparkline import sparkline
from memtui.core.process_memory.watches import MAX_WATCHES, Watch

VALUE_COLUMNS = 20
"""Wide enough for any u64 or i64, and for most floats."""
CHANGES_COLUMNS = 6
SPARK_COLUMNS = 20
MIN_SPARK_COLUMNS = 8
MIN_NAME_COLUMNS = 12
MIN_VALUE_COLUMNS = 6
EMPTY = "No watches: w in the bytes watches the value at the cursor, as the inspector's type (t)"


def watch_row(watch: Watch, name: str, width: int, value_width: int = VALUE_COLUMNS) -> str:
    """One row in ``width`` columns: ``name  type value  Nx  sparkline``.

    The name is cut (from the left: its end, the symbol and offset, says most) only
    when the sparkline is down to MIN_SPARK_COLUMNS.
    """
    fixed = 1 + 3 + 1 + value_width + 1 + CHANGES_COLUMNS + 1
    spark = min(SPARK_COLUMNS, max(MIN_SPARK_COLUMNS, width - fixed - len(name)))
    name_width = max(MIN_NAME_COLUMNS, width - fixed - spark)
    text = watch.text if len(watch.text) <= value_width else watch.text[: value_width - 1] + "…"
    line = (
        f"{cut_from_left(name, name_width):<{name_width}} {watch.type_name:<3} "
        f"{text:>{value_width}} {watch.changes:>{CHANGES_COLUMNS - 1}}x "
    )
    return line + sparkline(list(watch.history), spark)


class WatchPane(OptionList):
    """Rows of :func:`watch_row`; posts :class:`Chosen` on Enter, :class:`Removed` on x."""

    BINDINGS = [
        Binding("x,delete", "remove", "Remove watch", show=False),
    ]

    DEFAULT_CSS = """
    WatchPane {
        height: auto;
        max-height: 12;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    class Chosen(Message):
        """The watch at ``index`` (its row) was chosen: the hex cursor goes there."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Removed(Message):
        """Remove the watch at ``index`` (its row in the pane)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.border_title = "Watches"
        self.lines: list[str] = []
        """The rows as shown, for tests."""

    def show(self, watches: Sequence[Watch], name_of: Callable[[int], str]) -> None:
        """Show ``watches``, each named by ``name_of``, keeping the highlighted row."""
        width = max(self.scrollable_content_region.width, 40)
        # As wide as the widest value now, so that short values leave the name room.
        value_width = min(
            VALUE_COLUMNS, max([MIN_VALUE_COLUMNS, *(len(watch.text) for watch in watches)])
        )
        lines = [watch_row(watch, name_of(watch.address), width, value_width) for watch in watches]
        self.border_title = f"Watches {len(watches)}/{MAX_WATCHES}"
        self.border_subtitle = "enter goes there · x removes" if watches else ""
        if lines == self.lines and self.option_count:
            return
        self.lines = lines
        highlighted = self.highlighted
        if not lines:
            self.set_options([Option(Text(EMPTY, overflow="fold"), disabled=True)])
            return
        self.set_options(
            Option(Text(line, no_wrap=True, overflow="ellipsis"), id=str(i))
            for i, line in enumerate(lines)
        )
        self.highlighted = min(highlighted or 0, len(lines) - 1)

    def action_remove(self) -> None:
        index = self.highlighted
        if index is not None and 0 <= index < len(self.lines):
            self.post_message(self.Removed(index))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.lines):
            self.post_message(self.Chosen(event.option_index))
