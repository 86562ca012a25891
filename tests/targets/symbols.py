"""The symbol and telescope tests' target (symbols_target.c), built three ways.

As a PIE, as a non-PIE executable (gcc -no-pie: its addresses are the file's own),
and a stripped copy of the PIE (strip --strip-all: .dynsym alone, which -rdynamic
fills with every global). Built once per session into a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from targets import Target, start_address_line

SOURCE = Path(__file__).resolve().parent / "symbols_target.c"
FIXED_ADDRESS = 0x710000000000
"""Where the fixed page of words goes, for snapshots (far from anything the kernel picks)."""


@dataclass(frozen=True)
class SymbolsBinaries:
    pie: Path
    nopie: Path
    stripped: Path


def build_symbols_targets(out_dir: Path) -> SymbolsBinaries:
    compiler = shutil.which("gcc") or shutil.which("cc")
    strip = shutil.which("strip")
    if compiler is None or strip is None:
        raise RuntimeError("the symbol tests need gcc (or cc) and strip")
    pie, nopie, stripped = out_dir / "symbols_pie", out_dir / "symbols_nopie", out_dir / "stripped"
    common = [compiler, "-O2", "-Wall", "-rdynamic"]
    subprocess.run([*common, "-fPIE", "-pie", "-o", str(pie), str(SOURCE)], check=True)
    subprocess.run([*common, "-fno-pie", "-no-pie", "-o", str(nopie), str(SOURCE)], check=True)
    shutil.copyfile(pie, stripped)
    subprocess.run([strip, "--strip-all", str(stripped)], check=True)
    stripped.chmod(0o755)
    os.chmod(out_dir, 0o755)
    return SymbolsBinaries(pie, nopie, stripped)


def start_symbols_target(binary: Path, fixed: int | None = None) -> Target:
    """Start the target and parse its line of ``name=address`` pairs ((nil) is 0)."""
    argv = [str(binary), f"{fixed:x}" if fixed else "-"]
    process, values = start_address_line(argv, "symbols target")
    return Target(process, values)
