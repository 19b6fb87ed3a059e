"""Settings: arguments first, then ``TD_*`` environment variables, then defaults.

This module is the one place that knows the environment variable names;
what differs by provider (URLs, client ids) is in :mod:`pyTD.providers`.
"""

from __future__ import annotations

import ipaddress
import math
import os
from datetime import tzinfo
from typing import Optional, Tuple, Union
from urllib.parse import SplitResult, urlsplit

from pyTD.exceptions import ConfigurationError

ENV_VARS = {
    "TD_PROVIDER": "the API provider: ``td`` (default) or ``schwab`` (``provider``)",
    "TD_CONSUMER_KEY": "consumer key (TD) or app key (Schwab) of the app (``consumer_key``)",
    "TD_CLIENT_SECRET": "the app's secret; required for Schwab, unused for TD (``client_secret``)",
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
    "TD_TIMEZONE": "time zone of naive dates and of pandas datetimes, default America/New_York (``tz``)",
    "TD_ALLOW_INSECURE_HTTP": "allow plain http:// auth and API URLs on other hosts than loopback "
                              "(``allow_insecure_http``)",
    "TD_RATE_STORE": "who shares the rate limit: process, machine, or a redis:// URL (``rate_limit_store``)",
    "TD_ORDER_RATE_LIMIT": "order writes (place, replace, cancel) per minute and account, or N/S; default 120, "
                           "0 disables (``order_rate_limit``)",
}
DEFAULT_TIMEZONE = "America/New_York"  # where the markets are

DEFAULT_TIMEOUT = 30.0
DEFAULT_RATE_LIMIT = 120  # TD's limit per app on non-order endpoints
DEFAULT_ORDER_RATE_LIMIT = 120  # both providers' highest order-write limit per minute (and account, TD)
DEFAULT_RATE_WINDOW = 60.0
MAX_SECONDS = 86400.0  # a timeout or a rate window longer than a day is a mistake (and overflows some clocks)
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
    return _boolean(value, "TD_STORE_TOKENS", True)


def allow_insecure_http(value: Optional[Union[bool, str]]) -> bool:
    """Resolve ``allow_insecure_http``: the argument, else ``TD_ALLOW_INSECURE_HTTP``, else False."""
    return _boolean(value, "TD_ALLOW_INSECURE_HTTP", False)


def _boolean(value: Optional[Union[bool, str]], env_var: str, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    raw = setting(value, env_var)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigurationError(
        f"{env_var}={raw!r} is not a boolean; use true/false, 1/0 or yes/no"
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


def provider(value: Optional[str]) -> str:
    """Resolve the provider's name: the argument, else ``TD_PROVIDER``, else ``"td"`` (checked by
    :func:`pyTD.providers.get`)."""
    name = setting(value, "TD_PROVIDER")
    return "td" if name is None else name


def consumer_key(value: Optional[str]) -> str:
    """Resolve the app's key (TD's consumer key, Schwab's app key): the argument, else ``TD_CONSUMER_KEY``."""
    key = setting(value, "TD_CONSUMER_KEY")
    if not key or not key.strip():
        raise ConfigurationError(
            "No consumer key: pass consumer_key= or set TD_CONSUMER_KEY to your app's key "
            "(Schwab: the App Key shown at developer.schwab.com)"
        )
    key = key.strip()
    if any(ch.isspace() for ch in key) or "/" in key:
        raise ConfigurationError("The consumer key must not contain spaces or '/'")
    return key


def client_secret(value: Optional[str], required_by: Optional[str]) -> Optional[str]:
    """Resolve the app's secret: the argument, else ``TD_CLIENT_SECRET``; ``required_by`` names the provider
    that needs one (None: optional)."""
    secret = setting(value, "TD_CLIENT_SECRET")
    secret = secret.strip() if secret else None
    if required_by and not secret:
        raise ConfigurationError(
            f"{required_by} needs the app's secret: pass client_secret= or set TD_CLIENT_SECRET "
            "(the App Secret shown with the app key)"
        )
    return secret


def timezone(value: Union[str, tzinfo, None]) -> tzinfo:
    """Resolve the market time zone: the argument, else ``TD_TIMEZONE``, else America/New_York."""
    if isinstance(value, tzinfo):
        return value
    name = setting(value, "TD_TIMEZONE") or DEFAULT_TIMEZONE
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"{'tz' if value is not None else 'TD_TIMEZONE'}={name!r} is not a time zone; use an IANA name "
            "such as America/New_York or UTC"
        ) from None


def http_url(value: Optional[str], env_var: str, default: Optional[str] = None, insecure: bool = False) -> str:
    """Resolve and check an http(s) URL setting that tokens travel to; trailing slashes are dropped.

    Plain ``http`` is accepted for loopback hosts only, unless ``insecure``.
    """
    url = setting(value, env_var) or default
    if url is None:
        raise ConfigurationError(f"No URL: pass it as an argument or set {env_var}")
    parts = check_url(url, env_var)
    if parts.scheme == "http" and not insecure and not is_loopback(parts.hostname or ""):
        raise ConfigurationError(
            f"{env_var}: {shown(url)!r} is plain http to {parts.hostname}, so tokens would travel unencrypted. "
            "Use https, or pass allow_insecure_http=True (TD_ALLOW_INSECURE_HTTP=true) if you must."
        )
    return url.rstrip("/")


def check_url(url: str, name: str) -> SplitResult:
    """Return the parts of ``url``; raise ConfigurationError unless it is an absolute http(s) URL with a host.

    A URL must not carry a user name or password, a fragment, spaces or control characters.
    """
    problem = url_problem(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigurationError(f"{name}: {shown(url)!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or problem:
        raise ConfigurationError(
            f"{name}: {shown(url)!r} is not a valid URL{problem or ''}; expected e.g. https://127.0.0.1:8080"
        )
    return parts


def url_problem(url: str) -> str:
    """Why ``url`` cannot be used as it is (``"": it can``): whitespace, a fragment, or a password."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return " (it contains spaces or control characters)"
    if "#" in url:
        return " (it has a #fragment)"
    if "@" in url.partition("?")[0].partition("//")[2].partition("/")[0]:
        return " (it contains a user name or password)"
    return ""


def shown(url: str) -> str:
    """``url`` for a message: without the user name, password, query or fragment."""
    from pyTD.redact import printable, redact

    return printable(redact(url))


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    return _rate(value, window, "rate_limit", "TD_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def order_rate_limit(value: Optional[Union[int, str]]) -> Tuple[int, float]:
    """Resolve the order-write limit per account: the argument, else ``TD_ORDER_RATE_LIMIT``, else 120 per 60 s.

    The same forms as :func:`rate_limit`.
    """
    return _rate(value, None, "order_rate_limit", "TD_ORDER_RATE_LIMIT", DEFAULT_ORDER_RATE_LIMIT)


def _rate(value: Optional[Union[int, str]], window: Optional[float], argument: str, env_var: str,
          default: int) -> Tuple[int, float]:
    raw = setting(None if value is None else str(value), env_var)
    name = argument if value is not None else env_var
    if raw is None:
        count, seconds = str(default), str(DEFAULT_RATE_WINDOW)
    else:
        count, _, seconds = raw.partition("/")
    try:
        limit = int(count)
        span = float(window if window is not None else (seconds or DEFAULT_RATE_WINDOW))
    except ValueError:
        limit, span = -1, 0.0
    if limit < 0 or not 0 < span <= MAX_SECONDS:
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
    if not (math.isfinite(number) and 0 < number <= MAX_SECONDS):
        raise ConfigurationError(f"{name}={value!r} must be a number of seconds above 0 and at most {MAX_SECONDS:g}")
    return number
