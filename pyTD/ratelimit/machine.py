"""The sliding window of every process of this user on this machine: a small SQLite file, 0600.

SQLite serialises the check-and-record of each send (``BEGIN IMMEDIATE``), so processes together never
exceed the limit; the time is read inside that transaction, so a send is never recorded late.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any, List

from pyTD.exceptions import StoreError
from pyTD.private import PrivateDir, make_private_dirs, release_lock, take_lock
from pyTD.ratelimit import SharedWindow

FILENAME = "ratelimit.sqlite3"
LOCK_TIMEOUT = 30.0  # seconds to wait for another process's transaction (each takes microseconds)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (name TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sent_by_name ON sent (name, at);
"""

# Connections a forked child inherited: never used (SQLite forbids it) and never closed (closing could
# disturb the parent's locks), only kept from the garbage collector.
_inherited: List[Any] = []


class MachineLimiter(SharedWindow):
    """A window shared by every process of this user on this machine.

    Parameters
    ----------
    name : str
        Whose window it is (e.g. the consumer key); stored hashed.
    limit : int
        Requests per window; 0 disables the limiter.
    window : float
        The window in seconds.
    directory : str
        Where the store lives (pyTD's config directory): ``ratelimit.sqlite3``, mode 0600. A missing
        directory is created with mode 0700.

    Raises
    ------
    StoreError
        If the store cannot be created, or another process keeps it locked for 30 s.
    """

    def __init__(self, name: str, limit: int, window: float, directory: str) -> None:
        super().__init__(name, limit, window)
        self.path = os.path.join(directory, FILENAME)
        self._lock = threading.Lock()
        self._pid = -1
        self._db: Any = None
        try:
            make_private_dirs(directory)
            with PrivateDir(directory) as private:
                private.touch(FILENAME, "rate-limit store")  # 0600, a regular file of ours, before SQLite opens it
        except OSError as exc:
            raise StoreError(f"Cannot create the rate-limit store {self.path}: {exc.strerror}") from None

    def _take(self, span: float) -> float:
        with self._lock:
            try:
                db = self._connection()
                db.execute("BEGIN IMMEDIATE")  # one process at a time from here to COMMIT
                try:
                    wait = self._record(db, span)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                return wait
            except sqlite3.Error as exc:
                raise StoreError(f"The rate-limit store {self.path} failed: {exc}") from None

    def _record(self, db: Any, span: float) -> float:
        now = time.time()
        # Too old; or from the future, written before the clock was set back.
        db.execute("DELETE FROM sent WHERE name = ? AND (at <= ? OR at > ?)", (self.digest, now - span, now + span))
        count, oldest = db.execute("SELECT COUNT(*), MIN(at) FROM sent WHERE name = ?", (self.digest,)).fetchone()
        if count < self.limit:
            db.execute("INSERT INTO sent VALUES (?, ?)", (self.digest, now))
            return 0.0
        return float(oldest) + span - now

    def _connection(self) -> Any:
        if self._pid != os.getpid():
            if self._db is not None:
                _inherited.append(self._db)
            # Switching to WAL and creating the table deadlock when processes do it at once: one at a time.
            held = take_lock(os.path.dirname(self.path), FILENAME + ".lock", LOCK_TIMEOUT)
            try:
                db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT, isolation_level=None,
                                     check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")  # readers and the one writer do not block each other
                db.executescript(_SCHEMA)
            finally:
                release_lock(held)
            db.execute("PRAGMA synchronous=OFF")  # the window is not worth an fsync per request
            self._db, self._pid = db, os.getpid()
        return self._db

    def __repr__(self) -> str:
        return f"MachineLimiter(limit={self.limit}, window={self.window:g}, path={self.path!r})"
