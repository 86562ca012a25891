"""The compact encoding of one sample in a recording store: what changed, as varints.

A sample is a mapping from small integer ids (a meminfo field, a process) to a tuple
of ``width`` integers (a field's bytes; a process's RSS and swap in KiB). A *key
frame* holds every id with its absolute values; any other frame holds only the ids
whose values changed since the previous frame, as differences, and the ids that went
away. Of /proc/meminfo's ~55 fields about 19 change from one second to the next, by a
few pages, so a delta frame is ~60 bytes where the full sample as text is ~1.5 KB.

Layout (every number an unsigned LEB128 varint; differences zigzag-encoded):
``flags`` (bit 0: key frame; bit 1: what follows is raw deflate), ``changed count``,
then per changed id in ascending order ``id gap`` and ``width`` values, then
``removed count`` and the removed ids' gaps. Python's standard library has no varint
codec; this one is a dozen lines.

A frame of a few hundred bytes and more (a process sample) is deflated when that
makes it smaller: a day of 500 processes' frames takes about a third less room (the
gaps of consecutive ids, the values of processes that started). A meminfo delta, ~50
bytes, is not.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

Values = tuple[int, ...]
Frame = dict[int, Values]

KEY_FRAME = 1
DEFLATED = 2

DEFLATE_FROM = 128
"""Frames shorter than this are stored as they are (deflate saves nothing on them)."""

MAX_INFLATED = 64 << 20
"""A deflated frame that inflates past this is damage, not a sample."""


class CorruptFrame(ValueError):
    """A frame that does not decode: the store was damaged."""


def _put(out: bytearray, number: int) -> None:
    while number >= 0x80:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)


def _zigzag(number: int) -> int:
    return number * 2 if number >= 0 else -number * 2 - 1


def _unzigzag(number: int) -> int:
    return number >> 1 if not number & 1 else -((number + 1) >> 1)


def encode(
    current: Mapping[int, Values],
    previous: Mapping[int, Values] | None,
    width: int,
    deflate: bool = True,
) -> bytes:
    """``current`` as a key frame (``previous`` None) or as its change from
    ``previous``; deflated where that is shorter, unless not ``deflate`` (a store of
    format version 1, which its readers could not read)."""
    out = bytearray()
    key = previous is None
    out.append(KEY_FRAME if key else 0)
    if previous is None:
        changed = sorted(current)
        removed: list[int] = []
    else:
        changed = sorted(i for i, values in current.items() if previous.get(i) != values)
        removed = sorted(i for i in previous if i not in current)
    _put(out, len(changed))
    last = 0
    for ident in changed:
        _put(out, ident - last)
        last = ident
        values = current[ident]
        if len(values) != width:
            raise ValueError(f"id {ident} has {len(values)} values, expected {width}")
        before = None if previous is None else previous.get(ident)
        for position, value in enumerate(values):
            base = 0 if before is None else before[position]
            _put(out, _zigzag(value - base))
    _put(out, len(removed))
    last = 0
    for ident in removed:
        _put(out, ident - last)
        last = ident
    # A new id in a delta frame is encoded against 0, which decode() mirrors.
    if deflate and len(out) >= DEFLATE_FROM:
        packed = zlib.compress(out[1:], 6, wbits=-15)
        if len(packed) + 1 < len(out):
            return bytes((out[0] | DEFLATED,)) + packed
    return bytes(out)


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=-15)
    try:
        result = inflater.decompress(data, MAX_INFLATED)
    except zlib.error as error:
        raise CorruptFrame(f"a deflated frame does not inflate ({error})") from None
    if inflater.unconsumed_tail or inflater.unused_data or not inflater.eof:
        raise CorruptFrame("a deflated frame is cut short or too large")
    return result


def decode(data: bytes, previous: Mapping[int, Values] | None, width: int) -> tuple[Frame, bool]:
    """The sample ``data`` holds, applied to ``previous``; and whether it was a key frame.

    Raises CorruptFrame for bytes that do not decode, or a delta frame without a
    previous sample to apply it to.
    """
    position = 0
    size = len(data)

    def number() -> int:
        nonlocal position
        result = shift = 0
        while True:
            if position >= size:
                raise CorruptFrame("frame ends inside a number")
            byte = data[position]
            position += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7
            if shift > 70:
                raise CorruptFrame("number too long")

    if not data:
        raise CorruptFrame("empty frame")
    flags = number()
    if flags & DEFLATED:
        data, position = _inflate(data[position:]), 0
        size = len(data)
    key = bool(flags & KEY_FRAME)
    if not key and previous is None:
        raise CorruptFrame("a delta frame with nothing before it")
    frame: Frame = {} if key or previous is None else dict(previous)
    ident = 0
    for _ in range(number()):
        ident += number()
        before = None if key else frame.get(ident)
        values = []
        for index in range(width):
            delta = _unzigzag(number())
            values.append(delta if before is None else before[index] + delta)
        frame[ident] = tuple(values)
    ident = 0
    for _ in range(number()):
        ident += number()
        frame.pop(ident, None)
    if position != size:
        raise CorruptFrame("trailing bytes after the frame")
    return frame, key
