"""Parsing /proc/PID/maps into :class:`Mapping` records.

The reader uses mappings to tell unreadable memory (holes, PROT_NONE) from data, and
to skip a hole of many GiB at once instead of probing it page by page.
"""

from __future__ import annotations

import bisect
import os
from collections import namedtuple
from collections.abc import Sequence

from memtui.core.printable import printable
from memtui.core.process_memory.reader_errors import KernelThread, PermissionDenied, ProcessGone

_DELETED = " (deleted)"
ANON = "[anon]"


# `memtui maps` and dump's address expressions import this module: as for
# ProcessFacts, mypy checks the typed NamedTuple, and what runs is a namedtuple of the
# same fields, since typing costs 6-7 ms to import (dataclasses 11-15 ms).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    class _MappingFields(NamedTuple):
        start: int
        end: int
        perms: str
        offset: int
        device: str
        inode: int
        path: str
else:
    _MappingFields = namedtuple(
        "_MappingFields", ("start", "end", "perms", "offset", "device", "inode", "path")
    )


class Mapping(_MappingFields):
    """One line of /proc/PID/maps: the half-open address range [start, end)."""

    __slots__ = ()

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def readable(self) -> bool:
        return self.perms[:1] == "r"

    @property
    def deleted(self) -> bool:
        """The backing file was unlinked after it was mapped."""
        return self.path.endswith(_DELETED) and not self.is_special

    @property
    def is_special(self) -> bool:
        """A kernel-named region such as [heap], [stack], [vdso], [vvar] or [vsyscall]."""
        return self.path.startswith("[") and self.path.endswith("]")

    @property
    def name(self) -> str:
        """A short label: the file's base name, the bracketed kernel name, or [anon].

        Printable (see :func:`printable`): what the view shows, and what ``g`` takes back.
        """
        if not self.path:
            return ANON
        if self.is_special:
            return printable(self.path)
        path = self.path[: -len(_DELETED)] if self.deleted else self.path
        base = path.rsplit("/", 1)[-1] or path
        return printable(f"{base} (deleted)" if self.deleted else base)

    @property
    def display_path(self) -> str:
        """The whole path as shown: printable, or [anon] for an anonymous mapping."""
        return printable(self.path) if self.path else ANON

    def contains(self, address: int) -> bool:
        return self.start <= address < self.end


def parse_maps_line(line: str) -> Mapping | None:
    """Parse one maps line, or return None if it is not one (never raises)."""
    # Five fields, then the path, which may itself contain spaces; the kernel pads
    # the path column with spaces that split() with a limit strips for us.
    parts = line.split(None, 5)
    if len(parts) < 5:
        return None
    span, perms, offset, device, inode = parts[:5]
    path = parts[5].rstrip("\n") if len(parts) == 6 else ""
    start_text, sep, end_text = span.partition("-")
    if not sep or len(perms) != 4:
        return None
    try:
        start = int(start_text, 16)
        end = int(end_text, 16)
        offset_value = int(offset, 16)
        inode_value = int(inode, 10)
    except ValueError:
        return None
    if end < start:
        return None
    return Mapping(start, end, perms, offset_value, device, inode_value, path)


def parse_maps(text: str) -> list[Mapping]:
    """Parse the text of /proc/PID/maps; malformed lines are skipped.

    Lines end at a newline only: the kernel escapes a newline in a file name, and
    nothing else, so a form feed or U+2028 there is part of the name (splitlines
    would cut the name there and read the rest as a mapping of its own).
    """
    mappings = [m for m in map(parse_maps_line, text.split("\n")) if m is not None]
    # The kernel lists mappings in address order; sort anyway so lookups can bisect.
    mappings.sort(key=lambda m: m.start)
    return mappings


def read_maps(pid: int) -> list[Mapping]:
    """Read and parse /proc/PID/maps: never empty, since a live process has memory.

    Once the main thread has exited while others run, a live thread's maps are read.
    Raises ProcessGone, ZombieProcess, PermissionDenied (with the reason), or
    KernelThread when the process has no address space at all.
    """
    from memtui.core.process_memory.process_facts import (
        memory_task,
        read_process_facts,
        task_path,
    )

    raw = _read_maps_file(pid, f"/proc/{pid}/maps")
    if not raw:
        facts = read_process_facts(pid)
        if facts.kernel_thread:
            raise KernelThread(pid, facts.name)
        task = memory_task(pid, facts.state)
        if task != pid:
            raw = _read_maps_file(pid, f"{task_path(pid, task)}/maps")
        if not raw:
            raise ProcessGone(pid)  # its memory went in the moment since it was listed
    # surrogateescape keeps any non-UTF-8 file name intact instead of failing on it.
    return parse_maps(raw.decode("utf-8", "surrogateescape"))


def _read_maps_file(pid: int, path: str) -> bytes:
    from memtui.core.process_memory.process_facts import explain_permission_denied

    try:
        with open(path, "rb") as file:
            return file.read()
    except (FileNotFoundError, ProcessLookupError):
        raise ProcessGone(pid) from None
    except PermissionError:
        raise PermissionDenied(pid, explain_permission_denied(pid)) from None


def find_mapping(mappings: Sequence[Mapping], address: int) -> Mapping | None:
    """The mapping containing ``address`` in a start-sorted list, or None."""
    index = bisect.bisect_right(mappings, address, key=lambda m: m.start) - 1
    if index >= 0 and mappings[index].contains(address):
        return mappings[index]
    return None


def next_mapping(mappings: Sequence[Mapping], address: int) -> Mapping | None:
    """The first mapping starting above ``address``, or None."""
    index = bisect.bisect_right(mappings, address, key=lambda m: m.start)
    return mappings[index] if index < len(mappings) else None


def readable_spans(mappings: Sequence[Mapping], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of [start, end) covered by readable mappings, merged and in order."""
    spans: list[tuple[int, int]] = []
    index = max(bisect.bisect_right(mappings, start, key=lambda m: m.start) - 1, 0)
    for mapping in mappings[index:]:
        if mapping.start >= end:
            break
        if not mapping.readable or mapping.end <= start:
            continue
        low, high = max(start, mapping.start), min(end, mapping.end)
        if spans and spans[-1][1] == low:
            spans[-1] = (spans[-1][0], high)
        else:
            spans.append((low, high))
    return spans


def page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE")
