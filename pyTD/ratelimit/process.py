"""The sliding window of one process, shared by its threads."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Deque

from pyTD.ratelimit.base import MARGIN, Limiter


class RateLimiter(Limiter):
    """Allow at most ``limit`` requests in any ``window`` seconds (a sliding window) in this process.

    Threads share it: :meth:`acquire` blocks until a request may be sent.

    Parameters
    ----------
    limit : int
        Requests per window; 0 disables the limiter.
    window : float
        The window in seconds (TD: 120 requests per 60 s).
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
