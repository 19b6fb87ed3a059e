"""What every limiter offers (``limit``, ``window``, ``acquire()``), and the waiting loop of the shared ones."""

from __future__ import annotations

import hashlib
import time

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
