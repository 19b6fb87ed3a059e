"""A client-side limit on requests per time window, so TD never has to answer 429."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Deque, Dict, Tuple

# Requests reach the server a little after we send them; a slightly longer window keeps
# the server's count under its limit even when latencies vary.
_MARGIN = 1.02


class RateLimiter:
    """Allow at most ``limit`` requests in any ``window`` seconds (a sliding window).

    Threads share it: :meth:`acquire` blocks until a request may be sent.

    Parameters
    ----------
    limit : int
        Requests per window; 0 disables the limiter.
    window : float
        The window in seconds (TD: 120 requests per 60 s).
    """

    def __init__(self, limit: int, window: float = 60.0) -> None:
        if limit < 0 or not 0 < window < float("inf"):
            raise ValueError("rate limit must be >= 0 requests per a positive, finite window")
        self.limit = limit
        self.window = window
        self._sent: Deque[float] = deque()
        self._cond = threading.Condition()

    def acquire(self) -> float:
        """Wait for a free slot and take it; return the seconds waited."""
        if not self.limit:
            return 0.0
        start = time.monotonic()
        span = self.window * _MARGIN
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

    def __repr__(self) -> str:
        return f"RateLimiter(limit={self.limit}, window={self.window:g})"


_shared: Dict[Tuple[str, int, float], RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(client_id: str, limit: int, window: float = 60.0) -> RateLimiter:
    """The limiter every client of one consumer key in this process shares."""
    key = (client_id.upper(), limit, window)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = RateLimiter(limit, window)
        return _shared[key]
