"""Settings: arguments first, then ``TD_*`` environment variables, then defaults.

This module is the one place that knows TD's URLs and the environment
variable names.
"""

from __future__ import annotations

import os
from typing import Optional, Union
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
    "TD_CONFIG_DIR": "directory of the token cache and certificate (``config_dir``)",
    "TD_AUTH_URL": "authorization page (``auth_url``)",
    "TD_API_URL": "API base URL (``api_url``)",
    "TD_SSL_CERT": "certificate for an https callback URL (``ssl_cert``)",
    "TD_SSL_KEY": "private key for an https callback URL (``ssl_key``)",
}

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
