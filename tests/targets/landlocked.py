"""Run memtui inside a Landlock sandbox of its own: ``python landlocked.py ARGS...``.

Landlock lets a sandboxed process trace only processes inside its sandbox, whatever
its capabilities, so memtui run here as root is refused any target started outside:
a refusal by a security module, made on purpose. The sandbox restricts nothing else
(it handles only the making of block devices).
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

# The same numbers on every architecture (the unified syscall table).
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_ACCESS_FS_MAKE_BLOCK = 1 << 11
PR_SET_NO_NEW_PRIVS = 38


def enter_sandbox() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    attr = struct.pack("Q", LANDLOCK_ACCESS_FS_MAKE_BLOCK)  # handled_access_fs only
    ruleset = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, attr, len(attr), 0)
    if (
        ruleset < 0
        or libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
        or libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0
    ):
        sys.exit(f"cannot enter a Landlock sandbox: {os.strerror(ctypes.get_errno())}")
    os.close(ruleset)


if __name__ == "__main__":
    enter_sandbox()
    # In this process, not exec'd: user nobody may not be able to reach the interpreter
    # by the path of its true location.
    from memtui.cli import main

    raise SystemExit(main(sys.argv[1:]))
