"""node_exporter's names for /proc/meminfo fields, and back.

node_exporter exports ``Field: N kB`` as ``node_memory_<Field>_bytes`` (in bytes),
with ``(anon)`` and ``(file)`` turned into ``_anon`` and ``_file``; the page counts
``HugePages_Total`` and friends keep their name without ``_bytes``.
"""

from __future__ import annotations

import math
import re

PREFIX = "node_memory_"
_PAREN = re.compile(r"_(anon|file)$")


def field_of(metric: str) -> str | None:
    """The meminfo field of a node_memory metric; None for any other metric."""
    if not metric.startswith(PREFIX):
        return None
    name = metric[len(PREFIX) :]
    if name.endswith("_bytes"):
        name = name[: -len("_bytes")]
    elif not name.startswith("HugePages_"):
        return None  # node_memory_numa_* and the like are not meminfo fields
    return _PAREN.sub(r"(\1)", name) or None


def metric_of(field: str) -> str:
    """``AnonPages`` -> ``node_memory_AnonPages_bytes``, ``Active(anon)`` ->
    ``node_memory_Active_anon_bytes``, ``HugePages_Total`` -> ``node_memory_HugePages_Total``."""
    name = field.replace("(", "_").replace(")", "")
    return PREFIX + name if field.startswith("HugePages_") else f"{PREFIX}{name}_bytes"


def parse_value(text: object) -> float:
    """A sample value as the API sends it, a JSON string ("123", "NaN", "+Inf")."""
    if not isinstance(text, str):
        raise ValueError(f"a sample value is not a string: {text!r}")
    return float(text)


def as_bytes(value: float) -> int | None:
    """A value meminfo could hold; None for NaN, infinities and negatives."""
    if math.isnan(value) or math.isinf(value) or value < 0:
        return None
    return int(value)
