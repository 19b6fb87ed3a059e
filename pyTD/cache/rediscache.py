"""Tokens kept in Redis, shared by every process on every host, refreshed once (the ``redis`` extra)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, ContextManager, Optional

import pyTD.config as config
import pyTD.redisdb as redisdb
from pyTD.cache.base import TokenCache
from pyTD.cache.format import Tokens, encode
from pyTD.exceptions import CacheError

log = logging.getLogger("pyTD")

PREFIX = "pyTD:"  # of every key pyTD names
DEFAULT_KEY = PREFIX + "tokens"


class RedisCache(TokenCache):
    """Keep tokens in Redis, where every process on every host that shares a login finds them.

    Both tokens are one value in pyTD's versioned JSON format (the disk cache's), so an update never
    leaves one token without the other. While pyTD refreshes, it holds a Redis lock with a lease, so
    exactly one process sends the token request and the others use its result.

    Parameters
    ----------
    url : str, optional
        The Redis server, e.g. ``redis://localhost:6379/0`` or ``rediss://:password@host:6380/0``.
        Default: ``TD_REDIS_URL``, else ``redis://localhost:6379/0``.
    key : str, optional
        The Redis key of the tokens; the lock is ``<key>:lock``. Default: the :class:`~pyTD.api.api`
        that uses the cache names it after its consumer key (``pyTD:tokens-<hash>``, the disk cache's
        file name); a cache used on its own uses ``pyTD:tokens``.
    client : redis.Redis, optional
        An existing client to use instead of ``url``.
    lease : float, optional
        Seconds the lock outlives a holder that stops renewing it (crashed, killed, cut off). A live
        holder renews it every ``lease / 3`` seconds for as long as it refreshes (default 10).
    lock_timeout : float, optional
        Seconds to wait for another process holding the lock before raising
        :class:`~pyTD.exceptions.CacheError` (default 30).

    Raises
    ------
    ImportError
        If redis-py is not installed (``pip install 'pytd-client[redis]'``).
    CacheError
        When Redis cannot be reached (from any read, write or lock); the message names the URL with
        its password redacted. Nothing is deleted: the tokens are there when Redis is back.

    Notes
    -----
    A value that cannot be decoded is renamed to ``<key>:corrupt-<timestamp>`` with a warning, and the
    cache reads as empty: log in again.
    """

    def __init__(self, url: Optional[str] = None, key: Optional[str] = None, *, client: Any = None,
                 lease: float = 10.0, lock_timeout: float = 30.0) -> None:
        super().__init__()
        if not lease > 0 or not lock_timeout > 0:
            raise ValueError("lease and lock_timeout must be positive numbers of seconds")
        if client is None:
            url = config.redis_url(url)
            client = redisdb.client(url)
        self.url = redisdb.redact(url) if url else redisdb.describe(client)
        self.key = key
        self.lease = lease
        self.lock_timeout = lock_timeout
        self._redis = client
        self._held: Any = None  # the redis-py lock, while this cache holds it
        self._depth = 0  # re-entries of the lock by the thread holding it
        self._renewer: Optional[_Renewer] = None

    @property
    def name(self) -> str:
        """The Redis key in use."""
        return self.key or DEFAULT_KEY

    def name_after(self, app: str) -> None:
        """Unless a key was given, use ``pyTD:`` and ``app``, the name :class:`pyTD.api.api` gives its app's
        tokens (one per provider and key)."""
        if self.key is None:
            self.key = PREFIX + app

    def lock(self) -> ContextManager[object]:
        """Return the lock shared with every process (re-entrant); raises CacheError on timeout."""
        return _Lock(self)

    def __repr__(self) -> str:
        return f"RedisCache(url={self.url!r}, key={self.name!r})"

    # -- the value ------------------------------------------------------------------------------------

    def _load(self) -> Tokens:
        return self._decoded(lambda: self._call("read", self._redis.get, self.name),
                             f"Redis key {self.name} at {self.url}")

    def _save(self, tokens: Tokens) -> None:
        self._call("write", self._redis.set, self.name, encode(tokens))

    def _quarantine(self) -> Tokens:
        """Rename an undecodable value rather than overwrite it, and read as empty."""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        aside, n = f"{self.name}:corrupt-{stamp}", 1
        while not self._call("move aside", self._redis.renamenx, self.name, aside):  # never overwrite
            aside, n = f"{self.name}:corrupt-{stamp}-{n}", n + 1
        log.warning("The tokens in Redis at %s, key %s, could not be decoded; they were moved to %s. "
                    "Log in again (python -m pyTD login).", self.url, self.name, aside)
        return (None, None)

    def _call(self, what: str, method: Any, *args: Any) -> Any:
        with redisdb.failures(CacheError, f"Cannot {what} the token cache in Redis at {self.url}", self._redis):
            return method(*args)

    # -- the lock -------------------------------------------------------------------------------------

    def _acquire(self) -> None:
        lock = self._redis.lock(f"{self.name}:lock", timeout=self.lease, sleep=0.02,
                                blocking_timeout=self.lock_timeout, thread_local=False)
        if not self._call("lock", lock.acquire):
            raise CacheError(f"Timed out after {self.lock_timeout:g} s waiting for the lock {self.name}:lock "
                             f"in Redis at {self.url}; another pyTD process holds it")
        self._held, self._renewer = lock, _Renewer(self, lock)

    def _release(self) -> None:
        import redis

        lock, self._held = self._held, None
        if self._renewer is not None:
            self._renewer.stop()
        try:
            lock.release()
        except redis.exceptions.LockError:
            log.warning("The lease of the lock %s:lock in Redis at %s ran out while this process held it; "
                        "another process may have taken it meanwhile", self.name, self.url)
        except redis.RedisError as exc:  # the lease frees the lock when Redis is back
            log.warning("Cannot release the lock %s:lock in Redis at %s (%s); it expires within %g s",
                        self.name, self.url, type(exc).__name__, self.lease)


class _Lock:
    """The cache's thread lock, then (outermost only) the Redis lock."""

    def __init__(self, cache: RedisCache) -> None:
        self._cache = cache

    def __enter__(self) -> _Lock:
        cache = self._cache
        cache._thread_lock.acquire()
        try:
            if cache._depth == 0:
                cache._acquire()
        except BaseException:
            cache._thread_lock.release()
            raise
        cache._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        cache = self._cache
        cache._depth -= 1
        try:
            if cache._depth == 0:
                cache._release()
        finally:
            cache._thread_lock.release()


class _Renewer:
    """Extends the lease every ``lease / 3`` seconds while the lock is held, so only a dead holder loses it."""

    def __init__(self, cache: RedisCache, lock: Any) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(cache, lock), name="pyTD-lease", daemon=True)
        self._thread.start()

    def _run(self, cache: RedisCache, lock: Any) -> None:
        while not self._stop.wait(cache.lease / 3):
            try:
                lock.reacquire()
            except Exception as exc:  # noqa: BLE001 - a thread has no caller to raise to
                log.warning("Cannot renew the lease of the lock %s:lock in Redis at %s (%s)",
                            cache.name, cache.url, type(exc).__name__)
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
