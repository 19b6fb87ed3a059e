"""The sliding window of every process on every host: a sorted set in Redis, checked and updated by one
Lua script, so that no two processes can take the last slot (the ``redis`` extra)."""

from __future__ import annotations

import os

import pyTD.redisdb as redisdb
from pyTD.exceptions import StoreError
from pyTD.ratelimit import SharedWindow

# Times are the Redis server's, in integer microseconds: one clock for every host, and exact in Lua's doubles.
# Returns 0 when a send was recorded, else the microseconds until the oldest send leaves the window.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, span = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - span))
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], string.format('%d', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(span / 1000))
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return oldest + span - now
"""


class RedisLimiter(SharedWindow):
    """A window shared by every process, on every host, that uses the same Redis server.

    Parameters
    ----------
    name : str
        Whose window it is (e.g. the consumer key); the key is ``pyTD:ratelimit:<hash of name>``.
    limit : int
        Requests per window; 0 disables the limiter.
    window : float
        The window in seconds.
    url : str
        The Redis server, e.g. ``redis://localhost:6379/0``.

    Raises
    ------
    StoreError
        From :meth:`acquire`, if Redis cannot be reached (the URL is named, its password redacted).
    """

    def __init__(self, name: str, limit: int, window: float, url: str) -> None:
        super().__init__(name, limit, window)
        self.url = redisdb.redact(url)
        self.key = f"pyTD:ratelimit:{self.digest}"
        self._redis = redisdb.client(url)
        self._script = self._redis.register_script(TAKE)

    def _take(self, span: float) -> float:
        member = os.urandom(8).hex()
        with redisdb.failures(StoreError, f"The rate-limit store in Redis at {self.url} failed", self._redis):
            wait = self._script(keys=[self.key], args=[self.limit, round(span * 1e6), member])
        return int(wait) / 1e6

    def __repr__(self) -> str:
        return f"RedisLimiter(limit={self.limit}, window={self.window:g}, url={self.url!r})"
