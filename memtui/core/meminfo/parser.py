"""Parse /proc/meminfo into bytes.

Every field the kernel reports is kept, known or not. Values with a ``kB`` unit are
kibibytes and become bytes; values without a unit (the HugePages_* counts) stay counts.
Malformed lines are skipped, never fatal: the set of fields differs between kernels and
configurations, so nothing here assumes a field exists.
"""

from __future__ import annotations

MEMINFO_PATH = "/proc/meminfo"

_UNIT_MULTIPLIERS = {b"kB": 1024, b"KB": 1024, b"mB": 1 << 20, b"MB": 1 << 20, b"": 1}


def parse_meminfo(data: bytes | str) -> dict[str, int]:
    """Map each field name to its value in bytes (or as a count for unitless fields).

    The first occurrence of a duplicated name wins, as a reader of the file would
    expect; lines that are not ``Name: number [unit]`` are ignored.
    """
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    fields: dict[str, int] = {}
    # A line ends at a newline only, as the kernel writes it (splitlines would also
    # end one at a carriage return).
    for line in raw.split(b"\n"):
        name, sep, rest = line.partition(b":")
        if not sep:
            continue
        name = name.strip()
        if not name or b" " in name or b"\t" in name:
            continue
        parts = rest.split()
        if not parts or len(parts) > 2:
            continue
        try:
            number = int(parts[0])
        except ValueError:
            continue
        multiplier = _UNIT_MULTIPLIERS.get(parts[1] if len(parts) == 2 else b"")
        if multiplier is None or number < 0:
            continue
        key = name.decode("ascii", "replace")
        if key not in fields:
            fields[key] = number * multiplier
    return fields


def read_meminfo(path: str = MEMINFO_PATH) -> dict[str, int]:
    """Read and parse /proc/meminfo in one binary read (a single consistent snapshot)."""
    with open(path, "rb", buffering=0) as file:
        return parse_meminfo(file.read())
