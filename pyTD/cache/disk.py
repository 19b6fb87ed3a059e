"""Tokens kept in a private JSON file, shared safely by threads and processes.

The file is written atomically (temporary file, fsync, ``os.replace``), is
readable by its owner only (0600), and is guarded by a lock file beside it.
The directory and the files are opened without trusting anyone else (see
:mod:`pyTD.private`).
"""

from __future__ import annotations

import logging
import os
from typing import Any, ContextManager, Optional, Tuple

import pyTD.config as config
from pyTD.cache.base import TokenCache
from pyTD.cache.format import Tokens, aside_name, encode
from pyTD.exceptions import CacheError
from pyTD.private import PrivateDir, acquire_lock, make_private_dirs, release_lock

log = logging.getLogger("pyTD")

DEFAULT_FILENAME = "tokens.json"
Stamp = Tuple[int, int, int]


class DiskCache(TokenCache):
    """Keep tokens in a JSON file readable by its owner only.

    Parameters
    ----------
    config_dir : str, optional
        Directory of the file. Default: ``TD_CONFIG_DIR``, else the user's
        config directory (``platformdirs.user_config_dir("pyTD")``). Missing
        directories are created with mode 0700.
    filename : str, optional
        Name of the file in ``config_dir`` (default ``tokens.json``).
    lock_timeout : float, optional
        Seconds to wait for another process holding the lock before raising
        :class:`~pyTD.exceptions.CacheError` (default 30).

    Notes
    -----
    Each read reflects the file as it is now, so tokens refreshed by another
    process are seen. A file that cannot be decoded is renamed aside
    (``<name>.corrupt-<timestamp>``) with a warning, and the cache reads as
    empty: log in again.

    The directory and the file must belong to this user and be writable by no
    one else; the file must be a regular file (not a link or a FIFO). Anything
    else raises :class:`~pyTD.exceptions.CacheError` rather than trusting it.
    A read-only directory can still be read.

    If a write fails (a full disk), the new tokens are kept in memory, so this
    process keeps working, and :class:`~pyTD.exceptions.CacheError` says so;
    the next successful write stores them.
    """

    def __init__(
        self,
        config_dir: Optional[str] = None,
        filename: Optional[str] = None,
        *,
        lock_timeout: float = 30,
    ) -> None:
        super().__init__()
        self.config_dir = config.config_dir(config_dir)
        self.filename = filename or DEFAULT_FILENAME
        if os.path.basename(self.filename) != self.filename or self.filename in (".", ".."):
            raise CacheError(f"filename must be a plain file name, not a path: {self.filename!r}")
        self.path = os.path.join(self.config_dir, self.filename)
        self.lock_path = self.path + ".lock"
        self.lock_timeout = lock_timeout
        self._lock_fd: Any = None  # the held lock: a descriptor (POSIX) or a filelock.FileLock
        self._lock_depth = 0
        self._seen: Optional[Stamp] = None
        self._tokens: Tokens = (None, None)
        self._unsaved: Optional[Tokens] = None  # newer than the file: its write failed
        self._unsaved_over: Optional[Stamp] = None  # the file those tokens are newer than
        try:
            make_private_dirs(self.config_dir)
        except OSError as exc:
            raise CacheError(f"Cannot create the token cache {self.path}: {exc.strerror}") from None
        with PrivateDir(self.config_dir) as directory:
            exists = directory.read(self.filename, "token cache") is not None  # checks the file too
        if not exists and os.access(self.config_dir, os.W_OK):  # a read-only directory is read as it is
            with self.lock():
                if self._stamp() is None:
                    try:
                        self._save((None, None))
                    except CacheError:  # a full disk: nothing is lost, and the first real write says so
                        self._unsaved = None

    def clear(self) -> None:
        """Forget both tokens; the (now empty) file stays."""
        super().clear()

    def lock(self) -> ContextManager[object]:
        """Return the cross-process lock (re-entrant); raises CacheError on timeout."""
        return _Lock(self)

    def __repr__(self) -> str:
        return f"DiskCache(path={self.path!r})"

    # -- the file -------------------------------------------------------------

    def _stamp(self) -> Optional[Stamp]:
        try:
            st = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheError(f"Cannot read the token cache {self.path}: {exc.strerror}") from None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _load(self) -> Tokens:
        """Return the tokens in the file, re-reading it only when it changed."""
        stamp = self._stamp()
        if self._unsaved is not None:
            if stamp == self._unsaved_over:
                return self._unsaved
            self._unsaved = None  # another process wrote the file since: its tokens are newer
            log.info("The token cache %s was written by another process; using its tokens", self.path)
        if stamp is None:
            self._seen, self._tokens = None, (None, None)
        elif stamp != self._seen:
            self._tokens = self._read()
            self._seen = stamp
        return self._tokens

    def _read(self) -> Tokens:
        return self._decoded(self._raw, self.path)

    def _raw(self) -> bytes:
        with PrivateDir(self.config_dir) as directory:
            return directory.read(self.filename, "token cache") or b""

    def _quarantine(self) -> Tokens:
        """Move an undecodable file aside rather than overwrite it, and read as empty."""
        with PrivateDir(self.config_dir) as directory:
            aside = aside_name(self.filename, lambda name: directory.stamp(name) is not None)
            directory.rename(self.filename, aside, "corrupt token cache")
        self._save((None, None))
        log.warning("The token cache %s could not be decoded; it was moved to %s. "
                    "Log in again (python -m pyTD login).", self.path, os.path.join(self.config_dir, aside))
        return (None, None)

    def _save(self, tokens: Tokens) -> None:
        """Replace the file atomically; called under the lock, so a temporary file of another writer is an orphan."""
        try:
            with PrivateDir(self.config_dir) as directory:
                directory.remove_orphans(self.filename)
                directory.write(self.filename, encode(tokens), "token cache")
        except CacheError as exc:
            self._unsaved, self._unsaved_over = tokens, self._stamp()
            raise CacheError(f"{exc}. Until a write succeeds, this process keeps the newest tokens in "
                             "memory; other processes do not see them.") from None
        self._unsaved = None
        self._seen, self._tokens = None, tokens


class _Lock:
    """The cache's thread lock, then (once per thread's nesting) its file lock."""

    def __init__(self, cache: DiskCache) -> None:
        self._cache = cache

    def __enter__(self) -> _Lock:
        cache = self._cache
        cache._thread_lock.acquire()
        try:
            if cache._lock_depth == 0:
                cache._lock_fd = acquire_lock(cache.config_dir, os.path.basename(cache.lock_path), cache.lock_timeout)
            cache._lock_depth += 1
        except BaseException:
            cache._thread_lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        cache = self._cache
        cache._lock_depth -= 1
        try:
            if cache._lock_depth == 0:
                held, cache._lock_fd = cache._lock_fd, None
                release_lock(held)
        finally:
            cache._thread_lock.release()


