"""Record the store the README's hero screenshot replays: a real `memtui demo-leak`.

    python scripts/record_demo.py [--output tests/data/recordings/demo-leak.db]

Runs `memtui record` (1 s meminfo, 2 s processes) while `memtui demo-leak` churns for
20 s and then leaks 150 MiB/min for 70 s, then stops both. The store is small enough
to keep in the repository (it holds this machine's processes for 100 seconds).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, default=ROOT / "tests/data/recordings/demo-leak.db")
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.output}{suffix}").unlink(missing_ok=True)
    memtui = [sys.executable, "-m", "memtui"]
    recorder = subprocess.Popen(
        [*memtui, "record", "--output", str(args.output), "--process-interval", "2"], cwd=ROOT
    )
    time.sleep(5)
    demo = subprocess.run(
        [*memtui, "demo-leak", "--rate", "150", "--start-after", "20", "--duration", "90"],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    time.sleep(5)
    recorder.terminate()
    recorder.wait(timeout=30)
    size = args.output.stat().st_size // 1024
    print(f"{args.output}: {size} KiB, demo-leak returned {demo.returncode}")


if __name__ == "__main__":
    main()
