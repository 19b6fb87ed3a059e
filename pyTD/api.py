"""The entry object: ``from pyTD.api import api``."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sys
import threading
import types
from typing import Any, Callable, ContextManager, Optional, Union
from urllib.parse import unquote

import requests

from pyTD import config
from pyTD.auth.flow import AuthFlow, Browser, TokenPair, new_state
from pyTD.auth.tokens import Token
from pyTD.cache import DiskCache, MemCache
from pyTD.exceptions import AuthorizationError, ConfigurationError, ReauthorizationRequired
from pyTD.ratelimit import shared_limiter
from pyTD.transport import Transport, parse_response

log = logging.getLogger("pyTD")

REFRESH_SKEW = 60  # refresh an access token this many seconds before it expires
RENEW_REFRESH_WITHIN = 7 * 24 * 3600  # ask for a new refresh token when this close to expiry


class _ClientFunction:
    """A function of :mod:`pyTD.market` or :mod:`pyTD.instruments` as a method of :class:`api`.

    The function is imported on first use (``import pyTD.api`` stays quick) and called with ``api=`` the
    client, so one implementation serves both.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, client: Optional[api], owner: type) -> Callable[..., Any]:
        import pyTD

        func = getattr(pyTD, self.name)

        @functools.wraps(func)
        def method(client: api, *args: Any, **kwargs: Any) -> Any:
            return func(*args, api=client, **kwargs)

        return method if client is None else types.MethodType(method, client)


class api:  # noqa: N801 - the name users import since pyTD's first release
    """A TD Ameritrade API client: logs in, keeps tokens fresh, and sends requests.

    Parameters
    ----------
    consumer_key : str, optional
        The app's consumer key (``@AMER.OAUTHAP`` is added when absent).
        Default: ``TD_CONSUMER_KEY``.
    callback_url : str, optional
        The app's registered callback URL, e.g. ``https://localhost:8080``.
        Default: ``TD_CALLBACK_URL``.
    store_tokens : bool, optional
        Keep tokens between runs (when ``cache`` does not say where). Default:
        ``TD_STORE_TOKENS``, else True.
    cache : object or str, optional
        Where tokens live: any object with ``access_token`` and
        ``refresh_token`` attributes and a ``clear()`` method, or ``"disk"``
        (a :class:`~pyTD.cache.DiskCache` in ``config_dir``), ``"memory"`` (a
        :class:`~pyTD.cache.MemCache`) or ``"redis"`` (a
        :class:`~pyTD.cache.RedisCache` at ``TD_REDIS_URL``). Default:
        ``TD_CACHE``, else disk when storing tokens, else memory. A
        ``RedisCache`` without a ``key`` is named after the consumer key.
    config_dir : str, optional
        Default: ``TD_CONFIG_DIR``, else the user's config directory.
    auth_url, api_url : str, optional
        TD's authorization page and API base URL (or a sandbox's). Default:
        ``TD_AUTH_URL`` / ``TD_API_URL``, else TD's own.
    session : requests.Session, optional
        The HTTP session to use.
    timeout : float, optional
        Seconds before a connection or a read gives up. Default: ``TD_TIMEOUT``, else 30.
    retry_count : int
        Retries of a GET after a connection error, a timeout, 429 or 5xx.
    pause : float
        First back-off between retries, in seconds (doubling, plus jitter).
    rate_limit : int or str, optional
        Requests allowed per ``rate_window`` (0: no limit), shared by every
        client of this consumer key in the process. Default: ``TD_RATE_LIMIT``,
        else 120 (TD's limit per minute).
    rate_window : float, optional
        The window of ``rate_limit`` in seconds (default 60).
    rate_limit_store : str, optional
        Who shares the limit of this consumer key: ``"process"`` (the clients
        in this process), ``"machine"`` (every process of this user on this
        machine, through a file in ``config_dir``) or a Redis URL such as
        ``redis://host:6379/0`` (every process on every host; ``"redis"``
        means ``TD_REDIS_URL``). Default: ``TD_RATE_STORE``, else ``"process"``.
    ssl_cert, ssl_key : str, optional
        Certificate and key for an ``https`` callback URL. Default:
        ``TD_SSL_CERT`` / ``TD_SSL_KEY``, else a self-signed certificate.

    Raises
    ------
    ConfigurationError
        If a setting is missing or invalid.

    Examples
    --------
    >>> from pyTD.api import api
    >>> a = api("ABCDEFG12345", "https://localhost:8080")  # doctest: +SKIP
    >>> a.login()  # doctest: +SKIP
    >>> a.request("GET", "/marketdata/quotes", params={"symbol": "AAPL"})  # doctest: +SKIP
    """

    def __init__(
        self,
        consumer_key: Optional[str] = None,
        callback_url: Optional[str] = None,
        *,
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
        ssl_cert: Optional[str] = None,
        ssl_key: Optional[str] = None,
    ) -> None:
        self.client_id = config.client_id(consumer_key)
        callback = config.setting(callback_url, "TD_CALLBACK_URL")
        if not callback:
            raise ConfigurationError(
                "No callback URL: pass callback_url= or set TD_CALLBACK_URL to the callback URL "
                "registered with your app (e.g. https://localhost:8080)"
            )
        config.check_url(callback, "callback URL")
        self.callback_url = callback
        self.config_dir = config.config_dir(config_dir)
        self.auth_url = config.http_url(auth_url, "TD_AUTH_URL", config.AUTH_URL)
        self.api_url = config.http_url(api_url, "TD_API_URL", config.API_URL)
        limit, window = config.rate_limit(rate_limit, rate_window)
        limiter = shared_limiter(self.client_id, limit, window, config.rate_store(rate_limit_store), self.config_dir)
        self.transport = Transport(session, config.timeout(timeout), retry_count, pause, limiter)
        if cache is None or isinstance(cache, str):
            cache = self._new_cache(config.cache_kind(cache, store_tokens))
        elif not all(hasattr(cache, name) for name in ("access_token", "refresh_token", "clear")):
            raise ConfigurationError("cache must have access_token and refresh_token attributes and clear()")
        elif _unnamed_redis_cache(cache):
            cache.key = token_key(self.client_id)
        self.store_tokens = not isinstance(cache, MemCache)
        self.cache = cache
        self._flow = AuthFlow(
            self.client_id,
            self.callback_url,
            self.auth_url,
            self.api_url + config.TOKEN_PATH,
            self.transport,
            self.config_dir,
            config.setting(ssl_cert, "TD_SSL_CERT"),
            config.setting(ssl_key, "TD_SSL_KEY"),
        )
        self._own_lock = threading.RLock()

    def _new_cache(self, kind: str) -> Any:
        if kind == "memory":
            return MemCache()
        if kind == "redis":
            from pyTD.cache.rediscache import RedisCache

            return RedisCache(key=token_key(self.client_id))
        return DiskCache(self.config_dir, token_filename(self.client_id))

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
        """The URL of TD's login page for this app (with ``state`` when given).

        For a web app: send the user there, then pass the URL TD redirects
        back to (or its ``code``) to :meth:`exchange_code`.
        """
        return self._flow.authorization_url(state)

    def login(self, open_browser: Browser = True, timeout: Optional[float] = 300) -> None:
        """Log in through the browser and keep the tokens.

        Prints the login URL, opens the browser there (when ``open_browser``
        is true; a callable is called with the URL instead), waits on the
        callback URL for TD's redirect, and trades the code for tokens.

        Raises
        ------
        AuthorizationTimeout
            If the login did not finish within ``timeout`` seconds.
        AuthorizationError
            If TD refused the authorization.
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
        print(f"Log in to TD Ameritrade and allow access at:\n\n    {self.authorization_url(state)}\n")
        redirect = input("Then paste the full URL your browser was sent to: ")
        self._store(self._flow.exchange_code(self._flow.code_from_redirect(redirect, state)))

    def exchange_code(self, code_or_redirect_url: str) -> None:
        """Trade an authorization code (or the whole redirect URL) for tokens, and keep them.

        A bare code copied from the address bar is URL-encoded; it is decoded
        exactly once (a decoded code, with ``+``, ``/`` and ``=``, is used as is).
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
        """Get a new access token now (and a new refresh token when the old one nears expiry).

        Raises
        ------
        ReauthorizationRequired
            If there is no valid refresh token, or TD rejects it; the cache is
            then cleared, so the next request asks for a login.
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
            Relative to ``api_url``, e.g. ``"/marketdata/quotes"``.
        **kwargs
            Passed to :meth:`requests.Session.request` (``params``, ``json``, ...).

        Raises
        ------
        AuthorizationError
            If there are no usable tokens and no one to log in interactively.
        TDQueryError
            A subclass by status, if TD answers with an error.
        """
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/' and is relative to api_url: {path!r}")
        headers = dict(kwargs.pop("headers", None) or {})
        token = self._access()
        for retry_unauthorized in (True, False):
            headers["Authorization"] = f"Bearer {token}"
            response = self.transport.send(method, self.api_url + path, headers=headers, **kwargs)
            if response.status_code != 401 or not retry_unauthorized:
                break
            log.info("The access token was rejected; refreshing it once")
            token = self._access(rejected=token)
        return parse_response(response)

    def _access(self, rejected: Optional[str] = None) -> str:
        """Return a usable access token, refreshing (once, under the lock) or logging in."""
        token = _usable(self.cache.access_token, rejected)
        if token:
            return token
        with self._lock():
            # Another thread or process may have refreshed while we waited.
            token = _usable(self.cache.access_token, rejected)
            if token:
                return token
            if self.refresh_valid:
                self._refresh()
                return self.cache.access_token.token
        # Logging in takes minutes: never while holding the lock.
        if not _interactive():
            raise AuthorizationError("Not logged in (no valid tokens): run `python -m pyTD login`")
        self.login()
        return self.cache.access_token.token

    def _refresh(self) -> None:
        refresh = self.cache.refresh_token
        if not _valid(refresh):
            raise ReauthorizationRequired("No valid refresh token: log in with `python -m pyTD login`")
        offline = refresh.expires_within(RENEW_REFRESH_WITHIN)
        try:
            access, renewed = self._flow.refresh(refresh.token, offline)
        except ReauthorizationRequired:
            self.cache.clear()  # both tokens are worthless now; the next request asks for a login
            raise
        self._store((access, renewed))
        log.info("Refreshed the access token%s", " and the refresh token" if renewed else "")

    def _store(self, tokens: TokenPair) -> None:
        access, refresh = tokens
        with self._lock():
            # Refresh token first: a crash in between leaves a stale access token,
            # never a lost refresh token.
            if refresh is not None:
                self.cache.refresh_token = refresh
            self.cache.access_token = access

    def _lock(self) -> ContextManager[object]:
        lock = getattr(self.cache, "lock", None)
        return lock() if callable(lock) else self._own_lock

    # -- market data: the functions of pyTD.market and pyTD.instruments, with this client ---------

    get_quotes = _ClientFunction()
    get_price_history = _ClientFunction()
    get_movers = _ClientFunction()
    get_market_hours = _ClientFunction()
    get_option_chains = _ClientFunction()
    get_fundamentals = _ClientFunction()
    get_instruments = _ClientFunction()
    get_instrument = _ClientFunction()

    def __repr__(self) -> str:
        return f"api(callback_url={self.callback_url!r}, api_url={self.api_url!r}, cache={self.cache!r})"


def token_filename(client_id: str) -> str:
    """The cache file name for a consumer key: distinct per app, without revealing the key."""
    return f"tokens-{hashlib.sha256(client_id.upper().encode()).hexdigest()[:16]}.json"


def token_key(client_id: str) -> str:
    """The Redis key of a consumer key's tokens: the cache file's name without ``.json``, under ``pyTD:``."""
    return "pyTD:" + os.path.splitext(token_filename(client_id))[0]


def _unnamed_redis_cache(cache: Any) -> bool:
    # No RedisCache exists unless its module was imported: import pyTD.api need not import it.
    module = sys.modules.get("pyTD.cache.rediscache")
    return module is not None and isinstance(cache, module.RedisCache) and cache.key is None


def _valid(token: Optional[Token]) -> bool:
    return token is not None and token.valid


def _usable(token: Optional[Token], rejected: Optional[str]) -> Optional[str]:
    if token is None or token.expires_within(REFRESH_SKEW) or token.token == rejected:
        return None
    return token.token


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


_default: Optional[api] = None
_default_settings: Optional[tuple] = None
_default_lock = threading.Lock()


def default_api() -> api:
    """The api built from the environment (``TD_*`` variables), created on first use and reused.

    It is built again when a ``TD_*`` variable changes.
    """
    global _default, _default_settings
    settings = tuple(os.environ.get(name) for name in config.ENV_VARS)
    with _default_lock:
        if _default is None or settings != _default_settings:
            _default, _default_settings = api(), settings
        return _default
