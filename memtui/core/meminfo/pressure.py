"""/proc/pressure/memory (PSI): how much time tasks stalled waiting for memory.

``some`` is the share of time at least one task stalled, ``full`` the share all did.
Kept as integers for the store: avg10 in hundredths of a percent, total in
microseconds. Kernels before 4.20, or booted with psi=0, have no such file.
"""

from __future__ import annotations

PRESSURE_PATH = "/proc/pressure/memory"


def parse_pressure(raw: bytes) -> dict[str, int]:
    """``{"some_avg10": 125, "some_total": 5301, "full_avg10": ..., ...}``; lines that do
    not parse are skipped."""
    values: dict[str, int] = {}
    for line in raw.split(b"\n"):
        kind, _, rest = line.partition(b" ")
        if kind not in (b"some", b"full"):
            continue
        prefix = kind.decode()
        for item in rest.split():
            key, _, number = item.partition(b"=")
            try:
                if key == b"avg10":
                    values[f"{prefix}_avg10"] = round(float(number) * 100)
                elif key == b"total":
                    values[f"{prefix}_total"] = int(number)
            except ValueError:
                continue
    return values


def read_pressure(path: str = PRESSURE_PATH) -> dict[str, int] | None:
    """The memory pressure now, or None where the kernel has no PSI."""
    try:
        with open(path, "rb") as file:
            return parse_pressure(file.read())
    except OSError:
        return None
