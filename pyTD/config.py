"""Settings: arguments first, then ``TD_*`` environment variables, then defaults.

This module is the one place that knows TD's URLs and the environment
variable names.
"""

from __future__ import annotations

import os
from typing import Optional, Tuple, Union
from urllib.parse import urlsplit

from pyTD.exceptions import ConfigurationError

AUTH_URL = "https://auth.tdameritrade.com/auth"
API_URL = "https://api.tdameritrade.com/v1"
TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
CLIENT_ID_SUFFIX = "@AMER.OAUTHAP"

ENV_VARS = {
    "TD_CONSUMER_KEY": "consumer key of the app (``consumer_key``)",
    "TD_CALLBACK_URL": "callback URL registered with the app (``callback_url``)",
    "TD_STORE_TOKENS": "keep tokens on disk: true/false, 1/0, yes/no (``store_tokens``)",
    "TD_CACHE": "where tokens are kept: disk, memory or redis (``cache``)",
    "TD_REDIS_URL": "the Redis server of TD_CACHE=redis and TD_RATE_STORE=redis (``RedisCache(url)``)",
    "TD_CONFIG_DIR": "directory of the token cache and certificate (``config_dir``)",
    "TD_AUTH_URL": "authorization page (``auth_url``)",
    "TD_API_URL": "API base URL (``api_url``)",
    "TD_SSL_CERT": "certificate for an https callback URL (``ssl_cert``)",
    "TD_SSL_KEY": "private key for an https callback URL (``ssl_key``)",
    "TD_TIMEOUT": "seconds to wait for a connection or a read (``timeout``)",
    "TD_RATE_LIMIT": "requests per minute, or N/S for N per S seconds; 0 disables (``rate_limit``)",
    "TD_RATE_STORE": "who shares the rate limit: process, machine, or a redis:// URL (``rate_limit_store``)",
}

DEFAULT_TIMEOUT = 30.0
DEFAULT_RATE_LIMIT = 120  # TD's limit per app on non-order endpoints
DEFAULT_RATE_WINDOW = 60.0
DEFAULT_REDIS_URL = "redis://localhost:6379/0"
CACHES = ("disk", "memory", "redis")
RATE_STORES = ("process", "machine")  # or a Redis URL

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def setting(value: Optional[str], env_var: str) -> Optional[str]:
    """Return ``value`` if given, else the non-empty environment variable, else None."""
    if value is not None:
        return value
    return os.environ.get(env_var, "").strip() or None


def store_tokens(value: Optional[Union[bool, str]]) -> bool:
    """Resolve ``store_tokens``: the argument, else ``TD_STORE_TOKENS``, else True."""
    if isinstance(value, bool):
        return value
    raw = setting(value, "TD_STORE_TOKENS")
    if raw is None:
        return True
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigurationError(
        f"TD_STORE_TOKENS={raw!r} is not a boolean; use true/false, 1/0 or yes/no"
    )


def cache_kind(value: Optional[str], store: Optional[Union[bool, str]]) -> str:
    """Resolve which cache to build: ``"disk"``, ``"memory"`` or ``"redis"``.

    The ``cache`` argument, else a ``store_tokens`` argument (false: memory), else ``TD_CACHE``, else
    ``TD_STORE_TOKENS`` (false: memory), else disk.
    """
    if value is None and store is not None:
        return "disk" if store_tokens(store) else "memory"
    kind = setting(value, "TD_CACHE")
    if kind is None:
        return "disk" if store_tokens(None) else "memory"
    if kind.strip().lower() not in CACHES:
        name = "cache" if value is not None else "TD_CACHE"
        raise ConfigurationError(f"{name}={kind!r} is not a cache; use one of {', '.join(CACHES)}")
    return kind.strip().lower()


def redis_url(value: Optional[str] = None) -> str:
    """Resolve the Redis URL: the argument, else ``TD_REDIS_URL``, else ``redis://localhost:6379/0``."""
    from pyTD.redisdb import is_redis_url, redact  # only for Redis: import pyTD.api stays quick

    url = setting(value, "TD_REDIS_URL") or DEFAULT_REDIS_URL
    if not is_redis_url(url):
        name = "url" if value is not None else "TD_REDIS_URL"
        raise ConfigurationError(f"{name}={redact(url)!r} is not a Redis URL; expected e.g. {DEFAULT_REDIS_URL}")
    return url


def rate_store(value: Optional[str]) -> str:
    """Resolve where the rate limit's window lives: ``"process"``, ``"machine"`` or a Redis URL.

    The argument, else ``TD_RATE_STORE``, else ``"process"``; ``"redis"`` means ``TD_REDIS_URL``.
    """
    raw = setting(value, "TD_RATE_STORE") or "process"
    word = raw.strip()
    if word.lower() in RATE_STORES:
        return word.lower()
    if word.lower() == "redis":
        return redis_url(None)
    from pyTD.redisdb import is_redis_url, redact  # only past the common cases: import pyTD.api stays quick

    if is_redis_url(word):
        return word
    name = "rate_limit_store" if value is not None else "TD_RATE_STORE"
    raise ConfigurationError(f"{name}={redact(raw)!r} is not a rate-limit store; use process, machine, "
                             "redis (TD_REDIS_URL) or a Redis URL such as redis://localhost:6379/0")


def config_dir(value: Optional[str] = None) -> str:
    """Resolve the config directory: the argument, else ``TD_CONFIG_DIR``, else the user's."""
    resolved = setting(value, "TD_CONFIG_DIR")
    if resolved is None:
        import platformdirs

        resolved = platformdirs.user_config_dir("pyTD")
    return os.path.abspath(os.path.expanduser(os.fspath(resolved)))


def client_id(consumer_key: Optional[str]) -> str:
    """Return TD's OAuth client id: the consumer key with ``@AMER.OAUTHAP``."""
    key = setting(consumer_key, "TD_CONSUMER_KEY")
    if not key or not key.strip():
        raise ConfigurationError(
            "No consumer key: pass consumer_key= or set TD_CONSUMER_KEY "
            "to the key of your app at developer.tdameritrade.com"
        )
    key = key.strip()
    if any(ch.isspace() for ch in key) or "/" in key:
        raise ConfigurationError("The consumer key must not contain spaces or '/'")
    return key if key.upper().endswith(CLIENT_ID_SUFFIX) else key + CLIENT_ID_SUFFIX


def http_url(value: Optional[str], env_var: str, default: Optional[str] = None) -> str:
    """Resolve and check an http(s) URL setting; trailing slashes are dropped."""
    url = setting(value, env_var) or default
    if url is None:
        raise ConfigurationError(f"No URL: pass it as an argument or set {env_var}")
    check_url(url, env_var)
    return url.rstrip("/")


def check_url(url: str, name: str) -> None:
    """Raise ConfigurationError unless ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigurationError(f"{name}: {url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{name}: {url!r} is not a valid URL; expected e.g. https://localhost:8080"
        )


def timeout(value: Optional[float]) -> float:
    """Resolve the request timeout: the argument, else ``TD_TIMEOUT``, else 30 s."""
    if value is not None:
        return _positive(value, "timeout")
    raw = setting(None, "TD_TIMEOUT")
    return DEFAULT_TIMEOUT if raw is None else _positive(raw, "TD_TIMEOUT")


def rate_limit(value: Optional[Union[int, str]], window: Optional[float] = None) -> Tuple[int, float]:
    """Resolve ``(requests, window seconds)``: the argument, else ``TD_RATE_LIMIT``, else 120 per 60 s.

    A string may be ``"N"`` (per minute) or ``"N/S"`` (N per S seconds); 0 disables the limit.
    """
    raw = setting(None if value is None else str(value), "TD_RATE_LIMIT")
    name = "rate_limit" if value is not None else "TD_RATE_LIMIT"
    if raw is None:
        count, seconds = str(DEFAULT_RATE_LIMIT), str(DEFAULT_RATE_WINDOW)
    else:
        count, _, seconds = raw.partition("/")
    try:
        limit = int(count)
        span = float(window if window is not None else (seconds or DEFAULT_RATE_WINDOW))
    except ValueError:
        limit, span = -1, 0.0
    if limit < 0 or not span > 0:
        raise ConfigurationError(
            f"{name}={raw!r} is not a rate limit; use a number of requests per minute "
            "(e.g. 120), N/S for N requests per S seconds (e.g. 20/2), or 0 to disable"
        )
    return limit, span


def _positive(value: Union[float, str], name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if not number > 0 or number == float("inf"):
        raise ConfigurationError(f"{name}={value!r} must be a positive number of seconds")
    return number
