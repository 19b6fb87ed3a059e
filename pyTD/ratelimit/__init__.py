"""Client-side limits on requests per time window, so the server never has to answer 429.

A limiter has ``limit``, ``window`` and ``acquire()``, which waits for a free slot, takes it and returns
the seconds waited. Where its window lives decides who shares it:

- ``"process"``: :class:`RateLimiter`, the threads of this process;
- ``"machine"``: :class:`~pyTD.ratelimit.machine.MachineLimiter`, every process of this user on this
  machine (a SQLite file in the config directory);
- a Redis URL: :class:`~pyTD.ratelimit.rediswindow.RedisLimiter`, every process on every host.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from typing import Deque, Dict, Optional, Tuple

__all__ = ["Limiter", "RateLimiter", "shared_limiter"]

# Requests reach the server a little after we send them; a slightly longer window keeps
# the server's count under its limit even when latencies vary.
MARGIN = 1.02


class Limiter:
    """At most ``limit`` requests in any ``window`` seconds: a sliding window.

    Parameters
    ----------
    limit : int
        Requests per window; 0 disables the limiter.
    window : float
        The window in seconds (TD: 120 requests per 60 s).
    """

    def __init__(self, limit: int, window: float = 60.0) -> None:
        if limit < 0 or window <= 0:
            raise ValueError("rate limit must be >= 0 requests per a positive window")
        self.limit = limit
        self.window = window

    def acquire(self) -> float:
        """Wait for a free slot and take it; return the seconds waited (0.0 when there was no wait)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(limit={self.limit}, window={self.window:g})"


class SharedWindow(Limiter):
    """A window kept outside the process, where other processes take slots too.

    A subclass implements :meth:`_take`: atomically, drop the sends older than ``span``, and either
    record a send now (return 0) or say how many seconds remain until the oldest send leaves the window.
    ``name`` says whose window it is (e.g. an app's consumer key); it is stored hashed.
    """

    def __init__(self, name: str, limit: int, window: float = 60.0) -> None:
        super().__init__(limit, window)
        self.name = name
        self.digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]

    def acquire(self) -> float:
        if not self.limit:
            return 0.0
        start = time.monotonic()
        waited = False
        while True:
            wait = self._take(self.window * MARGIN)
            if wait <= 0:
                return time.monotonic() - start if waited else 0.0
            waited = True
            time.sleep(wait)

    def _take(self, span: float) -> float:
        raise NotImplementedError


class RateLimiter(Limiter):
    """A window of this process only (``limit`` and ``window`` as in :class:`Limiter`).

    Threads share it: :meth:`acquire` blocks until a request may be sent.
    """

    def __init__(self, limit: int, window: float = 60.0) -> None:
        super().__init__(limit, window)
        self._sent: Deque[float] = deque()
        self._cond = threading.Condition()

    def acquire(self) -> float:
        """Wait for a free slot and take it; return the seconds waited."""
        if not self.limit:
            return 0.0
        start = time.monotonic()
        span = self.window * MARGIN
        waited = False
        with self._cond:
            while True:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - span:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return now - start if waited else 0.0
                waited = True
                self._cond.wait(self._sent[0] + span - now)


_shared: Dict[Tuple[str, str, int, float, Optional[str]], Limiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(name: str, limit: int, window: float = 60.0, store: str = "process",
                   directory: Optional[str] = None) -> Limiter:
    """The limiter of ``name`` (e.g. a consumer key) in ``store``, one object per process.

    Parameters
    ----------
    name : str
        Whose limit it is, case-insensitive: the requests of one app (its consumer key), or the
        order writes of one account.
    limit, window
        ``limit`` requests per ``window`` seconds; 0 disables the limit.
    store : str
        ``"process"``, ``"machine"`` or a Redis URL.
    directory : str, optional
        The directory of the ``"machine"`` store (pyTD's config directory).
    """
    name = name.upper()
    key = (store, name, limit, window, directory if store == "machine" else None)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = _new(name, limit, window, store, directory)
        return _shared[key]


def _new(name: str, limit: int, window: float, store: str, directory: Optional[str]) -> Limiter:
    if store == "process" or not limit:
        return RateLimiter(limit, window)
    if store == "machine":
        if directory is None:
            raise ValueError("the machine store needs a directory")
        from pyTD.ratelimit.machine import MachineLimiter

        return MachineLimiter(name, limit, window, directory)
    from pyTD.ratelimit.rediswindow import RedisLimiter

    return RedisLimiter(name, limit, window, store)
