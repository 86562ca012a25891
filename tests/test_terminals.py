"""What memtui writes to a real terminal: read off a pseudo-terminal, byte for byte.

The app runs as a user runs it (``python -m memtui``) on a pty of 80x24, with the
environment a terminal would give it; the test reads every byte it writes for a few
seconds, then quits it with ``q``.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


def run_on_a_pty(
    env: dict[str, str], seconds: float = 4.0, until: bytes = b"No leak suspected"
) -> bytes:
    """Everything memtui writes in ``seconds``, and until ``until`` is among it (the
    verdict comes once the first process table is in, after the first frame; on a
    loaded machine that can take longer), at most 60 s; then ``q``."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: memtui on the pty
        os.execve(sys.executable, [sys.executable, "-m", "memtui"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    out = bytearray()
    started = time.monotonic()
    deadline = started + seconds
    quit_sent = False
    try:
        while True:
            now = time.monotonic()
            waited = until in out or now - started > 60
            if now > deadline and not quit_sent and waited:
                os.write(fd, b"q")
                quit_sent, deadline = True, now + 10
            elif now > deadline and quit_sent:
                break
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the child closed the pty
                    break
                if not chunk:
                    break
                out += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, out[-500:]
    return bytes(out)


def colour_codes(output: bytes) -> list[str]:
    """Every SGR parameter that sets a colour (30-49 less 39/49, 90-107, 38;…/48;…)."""
    found = []
    for match in SGR.finditer(output):
        params = match.group(1).decode().replace(":", ";").split(";")
        index = 0
        while index < len(params):
            code = int(params[index] or 0)
            if code in (38, 48, 58):
                found.append(";".join(params[index : index + 3]))
                index += 3 if params[index + 1 : index + 2] == ["5"] else 5
                continue
            if (30 <= code <= 47 and code not in (39, 49)) or 90 <= code <= 107:
                found.append(str(code))
            index += 1
    return found


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("TEXTUAL", None)
    env.update(extra)
    return env


def test_no_color_sends_no_colour_escapes_and_shows_focus_in_reverse() -> None:
    output = run_on_a_pty(terminal_env(NO_COLOR="1"))
    assert b"No leak suspected" in output and b"Committed_AS" in output
    assert colour_codes(output) == []
    # What colour said, reverse video says: the focused tile's title.
    assert re.search(rb"\x1b\[1;7[;0-9]*m Committed_AS", output)


def test_sixteen_colours_use_the_terminals_own_palette() -> None:
    output = run_on_a_pty(terminal_env(TERM="screen"))
    codes = colour_codes(output)
    assert codes, "no colour at all"
    assert all(";" not in code for code in codes), set(codes)  # no 256 or RGB colours
    # The green verdict bar and green bars, not bright red and grey (the 16-colour
    # downgrade of the default theme).
    assert "42" in codes and "32" in codes
    assert "91" not in codes and "101" not in codes


def test_a_c_locale_gets_ascii_only_and_still_reads() -> None:
    env = terminal_env(LANG="C")
    for name in ("LC_ALL", "LC_CTYPE"):
        env.pop(name, None)
    output = run_on_a_pty(env)
    assert b"No leak suspected" in output and b"Committed_AS" in output
    assert all(byte < 0x80 for byte in output), sorted({b for b in output if b >= 0x80})
    assert b"|" in output and b"#" in output  # the axes and bars, in ASCII


def test_which_locales_are_utf8() -> None:
    from memtui.core.locale_encoding import locale_is_utf8

    assert locale_is_utf8({"LANG": "en_US.UTF-8"})
    assert locale_is_utf8({"LANG": "C.utf8"})
    assert not locale_is_utf8({"LANG": "C"})
    # Python's own C-locale coercion (PEP 538) sets LC_CTYPE; the terminal still has C.
    assert not locale_is_utf8({"LANG": "C", "LC_CTYPE": "C.UTF-8"})
    assert not locale_is_utf8({"LC_ALL": "de_DE.ISO-8859-1", "LANG": "de_DE.UTF-8"})
    assert locale_is_utf8({"LANG": "C", "LC_CTYPE": "en_GB.UTF-8"})


def test_a_title_that_changed_is_sent_from_its_first_changed_cell() -> None:
    # Textual sends a changed part of a line from the widget's left edge: each title
    # (`Committed_AS 208 MiB  rate in 59s`, counting down) went out whole each second,
    # and each bar row whole for its newest bar. memtui sends from the changed cell.
    # The verdict is drawn once the first process table is in: either verdict (a
    # parallel test's leaking child may be named).
    output = run_on_a_pty(terminal_env(), seconds=5.0, until=b" suspected")
    verdict = output.find(b" suspected")
    assert verdict >= 0, output[-500:]
    after_first_frame = output[verdict:]
    # The titles are on row 3, the tiles' left edges at columns 1 and 41.
    columns = {int(c) for c in re.findall(rb"\x1b\[3;(\d+)H", after_first_frame)}
    assert columns - {1, 41}, f"every title update began at a tile's edge: {columns}"


class Pty:
    """memtui on a pty of 80x24, read as it writes."""

    def __init__(self, env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: memtui on the pty
            os.execve(sys.executable, [sys.executable, "-m", "memtui"], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.out = bytearray()

    def read_for(self, seconds: float) -> bool:
        """Read for ``seconds``, or until memtui closes the pty: then True."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # EIO: the child closed the pty
                    return True
                if not chunk:
                    return True
                self.out += chunk
        return False

    def wait_for(self, text: bytes, count: int = 1, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while self.out.count(text) < count and time.monotonic() < deadline:
            self.read_for(0.05)
        assert self.out.count(text) >= count, (text, bytes(self.out[-500:]))

    def exit_code(self) -> int:
        """Read until memtui closes the pty (killed after 10 s), then reap it."""
        if not self.read_for(10.0):
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def thread_wakeups(pid: int) -> dict[int, int]:
    """Each thread's voluntary context switches so far: how often it slept and woke."""
    counts = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status") as status:
            for line in status:
                if line.startswith("voluntary_ctxt_switches:"):
                    counts[int(task)] = int(line.split()[1])
    return counts


def test_the_input_thread_sleeps_until_a_key_and_a_lone_esc_is_still_a_key() -> None:
    # Textual's input thread woke ten times a second to tick its escape parser, idle:
    # 50 of the 91 wake-ups of memtui's threads in 5 s, and each one takes the GIL.
    app = Pty(terminal_env())
    try:
        app.wait_for(b"No leak suspected")
        app.read_for(2.0)  # the start-up's deferred work is done
        before = thread_wakeups(app.pid)
        app.read_for(4.0)
        after = thread_wakeups(app.pid)
        # The input thread is not the main one (whose tid is the pid): the event loop
        # wakes 3-6 times a second. The busiest other thread, the writer or the
        # /proc/meminfo reader, about 3.
        woke = {tid: after[tid] - before.get(tid, 0) for tid in after if tid != app.pid}
        assert max(woke.values()) < 24, woke
        # Esc alone is a key only once the parser's timeout has passed: a tick the
        # thread must still make, or the help stays open and the second `?` closes it.
        os.write(app.fd, b"?")
        app.wait_for(b"esc to close")
        os.write(app.fd, b"\x1b")
        app.read_for(0.5)
        os.write(app.fd, b"?")
        app.wait_for(b"esc to close", count=2, seconds=10.0)
        os.write(app.fd, b"\x1b")
        app.read_for(0.5)
        os.write(app.fd, b"q")
    finally:
        code = app.exit_code()
    assert code == 0, bytes(app.out[-500:])
