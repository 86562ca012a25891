"""Symbols in the memory view: `g NAME`, and names in the title, the inspector and the
search results, on the PIE and non-PIE symbols target."""

from __future__ import annotations

from pathlib import Path

from targets import Target
from test_memory_view import ViewApp, go_to, open_view, wait_until
from textual.widgets import DataTable, Static

from memtui.screens.search_results_screen import SearchResultsScreen
from memtui.widgets.data_inspector import DataInspector
from memtui.widgets.hex_view import HexView

pytest_plugins = ["targets.fixtures"]


async def test_goto_a_symbol_and_see_it_named(symbols_target: Target) -> None:
    name = Path(str(symbols_target.process.args[0])).name
    app = ViewApp(symbols_target.pid, auto_refresh=False)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, hex_view = await open_view(pilot)
        await wait_until(pilot, lambda: screen.symbols is not None, timeout=30)
        await go_to(pilot, "memtui_known_global+0x10")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        assert hex_view.cursor_address == symbols_target.known_global + 0x10
        title = screen.query_one("#memory-title", Static)
        assert f"at {symbols_target.known_global + 0x10:x} {name}!memtui_known_global+0x10" in str(
            title.content
        )

        # The function pointer: the inspector names where it points.
        await go_to(pilot, f"{name}!memtui_function_pointer")
        await wait_until(pilot, hex_view.visible_rows_loaded)
        await pilot.press("i")
        inspector = screen.query_one(DataInspector)
        await wait_until(pilot, lambda: inspector.inspection is not None)
        assert inspector.inspection is not None
        assert inspector.inspection.pointer_text == (
            f"0x{symbols_target.function:x} → {name}!memtui_known_function (r-xp)"
        )
        # Enter follows it, and the title names the function.
        await pilot.press("enter")
        await wait_until(pilot, lambda: hex_view.cursor_address == symbols_target.function)
        assert f"{name}!memtui_known_function" in str(title.content)


async def test_goto_says_which_symbols_an_ambiguous_name_means(symbols_target: Target) -> None:
    app = ViewApp(symbols_target.pid, auto_refresh=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _ = await open_view(pilot)
        await wait_until(pilot, lambda: screen.symbols is not None, timeout=30)
        await go_to(pilot, "strfry")
        await wait_until(pilot, lambda: bool(app._notifications))
        message = next(n.message for n in app._notifications if "strfry" in n.message)
        assert message.startswith("strfry names 2 symbols:") and "libc.so.6!strfry" in message


async def test_search_results_name_the_symbol_of_each_match(symbols_target: Target) -> None:
    name = Path(str(symbols_target.process.args[0])).name
    app = ViewApp(symbols_target.pid, auto_refresh=False)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, _ = await open_view(pilot)
        await wait_until(pilot, lambda: screen.symbols is not None, timeout=30)
        await go_to(pilot, "memtui_greeting-0x10")  # the search starts after the cursor
        await wait_until(pilot, lambda: screen.query_one(HexView).cursor_address is not None)
        await pilot.press("slash", *"from memtui", "enter")
        await wait_until(pilot, lambda: bool(screen.search_summary), timeout=20)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchResultsScreen))
        table: DataTable[object] = app.screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row(str(symbols_target.greeting + 6))]
        assert row[3] == f"{name}!memtui_greeting+0x6"
