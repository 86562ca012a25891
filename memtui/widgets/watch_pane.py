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
MIN_NAME_COLUMNS = 12
EMPTY = "No watches: w in the bytes watches the value at the cursor, as the inspector's type (t)"


def watch_row(watch: Watch, name: str, width: int) -> str:
    """One row in ``width`` columns: ``name  type value  Nx  sparkline``.

    The sparkline gives up its columns first, then the name is cut from the left
    (its end, the symbol and offset, says most).
    """
    fixed = 1 + 3 + 1 + VALUE_COLUMNS + 1 + CHANGES_COLUMNS
    spark = max(0, min(SPARK_COLUMNS, width - fixed - MIN_NAME_COLUMNS - 1))
    name_width = max(MIN_NAME_COLUMNS, width - fixed - (spark + 1 if spark else 0))
    value = watch.text if len(watch.text) <= VALUE_COLUMNS else watch.text[: VALUE_COLUMNS - 1]
    line = (
        f"{cut_from_left(name, name_width):<{name_width}} {watch.type_name:<3} "
        f"{value:>{VALUE_COLUMNS}} {watch.changes:>{CHANGES_COLUMNS - 1}}x"
    )
    if spark:
        line += " " + sparkline(list(watch.history), spark)
    return line


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
        lines = [watch_row(watch, name_of(watch.address), width) for watch in watches]
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
