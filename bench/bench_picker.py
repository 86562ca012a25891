"""What a process-picker refresh costs the UI thread, with 1,000 more processes.

    /tmp/venv/bin/python bench/bench_picker.py [--processes 1000] [--refreshes 30]

The sampler runs in a worker thread (its cost is bench_process_table.py's); this
times what is left on the event loop per refresh: filter, sort, hand the rows to the
list, and paint. It spawns idle processes, takes one real sample, then in a headless
app (``run_test``) times ``_show_table`` plus the frame it causes, for the Line API
list memtui uses and, side by side, for a Textual DataTable filled with the same rows
(the design memtui rejected). It times the work itself, not Pilot's waits: sort, hand
the rows to the widget, and render every visible line, as the frame would; and a
cursor move with its repaint.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_process_table import idle_processes
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from memtui.core.processes.process_table import ProcessTable, ProcessTableSampler, sort_rows
from memtui.widgets.process_list import COLUMNS, ProcessList


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ProcessList()


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(values) * 1000:.1f} ms (p95 {p95 * 1000:.1f} ms)"


Timings = tuple[list[float], list[float]]


async def time_list(
    table: ProcessTable, refreshes: int
) -> tuple[list[float], list[float], list[float]]:
    app = ListApp()
    refresh_times: list[float] = []
    idle_times: list[float] = []
    key_times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        listed = app.query_one(ProcessList)
        listed.focus()
        await pilot.pause()
        height = listed.size.height
        for turn in range(refreshes):
            start = time.perf_counter()
            # What ProcessPickerScreen._apply_view does with a new table, then the paint.
            rows = sort_rows(table.rows, "rss" if turn % 2 else "pid", descending=True)
            listed.set_rows(rows)
            for y in range(height):
                listed.render_line(y)
            refresh_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            listed.action_cursor(1)
            for y in range(height):
                listed.render_line(y)
            key_times.append(time.perf_counter() - start)
            await pilot.pause()
            start = time.perf_counter()
            listed.set_rows(sort_rows(table.rows, "rss", descending=turn % 2 == 0))
            await pilot.pause()
            idle_times.append(time.perf_counter() - start)
    return refresh_times, idle_times, key_times


async def time_datatable(table: ProcessTable, refreshes: int) -> Timings:
    app = TableApp()
    times: list[float] = []
    idle_times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        grid = app.query_one(DataTable)
        grid.add_columns(*(column.title for column in COLUMNS))
        await pilot.pause()
        height = grid.size.height
        for turn in range(refreshes):
            start = time.perf_counter()
            rows = sort_rows(table.rows, "rss" if turn % 2 else "pid", descending=True)
            grid.clear()
            grid.add_rows([column.cell(row) for column in COLUMNS] for row in rows)
            for y in range(height):
                grid.render_line(y)
            times.append(time.perf_counter() - start)
            await pilot.pause()
            start = time.perf_counter()
            grid.clear()
            grid.add_rows([column.cell(row) for column in COLUMNS] for row in rows)
            await pilot.pause()
            idle_times.append(time.perf_counter() - start)
    return times, idle_times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1000)
    parser.add_argument("--refreshes", type=int, default=30)
    args = parser.parse_args()
    with idle_processes(args.processes):
        table = ProcessTableSampler().sample()
    print(f"{len(table.rows)} rows; {args.refreshes} refreshes each, 120x40, headless\n")
    refresh_list, idle_list, keys = asyncio.run(time_list(table, args.refreshes))
    refresh_table, idle_table = asyncio.run(time_datatable(table, max(5, args.refreshes // 3)))
    print("| UI-thread work per refresh | direct work, median (p95) | until idle again* |")
    print("|---|---|---|")
    print(f"| memtui's ProcessList (Line API) | {ms(refresh_list)} | {ms(idle_list)} |")
    print(f"| Textual DataTable, same rows | {ms(refresh_table)} | {ms(idle_table)} |")
    print(f"| ProcessList: cursor down + paint | {ms(keys)} | |")
    print("\n*new rows, then `await pilot.pause()`: includes the work a widget defers to")
    print(" idle callbacks and Pilot's own wait, which is the same for both.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
