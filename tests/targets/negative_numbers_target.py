"""A process holding negative numbers at an address it prints, for `memtui search`.

    python negative_numbers_target.py

Holds, from ``address``: f64 -1e5, f64 -1.5, i32 -123456 and i64 -16. Prints
``address=0x...``, then waits until stdin closes.
"""

from __future__ import annotations

import ctypes
import struct
import sys

VALUES = struct.pack("<ddiiq", -1e5, -1.5, -123456, 0, -16)
F64_AT, SECOND_F64_AT, I32_AT, I64_AT = 0, 8, 16, 24


def main() -> None:
    held = ctypes.create_string_buffer(VALUES, len(VALUES))
    print(f"address={ctypes.addressof(held):#x}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
