"""The tree order and its guides, over rows as a sample gives them."""

from __future__ import annotations

from memtui.core.processes.process_table import ProcessRow
from memtui.core.processes.process_tree import ASCII_GUIDES, tree_rows


def row(pid: int, ppid: int, rss: int) -> ProcessRow:
    return ProcessRow(
        pid=pid, create_time=0.0, user="root", uid=0, name=f"p{pid}", cmdline=f"p{pid}",
        state="sleeping", rss=rss, swap=0, rss_growth=None, pss=None, uss=None,
        pss_read_at=None, is_kernel_thread=False, ppid=ppid,
    )  # fmt: skip


ROWS = [
    row(1, 0, 10),
    row(2, 0, 0),
    row(10, 1, 5),
    row(11, 1, 50),
    row(12, 11, 1),
    row(13, 11, 2),
    row(20, 2, 0),
    row(30, 99, 7),  # its parent is not listed (filtered out): a root
]


def test_children_under_parents_with_siblings_sorted() -> None:
    ordered, prefixes = tree_rows(ROWS, "rss", descending=True)
    assert [r.pid for r in ordered] == [1, 11, 13, 12, 10, 30, 2, 20]
    assert [prefixes[r.pid] for r in ordered] == [
        "",
        "├─ ",
        "│  ├─ ",
        "│  └─ ",
        "└─ ",
        "",
        "",
        "└─ ",
    ]


def test_sorting_by_pid_and_ascii_guides() -> None:
    ordered, prefixes = tree_rows(ROWS, "pid", guides=ASCII_GUIDES)
    assert [r.pid for r in ordered] == [1, 10, 11, 12, 13, 2, 20, 30]
    assert prefixes[10] == "|- " and prefixes[11] == "`- "
    assert prefixes[12] == "   |- " and prefixes[13] == "   `- "


def test_a_long_chain_does_not_recurse() -> None:
    chain = [row(1, 0, 1)] + [row(pid, pid - 1, 1) for pid in range(2, 5000)]
    ordered, prefixes = tree_rows(chain, "rss")
    assert [r.pid for r in ordered] == list(range(1, 5000))
    assert prefixes[4999].endswith("└─ ")
