"""A child that maps files whose names hold line breaks other than newline, and bytes
that are not UTF-8: what /proc/PID/maps shows raw (the kernel escapes only ``\\n``).

Each file holds ``NEEDLE_PREFIX + key`` at offset 0 and, at ``POINTER_AT``, the
address the child mapped it at (a pointer into itself, for the data inspector).
The child prints ``key=0x...`` for each mapping, then waits for stdin to close.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from targets import stop_process

NEEDLE_PREFIX = b"ODD-NAME-NEEDLE-"
POINTER_AT = 0x100

# key -> the file's name, as bytes.
ODD_NAMES: dict[str, bytes] = {
    # A form feed, then what reads as a whole maps line of its own.
    "fake": b"inj\x0c7f0000000000-7f0000001000 rwxp 00000000 00:00 0 [fake-mapping]",
    "breaks": b"cr\rvt\x0bfs\x1cgs\x1drs\x1eend",
    "unicode_breaks": "nel\x85ls\u2028ps\u2029end".encode(),
    "not_utf8": b"bad\xff\xfeutf8",
    "newline": b"new\nline",
    "trailing": b"trailing-ff\x0c",
    "printable": "café-€".encode(),
}

# key -> how memtui shows the name: line breaks, other control characters and bytes
# that are not UTF-8 as escapes; the kernel's own \012 for a newline stays as it is.
SHOWN_NAMES: dict[str, str] = {
    "fake": r"inj\f7f0000000000-7f0000001000 rwxp 00000000 00:00 0 [fake-mapping]",
    "breaks": r"cr\rvt\vfs\x1cgs\x1drs\x1eend",
    "unicode_breaks": r"nel\x85ls\u2028ps\u2029end",
    "not_utf8": r"bad\xff\xfeutf8",
    "newline": r"new\012line",
    "trailing": r"trailing-ff\f",
    "printable": "café-€",
}

_CHILD = """
import ctypes, mmap, os, struct, sys
POINTER_AT = int(sys.argv[1])
names = sys.argv[2::2]
paths = sys.argv[3::2]
maps = []
for name, path in zip(names, paths):
    fd = os.open(path, os.O_RDWR)
    area = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    os.close(fd)
    address = ctypes.addressof(ctypes.c_char.from_buffer(area))
    area[POINTER_AT : POINTER_AT + 8] = struct.pack("<Q", address)
    maps.append(area)
    print(f"{name}=0x{address:x}", end=" ")
print(flush=True)
sys.stdin.read()
"""


@dataclass
class OddNamesTarget:
    process: subprocess.Popen[bytes]
    directory: Path
    addresses: dict[str, int]

    @property
    def pid(self) -> int:
        return self.process.pid

    def path(self, key: str) -> bytes:
        """The full path of the file, as bytes."""
        return os.fsencode(self.directory) + b"/" + ODD_NAMES[key]

    def shown_path(self, key: str) -> str:
        """The full path as memtui shows it."""
        return f"{self.directory}/{SHOWN_NAMES[key]}"


@contextmanager
def running_odd_names_target(directory: Path) -> Iterator[OddNamesTarget]:
    """Create the files in ``directory`` and start a child that maps them all."""
    argv = [os.fsencode(sys.executable), b"-c", _CHILD.encode(), str(POINTER_AT).encode()]
    for key, name in ODD_NAMES.items():
        path = os.fsencode(directory) + b"/" + name
        page = bytearray(4096)
        needle = NEEDLE_PREFIX + key.encode()
        page[: len(needle)] = needle
        with open(path, "wb") as file:
            file.write(page)
        argv += [key.encode(), path]
    # An empty environment, as for the values target: nothing of the test's own in it.
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={})
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        addresses = {key: int(value, 16) for key, value in re.findall(r"(\w+)=0x([0-9a-f]+)", line)}
        if set(addresses) != set(ODD_NAMES):
            raise RuntimeError(f"the odd-names child did not map its files: {line!r}")
        yield OddNamesTarget(process, directory, addresses)
    finally:
        stop_process(process)
