"""The printable form of a name from /proc or the command line: control characters,
line breaks and bytes that are not UTF-8 as escapes.

A file name may hold any byte but ``/`` and NUL, and /proc/PID/maps escapes only a
newline (as ``\\012``). Shown raw, a form feed or U+2028 breaks a line, an escape
sequence drives the terminal, and a byte that is not UTF-8 (kept as a lone surrogate
by ``surrogateescape``) cannot even be encoded for output.

Backslashes are left as they are, as the kernel leaves them: the kernel's own
``\\012`` then reads as it does in /proc/PID/maps and in pmap.
"""

from __future__ import annotations

_NAMED = {"\a": r"\a", "\b": r"\b", "\t": r"\t", "\n": r"\n", "\v": r"\v", "\f": r"\f", "\r": r"\r"}
# surrogateescape decodes byte 0xNN that is not UTF-8 as U+DCNN.
_ESCAPED_BYTES = range(0xDC80, 0xDD00)


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code in _ESCAPED_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every character that is not printable (str.isprintable) escaped.

    Spaces stay; so does printable text in any script. ``\\t`` ``\\n`` ``\\r`` ``\\v``
    ``\\f`` ``\\a`` ``\\b`` get their names, a byte that was not UTF-8 is ``\\xNN``, any
    other character ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN`` by its code point.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)
