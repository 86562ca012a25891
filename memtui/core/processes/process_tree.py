"""The processes as a tree of parents and children, as htop's tree view (F5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from memtui.core.processes.process_table import ProcessRow, sort_rows


@dataclass(frozen=True, slots=True)
class TreeGuides:
    """The characters that draw the tree; one place, so another set can replace them."""

    branch: str
    """Before a child that has a sibling below it."""
    last: str
    """Before the last child."""
    pipe: str
    """Under a child with siblings below: the line goes on down."""
    blank: str
    """Under the last child."""


UNICODE_GUIDES = TreeGuides(branch="├─ ", last="└─ ", pipe="│  ", blank="   ")
ASCII_GUIDES = TreeGuides(branch="|- ", last="`- ", pipe="|  ", blank="   ")


def tree_rows(
    rows: Sequence[ProcessRow],
    key: str,
    *,
    descending: bool = False,
    guides: TreeGuides = UNICODE_GUIDES,
) -> tuple[tuple[ProcessRow, ...], dict[int, str]]:
    """The rows in tree order (each parent above its children, siblings sorted by
    ``key``), and the guide to draw before each pid's command.

    A process whose parent is not among ``rows`` (init, kthreadd, or a parent the
    filter left out) is a root.
    """
    pids = {row.pid for row in rows}
    children: dict[int | None, list[ProcessRow]] = {}
    for row in rows:
        parent = row.ppid if row.ppid in pids and row.ppid != row.pid else None
        children.setdefault(parent, []).append(row)
    ordered: list[ProcessRow] = []
    prefixes: dict[int, str] = {}
    # Depth first without recursion: a chain of thousands of processes is possible.
    stack: list[tuple[ProcessRow, str, str]] = [
        (row, "", "")
        for row in reversed(sort_rows(children.get(None, []), key, descending=descending))
    ]
    while stack:
        row, prefix, indent = stack.pop()
        ordered.append(row)
        prefixes[row.pid] = prefix
        kids = sort_rows(children.get(row.pid, []), key, descending=descending)
        for position in range(len(kids) - 1, -1, -1):
            last = position == len(kids) - 1
            stack.append(
                (
                    kids[position],
                    indent + (guides.last if last else guides.branch),
                    indent + (guides.blank if last else guides.pipe),
                )
            )
    return tuple(ordered), prefixes
