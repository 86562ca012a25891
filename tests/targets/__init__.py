"""Target programs for the reader tests, and helpers to build and drive them.

The C sources here are compiled once per test session into a temporary directory;
binaries are never committed. Fixtures live in :mod:`targets.fixtures`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SOURCES = Path(__file__).resolve().parent
STOPPED_STATES = ("t", "T")


@dataclass(frozen=True)
class Binaries:
    target: Path
    tracer: Path
    threads: Path


def build(out_dir: Path) -> Binaries:
    """Compile target.c, tracer.c and threads_target.c into ``out_dir``."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError("the reader tests need a C compiler (gcc or cc)")
    target = out_dir / "target"
    # The tracer's file name becomes its comm, which the "already traced" error names.
    tracer = out_dir / "memtui-tracer"
    threads = out_dir / "threads_target"
    for source, binary, extra in (
        ("target.c", target, ["-pthread"]),
        ("tracer.c", tracer, []),
        ("threads_target.c", threads, ["-pthread"]),
    ):
        subprocess.run(
            [compiler, "-O2", "-Wall", *extra, "-o", str(binary), str(SOURCES / source)],
            check=True,
        )
    # Other users (the setpriv test runs as nobody) must be able to reach the binaries.
    os.chmod(out_dir, 0o755)
    return Binaries(target, tracer, threads)


@dataclass
class Target:
    """A running target process and the addresses it printed."""

    process: subprocess.Popen[bytes]
    addresses: dict[str, int] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def __getattr__(self, name: str) -> int:
        try:
            return self.__dict__["addresses"][name]
        except KeyError:
            raise AttributeError(name) from None

    def command(self, letter: str, answer: str | None = None) -> None:
        """Send a one-letter command on stdin and wait for ``answer`` on stdout."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(letter.encode())
        self.process.stdin.flush()
        if answer is not None:
            assert self.process.stdout.readline().decode().strip() == answer

    def stop(self) -> None:
        stop_process(self.process)

    def exit_leader(self) -> None:
        """End the main thread (pthread_exit) while the others run on: a zombie leader."""
        self.command("x", "leader exiting")
        deadline = time.monotonic() + 5
        while task_states(self.pid).get(self.pid) != "Z":
            if time.monotonic() > deadline:
                raise RuntimeError(f"the main thread of {self.pid} did not exit")
            time.sleep(0.01)

    def exec_program(self, program: Path) -> None:
        """Have the target exec ``program`` (no arguments), from the thread reading commands."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"e" + bytes(program) + b"\n")
        self.process.stdin.flush()


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Kill a target if it still runs, reap it, and close its pipes."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def start_python_target(script: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """Start ``tests/targets/SCRIPT`` on this Python; its first line's ``name=value``
    pairs. Stop it with :func:`stop_process`."""
    path = Path(__file__).parent / script
    process = subprocess.Popen(
        [sys.executable, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    return process, dict(part.split("=", 1) for part in line.split())


def start_target(
    binary: Path, threads: int = 0, data_file: Path | None = None, churn: bool = False
) -> Target:
    """Start the target and parse its first line: ``name=value`` pairs."""
    argv = [str(binary), str(threads), str(data_file) if data_file else "-"]
    if churn:
        argv.append("churn")
    return _start(argv, threads + 1)


def start_threads_target(
    binary: Path, threads: int, churn: bool = False, vfork_seconds: int = 0
) -> Target:
    """Start threads_target.c: ``threads`` workers, plus a churning or a vfork-stalled thread."""
    argv = [str(binary), str(threads)]
    if churn:
        argv.append("churn")
    if vfork_seconds:
        argv += ["vfork", str(vfork_seconds)]
    return _start(argv, threads + 1, timeout=30.0)


def _start(argv: list[str], threads: int, timeout: float = 5.0) -> Target:
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line:
        process.kill()
        raise RuntimeError(f"target did not start: {argv}")
    addresses = {key: int(value, 0) for key, value in re.findall(r"(\w+)=(0x[0-9a-f]+|\d+)", line)}
    target = Target(process, addresses)
    wait_for_threads(target.pid, threads, timeout)
    return target


def wait_for_threads(pid: int, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(os.listdir(f"/proc/{pid}/task")) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"process {pid} did not start {count} threads")
        time.sleep(0.01)


def task_states(pid: int) -> dict[int, str]:
    """tid -> one-letter state, for every thread still listed."""
    states = {}
    for name in os.listdir(f"/proc/{pid}/task"):
        try:
            raw = Path(f"/proc/{pid}/task/{name}/stat").read_bytes()
        except OSError:
            continue
        states[int(name)] = raw.rpartition(b")")[2].split()[0].decode()
    return states


def stopped_tasks(pid: int) -> list[int]:
    return [tid for tid, state in task_states(pid).items() if state in STOPPED_STATES]


def tracer_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("TracerPid:"):
            return int(line.split()[1])
    return 0


def live_task(pid: int) -> int:
    """The main thread if it runs, else a thread that does (the leader may have exited)."""
    states = task_states(pid)
    if states.get(pid) not in ("Z", "X"):
        return pid
    return min(tid for tid, state in states.items() if state not in ("Z", "X"))


def traced_tasks(pid: int) -> list[int]:
    """The threads of ``pid`` that some process traces (each thread has its own tracer)."""
    traced = []
    for name in os.listdir(f"/proc/{pid}/task"):
        try:
            if tracer_of(int(name)):
                traced.append(int(name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return traced


def peek(pid: int, address: int, length: int) -> bytes:
    """The target's bytes, read by the test itself through /proc/PID/mem."""
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        mem.seek(address)
        return mem.read(length)


def read_counters(target: Target) -> list[int]:
    """The worker threads' counters, read through /proc/PID/mem without stopping it."""
    count = target.nthreads
    tid = live_task(target.pid)
    with open(f"/proc/{target.pid}/task/{tid}/mem", "rb", buffering=0) as mem:
        mem.seek(target.counters)
        raw = mem.read(8 * count)
    return [int.from_bytes(raw[i : i + 8], "little") for i in range(0, len(raw), 8)]


def assert_running(target: Target, settle: float = 0.05) -> None:
    """Fail unless no thread is stopped or traced and every worker's counter moves."""
    deadline = time.monotonic() + 2.0
    # A detach is asynchronous for a moment; give the states a short while to settle.
    while stopped_tasks(target.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stopped_tasks(target.pid) == [], f"stopped threads: {task_states(target.pid)}"
    assert tracer_of(target.pid) == 0
    # Every worker must make progress; on a loaded 2-core machine a thread may wait
    # a while for a CPU, so allow up to two seconds rather than one short sleep.
    before = read_counters(target)
    deadline = time.monotonic() + 2.0
    while True:
        time.sleep(settle)
        after = read_counters(target)
        if all(b > a for a, b in zip(before, after, strict=True)):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"threads made no progress: {before} -> {after}")


NOBODY = 65534


def as_nobody(*argv: str) -> None:
    """Run ``argv`` as the real second user, nobody (the tests run as root)."""
    subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv],
        check=True,
        timeout=30,
    )


def compile_c(source: Path, binary: Path, *flags: str) -> Path:
    """Compile one C target with -O2 -Wall (and ``flags``) into ``binary``."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError(f"{source.name} needs a C compiler (gcc or cc)")
    subprocess.run([compiler, "-O2", "-Wall", *flags, "-o", str(binary), str(source)], check=True)
    return binary


def line_of_addresses(line: str) -> dict[str, int]:
    """The ``name=value`` pairs a target prints (hex, decimal, or ``(nil)`` for 0)."""
    pairs = re.findall(r"(\w+)=(0x[0-9a-f]+|\(nil\)|\d+)", line)
    return {key: (0 if value == "(nil)" else int(value, 0)) for key, value in pairs}


def start_address_line(
    argv: list[str], what: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    """Start a target that prints one line of ``name=address`` pairs, and read it."""
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line:
        stop_process(process)
        raise RuntimeError(f"{what} did not start: {argv}")
    return process, line_of_addresses(line)
