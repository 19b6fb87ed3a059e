"""The client core: settings, token cache, login flow, transport and :meth:`Client.request`.

:class:`pyTD.api.api`, the entry object users import, is this plus the data methods.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
from typing import Any, ContextManager, Optional, Tuple, Union
from urllib.parse import unquote

import requests

import pyTD.config as config
import pyTD.providers as providers
from pyTD.auth.flow import AuthFlow, Browser, new_state
from pyTD.cache import DiskCache, MemCache
from pyTD.exceptions import AuthorizationError, CacheError, ConfigurationError, ReauthorizationRequired
from pyTD.providers.base import App, Provider
from pyTD.ratelimit import Limiter, shared_limiter
from pyTD.tokens import Token, TokenPair
from pyTD.transport import Transport, parse_response

log = logging.getLogger("pyTD")

REFRESH_SKEW = 60  # refresh an access token this many seconds before it expires
WARN_REFRESH_WITHIN = 24 * 3600  # warn (once) when the refresh token, and so the login, ends this soon


class Client:
    """The core of :class:`pyTD.api.api` (whose documentation lists the parameters): settings, the token
    cache, the login flow, the transport and :meth:`request`. Use :class:`~pyTD.api.api`, which adds the data
    methods (``get_quotes`` and the rest).
    """

    def __init__(
        self,
        consumer_key: Optional[str] = None,
        callback_url: Optional[str] = None,
        *,
        provider: Optional[str] = None,
        client_secret: Optional[str] = None,
        store_tokens: Optional[Union[bool, str]] = None,
        cache: Any = None,
        config_dir: Optional[str] = None,
        auth_url: Optional[str] = None,
        api_url: Optional[str] = None,
        session: Optional[requests.Session] = None,
        timeout: Optional[float] = None,
        retry_count: int = 3,
        pause: float = 0.5,
        rate_limit: Optional[Union[int, str]] = None,
        rate_window: Optional[float] = None,
        rate_limit_store: Optional[str] = None,
        order_rate_limit: Optional[Union[int, str]] = None,
        ssl_cert: Optional[str] = None,
        ssl_key: Optional[str] = None,
        tz: Any = None,
        allow_insecure_http: Optional[Union[bool, str]] = None,
    ) -> None:
        self.profile: Provider = providers.get(config.provider(provider))
        self.provider = self.profile.name
        self.client_id = self.profile.client_id(config.consumer_key(consumer_key))
        secret = config.client_secret(client_secret, self.profile.title if self.profile.needs_secret else None)
        callback = config.setting(callback_url, "TD_CALLBACK_URL")
        if not callback:
            raise ConfigurationError(
                "No callback URL: pass callback_url= or set TD_CALLBACK_URL to the callback URL "
                f"registered with your app (e.g. {self.profile.example_callback})"
            )
        config.check_url(callback, "callback URL")
        self.profile.check_callback_url(callback)
        self.callback_url = callback
        self.config_dir = config.config_dir(config_dir)
        self.tz = config.timezone(tz)
        insecure = config.allow_insecure_http(allow_insecure_http)
        self.auth_url = config.http_url(auth_url, "TD_AUTH_URL", self.profile.auth_url, insecure)
        self.api_url = config.http_url(api_url, "TD_API_URL", self.profile.api_url, insecure)
        limit, window = config.rate_limit(rate_limit, rate_window)
        self._rate_store = config.rate_store(rate_limit_store)
        self._order_rate = config.order_rate_limit(order_rate_limit)
        limiter = shared_limiter(self.client_id, limit, window, self._rate_store, self.config_dir)
        self.transport = Transport(session, config.timeout(timeout), retry_count, pause, limiter)
        if cache is None or isinstance(cache, str):
            cache = self._new_cache(config.cache_kind(cache, store_tokens))
        elif not all(hasattr(cache, name) for name in ("access_token", "refresh_token", "clear")):
            raise ConfigurationError("cache must have access_token and refresh_token attributes and clear()")
        if callable(getattr(cache, "name_after", None)):  # a shared store: named after the app unless the user did
            cache.name_after(_token_name(self.client_id, self.provider))
        self.store_tokens = not isinstance(cache, MemCache)
        self.cache = cache
        self._flow = AuthFlow(
            self.profile,
            App(self.client_id, secret, self.callback_url),
            self.auth_url,
            self.api_url + self.profile.token_path,
            self.transport,
            self.config_dir,
            config.setting(ssl_cert, "TD_SSL_CERT"),
            config.setting(ssl_key, "TD_SSL_KEY"),
        )
        self._own_lock = threading.RLock()
        self._warned_expiry: Optional[float] = None
        self._next_login_check = 0.0

    def _new_cache(self, kind: str) -> Any:
        if kind == "memory":
            return MemCache()
        if kind == "redis":
            from pyTD.cache.rediscache import RedisCache

            return RedisCache()
        return DiskCache(self.config_dir, token_filename(self.client_id, self.provider))

    # -- tokens -----------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """The HTTP session every request goes through."""
        return self.transport.session

    @property
    def access_token(self) -> Optional[str]:
        """The cached access token string, or None."""
        token = self.cache.access_token
        return token.token if token else None

    @property
    def refresh_token(self) -> Optional[str]:
        """The cached refresh token string, or None."""
        token = self.cache.refresh_token
        return token.token if token else None

    @property
    def access_valid(self) -> bool:
        """True if an unexpired access token is cached."""
        return _valid(self.cache.access_token)

    @property
    def refresh_valid(self) -> bool:
        """True if an unexpired refresh token is cached."""
        return _valid(self.cache.refresh_token)

    @property
    def auth_valid(self) -> bool:
        """True if requests can be made without logging in (a valid access or refresh token)."""
        return self.access_valid or self.refresh_valid

    # -- logging in ---------------------------------------------------------------

    def authorization_url(self, state: Optional[str] = None) -> str:
        """The URL of the provider's login page for this app (with ``state`` when given).

        For a web app: send the user there, then pass the URL the provider
        redirects back to (or its ``code``) to :meth:`exchange_code`.
        """
        return self._flow.authorization_url(state)

    def login(self, open_browser: Browser = True, timeout: Optional[float] = 300) -> None:
        """Log in through the browser and keep the tokens.

        Prints the login URL, opens the browser there (when ``open_browser``
        is true; a callable is called with the URL instead), waits on the
        callback URL for the provider's redirect, and trades the code for tokens.

        Raises
        ------
        AuthorizationTimeout
            If the login did not finish within ``timeout`` seconds.
        AuthorizationError
            If the provider refused the authorization.
        ConfigurationError
            If the callback URL is not on loopback, has no port, or its port is busy.
        """
        code = self._flow.run_local_server(open_browser, timeout)
        self._store(self._flow.exchange_code(code))

    def login_manual(self) -> None:
        """Log in by pasting: prints the login URL, then reads the redirected URL from input.

        Works where no local server can run (Jupyter on a remote host, SSH):
        open the URL anywhere, allow access, and paste the address the browser
        ends up at (it may show an error page; the address is what matters).
        """
        state = new_state()
        print(f"Log in to {self.profile.title} and allow access at:\n\n    {self.authorization_url(state)}\n")
        redirect = input("Then paste the full URL your browser was sent to: ")
        self._store(self._flow.exchange_code(self._flow.code_from_redirect(redirect, state)))

    def exchange_code(self, code_or_redirect_url: str) -> None:
        """Trade an authorization code (or the whole redirect URL) for tokens, and keep them.

        A bare code copied from the address bar is URL-encoded; it is decoded
        exactly once (a decoded code, with ``+``, ``/``, ``=`` or ``@``, is used as is).
        """
        value = code_or_redirect_url.strip()
        if "?" in value or value.startswith(("code=", "error=")):
            code = self._flow.code_from_redirect(value)
        else:
            code = unquote(value) if "%" in value else value
        if not code:
            raise AuthorizationError("No authorization code given")
        self._store(self._flow.exchange_code(code))

    def refresh(self) -> None:
        """Get a new access token now (on TD, also a new refresh token when the old one nears expiry).

        Raises
        ------
        ReauthorizationRequired
            If there is no valid refresh token, or the provider says it is
            dead; the cache is then cleared, so the next request asks for a
            login. Any other failure keeps the stored tokens.
        """
        with self._lock():
            self._refresh()

    def logout(self) -> None:
        """Forget the tokens (the cache is cleared)."""
        self.cache.clear()

    # -- requests -----------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send an authorized request to ``api_url + path`` and return the parsed JSON.

        Parameters
        ----------
        method : str
            ``"GET"``, ``"POST"``, ...
        path : str
            Relative to ``api_url``, e.g. ``"/marketdata/quotes"`` (TD) or
            ``"/marketdata/v1/quotes"`` (Schwab).
        **kwargs
            Passed to :meth:`requests.Session.request` (``params``, ``json``, ...).

        Raises
        ------
        AuthorizationError
            If there are no usable tokens and no one to log in interactively.
        TDQueryError
            A subclass by status, if the provider answers with an error.
        """
        return parse_response(self.send(method, path, **kwargs))

    def send(self, method: str, path: str, *, limiter: Optional[Limiter] = None, **kwargs: Any) -> requests.Response:
        """Send an authorized request to ``api_url + path``; return the response, whatever its status.

        As :meth:`request`, but the caller reads the status and headers (an order's ``Location``) and
        checks for errors (:func:`pyTD.transport.parse_response`). ``limiter`` replaces the data
        limit (order writes have their own, see :meth:`order_limiter`).
        """
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/' and is relative to api_url: {path!r}")
        headers = dict(kwargs.pop("headers", None) or {})
        token = self._access()
        for retry_unauthorized in (True, False):
            headers["Authorization"] = f"Bearer {token}"
            # A 401 means the server refused the request unread, so sending it again (order writes too) is safe.
            response = self.transport.send(method, self.api_url + path, headers=headers, limiter=limiter, **kwargs)
            if response.status_code != 401 or not retry_unauthorized:
                break
            log.info("The access token was rejected; refreshing it once")
            token = self._access(rejected=token)
        return response

    def order_limiter(self, account: str) -> Limiter:
        """The limit on order writes (place, replace, cancel) of one account: ``order_rate_limit``, separate from
        the data limit and shared through the same store (``rate_limit_store``)."""
        limit, window = self._order_rate
        return shared_limiter(f"orders:{self.client_id}:{account}", limit, window, self._rate_store,
                              self.config_dir)

    def fresh_access_token(self, rejected: Optional[str] = None) -> str:
        """A usable access token for a connection that is not an HTTP request (the streamer's login).

        The cached one unless it expires within a minute or is ``rejected`` (a token the server refused);
        then one refresh, shared by every thread and process using this cache, as for :meth:`request`.

        Raises
        ------
        AuthorizationError
            If there are no usable tokens and no one to log in interactively.
        ReauthorizationRequired
            If the refresh token is dead.
        """
        return self._access(rejected)

    def _access(self, rejected: Optional[str] = None) -> str:
        """Return a usable access token, refreshing (once, under the lock) or logging in."""
        token = _usable(self.cache.access_token, rejected)
        if token:
            self._check_login_end()
            return token
        with self._lock():
            # Another thread or process may have refreshed while we waited.
            token = _usable(self.cache.access_token, rejected)
            if token:
                return token
            if self.refresh_valid:
                self._refresh()
                return self._stored_access()
        # Logging in takes minutes: never while holding the lock.
        if not _interactive():
            if self.cache.refresh_token is not None:  # there was a login: it has expired
                raise self._login_expired()
            raise AuthorizationError("Not logged in (no valid tokens): run "
                                     f"`python -m pyTD login --provider {self.provider}`")
        self.login()
        return self._stored_access()

    def _stored_access(self) -> str:
        """The access token a refresh or a login has just stored."""
        token: Token = self.cache.access_token
        return token.token

    def _refresh(self) -> None:
        refresh = self.cache.refresh_token
        if not _valid(refresh):
            raise self._login_expired()
        within = self.profile.renew_refresh_within
        renew = within is not None and refresh.expires_within(within)
        try:
            access, renewed = self._flow.refresh(refresh, renew)
        except ReauthorizationRequired:
            self.cache.clear()  # both tokens are worthless now; the next request asks for a login
            raise
        self._store((access, renewed))
        log.info("Refreshed the access token%s", " and the refresh token" if renewed else "")

    def _login_expired(self) -> ReauthorizationRequired:
        return ReauthorizationRequired(f"No valid refresh token (the login has expired): "
                                       f"{self.profile.relogin_advice()}")

    def _store(self, tokens: TokenPair) -> None:
        access, refresh = tokens
        failed: Optional[CacheError] = None
        with self._lock():
            # Refresh token first: a crash in between leaves a stale access token,
            # never a lost refresh token.
            for name, token in (("refresh_token", refresh), ("access_token", access)):
                if token is None:
                    continue
                try:
                    setattr(self.cache, name, token)
                except CacheError as exc:  # a full disk: the cache keeps it in memory; store the other too
                    failed = failed or exc
        if failed is not None:
            raise failed
        self._warn_if_login_ends_soon(refresh or self.cache.refresh_token)

    def _check_login_end(self) -> None:
        """Warn when the login ends within a day, looking at most once a minute rather than on every request."""
        now = time.monotonic()
        if now >= self._next_login_check:
            self._next_login_check = now + 60
            self._warn_if_login_ends_soon(self.cache.refresh_token)

    def _warn_if_login_ends_soon(self, refresh: Optional[Token]) -> None:
        """One WARNING per refresh token when it (and so the login) expires within a day."""
        if refresh is None or not refresh.expires_within(WARN_REFRESH_WITHIN) or refresh.expiry == self._warned_expiry:
            return
        self._warned_expiry = refresh.expiry
        hours = max(refresh.expiry - time.time(), 0) / 3600
        log.warning("The %s login ends in %.1f hours (its refresh token expires); then %s", self.profile.title,
                    hours, self.profile.relogin_advice())

    def _lock(self) -> ContextManager[object]:
        lock = getattr(self.cache, "lock", None)
        return lock() if callable(lock) else self._own_lock

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(provider={self.provider!r}, callback_url={self.callback_url!r}, "
                f"api_url={self.api_url!r}, cache={self.cache!r})")


def token_filename(client_id: str, provider: str = "td") -> str:
    """The cache file name for an app of a provider: distinct per provider and key, without revealing the key.

    TD's keeps the name of pyTD's first releases, so stored TD logins stay valid.
    """
    digest = hashlib.sha256(client_id.upper().encode()).hexdigest()[:16]
    return f"tokens-{digest}.json" if provider == "td" else f"tokens-{provider}-{digest}.json"


def token_key(client_id: str, provider: str = "td") -> str:
    """The Redis key of an app's tokens: the cache file's name without ``.json``, under ``pyTD:``."""
    from pyTD.cache.rediscache import PREFIX

    return PREFIX + _token_name(client_id, provider)


def _token_name(client_id: str, provider: str) -> str:
    """What names an app's tokens in a shared store (Redis, the keychain): its token file's name, less ``.json``."""
    return os.path.splitext(token_filename(client_id, provider))[0]


def _valid(token: Optional[Token]) -> bool:
    return token is not None and token.valid


def _usable(token: Optional[Token], rejected: Optional[str]) -> Optional[str]:
    if token is None or token.expires_within(REFRESH_SKEW) or token.token == rejected:
        return None
    return token.token


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


_default: Optional[Client] = None
_default_settings: Optional[Tuple[Optional[str], ...]] = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The client built from the environment (``TD_*`` variables), created on first use and reused.

    The module functions (``pyTD.get_quotes`` ...) use it when called
    without ``api=``. It is built again when a ``TD_*`` variable changes.
    """
    global _default, _default_settings
    settings = tuple(os.environ.get(name) for name in config.ENV_VARS)
    with _default_lock:
        if _default is None or settings != _default_settings:
            _default, _default_settings = Client(), settings
        return _default
