"""Copying bytes of a process as text, for the memory view's ``y`` (hex) and ``Y`` (text).

Pure logic, no Textual: the view reads the range (under one freeze), then hands the
text to the terminal's clipboard. A range over bytes that cannot be read is refused
whole, never copied with zeros in their place.
"""

from __future__ import annotations

from memtui.core.process_memory.dump_output import PRINTABLE_ASCII
from memtui.core.process_memory.read_result import ReadResult
from memtui.core.units import format_bytes_short

COPY_LIMIT = 1 << 20
"""The most bytes one copy takes: 2 MiB of hex text through OSC 52 is already more
than some terminals accept (larger ranges go to a file with ``s``)."""

FORMATS = ("hex", "text")


class CopyError(ValueError):
    """A copy that cannot be made; the message says why, for the user."""


def check_length(length: int) -> None:
    """CopyError if ``length`` bytes are more than one copy takes."""
    if length > COPY_LIMIT:
        raise CopyError(
            f"{format_bytes_short(length)} selected: y and Y copy at most "
            f"{format_bytes_short(COPY_LIMIT)}; save a larger range with s"
        )


def hex_text(data: bytes) -> str:
    """``48 65 6c 6c 6f``: what bytes.fromhex and xxd -r -p read back."""
    return data.hex(" ")


def ascii_text(data: bytes) -> str:
    """Printable ASCII as itself, any other byte as ``.``, as the view's ASCII column."""
    return data.translate(PRINTABLE_ASCII).decode("ascii")


def copy_text(result: ReadResult, form: str) -> str:
    """The text of ``result`` in ``form`` (hex or text); CopyError if any byte is unreadable."""
    if result.unreadable:
        start, end = result.unreadable[0]
        missing = sum(e - s for s, e in result.unreadable)
        raise CopyError(
            f"{missing:,} of the {len(result.data):,} bytes cannot be read "
            f"(from 0x{start:x} to 0x{end:x}): nothing copied"
        )
    data = bytes(result.data)
    return hex_text(data) if form == "hex" else ascii_text(data)
