"""The entry object: ``from pyTD.api import api``."""

from __future__ import annotations

from pyTD.client import Client, token_filename, token_key
from pyTD.market.methods import MarketData
from pyTD.stream.methods import Streaming
from pyTD.trading import Trading

__all__ = ["api", "token_filename", "token_key"]


class api(MarketData, Trading, Streaming, Client):  # noqa: N801 - the name users import since pyTD's first release
    """A TD Ameritrade or Charles Schwab API client: logs in, keeps tokens fresh, sends requests, serves
    market data, reads and trades the accounts, and streams.

    Parameters
    ----------
    consumer_key : str, optional
        The app's key: TD's consumer key (``@AMER.OAUTHAP`` is added when
        absent) or Schwab's app key (used as is). Default: ``TD_CONSUMER_KEY``.
    callback_url : str, optional
        The app's registered callback URL, e.g. ``https://127.0.0.1:8182``.
        Default: ``TD_CALLBACK_URL``.
    provider : {"td", "schwab"}, optional
        Whose API to use (any case). Default: ``TD_PROVIDER``, else ``"td"``.
    client_secret : str, optional
        The app's secret; required for Schwab, unused for TD. Default:
        ``TD_CLIENT_SECRET``. It never appears in logs, errors or ``repr``.
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
        ``RedisCache`` without a ``key`` is named after the provider and the
        consumer key.
    config_dir : str, optional
        Default: ``TD_CONFIG_DIR``, else the user's config directory.
    auth_url, api_url : str, optional
        The provider's authorization page and API base URL (or a sandbox's).
        Default: ``TD_AUTH_URL`` / ``TD_API_URL``, else the provider's own.
        Plain ``http://`` is accepted for loopback hosts only, unless
        ``allow_insecure_http``.
    session : requests.Session, optional
        The HTTP session to use.
    timeout : float, optional
        Seconds a whole request may take (connecting and reading the whole
        answer); a retry gets as long again. Default: ``TD_TIMEOUT``, else 30.
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
    order_rate_limit : int or str, optional
        Order writes (place, replace, cancel) allowed per minute and account,
        or ``"N/S"`` for N per S seconds (0: no limit); separate from
        ``rate_limit`` and shared through the same store. Default:
        ``TD_ORDER_RATE_LIMIT``, else 120.
    ssl_cert, ssl_key : str, optional
        Certificate and key for an ``https`` callback URL. Default:
        ``TD_SSL_CERT`` / ``TD_SSL_KEY``, else a self-signed certificate.
    tz : str or tzinfo, optional
        The time zone naive dates are read in and pandas datetimes are shown
        in (an IANA name such as ``"UTC"``). Default: ``TD_TIMEZONE``, else
        ``America/New_York``, where the markets are.
    allow_insecure_http : bool, optional
        Accept plain ``http://`` auth and API URLs on hosts other than
        loopback, where tokens would travel unencrypted. Default:
        ``TD_ALLOW_INSECURE_HTTP``, else False.

    Attributes
    ----------
    provider : str
        The name of the provider in use (``"td"`` or ``"schwab"``).
    profile : Provider
        Its profile (:mod:`pyTD.providers`): URLs, paths, parameter names.

    Raises
    ------
    ConfigurationError
        If a setting is missing or invalid.

    Examples
    --------
    >>> from pyTD.api import api
    >>> a = api("ABCDEFG12345", "https://127.0.0.1:8080")  # doctest: +SKIP
    >>> a.login()  # doctest: +SKIP
    >>> a.request("GET", "/marketdata/quotes", params={"symbol": "AAPL"})  # doctest: +SKIP
    """
