"""Writing to a live process's memory: the only code in memtui that does.

A :class:`MemoryWriter` exists only when the user started memtui with ``--write``;
without one nothing can write, since the reader opens /proc/PID/mem read-only and no
other module opens it otherwise or calls process_vm_writev.

Every write (and every undo):

- runs on the memory session's reader thread, under one freeze of every thread
  (always, even in no-stop mode: the program must not run between the check, the
  write and the read-back), released on every path by the reader's own freeze;
- checks /proc/PID/maps first, under that freeze, and refuses a byte outside a
  writable mapping: as root, /proc/PID/mem writes through FOLL_FORCE, so a write to
  a read-only private mapping (code, constants, an mprotect(PROT_READ) page) would
  succeed there, which the program never could;
- goes through pwrite on /proc/PID/mem, is read back in the same freeze and
  compared; a write that does not read back as written is put back as it was;
- is kept in an undo list: :meth:`MemoryWriter.undo` puts back the bytes the last
  write replaced, but only while they still hold what was written. If the program
  (or anything else) changed them since, undoing would overwrite its newer value:
  the entry is dropped and the error says what the bytes hold now.

What the user types (:func:`parse_edit`) follows radare2's ``wx``/``w`` split: hex
bytes (``41 42``, ``x:4142``), text in quotes (``"text"``, with C escapes, or
``text:...``), or a typed value in the data inspector's types (``u32:5``,
``i16:-2``, ``f64:2.5``, ``u8:0xff``, little-endian as the inspector's first
column; ``u32be:5`` for the second).
"""

from __future__ import annotations

import codecs
import errno
import os
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memtui.core.input_echo import echo
from memtui.core.process_memory.memory_reader import MemoryReader
from memtui.core.process_memory.memory_search import ALIASES, TYPES, compile_pattern
from memtui.core.process_memory.proc_maps import find_mapping, read_maps
from memtui.core.process_memory.process_facts import is_memtui_itself, task_path
from memtui.core.process_memory.reader_errors import ReaderError

if TYPE_CHECKING:
    from memtui.core.process_memory.read_result import ReadResult

ReadRanges = Callable[[list[tuple[int, int]]], list["ReadResult"]]

MAX_EDIT_BYTES = 4096
"""At most this many bytes in one write: an edit, not a transplant."""
EDIT_HELP = '41 42 (hex) · "text" · u32:5 · i16:-2 · f64:2.5 · u8:0xff'
WRITE_OFF = "Writing is off: start memtui with --write (memtui --pid PID --write) to edit memory"
# /proc/PID/mem offsets are a signed off_t.
_OFFSET_LIMIT = 1 << 63
_SHOWN_BYTES = 16


class WriteRefused(ReaderError):
    """The write (or undo) was not made: nothing in the process changed."""


class WriteFailed(ReaderError):
    """The kernel failed the write, or it did not read back: what it held was put back."""


@dataclass(frozen=True, slots=True)
class EditValue:
    """The bytes an edit writes, and how to say what they are."""

    data: bytes
    description: str


@dataclass(frozen=True, slots=True)
class Write:
    """One write made: ``before`` is what ``after`` replaced at ``address``."""

    address: int
    before: bytes
    after: bytes


@dataclass(frozen=True, slots=True)
class WriteDone:
    """A write made (or, with ``undone``, put back), and the undo entries left."""

    write: Write
    undone: bool
    undo_left: int


def show_bytes(data: bytes) -> str:
    """``05 00 00 00``, cut after 16 bytes."""
    shown = data[:_SHOWN_BYTES].hex(" ")
    return shown + (f" … ({len(data)} bytes)" if len(data) > _SHOWN_BYTES else "")


def parse_edit(text: str) -> EditValue:
    """The bytes ``text`` asks to write; ValueError says why it means none."""
    value = text.strip()
    if not value:
        raise ValueError(f"type what to write: {EDIT_HELP}")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        data = _unescape(value[1:-1])
        return _checked(EditValue(data, f"text {echo(value[1:-1])}"))
    head, colon, rest = value.partition(":")
    name = ALIASES.get(head.strip().lower(), head.strip().lower())
    if colon and name in TYPES:
        pattern = compile_pattern(name, rest)
        if pattern.floats is None:
            return _checked(EditValue(pattern.needle, pattern.description))
        floats = pattern.floats
        if floats.low != floats.high:
            raise ValueError(f"a value to write takes no tolerance (~): {echo(value)}")
        code = {4: "f", 8: "d"}[floats.size]
        return EditValue(struct.pack(floats.endian + code, floats.low), pattern.description)
    try:
        pattern = compile_pattern("hex", value)
    except ValueError as error:
        if not str(error).startswith("not hex bytes"):
            raise
        raise ValueError(
            f'not hex bytes: {echo(value)}; text goes in quotes ("text"), values with '
            "their type (u32:5, f64:2.5)"
        ) from None
    return _checked(EditValue(pattern.needle, pattern.description))


def _unescape(text: str) -> bytes:
    """The bytes of quoted text: UTF-8, with C escapes (``\\n``, ``\\0``, ``\\xff``)."""
    if not text:
        raise ValueError('type the text to write between the quotes, e.g. "hello"')
    try:
        data: bytes = codecs.escape_decode(text.encode("utf-8"))[0]
    except ValueError as error:
        raise ValueError(f"bad escape in {echo(text)}: {error}") from None
    return data


def _checked(value: EditValue) -> EditValue:
    if len(value.data) > MAX_EDIT_BYTES:
        raise ValueError(f"at most {MAX_EDIT_BYTES:,} bytes at once, not {len(value.data):,}")
    return value


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of stat), which tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = file.read().rpartition(b")")[2].split()
    except OSError:
        return None
    return fields[19].decode() if len(fields) > 19 else None


class MemoryWriter:
    """Writes to process ``pid`` on behalf of ``--write``, and keeps what undoes each write.

    :meth:`write` and :meth:`undo` take the session's reader and must run on its thread
    (the freeze's ptrace calls all come from there). ``confirmed`` is the UI's: the user
    has said yes to writing once in this run.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.confirmed = False
        self._started = _start_time(pid)
        self._undo: list[Write] = []
        self._lock = threading.Lock()

    @property
    def undo_count(self) -> int:
        with self._lock:
            return len(self._undo)

    def write(self, reader: MemoryReader, address: int, data: bytes) -> WriteDone:
        """Write ``data`` at ``address``, under a freeze, and read it back."""
        if not data:
            raise WriteRefused(self.pid, "nothing to write")
        self._check_not_itself()
        with reader.one_moment(freeze=True) as read_ranges:
            before = self._current_bytes(read_ranges, address, len(data))
            self._put(reader, read_ranges, address, data, before)
        record = Write(address, before, bytes(data))
        with self._lock:
            self._undo.append(record)
            left = len(self._undo)
        return WriteDone(record, undone=False, undo_left=left)

    def undo(self, reader: MemoryReader) -> WriteDone:
        """Put back what the last write replaced, if its bytes still hold what it wrote."""
        with self._lock:
            if not self._undo:
                raise WriteRefused(self.pid, "nothing to undo")
            record = self._undo[-1]
        self._check_not_itself()
        with reader.one_moment(freeze=True) as read_ranges:
            try:
                now = self._current_bytes(read_ranges, record.address, len(record.after))
            except WriteRefused as refused:
                self._drop(record)
                raise WriteRefused(
                    self.pid, f"not undone: {refused}; dropped from the undo list"
                ) from None
            if now != record.after:
                self._drop(record)
                raise WriteRefused(
                    self.pid,
                    f"not undone: 0x{record.address:x} holds {show_bytes(now)} now, not the "
                    f"{show_bytes(record.after)} written (changed since); dropped from the "
                    "undo list",
                )
            self._put(reader, read_ranges, record.address, record.before, now)
        self._drop(record)
        return WriteDone(record, undone=True, undo_left=self.undo_count)

    def _check_not_itself(self) -> None:
        # A write needs a freeze, and a process cannot freeze (ptrace) itself.
        if is_memtui_itself(self.pid):
            raise WriteRefused(
                self.pid, f"process {self.pid} is memtui itself, which does not write to itself"
            )

    def _drop(self, record: Write) -> None:
        with self._lock:
            if self._undo and self._undo[-1] is record:
                self._undo.pop()

    # -- under the freeze ---------------------------------------------------------------

    def _current_bytes(self, read_ranges: ReadRanges, address: int, length: int) -> bytes:
        """What [address, address + length) holds now; WriteRefused unless all writable."""
        if _start_time(self.pid) != self._started:
            raise WriteRefused(self.pid, f"process {self.pid} is not the one opened with --write")
        end = address + length
        if address < 0 or end > _OFFSET_LIMIT:
            raise WriteRefused(self.pid, f"0x{address:x} is beyond what can be written")
        mappings = read_maps(self.pid)
        position = address
        while position < end:
            mapping = find_mapping(mappings, position)
            if mapping is None:
                raise WriteRefused(self.pid, f"0x{position:x} is not mapped: nothing written")
            if "w" not in mapping.perms:
                raise WriteRefused(
                    self.pid,
                    f"0x{position:x} is in {mapping.name} ({mapping.perms}), which is not "
                    "writable: nothing written",
                )
            position = mapping.end
        result = read_ranges([(address, length)])[0]
        if result.unreadable:
            start = result.unreadable[0][0]
            raise WriteRefused(self.pid, f"0x{start:x} cannot be read: nothing written")
        return bytes(result.data)

    def _put(
        self,
        reader: MemoryReader,
        read_ranges: ReadRanges,
        address: int,
        data: bytes,
        before: bytes,
    ) -> None:
        try:
            fd = os.open(f"{task_path(self.pid, reader.task)}/mem", os.O_RDWR | os.O_CLOEXEC)
        except OSError as error:
            raise WriteRefused(
                self.pid, f"cannot open process {self.pid}'s memory to write: {error.strerror}"
            ) from None
        try:
            written, failure = _pwrite_all(fd, data, address)
            if written < len(data):
                _pwrite_all(fd, before[:written], address)
                reason = f" ({failure.strerror})" if failure is not None else ""
                raise WriteFailed(
                    self.pid,
                    f"the kernel wrote {written} of {len(data)} bytes at 0x{address:x}"
                    f"{reason}: nothing changed",
                )
            back = read_ranges([(address, len(data))])[0]
            if back.unreadable or bytes(back.data) != data:
                _pwrite_all(fd, before, address)
                raise WriteFailed(
                    self.pid,
                    f"0x{address:x} reads back as {show_bytes(bytes(back.data))}, not "
                    f"{show_bytes(data)}: put back what it held",
                )
        finally:
            os.close(fd)


def _pwrite_all(fd: int, data: bytes, address: int) -> tuple[int, OSError | None]:
    """Bytes written of ``data`` at ``address`` (all, or as many as before the error)."""
    written = 0
    while written < len(data):
        try:
            count = os.pwrite(fd, data[written:], address + written)
        except OSError as failure:
            return written, failure
        if count <= 0:
            return written, OSError(errno.EIO, os.strerror(errno.EIO))
        written += count
    return written, None
