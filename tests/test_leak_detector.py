"""The leak verdict's math and strings on synthetic histories; smaps parsing on saved
text and on a real child whose heap grows; demo-leak's command line."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import pytest

from memtui.cli import build_parser
from memtui.core.leak.leak_detector import (
    NO_LEAK,
    PROCESS_FIT,
    SYSTEM_FIT,
    LeakDetector,
    LeakSettings,
    LeakVerdict,
    format_leak_rate,
    steady_fit,
    time_to_reach,
)
from memtui.core.leak.mapping_growth import (
    ANON,
    MappingGrowthTracker,
    SmapsRegion,
    compare,
    parse_smaps,
    read_smaps,
)
from memtui.core.meminfo.history import MeminfoHistory
from memtui.core.process_memory.reader_errors import ProcessGone
from memtui.core.processes.process_history import ProcessHistories
from memtui.core.processes.process_table import ProcessRow, ProcessTable

MIB = 1 << 20
GIB = 1 << 30
DEMO = [sys.executable, "-m", "memtui", "demo-leak"]


def verdict(**fields: object) -> LeakVerdict:
    base: dict[str, object] = {
        "suspected": True,
        "pid": 4242,
        "name": "leaky",
        "rate_per_minute": 123.456 * MIB,
        "held_for": 17.9,
        "evidence": SYSTEM_FIT,
        "system": (),
        "attribution": (),
        "mem_available_exhausted_in": None,
        "commit_limit_reached_in": None,
    }
    base.update(fields)
    return LeakVerdict(**base)  # type: ignore[arg-type]


def test_verdict_strings_are_exact() -> None:
    assert verdict().text == "Leak suspected: leaky (pid 4242) +123.5 MiB/min for 17 s"
    # MiB/min and one decimal always, even where units.format_rate would switch unit.
    assert verdict(rate_per_minute=2 * GIB).text.endswith("+2048.0 MiB/min for 17 s")
    assert verdict(rate_per_minute=0.04 * MIB).text.endswith("+0.0 MiB/min for 17 s")
    system_wide = verdict(pid=None, name=None, rate_per_minute=10 * MIB, held_for=5.0)
    assert system_wide.text == "Leak suspected: system-wide +10.0 MiB/min for 5 s"
    assert verdict(suspected=False).text == NO_LEAK == "No leak suspected"
    assert format_leak_rate(-1.5 * MIB) == "-1.5 MiB/min"


def test_time_to_reach() -> None:
    # 1 GiB left, falling 1 GiB/min: 60 s.
    assert time_to_reach(GIB, 0.0, -GIB) == pytest.approx(60.0)
    assert time_to_reach(0.0, GIB, 2 * GIB) == pytest.approx(30.0)
    assert time_to_reach(GIB, 0.0, GIB) is None  # moving away
    assert time_to_reach(GIB, 0.0, 0.0) is None
    assert time_to_reach(5.0, 5.0, 1.0) == 0.0


def ramp(times: list[float], rate_per_minute: float, start: float = 0.0) -> list[float]:
    return [GIB + max(0.0, t - start) * rate_per_minute / 60.0 for t in times]


def test_steady_fit_prefers_the_clean_short_scale_after_a_leak_starts() -> None:
    times = [float(t) for t in range(61)]
    values = ramp(times, 100 * MIB, start=40.0)  # flat for 40 s, then 100 MiB/min
    fit = steady_fit(
        times,
        values,
        scales=(60.0, 30.0, 15.0),
        threshold=8 * MIB,
        window=60.0,
        min_r_squared=0.9,
        min_points=5,
    )
    assert fit is not None and fit.span == 15.0
    assert fit.rate_per_minute == pytest.approx(100 * MIB)


def test_steady_fit_rejects_a_step_and_a_slow_climb() -> None:
    times = [float(t) for t in range(61)]
    step = [GIB if t < 30 else GIB + 300 * MIB for t in times]
    slow = ramp(times, 4 * MIB)  # a perfect line, but under the threshold
    for values in (step, slow):
        assert (
            steady_fit(
                times,
                values,
                scales=(60.0, 30.0, 15.0),
                threshold=8 * MIB,
                window=60.0,
                min_r_squared=0.9,
                min_points=5,
            )
            is None
        )


def row(pid: int, name: str, rss: int, swap: int = 0, born: float = 1_000_000.0) -> ProcessRow:
    """A process row; ``born`` defaults to when the synthetic histories begin, so the
    process is watched from its birth."""
    return ProcessRow(
        pid=pid,
        create_time=born,
        user="root",
        uid=0,
        name=name,
        cmdline=name,
        state="sleeping",
        rss=rss,
        swap=swap,
        rss_growth=None,
        pss=None,
        uss=None,
        pss_read_at=None,
        is_kernel_thread=False,
    )


def feed(
    detector: LeakDetector,
    seconds: int,
    *,
    anon: list[float],
    leaker: list[float],
    available: list[float] | None = None,
    table_every: int = 2,
) -> list[LeakVerdict]:
    """One meminfo sample a second; a process table every ``table_every`` seconds."""
    history = MeminfoHistory(span_seconds=120.0)
    processes = ProcessHistories()
    verdicts = []
    for t in range(seconds):
        sample = {
            "AnonPages": int(anon[t]),
            "Committed_AS": 4 * GIB,
            "CommitLimit": 12 * GIB,
            "MemAvailable": int(available[t]) if available else 20 * GIB,
        }
        history.append(1_000_000.0 + t, sample)
        if t % table_every == 0:
            rows = (row(10, "steady", 50 * MIB), row(20, "leaky", int(leaker[t]), swap=MIB))
            processes.add_table(ProcessTable(taken_at=float(t), rows=rows), 1_000_000.0 + t)
        verdicts.append(detector.evaluate(history, processes))
    return verdicts


def test_a_steady_leak_is_named_with_its_rate_and_duration() -> None:
    times = [float(t) for t in range(60)]
    # Flat for 10 s, then 200 MiB/min in both AnonPages and the leaker (its swap counts).
    anon = ramp(times, 200 * MIB, start=10.0)
    leaker = [v - GIB + 100 * MIB for v in anon]
    available = [20 * GIB - (a - GIB) for a in anon]
    verdicts = feed(LeakDetector(), 60, anon=anon, leaker=leaker, available=available)
    first = next(i for i, v in enumerate(verdicts) if v.suspected)
    # Qualifies once the 15 s scale is covered, then must hold 5 s.
    assert 10 < first <= 10 + 15 + 5 + 2
    last = verdicts[-1]
    assert last.text.startswith("Leak suspected: leaky (pid 20) +200.0 MiB/min for ")
    assert last.held_for >= 30
    assert last.attribution[0].pid == 20 and last.attribution[0].steady
    assert last.attribution[0].basis == "rss+swap"
    assert last.attribution[0].current == int(leaker[-2]) + MIB  # the last table, t=58
    # 20 GiB minus the leak so far, falling 200 MiB/min.
    assert last.mem_available_exhausted_in == pytest.approx(
        available[-1] / (200 * MIB / 60.0), rel=0.01
    )
    assert last.commit_limit_reached_in is None  # Committed_AS flat: not trending there


def test_noisy_system_is_corroborated_by_the_process() -> None:
    times = [float(t) for t in range(60)]
    # Other processes add +-150 MiB swings to AnonPages: its own fit stays poor.
    noise = [150 * MIB * ((t // 3) % 2) for t in range(60)]
    anon = [v + n for v, n in zip(ramp(times, 100 * MIB), noise, strict=True)]
    leaker = [v - GIB for v in ramp(times, 100 * MIB)]
    last = feed(LeakDetector(), 60, anon=anon, leaker=leaker)[-1]
    assert not last.system[0].steady
    assert last.suspected and last.evidence == PROCESS_FIT and last.pid == 20


def test_process_growth_without_system_growth_is_no_leak() -> None:
    # Memory moving between processes: one grows, the system does not.
    times = [float(t) for t in range(60)]
    leaker = [v - GIB for v in ramp(times, 100 * MIB)]
    verdicts = feed(LeakDetector(), 60, anon=[GIB] * 60, leaker=leaker)
    assert all(v.text == NO_LEAK for v in verdicts)
    assert verdicts[-1].attribution[0].steady  # still listed, as growing steadily


def test_system_growth_without_a_process_is_system_wide() -> None:
    # A rise from the first sample needs some history before a fit to be a new high.
    times = [float(t) for t in range(90)]
    last = feed(LeakDetector(), 90, anon=ramp(times, 50 * MIB), leaker=[10 * MIB] * 90)[-1]
    assert last.text.startswith("Leak suspected: system-wide +50.0 MiB/min for ")


def sawtooth(times: list[float], rate: float, period: float) -> list[float]:
    return [GIB + (t % period) * rate / 60.0 for t in times]


def test_a_sawtooth_is_no_leak_once_a_tooth_has_been_seen() -> None:
    # A garbage-collected heap: 300 MiB/min for 40 s, then all of it freed, again and
    # again. Each climb fits a line as well as a leak, but never reaches a new high.
    times = [float(t) for t in range(200)]
    teeth = sawtooth(times, 300 * MIB, 40.0)
    verdicts = feed(
        LeakDetector(), 200, anon=teeth, leaker=[v - GIB + 50 * MIB for v in teeth],
        table_every=1,
    )  # fmt: skip
    assert not any(v.suspected for v in verdicts[60:]), [v.text for v in verdicts if v.suspected]


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        LeakSettings(min_span=90.0)
    assert LeakSettings().scales(longest=600.0) == (15.0, 30.0, 60.0, 120.0, 300.0, 600.0)
    assert LeakSettings(window=20.0).scales(longest=20.0) == (20.0,)


SMAPS = b"""\
55d0c2a4c000-55d0c2a6d000 rw-p 00000000 00:00 0                          [heap]
Size:                132 kB
KernelPageSize:        4 kB
Rss:                 100 kB
Pss:                 100 kB
Swap:                  8 kB
VmFlags: rd wr mr mw me ac sd
7f0000000000-7f0000100000 rw-p 00000000 00:00 0\x20
Size:               1024 kB
Rss:                 512 kB
AnonHugePages:         0 kB
VmFlags: rd wr mr mw me ac sd
7f0000200000-7f0000300000 r-xp 00001000 08:01 1234                       /usr/lib/libc name.so.6
Size:               1024 kB
Rss:                 300 kB
Swap:                  0 kB
garbage line without colon
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
Size:                  4 kB
"""


def test_parse_smaps_saved_text() -> None:
    regions = parse_smaps(SMAPS)
    assert [(r.name, r.rss, r.swap) for r in regions] == [
        ("[heap]", 100 << 10, 8 << 10),
        (ANON, 512 << 10, 0),  # no Swap line: 0, not an error
        ("/usr/lib/libc name.so.6", 300 << 10, 0),
        ("[vsyscall]", 0, 0),
    ]
    assert regions[0].perms == "rw-p" and regions[0].size == 132 << 10
    assert parse_smaps(b"") == []


def region(start: int, end: int, rss: int, name: str = ANON) -> SmapsRegion:
    return SmapsRegion(start, end, "rw-p", name, rss, 0)


def test_compare_follows_grown_merged_and_new_mappings() -> None:
    baseline = [region(0x1000, 0x3000, 10, "[heap]"), region(0x10000, 0x12000, 5)]
    current = [
        region(0x1000, 0x9000, 40, "[heap]"),  # the heap grew (same start)
        region(0xE000, 0x12000, 25),  # an adjacent mmap merged in (start moved down)
        region(0x20000, 0x21000, 7),  # new
    ]
    rows = {row.start: row for row in compare(baseline, current, since=30.0)}
    assert (rows[0x1000].change, rows[0x1000].new) == (30, False)
    assert (rows[0xE000].change, rows[0xE000].new) == (20, False)
    assert (rows[0x20000].change, rows[0x20000].new) == (7, True)
    assert rows[0x1000].rate_per_minute == 60.0


HEAP_CHILD = """
import ctypes, sys
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: keep even big blocks on the brk heap
print("ready", flush=True)
for line in sys.stdin:
    for _ in range(int(line)):
        block = libc.malloc(1 << 20)
        libc.memset(block, 1, 1 << 20)
    print("ok", flush=True)
"""


def test_tracker_sees_a_real_heap_grow_and_throttles() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HEAP_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "ready"
        tracker = MappingGrowthTracker(child.pid, window=60.0, min_interval=5.0)
        tracker.sample(0.0)
        child.stdin.write("32\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "ok"
        assert tracker.sample(1.0)[0].change < 16 * MIB  # throttled: not re-read yet
        rows = tracker.sample(6.0)
        heap = next(r for r in rows if r.name == "[heap]")
        assert heap.change >= 30 * MIB and not heap.new
        assert rows[0] is heap  # the largest growth comes first
        assert tracker.last_read == 6.0
    finally:
        child.kill()
        child.wait()
        child.stdin.close()
        child.stdout.close()
    time.sleep(0.05)
    with pytest.raises(ProcessGone):
        read_smaps(child.pid)


def test_demo_leak_options_and_defaults() -> None:
    args = build_parser().parse_args(["demo-leak"])
    assert (args.threads, args.max_alloc, args.leak, args.duration, args.no_leak) == (
        5,
        4 << 20,
        0.1,
        60.0,
        False,
    )
    assert args.allocs == 10.0 and args.rate is None
    args = build_parser().parse_args(
        ["demo-leak", "--threads", "2", "--max-alloc", "1M", "--no-leak", "--duration", "3"]
    )
    assert (args.threads, args.max_alloc, args.no_leak, args.duration) == (2, 1 << 20, True, 3.0)


def test_demo_leak_stops_leaking_at_its_cap_and_exits_cleanly() -> None:
    # At the default 10 allocations a second, 2 s make about 10 leaked blocks of 2 MiB
    # on average: a CI run once leaked 3.6 MiB in all and never met the cap. 100 a
    # second, with fixed sizes, meet it within the first tenth of a second.
    fast = ["--allocs", "100", "--seed", "11"]
    result = subprocess.run(
        [*DEMO, "--cap", "8M", "--duration", "2", "--status-interval", "1", *fast],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "cap reached (8.0 MiB" in result.stderr
    # Blocks are up to 4 MiB: it stops at the first one that would pass the cap.
    leaked = result.stderr.splitlines()[-1].split("leaked ")[1].split(" (")[0]
    assert leaked.endswith(" MiB") and 4.0 <= float(leaked.split()[0]) <= 8.0, leaked


def test_demo_leak_ends_on_ctrl_c_and_frees_its_memory() -> None:
    proc = subprocess.Popen(
        [*DEMO, "--duration", "60"],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().startswith(f"demo-leak pid {proc.pid}: 5 threads")
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130  # as shells expect of a Ctrl-C
    proc.stderr.close()


def slow_leak_verdicts(
    system_noise: float, *, follows: bool, seconds: int = 1800
) -> list[LeakVerdict]:
    """A process leaking 1 MiB/min from t=300 s, beside a system whose AnonPages and
    Committed_AS jump every 45 s to a new level within ``system_noise`` (others' test
    runs), and rise with the leak only if ``follows``. Evaluated every 10 s."""
    rng = random.Random(7)
    levels = [rng.uniform(-system_noise, system_noise) for _ in range(seconds // 45 + 1)]
    detector = LeakDetector()
    history = MeminfoHistory(span_seconds=600.0)
    processes = ProcessHistories()
    verdicts = []
    for t in range(seconds):
        leaked = max(0.0, t - 300) * MIB / 60.0
        churn = levels[t // 45] + rng.uniform(-0.2, 0.2) * MIB
        base = GIB + churn + (leaked if follows else 0.0)
        history.append(
            1_000_000.0 + t,
            {
                "AnonPages": int(base),
                "Committed_AS": int(base + 3 * GIB),
                "CommitLimit": 12 * GIB,
                "MemAvailable": int(20 * GIB - base),
            },
        )
        if t % 2 == 0:
            rows = (row(10, "steady", 50 * MIB), row(20, "slow", int(100 * MIB + leaked)))
            processes.add_table(ProcessTable(taken_at=float(t), rows=rows), 1_000_000.0 + t)
        if t % 10 == 9:
            verdicts.append(detector.evaluate(history, processes))
    return verdicts


def test_a_slow_leak_on_a_busy_machine_is_named_by_its_long_clean_line() -> None:
    # Others' churn (+-300 MiB) hides the 1 MiB/min in AnonPages: no corroboration is
    # possible, and a 10-minute line at r² near 1 stands on its own.
    verdicts = slow_leak_verdicts(300 * MIB, follows=True)
    named = [i for i, v in enumerate(verdicts) if v.suspected and v.pid == 20]
    assert named, "the slow leak was never named"
    named_at = (named[0] + 1) * 10 - 300  # seconds after the leak began
    assert named_at <= 20 * 60
    assert not any(v.suspected and v.pid != 20 for v in verdicts)
    assert verdicts[-1].text.startswith("Leak suspected: slow (pid 20) +1.0 MiB/min for ")


def test_a_slow_climb_that_a_quiet_system_refutes_is_no_leak() -> None:
    # The same line, but memory moving between processes: the system's fields stay
    # flat within 0.2 MiB, so they refute it.
    verdicts = slow_leak_verdicts(0.0, follows=False)
    assert not any(v.suspected for v in verdicts), [v.text for v in verdicts if v.suspected]
    assert verdicts[-1].attribution[0].pid == 20 and verdicts[-1].attribution[0].steady


def test_a_slow_leak_on_a_quiet_machine_is_corroborated() -> None:
    verdicts = slow_leak_verdicts(0.0, follows=True)
    named = [i for i, v in enumerate(verdicts) if v.suspected and v.pid == 20]
    assert named and (named[0] + 1) * 10 - 300 <= 20 * 60
