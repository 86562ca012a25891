"""The process table against real /proc: real children, a real unprivileged user, pid 2."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from memtui.core.processes.process_table import (
    KERNEL_THREAD_REASON,
    PSS_PENDING_REASON,
    ProcessRow,
    ProcessTableSampler,
    attribution_sampler,
    filter_rows,
    fit_growth,
    parse_status,
    sort_rows,
)

MIB = 1 << 20
START_MIB = 32
GROW_MIB = 8

# The child names itself (comm) so name and filter assertions are not about "python",
# then allocates and touches START_MIB, and another N MiB for each line "N" on stdin.
CHILD = f"""
import sys
with open("/proc/self/comm", "w") as comm:
    comm.write(sys.argv[1])
blocks = [b"\\x01" * ({START_MIB} << 20)]
print("ready", flush=True)
for line in sys.stdin:
    blocks.append(b"\\x01" * (int(line) << 20))
    print("ok", flush=True)
"""


class Child:
    def __init__(self, name: str) -> None:
        self.argv = [sys.executable, "-c", CHILD, name]
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._reply() == "ready"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _reply(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def grow(self, mib: int) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{mib}\n")
        self.proc.stdin.flush()
        assert self._reply() == "ok"

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def child() -> Iterator[Child]:
    kid = Child("memtui-kid")
    yield kid
    kid.stop()


@pytest.fixture
def grower() -> Iterator[Child]:
    kid = Child("memtui-grower")
    yield kid
    kid.stop()


def the_row(sampler: ProcessTableSampler, pid: int, now: float) -> ProcessRow:
    row = sampler.sample(now=now).find(pid)
    assert row is not None, f"pid {pid} missing from the table"
    return row


def test_child_is_found_with_identity_and_memory(child: Child) -> None:
    sampler = ProcessTableSampler()
    sampler.watch([child.pid])
    row = the_row(sampler, child.pid, now=0.0)
    assert row.name == "memtui-kid"
    assert row.cmdline == " ".join(child.argv)
    assert row.user == pwd.getpwuid(os.geteuid()).pw_name
    assert row.uid == os.geteuid()
    assert row.state in ("sleeping", "running")
    assert not row.is_kernel_thread
    assert row.rss is not None and row.rss > START_MIB * MIB
    assert row.swap is not None and row.reason("swap") is None
    # Root may read its own child's smaps_rollup; the touched block is private.
    assert row.pss is not None and row.pss > START_MIB * MIB
    assert row.uss is not None and row.uss > START_MIB * MIB
    assert row.pss_read_at == 0.0
    assert row.reason("pss") is None and row.reason("uss") is None


def test_growth_rate_positive_for_growing_and_flat_for_steady(child: Child, grower: Child) -> None:
    sampler = ProcessTableSampler(growth_min_span=5.0)
    first = sampler.sample(now=0.0)
    steady_row = first.find(child.pid)
    assert steady_row is not None and steady_row.rss_growth is None
    assert (steady_row.reason("rss_growth") or "").startswith("collecting history")
    for step in range(1, 6):
        grower.grow(GROW_MIB)
        table = sampler.sample(now=2.0 * step)
    growing, steady = table.find(grower.pid), table.find(child.pid)
    assert growing is not None and steady is not None
    # 8 MiB every 2 s is 240 MiB/min.
    assert growing.rss_growth is not None
    assert 200 * MIB < growing.rss_growth < 280 * MIB
    assert steady.rss_growth is not None
    assert abs(steady.rss_growth) < 1 * MIB
    fit = fit_growth(sampler.history(grower.pid))
    assert fit is not None and fit.r_squared > 0.95 and fit.span == 10.0


def test_history_stays_bounded_and_windowed() -> None:
    sampler = ProcessTableSampler(growth_window=60.0, history_points=16)
    # Five minutes at one sample per 10 s, then a burst at 4 Hz.
    for step in range(30):
        sampler.sample(now=10.0 * step)
    for tick in range(24):
        sampler.sample(now=300.0 + 0.25 * tick)
    points = sampler.history(os.getpid())
    assert 2 <= len(points) <= 16
    assert points[-1][0] == 305.75
    assert points[-1][0] - points[0][0] <= 60.0


def test_history_spacing_keeps_the_whole_window_with_few_points() -> None:
    sampler = ProcessTableSampler(growth_window=60.0, history_points=7)
    # A sample every 2 s while the spacing is 10 s: the newest point is overwritten
    # until it is 10 s past the one before, so 7 points still span the minute.
    for step in range(31):
        sampler.sample(now=2.0 * step)
    times = [t for t, _ in sampler.history(os.getpid())]
    assert times == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]


def test_pss_is_throttled_per_pid_and_watched_pids_are_fresh(child: Child) -> None:
    sampler = ProcessTableSampler(pss_max_age=10.0, pss_budget=10_000)
    assert the_row(sampler, child.pid, now=0.0).pss_read_at == 0.0
    assert the_row(sampler, child.pid, now=5.0).pss_read_at == 0.0
    assert the_row(sampler, child.pid, now=10.0).pss_read_at == 10.0
    sampler.watch([child.pid])
    assert the_row(sampler, child.pid, now=11.0).pss_read_at == 11.0


def test_pss_budget_zero_reports_pending_not_zero(child: Child) -> None:
    sampler = ProcessTableSampler(pss_budget=0)
    row = the_row(sampler, child.pid, now=0.0)
    assert row.pss is None and row.uss is None
    assert row.reason("pss") == PSS_PENDING_REASON
    assert row.rss is not None


def test_pss_budget_reads_every_process_in_turn() -> None:
    budget = 5
    sampler = ProcessTableSampler(pss_max_age=0.0, pss_budget=budget)
    table = sampler.sample(now=0.0)
    readable = {row.pid for row in table.rows if row.rss is not None}
    assert len(readable) > budget
    # Enough samples for every process of the first table to get its turn, however
    # many processes start meanwhile (they queue behind).
    for step in range(1, -(-len(readable) // budget)):
        table = sampler.sample(now=float(step))
        assert sum(1 for row in table.rows if row.pss_read_at == float(step)) <= budget
    # Round-robin: none is still waiting, rather than the same five read every time.
    waiting = [
        row.pid
        for row in table.rows
        if row.pid in readable and row.reason("pss") == PSS_PENDING_REASON
    ]
    assert waiting == []


def test_exited_processes_histories_are_dropped() -> None:
    kid = Child("memtui-brief")
    sampler = ProcessTableSampler()
    try:
        sampler.sample(now=0.0)
        sampler.sample(now=1.0)
        assert len(sampler.history(kid.pid)) == 2
    finally:
        kid.stop()
    table = sampler.sample(now=2.0)
    assert table.find(kid.pid) is None
    assert sampler.history(kid.pid) == ()
    assert sampler.tracked() == sum(1 for row in table.rows if row.rss is not None)


def test_kernel_threads_are_flagged_with_no_memory() -> None:
    table = ProcessTableSampler().sample(now=0.0)
    kthreadd = table.find(2)
    if kthreadd is None:
        pytest.skip("pid 2 (kthreadd) is not visible in this pid namespace")
    assert kthreadd.name == "kthreadd"
    assert kthreadd.is_kernel_thread
    assert kthreadd.cmdline == ""
    for column in ("rss", "swap", "rss_growth", "pss", "uss"):
        assert getattr(kthreadd, column) is None
        assert kthreadd.reason(column) == KERNEL_THREAD_REASON
    me = table.find(os.getpid())
    assert me is not None and not me.is_kernel_thread


STATUS_USER = b"Name:\tcat\nState:\tR (running)\nUid:\t1000\t1000\t1000\t1000\n"
STATUS_MM = b"VmSize:\t    3060 kB\nVmRSS:\t    1672 kB\nVmSwap:\t      12 kB\n"


def test_parse_status_with_and_without_the_kthread_line() -> None:
    user = parse_status(STATUS_USER + b"Kthread:\t0\n" + STATUS_MM)
    assert (user.uid, user.rss, user.swap, user.is_kernel_thread) == (
        1000,
        1672 << 10,
        12 << 10,
        False,
    )
    kernel = parse_status(b"Name:\tkthreadd\nUid:\t0\t0\t0\t0\nKthread:\t1\nThreads:\t1\n")
    assert kernel.is_kernel_thread and kernel.rss is None
    # Kernels before 6.12: no Kthread line; having no Vm* lines is what marks it.
    assert parse_status(b"Name:\tkthreadd\nUid:\t0\t0\t0\t0\nThreads:\t1\n").is_kernel_thread
    assert not parse_status(STATUS_USER + STATUS_MM).is_kernel_thread


AS_NOBODY = """
import json, sys
from memtui.core.processes.process_table import ProcessTableSampler
target = int(sys.argv[1])
table = ProcessTableSampler(pss_budget=100_000).sample()
row = table.find(target)
print(json.dumps({
    "pss": row.pss, "uss": row.uss, "rss": row.rss, "user": row.user,
    "pss_reason": row.reason("pss"), "uss_reason": row.reason("uss"),
    "own_pss": [r.pss for r in table.rows if r.uid == 65534 and r.rss is not None],
}))
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root")
def test_unprivileged_sampler_says_permission_denied_not_zero() -> None:
    result = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            AS_NOBODY,
            str(os.getpid()),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    seen = json.loads(result.stdout)
    assert seen["pss"] is None and seen["uss"] is None
    assert seen["pss_reason"] == "permission denied: owned by user root"
    assert seen["uss_reason"] == seen["pss_reason"]
    # status stays world-readable: RSS and the owner are still known.
    assert seen["rss"] is not None and seen["rss"] > 0
    assert seen["user"] == "root"
    # Its own process is readable, so the None above is about permission, not a bug.
    assert seen["own_pss"] and all(pss is not None and pss > 0 for pss in seen["own_pss"])


def row(pid: int, **fields: Any) -> ProcessRow:
    base = ProcessRow(
        pid=pid,
        create_time=0.0,
        user="root",
        uid=0,
        name=f"proc{pid}",
        cmdline="",
        state="sleeping",
        rss=None,
        swap=None,
        rss_growth=None,
        pss=None,
        uss=None,
        pss_read_at=None,
        is_kernel_thread=False,
    )
    return replace(base, **fields)


def test_filter_matches_name_cmdline_user_and_pid_prefix() -> None:
    rows = [
        row(1, name="systemd", cmdline="/sbin/init splash"),
        row(123, name="Firefox", user="alice"),
        row(4123, name="bash", cmdline="bash -c make", user="bob"),
        row(77, name="worker", cmdline="python job.py --id 123"),
    ]

    def pids(query: str) -> list[int]:
        return [r.pid for r in filter_rows(rows, query)]

    assert pids("") == [1, 123, 4123, 77]
    assert pids("FIREfox") == [123]
    assert pids("SPLASH") == [1]
    assert pids("Alice") == [123]
    # Numeric: pid prefix (123, not 4123) or the number in a command line (77).
    assert pids("123") == [123, 77]
    assert pids(" 41 ") == [4123]
    assert pids("nothing-like-this") == []


def test_sort_puts_unknown_values_last_in_both_directions() -> None:
    rows = [
        row(5, pss=300),
        row(2, pss=None),
        row(9, pss=100),
        row(3, pss=None),
        row(7, pss=200),
    ]
    ascending = [r.pid for r in sort_rows(rows, "pss")]
    descending = [r.pid for r in sort_rows(rows, "pss", descending=True)]
    assert ascending == [9, 7, 5, 2, 3]
    assert descending == [5, 7, 9, 2, 3]


def test_sort_by_text_is_case_insensitive_with_pid_ties() -> None:
    rows = [row(3, name="beta"), row(1, name="Alpha"), row(2, name="beta"), row(4, name="")]
    assert [r.pid for r in sort_rows(rows, "name")] == [4, 1, 2, 3]
    assert [r.pid for r in sort_rows(rows, "name", descending=True)] == [2, 3, 1, 4]
    with pytest.raises(ValueError, match="unknown sort key"):
        sort_rows(rows, "colour")


def test_a_light_sampler_skips_command_lines_and_pss() -> None:
    light = ProcessTableSampler(pss_budget=0, with_cmdline=False)
    table = light.sample()
    me = table.find(os.getpid())
    assert me is not None and me.rss is not None and me.name
    assert me.cmdline == "" and me.pss is None


SPINNER = "import time\nwhile True:\n    pass\n"


def stat_cpu_seconds(pid: int) -> float:
    """utime + stime from /proc/PID/stat, read here independently of the sampler."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_cpu_percent_is_the_cpu_time_used_between_samples_over_the_time_between(
    child: Child,
) -> None:
    spinner = subprocess.Popen([sys.executable, "-c", SPINNER])
    try:
        sampler = ProcessTableSampler()
        first = sampler.sample(now=100.0)
        busy, idle = first.find(spinner.pid), first.find(child.pid)
        assert busy is not None and idle is not None
        assert busy.cpu_percent is None and busy.reason("cpu_percent") is not None
        assert busy.cpu_time is not None and idle.cpu_time is not None
        assert busy.ppid == os.getpid() and idle.ppid == os.getpid()
        start = stat_cpu_seconds(spinner.pid)
        while stat_cpu_seconds(spinner.pid) < start + 0.3:
            os.sched_yield()
        second = sampler.sample(now=102.0)
        busy, idle = second.find(spinner.pid), second.find(child.pid)
        assert busy is not None and idle is not None
        assert busy.cpu_time is not None and busy.cpu_time >= start + 0.3
        assert busy.cpu_percent is not None and busy.cpu_percent >= 0.3 / 2.0 * 100 - 1
        # CPU% is exactly the TIME+ difference over the 2 s between the samples.
        assert busy.cpu_percent == pytest.approx(
            (busy.cpu_time - first_time(first, spinner.pid)) / 2.0 * 100
        )
        assert idle.cpu_percent is not None and idle.cpu_percent < 5.0
    finally:
        spinner.kill()
        spinner.wait()


def first_time(table: Any, pid: int) -> float:
    row = table.find(pid)
    assert row is not None and row.cpu_time is not None
    return float(row.cpu_time)


def test_without_cpu_the_rows_leave_cpu_and_parent_out(child: Child) -> None:
    sampler = ProcessTableSampler(with_cpu=False)
    sampler.sample(now=0.0)
    row = the_row(sampler, child.pid, now=1.0)
    assert row.cpu_percent is None and row.cpu_time is None and row.ppid is None


def test_sorting_by_cpu_puts_the_busiest_first(child: Child) -> None:
    rows = sort_rows(
        [replace_row(child.pid, 3.0), replace_row(child.pid + 1, 50.0), replace_row(7, None)],
        "cpu_percent",
        descending=True,
    )
    assert [row.cpu_percent for row in rows] == [50.0, 3.0, None]


def replace_row(pid: int, cpu: float | None) -> ProcessRow:
    return ProcessRow(
        pid=pid, create_time=0.0, user="root", uid=0, name="x", cmdline="x", state="sleeping",
        rss=1, swap=0, rss_growth=None, pss=None, uss=None, pss_read_at=None,
        is_kernel_thread=False, cpu_percent=cpu,
    )  # fmt: skip


@pytest.fixture
def long_named_sleeper(tmp_path: Any) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose comm is cut to 15 characters while its argv[0] is whole."""
    sleep = shutil.which("sleep")
    assert sleep is not None
    link = tmp_path / "memtui-sleeper-long-name"
    link.symlink_to(sleep)
    process = subprocess.Popen([str(link), "600"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_reading_stat_directly_gives_the_rows_psutil_gives(
    child: Child, long_named_sleeper: subprocess.Popen[bytes]
) -> None:
    through_psutil = ProcessTableSampler(pss_budget=0, with_cmdline=False)
    direct = ProcessTableSampler(pss_budget=0, with_cmdline=False, read_stat_directly=True)
    ours = (os.getpid(), child.pid, long_named_sleeper.pid, 1)
    expected = through_psutil.sample(now=0.0)
    got = direct.sample(now=0.0)
    for pid in ours:
        want, row = expected.find(pid), got.find(pid)
        assert want is not None and row is not None, pid
        assert (row.name, row.state, row.create_time, row.ppid, row.user, row.uid) == (
            want.name,
            want.state,
            want.create_time,
            want.ppid,
            want.user,
            want.uid,
        )
        assert row.rss is not None and row.cpu_time is not None and want.cpu_time is not None
        assert abs(row.cpu_time - want.cpu_time) < 0.5
    sleeper = got.find(long_named_sleeper.pid)
    assert sleeper is not None and sleeper.name == "memtui-sleeper-long-name"
    kthreadd = got.find(2)
    assert kthreadd is not None and kthreadd.is_kernel_thread and kthreadd.rss is None


def test_reading_stat_directly_needs_no_command_line() -> None:
    with pytest.raises(ValueError, match="cmdline"):
        ProcessTableSampler(read_stat_directly=True)


def test_watched_pss_can_be_throttled_too(child: Child) -> None:
    sampler = ProcessTableSampler(pss_budget=0, watched_pss_max_age=10.0)
    sampler.watch([child.pid])
    assert the_row(sampler, child.pid, now=0.0).pss_read_at == 0.0
    assert the_row(sampler, child.pid, now=5.0).pss_read_at == 0.0
    assert the_row(sampler, child.pid, now=10.0).pss_read_at == 10.0
    # Unwatched, with no budget, it is never read.
    sampler.watch([])
    assert the_row(sampler, child.pid, now=30.0).pss_read_at == 10.0


def test_the_leak_attributions_sampler_reads_memory_holders_only(grower: Child) -> None:
    # Kernel threads (over half of a quiet machine's processes) have no memory to
    # attribute: their stat says so, and their status is not read. The attribution
    # fits its own histories, so the sampler fits none.
    lean = attribution_sampler()
    full = ProcessTableSampler(pss_budget=0, with_cmdline=False, with_cpu=False)
    for step in range(3):
        grower.grow(GROW_MIB)
        table = lean.sample(now=2.0 * step)
    assert table.find(2) is None  # kthreadd
    assert all(not row.is_kernel_thread for row in table.rows)
    row, want = table.find(grower.pid), full.sample(now=0.0).find(grower.pid)
    assert row is not None and want is not None
    assert (row.name, row.user, row.uid, row.create_time) == (
        want.name,
        want.user,
        want.uid,
        want.create_time,
    )
    assert row.rss is not None and want.rss is not None and abs(row.rss - want.rss) < MIB
    assert row.swap == want.swap
    assert row.rss_growth is None and row.reason("rss_growth") is not None
    assert lean.tracked() == 0 and lean.history(grower.pid) == ()
    me = table.find(os.getpid())
    assert me is not None and me.rss is not None
    kernel_threads = {r.pid for r in full.sample(now=1.0).rows if r.is_kernel_thread}
    assert kernel_threads and not kernel_threads & {r.pid for r in table.rows}


def test_leaving_kernel_threads_out_needs_the_stat_read() -> None:
    with pytest.raises(ValueError, match="read_stat_directly"):
        ProcessTableSampler(with_kernel_threads=False)


def test_the_state_names_are_psutils() -> None:
    # Strings of their own, so that psutil waits for the first process read
    # (test_the_dashboard_imports_only_what_its_first_frame_needs).
    import psutil

    from memtui.core.processes import process_table

    assert process_table._STATES == {
        b"R": psutil.STATUS_RUNNING,
        b"S": psutil.STATUS_SLEEPING,
        b"D": psutil.STATUS_DISK_SLEEP,
        b"T": psutil.STATUS_STOPPED,
        b"t": psutil.STATUS_TRACING_STOP,
        b"Z": psutil.STATUS_ZOMBIE,
        b"X": psutil.STATUS_DEAD,
        b"x": psutil.STATUS_DEAD,
        b"K": "wake-kill",
        b"W": psutil.STATUS_WAKING,
        b"I": psutil.STATUS_IDLE,
        b"P": psutil.STATUS_PARKED,
    }
