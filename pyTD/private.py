"""Files holding secrets: a private directory, opened and checked once, and the files in it read,
written and locked without following links, without blocking, and never readable by others.

Every operation goes through the open directory (``dir_fd``), so renaming or replacing the
directory's path afterwards cannot redirect it. On systems without ``dir_fd`` or owners (Windows),
the same operations use plain paths and the checks of ownership are skipped.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
import time
from typing import Any, Dict, List, Optional, Tuple

from pyTD.exceptions import CacheError

log = logging.getLogger("pyTD")

POSIX = os.name == "posix"
TEMP_SUFFIX = ".tmp"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_LOCK_POLL = 0.01


def make_private_dirs(path: str) -> None:
    """Create ``path`` and its missing parents, each with mode 0700 whatever the umask."""
    missing: List[str] = []
    head = path
    while not os.path.lexists(head):
        missing.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: PrivateDir checks the one that matters
        if POSIX:
            fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
            try:
                os.fchmod(fd, 0o700)  # a umask such as 0o277 would leave it unusable
            finally:
                os.close(fd)


def check_owner(st: os.stat_result, path: str, what: str) -> None:
    """Refuse a file or directory that another user owns or may write to."""
    if not POSIX:
        return
    if st.st_uid != os.geteuid():
        raise CacheError(f"The {what} {path} belongs to another user (uid {st.st_uid}): pyTD does not trust "
                         "it with tokens. Remove it, or use a directory of your own (TD_CONFIG_DIR).")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o022:
        raise CacheError(f"The {what} {path} can be written by other users (mode {mode:o}): pyTD does not "
                         f"trust it with tokens. Run `chmod go-w {path}` if that is safe, or use another one.")


class PrivateDir:
    """A directory that holds secrets, opened once: it must belong to this user, and no one else may write to it.

    Parameters
    ----------
    path : str
        The directory; it must exist (see :func:`make_private_dirs`).

    Raises
    ------
    CacheError
        If it cannot be opened, belongs to another user, or others may write to it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: Optional[int] = None
        if not POSIX:
            return
        try:
            fd = os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        except OSError as exc:
            raise CacheError(f"Cannot open the config directory {path}: {exc.strerror}") from None
        try:
            check_owner(os.fstat(fd), path, "config directory")
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> PrivateDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _at(self, name: str) -> Tuple[str, Dict[str, Any]]:
        """What os functions need to reach ``name`` in this directory."""
        if self.fd is None:
            return os.path.join(self.path, name), {}
        return name, {"dir_fd": self.fd}

    def _open(self, name: str, flags: int, what: str, secret: bool = True) -> int:
        """Open ``name`` without following a symbolic link and without blocking; then check it."""
        where, at = self._at(name)
        try:
            fd = os.open(where, flags | _NOFOLLOW | _NONBLOCK | _CLOEXEC, 0o600, **at)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise
            raise CacheError(self._why(name, what, exc)) from None
        try:
            self._check_file(fd, name, what, secret)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _why(self, name: str, what: str, exc: OSError) -> str:
        path = os.path.join(self.path, name)
        kind = self._kind(name)
        if kind:
            return f"The {what} {path} is {kind}, not a regular file: pyTD does not use it. Remove it."
        return f"Cannot open the {what} {path}: {exc.strerror}"

    def _kind(self, name: str) -> str:
        """'a symbolic link', 'a FIFO', ... if ``name`` is there and is not a regular file."""
        where, at = self._at(name)
        try:
            return _kind(os.stat(where, follow_symlinks=False, **at).st_mode)
        except OSError:
            return ""

    def _check_file(self, fd: int, name: str, what: str, secret: bool) -> None:
        st = os.fstat(fd)
        path = os.path.join(self.path, name)
        if not stat.S_ISREG(st.st_mode):
            raise CacheError(f"The {what} {path} is {_kind(st.st_mode)}, not a regular file: pyTD does not use it. "
                             "Remove it.")
        check_owner(st, path, what)
        mode = stat.S_IMODE(st.st_mode)
        if POSIX and secret and mode & 0o077:
            os.fchmod(fd, 0o600)
            log.warning("The %s %s was readable by others (mode %o); it is now 0600.", what, path, mode)

    # -- reading and writing ----------------------------------------------------------------------

    def touch(self, name: str, what: str) -> None:
        """Create ``name`` as a private (0600) regular file if it is missing, and check it as any secret file."""
        os.close(self._open(name, os.O_CREAT | os.O_RDWR, what))

    def read(self, name: str, what: str, secret: bool = True) -> Optional[bytes]:
        """The contents of ``name``, or None if there is no such file.

        A ``secret`` file that others can read is made 0600, with a warning.
        """
        try:
            fd = self._open(name, os.O_RDONLY, what, secret)
        except FileNotFoundError:
            return None
        try:
            chunks: List[bytes] = []
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        except OSError as exc:
            raise CacheError(f"Cannot read the {what} {os.path.join(self.path, name)}: {exc.strerror}") from None
        finally:
            os.close(fd)

    def write(self, name: str, data: bytes, what: str, mode: int = 0o600) -> None:
        """Replace ``name`` atomically: a crash leaves the old or the new file, never a mix.

        The data goes to a new file with an unpredictable name, created exclusively with its final
        mode, flushed to disk, then renamed over ``name``.

        Raises
        ------
        CacheError
            If ``name`` is there but is not a regular file, or the write fails (e.g. the disk is full).
        """
        kind = self._kind(name)
        if kind:
            raise CacheError(f"The {what} {os.path.join(self.path, name)} is {kind}, not a regular file: "
                             "pyTD does not replace it. Remove it.")
        tmp = f".{name}.{secrets.token_hex(8)}{TEMP_SUFFIX}"
        where, at = self._at(tmp)
        target, _ = self._at(name)
        try:
            fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode, **at)
            try:
                if POSIX:
                    os.fchmod(fd, mode)  # exactly this mode, whatever the umask
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(where, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except OSError as exc:
            self._unlink(tmp)
            advice = "; free some space" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else ""
            raise CacheError(f"Cannot write the {what} {os.path.join(self.path, name)}: "
                             f"{exc.strerror}{advice}") from None
        except BaseException:
            self._unlink(tmp)
            raise
        self._sync()

    def remove_orphans(self, name: str) -> int:
        """Delete the temporary files of writers of ``name`` that died; return how many.

        Call it only while holding the lock that every writer of ``name`` holds.
        """
        removed = 0
        try:
            entries = os.listdir(self.fd if self.fd is not None else self.path)
        except OSError:
            return 0
        for entry in entries:
            if entry.startswith(f".{name}.") and entry.endswith(TEMP_SUFFIX) and self._unlink(entry):
                removed += 1
        if removed:
            log.info("Removed %d temporary file(s) left by an interrupted write of %s", removed,
                     os.path.join(self.path, name))
        return removed

    def rename(self, name: str, new_name: str, what: str) -> None:
        """Rename ``name`` to ``new_name`` in this directory."""
        (where, _), (target, _) = self._at(name), self._at(new_name)
        try:
            os.replace(where, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except OSError as exc:
            raise CacheError(f"Cannot rename the {what} {os.path.join(self.path, name)}: {exc.strerror}") from None

    def stamp(self, name: str) -> Optional[Tuple[int, int, int]]:
        """``(inode, mtime, size)`` of ``name`` (not following a link), or None if it is not there."""
        where, at = self._at(name)
        try:
            st = os.stat(where, follow_symlinks=False, **at)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _unlink(self, name: str) -> bool:
        where, at = self._at(name)
        try:
            os.unlink(where, **at)
        except OSError:
            return False
        return True

    def _sync(self) -> None:
        # Make the rename itself durable; not every platform can fsync a directory.
        if self.fd is not None:
            try:
                os.fsync(self.fd)
            except OSError:
                pass

    # -- locking ----------------------------------------------------------------------------------

    def lock(self, name: str, timeout: float) -> int:
        """Take an exclusive lock on the file ``name`` (created if missing); return its descriptor.

        Release it with :func:`unlock`. POSIX only (``flock``).

        Raises
        ------
        CacheError
            If the lock file is not a regular file of this user, or another process holds the
            lock for ``timeout`` seconds.
        """
        import fcntl

        fd = self._open(name, os.O_RDWR | os.O_CREAT, "lock file", secret=False)  # it holds nothing
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise lock_timeout(os.path.join(self.path, name), timeout) from None
                time.sleep(_LOCK_POLL)
            except BaseException:
                os.close(fd)
                raise


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return kind
    return "" if stat.S_ISREG(mode) else "a special file"


def lock_timeout(path: str, timeout: float) -> CacheError:
    """The error for a lock another process held too long."""
    return CacheError(f"Timed out after {timeout:g} s waiting for the lock {path}; another process holds it "
                      "(a pyTD process that is refreshing, or one that hangs)")


def acquire_lock(directory: str, name: str, timeout: float) -> Any:
    """Take the exclusive lock file ``name`` in ``directory``; return what :func:`release_lock` releases.

    POSIX: ``flock`` on a file opened safely (:meth:`PrivateDir.lock`); elsewhere the ``filelock`` package.

    Raises
    ------
    CacheError
        If another process holds the lock for ``timeout`` seconds, or the lock file cannot be trusted.
    """
    if POSIX:
        with PrivateDir(directory) as private:
            return private.lock(name, timeout)
    from filelock import FileLock, Timeout  # Windows: no flock

    held = FileLock(os.path.join(directory, name), timeout=timeout)
    try:
        held.acquire()
    except Timeout:
        raise lock_timeout(os.path.join(directory, name), timeout) from None
    return held


def release_lock(held: Any) -> None:
    """Release a lock taken with :func:`acquire_lock`."""
    if POSIX:
        unlock(held)
    else:
        held.release()


def unlock(fd: int) -> None:
    """Release a lock taken with :meth:`PrivateDir.lock`."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

