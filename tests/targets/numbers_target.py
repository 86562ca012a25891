"""A process holding negative numbers and awkward floats at an address it prints.

    python numbers_target.py

For `memtui search` and the data inspector. From ``address``: f64 -1e5, f64 -1.5,
i32 -123456, 4 zero bytes, i64 -16, then the bytes ``ff ff 7f 7f`` (FLT_MAX as a
little-endian f32), ``7f 7f ff ff`` (FLT_MAX big-endian), an f32 signalling NaN
with payload 1 and an f64 negative quiet NaN with payload 0x1234, both
little-endian. Prints ``address=0x...``, then waits until stdin closes.
"""

from __future__ import annotations

import ctypes
import struct
import sys

F64_AT, SECOND_F64_AT, I32_AT, I64_AT = 0, 8, 16, 24
FLT_MAX_AT, FLT_MAX_BE_AT, F32_NAN_AT, F64_NAN_AT = 32, 36, 40, 48
VALUES = (
    struct.pack("<ddiiq", -1e5, -1.5, -123456, 0, -16)
    + bytes.fromhex("ffff7f7f 7f7fffff 0100807f 00000000")
    + (0xFFF8000000001234).to_bytes(8, "little")
)


def main() -> None:
    held = ctypes.create_string_buffer(VALUES, len(VALUES))
    print(f"address={ctypes.addressof(held):#x}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
