"""The telescope: words from an address followed through their pointers, on the
symbols target's ``memtui_words`` (a chain three deep, a function, text, a loop)."""

from __future__ import annotations

from pathlib import Path

from targets import Target, stopped_tasks
from test_memory_view import ViewApp, go_to, open_view, wait_until

from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.proc_maps import read_maps
from memtui.core.process_memory.symbols import ProcessSymbols
from memtui.core.process_memory.telescope import TelescopeRow, format_row, read_telescope
from memtui.widgets.hex_view import HexView
from memtui.widgets.telescope import Telescope

pytest_plugins = ["targets.fixtures"]


def telescope_of(target: Target, start: int) -> list[TelescopeRow]:
    mappings = read_maps(target.pid)
    symbols = ProcessSymbols(target.pid, mappings).load_all()
    with MemoryReader(target.pid) as reader, reader.one_moment() as read_ranges:
        return read_telescope(read_ranges, start, mappings, symbols.name)


def test_rows_follow_the_chain_name_each_step_and_stop_at_text_and_loops(
    symbols_target: Target,
) -> None:
    target = symbols_target
    name = Path(str(target.process.args[0])).name
    rows = telescope_of(target, target.words)
    assert len(rows) == 16
    assert [row.address for row in rows] == [target.words + 8 * i for i in range(16)]
    chain = rows[0]
    # words[0] -> chain_a -> chain_b -> memtui_known_global -> 0x1111
    assert [step.value for step in chain.steps] == [
        target.chain_a,
        target.chain_b,
        target.known_global,
        0x1111,
    ]
    heap = next(m for m in read_maps(target.pid) if m.path == "[heap]")
    assert [step.where for step in chain.steps] == [
        f"[heap]+0x{target.chain_a - heap.start:x}",
        f"[heap]+0x{target.chain_b - heap.start:x}",
        f"{name}!memtui_known_global",
        None,
    ]
    assert format_row(chain, target.words).endswith(
        f"→ 0x{target.known_global:x} {name}!memtui_known_global → 0x1111"
    )
    function = rows[1]
    assert function.steps[0].where == f"{name}!memtui_known_function"
    text = rows[2]
    assert text.steps[0].where == f"{name}!memtui_greeting"
    assert text.text == '"hello from memtui"'
    loop = rows[3]
    assert [step.value for step in loop.steps] == [target.words + 24] and loop.looped
    assert format_row(loop, target.words).endswith("↺")
    number = rows[4]
    assert [(s.value, s.where) for s in number.steps] == [(0x1234, None)] and not number.looped
    assert stopped_tasks(target.pid) == []


def test_a_chain_stops_after_five_dereferences(symbols_target: Target) -> None:
    chain = symbols_target.long_chain  # 8 words, each pointing at the next
    rows = telescope_of(symbols_target, chain)
    # The word, then five dereferences: the sixth and seventh links are not followed.
    assert [step.value for step in rows[0].steps] == [chain + 8 * i for i in range(1, 7)]
    assert not rows[0].looped and rows[0].text is None
    # Two words on, the chain reaches the end within five steps.
    assert [step.value for step in rows[2].steps] == [*(chain + 8 * i for i in range(3, 8)), 0x77]


async def test_the_pane_shows_the_rows_and_enter_moves_the_cursor(symbols_target: Target) -> None:
    target = symbols_target
    app = ViewApp(target.pid, auto_refresh=False)
    async with app.run_test(size=(160, 50)) as pilot:
        screen, hex_view = await open_view(pilot)
        await wait_until(pilot, lambda: screen.symbols is not None, timeout=30)
        await go_to(pilot, "memtui_words")
        await wait_until(pilot, lambda: hex_view.cursor_address == target.words)
        await pilot.press("p")
        telescope = screen.query_one(Telescope)
        await wait_until(pilot, lambda: telescope.start == target.words, timeout=10)
        assert telescope.display and len(telescope.rows) == 16
        assert telescope.rows[0].steps[2].where is not None
        assert telescope.rows[0].steps[2].where.endswith("!memtui_known_global")
        # Enter on the third row puts the hex cursor on that word.
        telescope.focus()
        await pilot.press("down", "down", "enter")
        await wait_until(pilot, lambda: hex_view.cursor_address == target.words + 16)
        assert app.focused is screen.query_one(HexView)
        # The pane follows the cursor.
        await wait_until(pilot, lambda: telescope.start == target.words + 16, timeout=10)
        await pilot.press("p")
        assert not telescope.display
