"""Tokens kept in a private JSON file, shared safely by threads and processes.

The file is written atomically (temporary file, fsync, ``os.replace``), is
readable by its owner only (0600), and is guarded by a lock file beside it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from typing import ContextManager, Optional, Tuple

from pyTD import config
from pyTD.cache.base import TokenCache
from pyTD.cache.format import Tokens, encode
from pyTD.exceptions import CacheError
from pyTD.private import tighten

log = logging.getLogger("pyTD")

DEFAULT_FILENAME = "tokens.json"


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
    """

    def __init__(
        self,
        config_dir: Optional[str] = None,
        filename: Optional[str] = None,
        *,
        lock_timeout: float = 30,
    ) -> None:
        super().__init__()
        from filelock import FileLock

        self.config_dir = config.config_dir(config_dir)
        self.filename = filename or DEFAULT_FILENAME
        if os.path.basename(self.filename) != self.filename or self.filename in (".", ".."):
            raise CacheError(f"filename must be a plain file name, not a path: {self.filename!r}")
        self.path = os.path.join(self.config_dir, self.filename)
        self.lock_path = self.path + ".lock"
        self.lock_timeout = lock_timeout
        self._file_lock = FileLock(self.lock_path, timeout=lock_timeout, mode=0o600)
        self._seen: Optional[Tuple[int, int, int]] = None
        self._tokens: Tokens = (None, None)
        try:
            os.makedirs(self.config_dir, mode=0o700, exist_ok=True)
            with self.lock():
                if not os.path.exists(self.path):
                    self._save((None, None))
                else:
                    tighten(self.path, "token cache")
        except OSError as exc:
            raise CacheError(f"Cannot create the token cache {self.path}: {exc.strerror}") from None

    def clear(self) -> None:
        """Forget both tokens; the (now empty) file stays."""
        super().clear()

    def lock(self) -> ContextManager[object]:
        """Return the cross-process lock (re-entrant); raises CacheError on timeout."""
        return _Lock(self)

    def __repr__(self) -> str:
        return f"DiskCache(path={self.path!r})"

    # -- the file -------------------------------------------------------------

    def _load(self) -> Tokens:
        """Return the tokens in the file, re-reading it only when it changed."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._seen, self._tokens = None, (None, None)
            return self._tokens
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._seen:
            self._tokens = self._read()
            self._seen = stamp
        return self._tokens

    def _read(self) -> Tokens:
        return self._decoded(self._raw, self.path)

    def _raw(self) -> bytes:
        try:
            with open(self.path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise CacheError(f"Cannot read the token cache {self.path}: {exc.strerror}") from None

    def _quarantine(self) -> Tokens:
        """Move an undecodable file aside rather than overwrite it, and read as empty."""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        aside, n = f"{self.path}.corrupt-{stamp}", 1
        while os.path.exists(aside):  # never overwrite an earlier quarantined file
            aside, n = f"{self.path}.corrupt-{stamp}-{n}", n + 1
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            raise CacheError(
                f"The token cache {self.path} is corrupt and cannot be moved aside: {exc.strerror}"
            ) from None
        self._save((None, None))
        log.warning("The token cache %s could not be decoded; it was moved to %s. "
                    "Log in again (python -m pyTD login).", self.path, aside)
        return (None, None)

    def _save(self, tokens: Tokens) -> None:
        """Replace the file atomically: a crash leaves the old or the new file, never a mix."""
        data = encode(tokens)
        fd, tmp = tempfile.mkstemp(dir=self.config_dir, prefix=f".{self.filename}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _fsync_dir(self.config_dir)
        self._seen, self._tokens = None, tokens


class _Lock:
    """The cache's thread lock, then its file lock; a timeout becomes a CacheError."""

    def __init__(self, cache: DiskCache) -> None:
        self._cache = cache

    def __enter__(self) -> _Lock:
        from filelock import Timeout

        self._cache._thread_lock.acquire()
        try:
            self._cache._file_lock.acquire()
        except Timeout:
            self._cache._thread_lock.release()
            raise CacheError(
                f"Timed out after {self._cache.lock_timeout:g} s waiting for the lock "
                f"{self._cache.lock_path}; another pyTD process holds it"
            ) from None
        except BaseException:
            self._cache._thread_lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._cache._file_lock.release()
        self._cache._thread_lock.release()


def _fsync_dir(path: str) -> None:
    # Make the rename itself durable; not every platform can open a directory.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
