"""Client-side limits on requests per time window, so the server never has to answer 429.

A limiter has ``limit``, ``window`` and ``acquire()``, which waits for a free slot, takes it and returns
the seconds waited. Where its window lives decides who shares it:

- ``"process"``: :class:`RateLimiter`, the threads of this process;
- ``"machine"``: :class:`~pyTD.ratelimit.machine.MachineLimiter`, every process of this user on this
  machine (a SQLite file in the config directory);
- a Redis URL: :class:`~pyTD.ratelimit.rediswindow.RedisLimiter`, every process on every host.
"""

from __future__ import annotations

import threading
from typing import Dict, Optional, Tuple

from pyTD.ratelimit.base import Limiter
from pyTD.ratelimit.process import RateLimiter

__all__ = ["Limiter", "RateLimiter", "shared_limiter"]

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
