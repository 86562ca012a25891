"""The `memtui` command's entry point: the first memtui code a start-up runs.

It imports nothing at module level, so that a Ctrl-C in the first milliseconds,
while Python still imports the command line (argparse and the rest, about 15 ms),
lands in this ``try`` and ends memtui with 130 and no traceback, as a Ctrl-C does
once it runs. (An interrupt earlier still, inside the interpreter's own start-up
or the console script's ``import re``, is beyond any code of memtui's.)
"""

from __future__ import annotations

INTERRUPTED = 130


def main() -> int:
    try:
        from memtui.cli import main as run_command_line

        return run_command_line(skip_teardown=True)
    except KeyboardInterrupt:
        return INTERRUPTED
