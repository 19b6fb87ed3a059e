"""Redis for the shared token cache and rate limits (the ``redis`` extra): one client per URL in a process,
URLs shown without their password, and Redis failures turned into pyTD's typed errors.

redis-py is imported on first use, so ``import pyTD`` never imports it.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Dict, Iterator, Type
from urllib.parse import parse_qsl, urlencode, urlsplit

from pyTD.exceptions import ConfigurationError, TDError

SCHEMES = ("redis", "rediss", "unix")
SOCKET_TIMEOUT = 5.0  # seconds to connect and for each reply: a vanished server must not hang a request

_clients: Dict[str, Any] = {}
_clients_lock = threading.Lock()


def is_redis_url(url: str) -> bool:
    """True if ``url`` has a scheme redis-py connects to (``redis://``, ``rediss://``, ``unix://``)."""
    return urlsplit(url).scheme.lower() in SCHEMES


def redact(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) shown as ``***``.

    Works on malformed URLs too: they appear in error messages.
    """
    head, at, tail = url.rpartition("@")  # the host follows the last "@"; everything before is the user part
    if at:
        scheme, slashes, user = head.rpartition("//")
        if ":" in user:
            url = f"{scheme}{slashes}{user.partition(':')[0]}:***@{tail}"
    base, question, query = url.partition("?")
    if "password" not in query.lower():
        return url
    query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in parse_qsl(query)], safe="*")
    return base + question + query


def describe(client: Any) -> str:
    """A URL for an existing ``redis.Redis`` client, without its password (for messages)."""
    pool = getattr(client, "connection_pool", None)
    if pool is None:
        return f"<{type(client).__name__}>"
    kwargs = pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix://{kwargs['path']}?db={kwargs.get('db', 0)}"
    scheme = "rediss" if "SSL" in pool.connection_class.__name__ else "redis"
    user = kwargs.get("username") or ""
    auth = f"{user}:***@" if kwargs.get("password") else (f"{user}@" if user else "")
    return f"{scheme}://{auth}{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


def client(url: str) -> Any:
    """The ``redis.Redis`` client for ``url``, shared by everything in this process that uses that URL.

    Raises
    ------
    ImportError
        If redis-py is not installed (``pip install 'pytd-client[redis]'``).
    ConfigurationError
        If ``url`` is not a Redis URL.
    """
    try:
        import redis
    except ImportError:
        raise ImportError("Redis support needs redis-py: pip install 'pytd-client[redis]'") from None
    with _clients_lock:
        if url not in _clients:
            if not is_redis_url(url):
                raise ConfigurationError(f"{redact(url)!r} is not a Redis URL; expected e.g. redis://localhost:6379/0")
            try:
                _clients[url] = redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT,
                                                     socket_connect_timeout=SOCKET_TIMEOUT)
            except ValueError as exc:
                raise ConfigurationError(f"{redact(url)!r} is not a valid Redis URL ({exc})") from None
        return _clients[url]


@contextlib.contextmanager
def failures(error: Type[TDError], what: str, client: Any) -> Iterator[None]:
    """Turn a Redis failure inside the block into ``error("<what>: <why>")``, the password scrubbed."""
    import redis

    try:
        yield
    except redis.RedisError as exc:
        why = f"{type(exc).__name__}: {exc}"[:300]
        password = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {}).get("password")
        if password:
            why = why.replace(str(password), "***")
        raise error(f"{what}: {why}") from None
