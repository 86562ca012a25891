"""Symbols: addresses named ``FILE!NAME+0x10`` and names resolved, on real targets.

The target (targets/symbols_target.c) prints where its globals are; the tests check
that memtui names those addresses and finds them by name, as a PIE, as a non-PIE
executable, stripped (.dynsym only), and once its file was replaced or deleted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection
from targets import Target
from targets.symbols import SymbolsBinaries, start_symbols_target

from memtui.core.process_memory.address_expression import resolve_address
from memtui.core.process_memory.proc_maps import read_maps
from memtui.core.process_memory.symbols import AmbiguousSymbol, ProcessSymbols, SymbolCache

pytest_plugins = ["targets.fixtures"]


def symbols_of(target: Target) -> ProcessSymbols:
    return ProcessSymbols(target.pid, read_maps(target.pid)).load_all()


def test_globals_and_functions_are_named_with_their_offset(symbols_target: Target) -> None:
    symbols = symbols_of(symbols_target)
    name = Path(str(symbols_target.process.args[0])).name
    assert symbols.name(symbols_target.known_global) == f"{name}!memtui_known_global"
    assert symbols.name(symbols_target.known_global + 0x10) == f"{name}!memtui_known_global+0x10"
    assert symbols.name(symbols_target.function + 3) == f"{name}!memtui_known_function+0x3"
    assert symbols.name(symbols_target.words + 0x78) == f"{name}!memtui_words+0x78"
    # .symtab's static, and a string constant in .rodata
    assert symbols.name(symbols_target.local_counter) == f"{name}!memtui_local_counter"
    assert symbols.name(symbols_target.greeting + 6) == f"{name}!memtui_greeting+0x6"
    # Past the words' 128 bytes, and on the heap: no symbol holds them.
    assert symbols.name(symbols_target.chain_a) is None


def test_names_resolve_to_the_addresses_the_target_printed(symbols_target: Target) -> None:
    mappings = read_maps(symbols_target.pid)
    symbols = symbols_of(symbols_target)
    name = Path(str(symbols_target.process.args[0])).name
    assert resolve_address("memtui_known_global", mappings, symbols) == symbols_target.known_global
    assert (
        resolve_address("memtui_known_function+0x10", mappings, symbols)
        == symbols_target.function + 16
    )
    assert resolve_address(f"{name}!memtui_words", mappings, symbols) == symbols_target.words
    assert (
        resolve_address(f"{name}!memtui_words-0x8", mappings, symbols) == symbols_target.words - 8
    )


def _libc_malloc_by_hand(pid: int) -> int:
    """malloc's address from /proc/PID/maps and pyelftools alone: the offset-0 mapping
    of libc plus the symbol's value (libc's first PT_LOAD has vaddr 0)."""
    mappings = read_maps(pid)
    libc = next(m for m in mappings if m.name == "libc.so.6" and m.offset == 0)
    with open(libc.path, "rb") as file:
        elf = ELFFile(file)
        dynsym = elf.get_section_by_name(".dynsym")
        assert isinstance(dynsym, SymbolTableSection)
        (symbol,) = dynsym.get_symbol_by_name("malloc")
        first_load = next(elf.iter_segments("PT_LOAD"))
        assert first_load["p_vaddr"] == 0
        return libc.start + int(symbol["st_value"])


def test_libc_malloc_resolves_where_maps_and_the_elf_file_put_it(symbols_target: Target) -> None:
    mappings = read_maps(symbols_target.pid)
    symbols = symbols_of(symbols_target)
    expected = _libc_malloc_by_hand(symbols_target.pid)
    assert resolve_address("libc.so.6!malloc", mappings, symbols) == expected
    assert resolve_address("malloc", mappings, symbols) == expected
    assert symbols.name(expected + 0x10) == "libc.so.6!malloc+0x10"


def test_an_ambiguous_name_lists_its_candidates(symbols_target: Target) -> None:
    # The target defines strfry, as libc does: the name alone is either.
    mappings = read_maps(symbols_target.pid)
    symbols = symbols_of(symbols_target)
    name = Path(str(symbols_target.process.args[0])).name
    found = symbols.candidates("strfry")
    assert {where for _, where in found} == {f"{name}!strfry", "libc.so.6!strfry"}
    with pytest.raises(AmbiguousSymbol) as error:
        resolve_address("strfry", mappings, symbols)
    message = str(error.value)
    assert message.startswith("strfry names 2 symbols: ")
    for address, where in found:
        assert f"{where} at 0x{address:x}" in message
    assert "FILE!NAME" in message
    own = resolve_address(f"{name}!strfry", mappings, symbols)
    assert own != resolve_address("libc.so.6!strfry", mappings, symbols)
    assert symbols.name(own) == f"{name}!strfry"


def test_unknown_names_say_so(symbols_target: Target) -> None:
    mappings = read_maps(symbols_target.pid)
    with pytest.raises(ValueError, match="not an address, mapping or symbol: no_such_symbol_here"):
        resolve_address("no_such_symbol_here", mappings, symbols_of(symbols_target))


def test_a_stripped_file_names_by_dynsym_then_by_mapping(
    symbols_binaries: SymbolsBinaries,
) -> None:
    target = start_symbols_target(symbols_binaries.stripped)
    try:
        symbols = symbols_of(target)
        assert symbols.name(target.known_global + 8) == "stripped!memtui_known_global+0x8"
        # The static lived in .symtab alone, which strip took.
        assert symbols.name(target.local_counter) is None
        with pytest.raises(ValueError, match="not an address, mapping or symbol"):
            resolve_address("memtui_local_counter", read_maps(target.pid), symbols)
    finally:
        target.stop()


@pytest.mark.parametrize("change", ["replaced", "deleted"])
def test_a_file_replaced_or_deleted_since_mapped_still_gives_its_own_names(
    change: str, symbols_binaries: SymbolsBinaries, tmp_path: Path
) -> None:
    binary = tmp_path / "moving"
    shutil.copyfile(symbols_binaries.pie, binary)
    binary.chmod(0o755)
    target = start_symbols_target(binary)
    try:
        binary.unlink()
        if change == "replaced":
            # Another program at the same path: its symbols sit elsewhere.
            shutil.copyfile(symbols_binaries.nopie, binary)
        symbols = symbols_of(target)
        assert symbols.name(target.known_global) == "moving!memtui_known_global"
        assert symbols.resolve("memtui_words") == target.words
    finally:
        target.stop()


def test_the_cache_parses_a_file_once_for_many_processes(symbols_target: Target) -> None:
    cache = SymbolCache()
    ProcessSymbols(symbols_target.pid, read_maps(symbols_target.pid), cache).load_all()
    parsed = cache.parses
    ProcessSymbols(symbols_target.pid, read_maps(symbols_target.pid), cache).load_all()
    assert parsed >= 2 and cache.parses == parsed  # the executable and libc at least
