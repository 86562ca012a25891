"""How the memory view shares its rows between the bytes and the panes around them.

Pure arithmetic, no Textual, so that it can be reasoned about (and tested) alone. The
bytes come first: whatever else is open, the hex view keeps :data:`MIN_HEX_ROWS`
rows. When everything does not fit at its natural height, the view gives up room in
this order: the inspector below the bytes goes compact (little-endian only, two
types a line), then the mappings table above the bytes shrinks and, below
:data:`MIN_TABLE_ROWS`, hides, then the panes at the bottom (telescope, watches)
share what is left, each keeping :data:`MIN_PANE_ROWS`, and last the narrowing
prompt's input loses its border. The narrowing prompt's lines (step history,
message) always show: they are what a narrowing step answers. At 80x24 that is 8
rows of hex with a compact inspector and either a pane of 5 rows or the narrowing
prompt; 7 with the inspector and both panes, or the inspector, a pane and the
prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_HEX_ROWS = 8
FULL_INSPECTOR_ROWS = 15
"""Border, header, ten types, pointer, string."""
COMPACT_INSPECTOR_ROWS = 9
"""Border, five lines of two types, pointer, string."""
MIN_TABLE_ROWS = 4
"""A header and three mappings; fewer says too little to keep."""
MIN_PANE_ROWS = 3
"""A border and one row."""
PROMPT_INPUT_ROWS = 3
"""The narrowing prompt's input with its border."""
COMPACT_PROMPT_INPUT_ROWS = 1
"""The same input without the border."""


@dataclass(frozen=True, slots=True)
class LayoutPlan:
    compact_inspector: bool
    table_rows: int | None
    """Rows of the mappings table above the bytes: None as it likes, 0 hidden."""
    pane_rows: tuple[int, ...]
    """The height of each pane at the bottom, in the order given."""
    compact_prompt: bool = False
    """The narrowing prompt's input without its border."""


def plan_layout(
    body_rows: int,
    *,
    table_above: int,
    inspector_below: bool,
    panes: Sequence[int],
    prompt_lines: int = 0,
    prompt_input: bool = False,
) -> LayoutPlan:
    """Share ``body_rows`` (the screen less title, banner and footer).

    ``table_above`` is the rows the mappings table would take above the bytes (0
    when it is beside them), ``inspector_below`` whether the inspector is open below
    the bytes, ``panes`` the natural heights of the open panes at the bottom,
    ``prompt_lines`` the narrowing prompt's lines shown under them (history and
    message) and ``prompt_input`` whether its input is open.
    """
    body_rows -= prompt_lines + (PROMPT_INPUT_ROWS if prompt_input else 0)
    inspector = FULL_INSPECTOR_ROWS if inspector_below else 0
    natural = sum(panes)
    if body_rows - table_above - inspector - natural >= MIN_HEX_ROWS:
        return LayoutPlan(False, None, tuple(panes))
    compact = inspector_below
    if compact:
        inspector = COMPACT_INSPECTOR_ROWS
    table: int | None = None
    if table_above:
        spare = body_rows - inspector - natural - MIN_HEX_ROWS
        if spare >= table_above:
            return LayoutPlan(compact, None, tuple(panes))
        table = spare if spare >= MIN_TABLE_ROWS else 0
    left = body_rows - (table or 0) - inspector - MIN_HEX_ROWS
    if left >= natural:
        return LayoutPlan(compact, table, tuple(panes))
    heights = list(panes)
    # The tallest pane gives up rows first, one at a time, down to MIN_PANE_ROWS each.
    while sum(heights) > left and max(heights) > MIN_PANE_ROWS:
        tallest = heights.index(max(heights))
        heights[tallest] -= 1
    compact_prompt = prompt_input and sum(heights) > left
    return LayoutPlan(compact, table, tuple(heights), compact_prompt)
