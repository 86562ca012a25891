"""Naming addresses by the ELF symbols of the files a process maps, and names back to
addresses: ``libc.so.6!malloc+0x10``.

Each mapped ELF file is read with pyelftools: its program headers (to find where the
kernel put it: the load bias), its build-id, and its symbol tables, .symtab when it
has one and .dynsym always (a stripped file keeps only that). Code and data symbols
(functions and objects with a size) name the addresses inside them; anything else is
left to the mapping and offset form.

The file read is the one mapped, not whatever its path holds now: through
/proc/PID/map_files/START-END, which opens the mapped object itself even once it was
deleted or replaced. Where that is refused (it takes CAP_SYS_ADMIN, or being the
process's owner on recent kernels), the path is read only if it is still the file
that was mapped (same device and inode as the maps line says) and, when the mapped
image's build-id could be read, the same build-id. Otherwise the file gives no names.

Parsed tables are cached by file identity and build-id, bounded, across processes:
every process maps the same libc.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from memtui.core.printable import printable
from memtui.core.process_memory.proc_maps import Mapping, find_mapping

CACHE_ENTRIES = 64
"""Parsed files kept at most: a large program maps a few hundred, most of them small."""
CANDIDATES_SHOWN = 6
# Enclosing symbols are searched this many entries back from the nearest start: a
# symbol nested in a larger one (a local label in a function) is rare and close.
_BACKTRACK = 16
_ELF_MAGIC = b"\x7fELF"
_KINDS = ("STT_FUNC", "STT_OBJECT", "STT_LOOS")  # STT_LOOS is STT_GNU_IFUNC
_BIND_RANK = {"STB_GLOBAL": 0, "STB_WEAK": 1}
_HIDDEN_VERSION = 0x8000
_PAGE = os.sysconf("SC_PAGE_SIZE")


class AmbiguousSymbol(ValueError):
    """A name that more than one symbol has: the message lists them."""


@dataclass(frozen=True, slots=True)
class ElfSymbol:
    """A symbol at ``value`` (an address in the file's own layout) of ``size`` bytes."""

    name: str
    value: int
    size: int


@dataclass(frozen=True, slots=True)
class LoadSegment:
    """A PT_LOAD program header: file offset, address in the file's layout, size in memory."""

    offset: int
    vaddr: int
    memsz: int


@dataclass
class ElfSymbols:
    """What one ELF file says: its build-id, its segments and its symbols."""

    build_id: str | None
    segments: list[LoadSegment]
    symbols: list[ElfSymbol]
    """Code and data symbols with a size, by value; of aliases, the best name only."""
    by_name: dict[str, list[int]] = field(default_factory=dict)
    """Every defined code or data symbol's values by name (default versions only)."""
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._starts = [symbol.value for symbol in self.symbols]

    def enclosing(self, value: int) -> ElfSymbol | None:
        """The symbol whose bytes hold ``value`` (the nearest start, of nested ones)."""
        index = bisect.bisect_right(self._starts, value) - 1
        for symbol in reversed(self.symbols[max(index - _BACKTRACK, 0) : index + 1]):
            if symbol.value <= value < symbol.value + symbol.size:
                return symbol
        return None


def read_build_id(elf: object) -> str | None:
    """The NT_GNU_BUILD_ID note of an ``ELFFile``, as hex, or None."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.segments import NoteSegment

    assert isinstance(elf, ELFFile)
    for segment in elf.iter_segments("PT_NOTE"):
        if not isinstance(segment, NoteSegment):
            continue
        for note in segment.iter_notes():
            if note["n_type"] == "NT_GNU_BUILD_ID":
                return str(note["n_desc"])
    return None


def _name_rank(name: str, bind: str) -> tuple[bool, int, int, str]:
    # Of aliases at one address (malloc and __libc_malloc), the public name.
    return (name.startswith("_"), _BIND_RANK.get(bind, 2), len(name), name)


def read_elf_symbols(file: BinaryIO) -> ElfSymbols:
    """Parse ``file`` (an ELF file open for reading). Raises ValueError if it is not one."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerSymSection
    from elftools.elf.sections import SymbolTableSection

    try:
        elf = ELFFile(file)
        build_id = read_build_id(elf)
        segments = [
            LoadSegment(s["p_offset"], s["p_vaddr"], s["p_memsz"])
            for s in elf.iter_segments("PT_LOAD")
        ]
        best: dict[int, tuple[tuple[bool, int, int, str], ElfSymbol]] = {}
        by_name: dict[str, set[int]] = {}
        for section_name in (".symtab", ".dynsym"):
            section = elf.get_section_by_name(section_name)
            if not isinstance(section, SymbolTableSection):
                continue
            versions = (
                elf.get_section_by_name(".gnu.version") if section_name == ".dynsym" else None
            )
            for index, symbol in enumerate(section.iter_symbols()):
                info = symbol["st_info"]
                if info["type"] not in _KINDS or not symbol.name:
                    continue
                if symbol["st_shndx"] in ("SHN_UNDEF", "SHN_ABS"):
                    continue
                value, size = symbol["st_value"], symbol["st_size"]
                hidden = False
                if isinstance(versions, GNUVerSymSection):
                    ndx = versions.get_symbol(index)["ndx"]
                    hidden = isinstance(ndx, int) and bool(ndx & _HIDDEN_VERSION)
                if not hidden:
                    # memcpy@GLIBC_2.2.5 beside memcpy@@GLIBC_2.14: the default is meant.
                    by_name.setdefault(symbol.name, set()).add(value)
                if size <= 0:
                    continue
                rank = _name_rank(symbol.name, info["bind"])
                if value not in best or rank < best[value][0]:
                    best[value] = (rank, ElfSymbol(symbol.name, value, size))
    except (ELFError, ValueError, KeyError, IndexError) as error:
        # pyelftools raises plain exceptions on a malformed file as well as ELFError.
        raise ValueError(f"not a readable ELF file: {error}") from None
    symbols = [entry for _, entry in sorted(best.values(), key=lambda pair: pair[1].value)]
    names = {name: sorted(values) for name, values in by_name.items()}
    return ElfSymbols(build_id, segments, symbols, names)


class SymbolCache:
    """Parsed files by (device, inode, size, mtime, build-id), least recently used out."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._parsed: OrderedDict[tuple[object, ...], ElfSymbols] = OrderedDict()
        self._lock = threading.Lock()
        self.parses = 0
        """Files parsed (cache misses), for tests."""

    def load(self, file: BinaryIO) -> ElfSymbols:
        """The symbols of the open ELF ``file``; ValueError if it is not one."""
        from elftools.common.exceptions import ELFError
        from elftools.elf.elffile import ELFFile

        status = os.fstat(file.fileno())
        try:
            build_id = read_build_id(ELFFile(file))
        except (ELFError, ValueError, KeyError, IndexError) as error:
            raise ValueError(f"not a readable ELF file: {error}") from None
        key = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, build_id)
        with self._lock:
            if key in self._parsed:
                self._parsed.move_to_end(key)
                return self._parsed[key]
        file.seek(0)
        symbols = read_elf_symbols(file)
        with self._lock:
            self.parses += 1
            self._parsed[key] = symbols
            while len(self._parsed) > self.entries:
                self._parsed.popitem(last=False)
        return symbols


SHARED_CACHE = SymbolCache()


@dataclass
class MappedImage:
    """One ELF file as mapped at one place: its mappings, and once loaded, its symbols."""

    name: str
    """The file's base name, as the view names its mappings (without `` (deleted)``)."""
    path: str
    mappings: list[Mapping]
    bias: int = 0
    """What to add to an address of the file's layout to get the process's address."""
    low: int = 0
    high: int = 0
    symbols: ElfSymbols | None = None
    loaded: bool = False
    failure: str | None = None
    """Why the file gives no names (unreadable, replaced, not ELF), once tried."""

    def contains(self, address: int) -> bool:
        return self.low <= address < self.high


def _file_path(mapping: Mapping) -> str:
    return mapping.path.removesuffix(" (deleted)") if mapping.deleted else mapping.path


def _image_name(mapping: Mapping) -> str:
    return mapping.name.removesuffix(" (deleted)")


def mapped_images(mappings: Sequence[Mapping]) -> list[MappedImage]:
    """The mappings grouped by the file and place they map, without opening anything.

    A file mapped from offset 0 again (a library loaded twice) starts a new image.
    """
    images: list[MappedImage] = []
    last: dict[tuple[str, int, str], MappedImage] = {}
    for mapping in mappings:
        if not mapping.path or mapping.is_special or not mapping.inode:
            continue
        key = (mapping.device, mapping.inode, mapping.path)
        image = last.get(key)
        if image is None or mapping.offset == 0:
            image = MappedImage(_image_name(mapping), _file_path(mapping), [mapping])
            image.low, image.high = mapping.start, mapping.end
            images.append(image)
            last[key] = image
        else:
            image.mappings.append(mapping)
            image.high = max(image.high, mapping.end)
    return images


def _same_file(status: os.stat_result, mapping: Mapping) -> bool:
    major, _, minor = mapping.device.partition(":")
    try:
        device = os.makedev(int(major, 16), int(minor, 16))
    except ValueError:
        return False
    return status.st_ino == mapping.inode and status.st_dev == device


def _open_mapped_file(pid: int, image: MappedImage) -> BinaryIO:
    """The file ``image`` maps: through map_files, else the path if it is still that file."""
    first = image.mappings[0]
    try:
        return open(f"/proc/{pid}/map_files/{first.start:x}-{first.end:x}", "rb")
    except OSError:
        pass
    if first.deleted:
        raise OSError("deleted since it was mapped, and map_files may not be read")
    file = open(image.path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
    if not _same_file(os.fstat(file.fileno()), first):
        file.close()
        raise OSError("replaced since it was mapped")
    return file


def _place(image: MappedImage, symbols: ElfSymbols) -> bool:
    """Set the image's bias and span from the mapping whose offset a PT_LOAD starts at."""
    for mapping in image.mappings:
        for segment in symbols.segments:
            if segment.offset - segment.offset % _PAGE == mapping.offset:
                image.bias = mapping.start - (segment.vaddr - segment.vaddr % _PAGE)
                ends = [image.bias + s.vaddr + s.memsz for s in symbols.segments]
                starts = [image.bias + s.vaddr - s.vaddr % _PAGE for s in symbols.segments]
                # A .bss past the file's end is an anonymous mapping after the image.
                image.low = min([*starts, image.low])
                image.high = max([*ends, image.high])
                return True
    return False


class ProcessSymbols:
    """The symbols of the files one process maps (as of ``mappings``).

    Files are read when first needed (:meth:`load_all` reads them all), so a lookup
    may do file I/O: the UI calls :meth:`load_all` on a worker thread and looks up
    only in a loaded instance.
    """

    def __init__(
        self, pid: int, mappings: Sequence[Mapping], cache: SymbolCache = SHARED_CACHE
    ) -> None:
        self.pid = pid
        self.mappings = list(mappings)
        self.images = mapped_images(self.mappings)
        self._cache = cache

    def load_all(self) -> ProcessSymbols:
        for image in self.images:
            self._load(image)
        self.images.sort(key=lambda image: image.low)
        return self

    def _load(self, image: MappedImage) -> ElfSymbols | None:
        if image.loaded:
            return image.symbols
        image.loaded = True
        try:
            with _open_mapped_file(self.pid, image) as file:
                if file.read(4) != _ELF_MAGIC:
                    raise ValueError("not an ELF file")
                file.seek(0)
                symbols = self._cache.load(file)
        except (OSError, ValueError) as error:
            image.failure = str(error)
            return None
        if not _place(image, symbols):
            image.failure = "no mapping matches its program headers"
            return None
        image.symbols = symbols
        return symbols

    def image_at(self, address: int) -> MappedImage | None:
        """The image whose span holds ``address`` (bss included), loaded."""
        if find_mapping(self.mappings, address) is None:
            return None
        for image in self.images:
            if image.loaded and image.contains(address):
                return image
        for image in self.images:
            if not image.loaded and image.low <= address:
                self._load(image)
                if image.contains(address):
                    return image
        return None

    def name(self, address: int) -> str | None:
        """``libc.so.6!malloc+0x10`` when a code or data symbol holds ``address``."""
        image = self.image_at(address)
        if image is None or image.symbols is None:
            return None
        symbol = image.symbols.enclosing(address - image.bias)
        if symbol is None:
            return None
        offset = address - image.bias - symbol.value
        return f"{printable(image.name)}!{printable(symbol.name)}" + (
            f"+0x{offset:x}" if offset else ""
        )

    def candidates(self, text: str) -> list[tuple[int, str]]:
        """Every (address, ``FILE!NAME``) that ``text`` (``NAME`` or ``FILE!NAME``) names."""
        library, bang, name = text.rpartition("!")
        if not name:
            return []
        found: dict[int, str] = {}
        for image in self.images:
            if bang and library not in (image.name, image.path, printable(image.name)):
                continue
            symbols = self._load(image)
            if symbols is None:
                continue
            for value in symbols.by_name.get(name, ()):
                found.setdefault(image.bias + value, f"{printable(image.name)}!{printable(name)}")
        return sorted(found.items())

    def resolve(self, text: str) -> int | None:
        """The address ``text`` names, None if no symbol has that name.

        Raises :class:`AmbiguousSymbol` listing the candidates when several do.
        """
        found = self.candidates(text.strip())
        if not found:
            return None
        if len(found) == 1:
            return found[0][0]
        shown = ", ".join(
            f"{where} at 0x{address:x}" for address, where in found[:CANDIDATES_SHOWN]
        )
        more = f" and {len(found) - CANDIDATES_SHOWN} more" if len(found) > CANDIDATES_SHOWN else ""
        raise AmbiguousSymbol(
            f"{text.strip()} names {len(found)} symbols: {shown}{more} (write FILE!NAME, "
            "or the address)"
        )
