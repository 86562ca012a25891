"""`memtui dump` and `memtui maps` as a user runs them: real targets, exit codes, files."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from targets import Binaries, Target, stopped_tasks

pytest_plugins = ["targets.fixtures"]

METHODS = ["procmem", "vm_readv", "peek"]
PAGE = os.sysconf("SC_PAGE_SIZE")
NOBODY = 65534


def memtui(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "memtui", *args], capture_output=True, timeout=timeout
    )


@pytest.mark.parametrize("method", METHODS)
def test_a_64_mib_raw_dump_equals_the_targets_bytes(
    big_target: Target, big_bytes: bytes, method: str, tmp_path: Path
) -> None:
    output = tmp_path / "dump.bin"
    result = memtui(
        "dump", str(big_target.pid), hex(big_target.data), "64M",
        "--format", "raw", "--method", method, "--output", str(output),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert output.read_bytes() == big_bytes
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert stopped_tasks(big_target.pid) == []


def test_an_existing_output_file_ends_up_0600(target: Target, tmp_path: Path) -> None:
    output = tmp_path / "existing.bin"
    output.write_bytes(b"old contents that must go")
    output.chmod(0o644)
    result = memtui("dump", str(target.pid), hex(target.known), "16", "--format", "raw",
                    "--output", str(output))  # fmt: skip
    assert result.returncode == 0
    assert output.read_bytes() == bytes((i * 7 + 3) & 0xFF for i in range(16))
    assert stat.S_IMODE(output.stat().st_mode) == 0o600


def test_hex_rows_look_like_xxd(target: Target) -> None:
    result = memtui("dump", str(target.pid), hex(target.known), "20")
    assert result.returncode == 0 and result.stderr == b""
    lines = result.stdout.decode().splitlines()
    assert lines == [
        f"{target.known:012x}: 030a 1118 1f26 2d34 3b42 4950 575e 656c  .....&-4;BIPW^el",
        f"{target.known + 16:012x}: 737a 8188                                sz..",
    ]


def test_hex_marks_unreadable_bytes_and_says_where(target: Target) -> None:
    start = target.guard + PAGE - 16
    result = memtui("dump", str(target.pid), hex(start), str(PAGE + 32))
    assert result.returncode == 1  # exit 0 means every byte was read
    lines = result.stdout.decode().splitlines()
    assert lines[0].endswith("G" * 16)
    assert lines[1] == f"{target.guard + PAGE:012x}: " + " ".join(["????"] * 8) + "  " + "?" * 16
    assert lines[-1].endswith("H" * 16)
    # The hidden 'N' bytes never appear (in the bytes, not the addresses).
    shown = [line.split(": ", 1)[1] for line in lines]
    assert not any("4e4e" in row or "N" in row for row in shown)
    guard = f"0x{target.guard + PAGE:x}-0x{target.guard + 2 * PAGE:x}"
    assert guard in result.stderr.decode()
    assert result.stderr.decode().count("\n") == 1


def test_raw_writes_zeros_for_unreadable_bytes_and_fails(target: Target, tmp_path: Path) -> None:
    output = tmp_path / "guard.bin"
    result = memtui("dump", str(target.pid), hex(target.guard), str(3 * PAGE), "--format", "raw",
                    "--output", str(output))  # fmt: skip
    assert result.returncode == 1
    assert output.read_bytes() == b"G" * PAGE + bytes(PAGE) + b"H" * PAGE
    message = result.stderr.decode()
    assert message.startswith("memtui: ") and "written as zeros" in message
    assert f"0x{target.guard + PAGE:x}-0x{target.guard + 2 * PAGE:x}" in message


def test_raw_to_stdout(target: Target) -> None:
    result = memtui("dump", str(target.pid), hex(target.known), "4096", "--format", "raw")
    assert result.returncode == 0
    assert result.stdout == bytes((i * 7 + 3) & 0xFF for i in range(PAGE))


def test_peek_with_no_freeze_is_a_usage_error(target: Target) -> None:
    result = memtui("dump", str(target.pid), hex(target.known), "16", "--method", "peek",
                    "--no-freeze")  # fmt: skip
    assert result.returncode == 2
    assert b"needs" not in result.stdout and b"stopped process" in result.stderr


@pytest.mark.parametrize(
    ("pid", "message"),
    [("4000000", "no process 4000000"), ("2", "kernel thread")],
)
def test_errors_are_one_line_and_exit_1(pid: str, message: str) -> None:
    for command in (["dump", pid, "0x1000", "16"], ["maps", pid]):
        result = memtui(*command)
        assert result.returncode == 1
        err = result.stderr.decode()
        assert err.startswith("memtui: ") and message in err and err.count("\n") == 1


def test_an_already_traced_target_names_the_tracer(target: Target, binaries: Binaries) -> None:
    tracer = subprocess.Popen([str(binaries.tracer), str(target.pid)], stdout=subprocess.PIPE)
    try:
        assert tracer.stdout is not None and tracer.stdout.readline() == b"seized\n"
        result = memtui("dump", str(target.pid), hex(target.known), "16")
        assert result.returncode == 1
        assert f"TracerPid {tracer.pid} (memtui-tracer)".encode() in result.stderr
        # --no-freeze needs no attach, so it still works and says so by succeeding.
        assert (
            memtui("dump", str(target.pid), hex(target.known), "16", "--no-freeze").returncode == 0
        )
    finally:
        tracer.kill()
        tracer.wait()


def _nobody_can_run_memtui() -> str | None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "needs root and setpriv to switch to user nobody"
    probe = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         sys.executable, "-c", "import memtui.cli"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if probe.returncode != 0:
        return f"user nobody cannot import memtui from here: {probe.stderr.strip()[-200:]}"
    return None


def test_another_user_without_cap_sys_ptrace_is_told_why(target: Target) -> None:
    reason = _nobody_can_run_memtui()
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         sys.executable, "-m", "memtui", "dump", str(target.pid), hex(target.known), "16"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    err = result.stderr
    assert err.startswith(f"memtui: may not read process {target.pid}: it runs as root (uid 0)")
    assert "without CAP_SYS_PTRACE" in err and err.count("\n") == 1


def test_maps_prints_a_table(target: Target) -> None:
    result = memtui("maps", str(target.pid))
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    assert lines[0].split() == ["START-END", "SIZE", "PERMS", "OFFSET", "PATH"]
    assert any(line.endswith("[stack]") for line in lines)
    guard = f"{target.guard + PAGE:016x}-{target.guard + 2 * PAGE:016x}"
    guard_line = next(line for line in lines if line.startswith(guard))
    assert re.search(r"\s4\.0 KiB\s+---p\s+0\s*$", guard_line), guard_line


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to count system calls")
@pytest.mark.parametrize("method", ["procmem", "vm_readv"])
def test_a_huge_hole_is_skipped_not_probed_page_by_page(
    target: Target, method: str, tmp_path: Path
) -> None:
    # 1 GiB above mmap_min_addr is unmapped; page by page it would be 262144 calls.
    log = tmp_path / "strace.log"
    result = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=pread64,preadv,process_vm_readv", "-o", str(log),
         sys.executable, "-m", "memtui", "dump", str(target.pid), "0x10000", "1G",
         "--format", "raw", "--method", method, "--output", os.devnull],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1 and "0x10000-0x40010000" in result.stderr
    # Signal lines (each chunk of a stream has its own freeze, so its own SIGCHLD) are not reads.
    reads = sum(1 for line in log.read_text().splitlines() if "(" in line and "---" not in line)
    assert reads < 2000, f"{reads} read calls for one hole"


def test_headless_commands_do_not_import_textual() -> None:
    code = (
        "import sys, memtui.cli, memtui.commands.dump, memtui.commands.maps;"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_the_dump_path_does_not_import_dataclasses() -> None:
    # dataclasses pulls in inspect: 15 ms here, a third of a 64 MiB dump's run time.
    code = "import sys, memtui.commands.dump; print('dataclasses' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("command", ["dump", "dump [stack]", "maps", "version"])
def test_a_headless_command_runs_without_typing_dataclasses_or_shutil(
    target: Target, command: str
) -> None:
    # typing costs a start-up 6-7 ms, dataclasses (with inspect) 11-15 ms, shutil
    # (zlib, bz2, lzma) 3 ms: against a 15 ms budget from `python3 -c pass` to the
    # first read. What each command loaded is looked at once it has run, whole.
    argv = {
        "dump": ["dump", str(target.pid), hex(target.known), "16", "--output", os.devnull],
        # A mapping name: the symbols module (with dataclasses) stays unloaded.
        "dump [stack]": ["dump", str(target.pid), "[stack]+0x10", "16", "--output", os.devnull],
        "maps": ["maps", str(target.pid)],
        "version": ["--version"],
    }[command]
    code = (
        "import sys\n"
        "from memtui.cli import main  # the entry point's, which would skip this end\n"
        f"sys.argv = ['memtui', *{argv!r}]\n"
        "try:\n"
        "    code = main()\n"
        "except SystemExit as end:\n"
        "    code = end.code\n"
        "loaded = sorted({'typing', 'dataclasses', 'inspect', 'shutil'} & set(sys.modules))\n"
        "print(code, loaded, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.splitlines()[-1] == "0 []", result.stderr


def test_a_short_command_skips_the_teardown_and_still_delivers_all_its_output(
    target: Target,
) -> None:
    # Freeing every module on the way out cost a 64 MiB dump 3-5 ms. The console
    # script's dump ends with os._exit: what it wrote, to a pipe and to stderr, must
    # all arrive, and the exit code stand.
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('torn down', file=sys.stderr))\n"
        "from memtui.entry_point import main\n"
        f"sys.argv = ['memtui', 'dump', '{target.pid}', '{hex(target.known)}', '20']\n"
        "sys.exit(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "torn down" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{target.known:012x}: 030a 1118 1f26 2d34 3b42 4950 575e 656c  .....&-4;BIPW^el",
        f"{target.known + 16:012x}: 737a 8188                                sz..",
    ]
    # An error still says why, with its exit code.
    code = code.replace("'20'", "'20', '--method', 'peek', '--no-freeze'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2 and "PTRACE_PEEKDATA" in result.stderr
    # The other commands end as Python ends.
    code = code.split("from memtui")[0] + "from memtui.entry_point import main\n"
    code += "sys.argv = ['memtui', '--version']\nsys.exit(main())\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "torn down" in result.stderr


def test_maps_and_the_parser_do_not_import_dataclasses_or_shutil() -> None:
    # dataclasses (with inspect) cost maps 14 ms; shutil (zlib, bz2, lzma) cost every
    # command 3 ms, imported by argparse's formatter for each option added.
    code = (
        "import os, sys, memtui.cli, memtui.commands.maps;"
        "from memtui.core.process_memory.proc_maps import read_maps;"
        "memtui.cli.build_parser().parse_args(['maps', '1']); read_maps(os.getpid());"
        "print(sorted({'dataclasses', 'shutil'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_maps_takes_no_malloc_arena_setting_and_so_no_ctypes(target: Target) -> None:
    # One malloc arena matters to commands that run for hours; ctypes costs a short
    # command 2.5 ms of its start-up, and maps never needs it.
    code = (
        "import sys\n"
        "from memtui.cli import main  # the entry point's, which would skip this end\n"
        f"sys.argv = ['memtui', 'maps', '{target.pid}']\n"
        "code = main()\n"
        "print(code, 'ctypes' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.splitlines()[-1] == "0 False", result.stderr
