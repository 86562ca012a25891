"""Facts about a process that explain what the reader may do with it, read from /proc.

Parsing follows psutil's habits: read bytes, split each status line once on ``:``,
and tolerate missing keys, since fields come and go between kernels.
"""

from __future__ import annotations

import os
from collections import namedtuple

from memtui.core.process_memory.reader_errors import ProcessGone, ZombieProcess
from memtui.core.user_names import user_label as _user

# include/linux/sched.h: set on kernel threads, which have no user address space.
PF_KTHREAD = 0x00200000
CAP_SYS_PTRACE = 19
_YAMA_SCOPE = "/proc/sys/kernel/yama/ptrace_scope"
# Which Linux security modules are loaded, in order (only where securityfs is mounted).
LSM_LIST = "/sys/kernel/security/lsm"

_YAMA_MEANINGS = {
    0: "0 (classic: any process of the same user)",
    1: "1 (restricted: only descendants of the tracer, unless privileged)",
    2: "2 (admin-only: needs CAP_SYS_PTRACE)",
    3: "3 (no attach: ptrace is disabled for everyone)",
}


# typing costs a headless command 6-7 ms of a 15 ms start-up budget, so the typed
# NamedTuple is what mypy checks, and a plain namedtuple with its fields, in the same
# order, is what runs; dataclasses would cost more still.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    class _ProcessFactsFields(NamedTuple):
        pid: int
        name: str
        state: str
        uids: tuple[int, int, int, int]  # real, effective, saved, filesystem
        tracer_pid: int
        tracer_name: str | None
        kernel_thread: bool
else:
    _ProcessFactsFields = namedtuple(
        "_ProcessFactsFields",
        ("pid", "name", "state", "uids", "tracer_pid", "tracer_name", "kernel_thread"),
    )


class ProcessFacts(_ProcessFactsFields):
    """What /proc/PID/status and /proc/PID/stat say about one process."""

    __slots__ = ()


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def parse_status(raw: bytes) -> dict[str, str]:
    """The ``Key:\\tvalue`` lines of /proc/PID/status as a dict of stripped strings.

    Lines end at a newline only: a process name may hold a carriage return, which
    the kernel does not escape.
    """
    fields: dict[str, str] = {}
    for line in raw.split(b"\n"):
        key, sep, value = line.partition(b":")
        if sep:
            fields[key.decode("ascii", "replace")] = value.strip().decode("utf-8", "replace")
    return fields


def parse_stat(raw: bytes) -> tuple[str, str, int]:
    """(comm, state, flags) from /proc/PID/stat.

    comm may contain spaces and parentheses, so split at the *last* ``)``.
    """
    head, _, tail = raw.rpartition(b")")
    name = head.partition(b"(")[2].decode("utf-8", "replace")
    fields = tail.split()
    state = fields[0].decode("ascii", "replace") if fields else "?"
    # After comm: state ppid pgrp session tty_nr tpgid flags -> flags is index 6.
    flags = int(fields[6]) if len(fields) > 6 else 0
    return name, state, flags


def process_name(pid: int) -> str | None:
    """The comm of ``pid``, or None if it cannot be read."""
    try:
        return _read_bytes(f"/proc/{pid}/comm").decode("utf-8", "replace").strip()
    except OSError:
        return None


def task_path(pid: int, tid: int) -> str:
    """The /proc directory of thread ``tid`` of process ``pid`` (``/proc/PID`` for the main one)."""
    return f"/proc/{pid}" if tid == pid else f"/proc/{pid}/task/{tid}"


def task_state(pid: int, tid: int) -> str | None:
    """The one-letter state of a thread (``Z`` a zombie), or None if it has gone."""
    try:
        raw = _read_bytes(f"{task_path(pid, tid)}/stat")
    except OSError:
        return None
    fields = raw.rpartition(b")")[2].split()
    return fields[0].decode("ascii", "replace") if fields else None


def memory_task(pid: int, leader_state: str | None = None) -> int:
    """The thread whose /proc files (mem, maps, smaps) show the memory of ``pid``.

    That is ``pid`` itself until its main thread exits while others run on: the
    leader then stays a zombie without memory of its own (its mem and maps read
    empty) and any live thread shows the process's memory. ``leader_state`` saves a
    read when the caller has /proc/PID/stat already. Raises ZombieProcess when no
    thread lives, ProcessGone when there is no such process.
    """
    state = leader_state if leader_state is not None else task_state(pid, pid)
    if state is None:
        raise ProcessGone(pid)
    if state not in ("Z", "X"):
        return pid
    try:
        tids = sorted(int(name) for name in os.listdir(f"/proc/{pid}/task") if name.isdigit())
    except (FileNotFoundError, ProcessLookupError):
        raise ProcessGone(pid) from None
    for tid in tids:
        if tid != pid and task_state(pid, tid) not in (None, "Z", "X"):
            return tid
    raise _zombie(pid) if state == "Z" else ProcessGone(pid)


def _zombie(pid: int) -> ProcessGone:
    try:
        status = parse_status(_read_bytes(f"/proc/{pid}/status"))
    except OSError:
        return ProcessGone(pid)  # reaped meanwhile
    parent = status.get("PPid", "0")
    parent_name = process_name(int(parent)) if parent.isdigit() else None
    return ZombieProcess(pid, status.get("Name", "?"), f"{parent} ({parent_name or 'unknown'})")


def task_tracer(pid: int, tid: int) -> int:
    """The TracerPid of one thread (each thread has its own tracer), or 0 if none or gone."""
    try:
        status = parse_status(_read_bytes(f"/proc/{pid}/task/{tid}/status"))
    except OSError:
        return 0
    text = status.get("TracerPid", "0")
    return int(text) if text.isdigit() else 0


def is_memtui(pid: int) -> bool:
    """Whether ``pid`` runs memtui: the ``memtui`` script, or ``python -m memtui``.

    Another memtui traces a process only for its millisecond freezes, so meeting
    one is worth a short wait, unlike meeting a debugger.
    """
    if process_name(pid) == "memtui":
        return True
    try:
        argv = _read_bytes(f"/proc/{pid}/cmdline").split(b"\0")[:3]
    except OSError:
        return False
    # [python, -m, memtui, ...] or [python, .../bin/memtui, ...]
    return argv[1:3] == [b"-m", b"memtui"] or any(
        os.path.basename(arg) == b"memtui" for arg in argv[:2]
    )


def already_traced(tracer_pid: int) -> str:
    """Why a process whose tracer is ``tracer_pid`` cannot be frozen, naming the tracer."""
    tracer = process_name(tracer_pid) or "unknown"
    return (
        f"it is already traced by TracerPid {tracer_pid} ({tracer}); a process "
        "can have one tracer only: detach that debugger, or read with --no-freeze"
    )


def read_process_facts(pid: int) -> ProcessFacts:
    """Read the facts of ``pid``; raises ProcessGone if it does not exist."""
    try:
        status = parse_status(_read_bytes(f"/proc/{pid}/status"))
        name, state, flags = parse_stat(_read_bytes(f"/proc/{pid}/stat"))
    except (FileNotFoundError, ProcessLookupError):
        raise ProcessGone(pid) from None
    uid_values = [int(v) for v in status.get("Uid", "").split()[:4] if v.isdigit()]
    uids = tuple(uid_values + [-1] * (4 - len(uid_values)))
    tracer_text = status.get("TracerPid", "0")
    tracer_pid = int(tracer_text) if tracer_text.isdigit() else 0
    return ProcessFacts(
        pid=pid,
        name=status.get("Name", name),
        state=state,
        uids=(uids[0], uids[1], uids[2], uids[3]),
        tracer_pid=tracer_pid,
        tracer_name=process_name(tracer_pid) if tracer_pid else None,
        kernel_thread=bool(flags & PF_KTHREAD),
    )


def is_kernel_thread(pid: int) -> bool:
    """Whether ``pid`` is a kernel thread (PF_KTHREAD); a missing process is not."""
    try:
        return bool(parse_stat(_read_bytes(f"/proc/{pid}/stat"))[2] & PF_KTHREAD)
    except OSError:
        return False


def ptrace_scope() -> int | None:
    """kernel.yama.ptrace_scope, or None where Yama is not loaded."""
    try:
        return int(_read_bytes(_YAMA_SCOPE).strip())
    except (OSError, ValueError):
        return None


def have_cap_sys_ptrace() -> bool:
    """Whether this process has CAP_SYS_PTRACE in its effective set."""
    try:
        status = parse_status(_read_bytes("/proc/self/status"))
        return bool(int(status.get("CapEff", "0"), 16) >> CAP_SYS_PTRACE & 1)
    except (OSError, ValueError):
        return False


def is_memtui_itself(pid: int) -> bool:
    """Whether ``pid`` is this very process (or one of its threads), which no freeze can
    stop: a process cannot ptrace itself."""
    me = os.getpid()
    if pid == me:
        return True
    try:
        return parse_status(_read_bytes(f"/proc/{pid}/status")).get("Tgid") == str(me)
    except OSError:
        return False


def foreign_tracer(pid: int) -> tuple[int, int] | None:
    """(thread, TracerPid) of the first thread of ``pid`` that another process traces.

    Every thread has a tracer of its own (strace -p TID traces that thread alone),
    so each one's status is read, the main thread's first. memtui's own freeze does
    not count.
    """
    try:
        tids = sorted(int(name) for name in os.listdir(f"/proc/{pid}/task") if name.isdigit())
    except OSError:
        tids = []
    for tid in [pid, *(tid for tid in tids if tid != pid)]:
        try:
            tracer = parse_status(_read_bytes(f"{task_path(pid, tid)}/status")).get("TracerPid")
        except OSError:
            continue
        if tracer and tracer.isdigit() and int(tracer) not in (0, os.getpid()):
            return tid, int(tracer)
    return None


def describe_security_modules(text: str) -> str | None:
    """``loaded: yama, landlock`` from the text of /sys/kernel/security/lsm, or None when
    it lists none besides capability (the rules every kernel applies)."""
    modules = [name.strip() for name in text.split(",") if name.strip() not in ("", "capability")]
    return f"loaded: {', '.join(modules)}" if modules else None


def security_modules(path: str = LSM_LIST) -> str | None:
    """Which security modules are loaded, as a clause of a message; None if none but capability."""
    try:
        text = _read_bytes(path).decode("ascii", "replace")
    except FileNotFoundError:
        return f"which one is unknown: {path} does not exist (securityfs is not mounted)"
    except OSError as error:
        return f"which one is unknown: {path} cannot be read ({error.strerror})"
    return describe_security_modules(text)


def _capabilities(pid: int | str) -> int | None:
    """The permitted capability set of a process, or None if it cannot be read."""
    try:
        return int(parse_status(_read_bytes(f"/proc/{pid}/status")).get("CapPrm", ""), 16)
    except (OSError, ValueError):
        return None


def _refused_by_security_module(rules_passed: str) -> str:
    clause = security_modules()
    if clause is None:
        return (
            f"the kernel refused although {rules_passed}, and {LSM_LIST} lists no "
            "security module besides capability"
        )
    return f"the kernel refused although {rules_passed}, so a security module did; {clause}"


def explain_permission_denied(pid: int) -> str:
    """Say, in one line, why the kernel refuses to let us read or freeze ``pid``.

    The rules are tried in the kernel's order (ptrace_may_access, then the security
    modules); what is left when every rule we can see allows it is a security
    module's doing, and /sys/kernel/security/lsm says which are loaded.
    """
    if is_memtui_itself(pid):
        return (
            "it is memtui itself, and a process cannot freeze (ptrace) itself: read it "
            "with --no-freeze"
        )
    try:
        facts = read_process_facts(pid)
    except ProcessGone:
        return "the process has exited"
    traced = foreign_tracer(pid)
    if traced is not None:
        tid, tracer_pid = traced
        tracer = process_name(tracer_pid) or "unknown"
        if tid == pid:
            return already_traced(tracer_pid)
        return (
            f"its thread {tid} is already traced by TracerPid {tracer_pid} ({tracer}); a "
            "thread can have one tracer only: detach that debugger, or read with --no-freeze"
        )
    privileged = have_cap_sys_ptrace()
    my_uid = os.geteuid()
    target_uids = set(facts.uids[:3])
    if not privileged and target_uids != {my_uid}:
        return (
            f"it runs as {_user(facts.uids[1])} and you are {_user(my_uid)} without "
            "CAP_SYS_PTRACE: run memtui as that user, or as root"
        )
    scope = ptrace_scope()
    if scope == 3:
        return f"kernel.yama.ptrace_scope is {_YAMA_MEANINGS[3]}; nothing can read it until reboot"
    if scope == 2 and not privileged:
        return f"kernel.yama.ptrace_scope is {_YAMA_MEANINGS[2]}: run memtui as root"
    if scope == 1 and not privileged:
        return (
            f"kernel.yama.ptrace_scope is {_YAMA_MEANINGS[1]}: run memtui as root, start the "
            "program from memtui's parent, or set the sysctl to 0"
        )
    if privileged:
        return _refused_by_security_module("memtui has CAP_SYS_PTRACE")
    try:
        # The kernel gives the /proc files (not the directory) of a process that is
        # not dumpable to root.
        dumpable = os.stat(f"/proc/{pid}/status").st_uid == my_uid
    except OSError:
        dumpable = False
    if not dumpable:
        return (
            "it is not dumpable (a set-uid or set-gid program, or it called "
            "prctl(PR_SET_DUMPABLE, 0)): run memtui as root"
        )
    theirs, mine = _capabilities(pid), _capabilities("self")
    if theirs is not None and mine is not None and theirs & ~mine:
        return "it holds capabilities that memtui lacks (CapPrm in its status): run memtui as root"
    return _refused_by_security_module("it runs as you and is dumpable")
