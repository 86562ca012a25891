"""Creating the files memtui writes (dumps, saves, recordings) where other users may
have planted something first.

memtui often runs as root, and its output may hold another process's secrets, so a
path in /tmp must not be turned against the machine or leak what is written:

- a symbolic link at the path is refused, never followed: a link that another user
  planted would aim the write at a file of root's (fs.protected_symlinks, which
  stops that in sticky directories, is 0 on many machines and does nothing
  elsewhere);
- a link on the way to the file (a directory) is followed only when it could not
  have been planted: the kernel's protected_symlinks rule, in any directory that
  others may write, sticky or not, whatever the sysctl says;
- an existing file, FIFO or socket that you do not own is refused: its owner could
  read what is written into it;
- a regular file is never written through: a new file is created beside it
  (``O_CREAT | O_EXCL | O_NOFOLLOW``, mode 0600 whatever the umask) and renamed over
  the path, so no other name of the old file (a hard link) sees the bytes, and the
  old file's mode is never changed;
- a device or FIFO (``/dev/null``, a terminal, ``mkfifo``) is opened as it is, with
  no rename and no chmod; ``/dev/stdout``, ``/dev/stderr`` and ``/dev/fd/N`` (links
  the system made) are memtui's own descriptors and are used as such.

Everything after the check happens relative to the directory opened once, so
nothing can be swapped between the check and the write. :class:`OutputFile`
renames when the writer is done (:meth:`OutputFile.commit`), so a dump or save that
fails leaves any old file whole; :func:`open_stream` renames at once, for a
recording that grows as it is written. ``tempfile`` would do the exclusive create,
but importing it costs `memtui dump` ~60 ms of a ~50 ms run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from types import TracebackType

from memtui.core.input_echo import shorten_path
from memtui.core.printable import printable
from memtui.core.user_names import user_label

_SUFFIX = ".memtui-part"
_NAME_BYTES = 100  # of the final name kept in the temporary one; NAME_MAX is 255
_MAX_LINKS = 40  # links followed on one way, as the kernel allows
_LINK_REFUSED = "it is a symbolic link, and memtui does not follow links for the files it writes"
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


class OutputFileError(Exception):
    """Why a file cannot be written: one line that names the path."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {shorten_path(path)}: {reason}")


def _os_error(path: str, error: OSError) -> OutputFileError:
    return OutputFileError(path, error.strerror or str(error))


def _own_descriptor(path: str) -> int | None:
    """N for ``/dev/stdout`` (1), ``/dev/stderr`` (2), ``/dev/fd/N``, ``/proc/self/fd/N``."""
    absolute = os.path.abspath(path)
    named = {"/dev/stdout": 1, "/dev/stderr": 2}.get(absolute)
    if named is not None:
        return named
    for prefix in ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"):
        number = absolute.removeprefix(prefix)
        if number != absolute and number.isdigit():
            return int(number)
    return None


def _refuse_unless_yours(path: str, info: os.stat_result) -> None:
    if info.st_uid != os.geteuid():
        raise OutputFileError(
            path, f"it belongs to {user_label(info.st_uid)}, and memtui writes only files you own"
        )


def _resolve_the_way(path: str, output: str, links: int = 0) -> str:
    """The real path of directory ``path``, following only links no one else could plant.

    A link is followed if the directory it is in is writable by its owner alone, or
    the link belongs to you or to that directory's owner (the kernel's
    protected_symlinks rule). ``output`` is the file being written, for messages.
    Raises OSError when a part of the way does not exist.
    """
    current = "/" if path.startswith("/") else os.getcwd()
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        info = os.lstat(candidate)
        if not stat.S_ISLNK(info.st_mode):
            current = candidate
            continue
        parent = os.stat(current)
        planted = parent.st_mode & _OTHERS_WRITE and info.st_uid not in (
            os.geteuid(),
            parent.st_uid,
        )
        if planted:
            raise OutputFileError(
                output,
                f"the way to it goes through {printable(candidate)}, a symbolic link that "
                f"{user_label(info.st_uid)} owns in a directory others may write",
            )
        if links >= _MAX_LINKS:
            raise OutputFileError(output, os.strerror(errno.ELOOP))
        current = _resolve_the_way(os.path.join(current, os.readlink(candidate)), output, links + 1)
    return current


def _open_directory(directory: str, output: str) -> int:
    """The directory, opened once, after checking the links on the way to it."""
    try:
        real = _resolve_the_way(directory, output)
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:  # no such directory, not a directory, no permission
        raise _os_error(output, error) from None
    if os.readlink(f"/proc/self/fd/{fd}") != real:
        os.close(fd)
        raise OutputFileError(output, "a directory on the way to it changed while memtui opened it")
    return fd


def _open_parent(path: str) -> tuple[int, str]:
    """The directory of ``path``, opened (see :func:`_open_directory`), and the name in it."""
    directory, name = os.path.split(path)
    if name in ("", ".", ".."):
        raise OutputFileError(path, os.strerror(errno.EISDIR))
    return _open_directory(directory or ".", path), name


def _lstat_in(directory: int, name: str, path: str) -> os.stat_result | None:
    """What ``name`` is in the directory, links not followed; None if nothing."""
    try:
        return os.stat(name, dir_fd=directory, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _os_error(path, error) from None


def check_in_place(path: str) -> bool:
    """Whether ``path`` exists, for a file that a library writes in place by its name
    (SQLite: a store and its -wal, -shm and -journal), under the same rules short of
    the rename: no link someone else could plant on the way, no link at the path,
    and what is there must be a regular file of yours. Raises OutputFileError."""
    directory, name = _open_parent(path)
    try:
        info = _lstat_in(directory, name, path)
    finally:
        os.close(directory)
    if info is None:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise OutputFileError(path, _LINK_REFUSED)
    if stat.S_ISDIR(info.st_mode):
        raise OutputFileError(path, os.strerror(errno.EISDIR))
    if not stat.S_ISREG(info.st_mode):
        raise OutputFileError(path, "it is not a regular file")
    _refuse_unless_yours(path, info)
    return True


class OutputFile:
    """A file being written at ``path``; it takes its place on :meth:`commit`.

    Use as a context manager: leaving the block normally commits, an exception
    (a failed write, Ctrl-C, a closed generator) discards what was written.
    Raises :class:`OutputFileError` when the path may not be written.
    """

    def __init__(self, path: str, *, descriptor: int | None = None) -> None:
        """``descriptor``: write to a duplicate of it (stdout, say) instead, as it is."""
        self.path = path
        self._directory: int | None = None  # the directory, while a new file waits in it
        self._temporary: str | None = None  # the new file's name there, until renamed
        self.fd = self._open() if descriptor is None else self._dup(descriptor)

    def _dup(self, fd: int) -> int:
        try:
            return os.dup(fd)
        except OSError as error:
            raise _os_error(self.path, error) from None

    def _open(self) -> int:
        directory, name = _open_parent(self.path)
        try:
            return self._open_in(directory, name)
        finally:
            if self._directory != directory:
                os.close(directory)

    def _open_in(self, directory: int, name: str) -> int:
        path = self.path
        info = _lstat_in(directory, name, path)
        if info is None:
            return self._create_beside(directory, name)
        mode = info.st_mode
        if stat.S_ISLNK(mode):
            fd = _own_descriptor(path)
            if fd is None:
                raise OutputFileError(path, _LINK_REFUSED)
            return self._dup(fd)
        if stat.S_ISDIR(mode):
            raise OutputFileError(path, os.strerror(errno.EISDIR))
        if stat.S_ISREG(mode):
            _refuse_unless_yours(path, info)
            if not os.access(name, os.W_OK, dir_fd=directory):
                raise OutputFileError(path, os.strerror(errno.EACCES))  # as open() would say
            return self._create_beside(directory, name)
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            _refuse_unless_yours(path, info)
        return self._open_in_place(directory, name, info)

    def _open_in_place(self, directory: int, name: str, info: os.stat_result) -> int:
        """A device or FIFO: opened as it is (no O_CREAT, no O_TRUNC), if it is still it."""
        flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC
        try:
            fd = os.open(name, flags, dir_fd=directory)
        except OSError as error:
            raise _os_error(self.path, error) from None
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            os.close(fd)
            raise OutputFileError(self.path, "it was replaced while memtui opened it")
        return fd

    def _create_beside(self, directory: int, name: str) -> int:
        """A new file, 0600, in the directory, under a name nobody else can hold."""
        kept = os.fsdecode(os.fsencode(name)[:_NAME_BYTES])
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        while True:
            temporary = f".{kept}.{os.urandom(6).hex()}{_SUFFIX}"
            try:
                fd = os.open(temporary, flags, 0o600, dir_fd=directory)
            except FileExistsError:
                continue  # 48 random bits taken: someone is guessing; draw again
            except OSError as error:
                raise _os_error(self.path, error) from None
            self._directory, self._temporary = directory, temporary
            # The umask may have taken bits off 0600 (077 is fine, 0277 is not).
            os.fchmod(fd, 0o600)
            return fd

    def commit(self) -> None:
        """Close the file and put it in place of the path (the old file, if any, goes)."""
        try:
            os.close(self.fd)
        except OSError as error:
            self._drop_new_file()
            raise _os_error(self.path, error) from None
        self._put_new_file_in_place()

    def put_in_place(self) -> None:
        """Rename the new file over the path now, and go on writing into it there."""
        try:
            self._put_new_file_in_place()
        except OutputFileError:
            os.close(self.fd)
            raise

    def discard(self) -> None:
        """Close the file and drop it: the path keeps what it had (a device: what was sent)."""
        with contextlib.suppress(OSError):  # what was written is being thrown away anyway
            os.close(self.fd)
        self._drop_new_file()

    def _put_new_file_in_place(self) -> None:
        directory, temporary = self._directory, self._temporary
        if directory is None or temporary is None:
            return
        self._directory = self._temporary = None
        name = os.path.basename(self.path)
        try:
            os.rename(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=directory)
            raise _os_error(self.path, error) from None
        finally:
            os.close(directory)

    def _drop_new_file(self) -> None:
        directory, temporary = self._directory, self._temporary
        if directory is None or temporary is None:
            return
        self._directory = self._temporary = None
        # Gone already, or the directory no longer lets us: nothing more to do.
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=directory)
        os.close(directory)

    def __enter__(self) -> OutputFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def open_stream(path: str) -> int:
    """A descriptor at ``path`` to stream into, under the rules of :class:`OutputFile`;
    a new file is in place at once (a recording shows its rows as they come)."""
    output = OutputFile(path)
    output.put_in_place()
    return output.fd
