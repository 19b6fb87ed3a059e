"""The sandbox server: a provider's login page, token endpoint and market data on loopback, with fault injection.

This module is the HTTP plumbing both providers share (listening, recording
requests, injected faults, rate limits); what is said on each path comes from
the provider's module, :mod:`pyTD.sandbox.td` or :mod:`pyTD.sandbox.schwab`.

::

    with Sandbox(auto_approve=True) as sb:
        client = api("MYKEY", "http://127.0.0.1:8765/callback", auth_url=sb.auth_url, api_url=sb.api_url)
"""

from __future__ import annotations

import collections
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Deque, Dict, Iterable, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from pyTD.sandbox.broker import AccountSpec, Broker
from pyTD.sandbox.provider import Provider
from pyTD.sandbox.replies import Reply, error_reply, html_reply
from pyTD.sandbox.streamer import Streamer

log = logging.getLogger("pyTD.sandbox")


def stand_in(name: str) -> Tuple[Provider, Any]:
    """The stand-in for ``"td"`` or ``"schwab"`` (any case): its HTTP side and its streamer's words."""
    wanted = str(name).strip().lower()
    if wanted == "td":
        from pyTD.sandbox.td import TD
        from pyTD.sandbox.td_stream import TDWire

        return TD(), TDWire()
    if wanted == "schwab":
        from pyTD.sandbox.schwab import Schwab
        from pyTD.sandbox.schwab_stream import SchwabWire

        return Schwab(), SchwabWire()
    raise ValueError(f"provider must be 'td' or 'schwab', not {name!r}")


@dataclass
class RecordedRequest:
    """A request the sandbox received: query and form values are decoded, one value per name."""

    method: str
    path: str
    query: Dict[str, str]
    form: Dict[str, str] = field(repr=False)
    headers: Dict[str, str] = field(repr=False)


@dataclass
class Fault:
    """What to do instead of (or before) answering one request."""

    status: Optional[int]
    body: Optional[str]
    content_type: str
    path: Optional[str]
    drop: bool
    retry_after: Optional[float]
    delay: float
    after: bool = False  # only once the request has been processed (e.g. an order placed)
    methods: Optional[Tuple[str, ...]] = None  # only requests of these methods

    def applies(self, method: str, path: str) -> bool:
        return (self.path is None or path.startswith(self.path)) and (self.methods is None or method in self.methods)

    def reply(self) -> Reply:
        assert self.status is not None
        body = self.body
        if body is None:
            body = json.dumps({"error": HTTPStatus(self.status).phrase})
        headers = {} if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}
        return Reply(self.status, body.encode(), self.content_type, headers)


class Sandbox:
    """A provider's API stand-in on loopback: TD's (td-api.md) or Schwab's (schwab-api.md), with deterministic data.

    Parameters
    ----------
    provider : str
        ``"td"`` (default) or ``"schwab"``, in any case.
    host : str
        Address to listen on; loopback by default.
    port : int
        Port to listen on; 0 picks a free one.
    auto_approve : bool
        Skip the login form: ``/auth`` redirects to the callback at once, as
        if the user had logged in and clicked "Allow".
    access_expires_in, refresh_expires_in, code_expires_in : int, optional
        Lifetimes in seconds. Defaults: TD 30 minutes, 90 days, 10 minutes;
        Schwab 30 minutes, 7 days (from the login, not extended by
        refreshing), 30 seconds.
    rotate_refresh_tokens : bool
        Retire a refresh token once a refresh has issued its successor (TD:
        only a refresh with ``access_type=offline`` issues one; Schwab: every
        refresh then answers with a new string, with the same 7-day end).
    consumer_keys : iterable of str, optional
        The only consumer keys (app keys) accepted; by default any key.
    client_secret : str, optional
        Schwab: the only app secret accepted. When None, the first secret
        presented for an app key becomes that key's secret. TD ignores it.
    callback_urls : iterable of str, optional
        The only callback URLs accepted (matched exactly); by default any.
    rate_limit : int, optional
        Answer 429 past this many resource requests per app in ``rate_window``
        seconds (TD: 120 per 60 s). Off by default.
    rate_window : float
        The sliding window of ``rate_limit``, in seconds.
    tick_interval, heartbeat_interval : float
        The streamer's seconds between ticks (each updates every subscribed symbol) and between heartbeats.
    idle_stop : float
        The streamer stops a connection without subscriptions after this many seconds (code 30).
    seed : int
        Seeds the paper broker's account numbers, order and transaction ids
        (and Schwab's account hashes): the same seed, the same run.
    accounts : iterable of dict, optional
        The paper accounts, each ``{"type": "MARGIN" or "CASH", "cash":
        10_000, "positions": {"AAPL": 100, "F": (200, 11.5)}}`` (see
        :class:`~pyTD.sandbox.broker.Broker`). Default: a margin and a cash
        account with cash and a few stocks.

    Attributes
    ----------
    requests : list of RecordedRequest
        Every request received, in order (including failed ones).
    streamer : pyTD.sandbox.streamer.Streamer
        The WebSocket streamer (when websockets is installed): its URL is in the user-info answers
        (TD ``/v1/userprincipals``, Schwab ``/trader/v1/userPreference``); it also injects faults.
    broker : Broker
        The paper broker behind both providers' trader endpoints: its
        ``accounts``, ``orders`` and ``transactions``; ``set_price()`` moves a
        price (working orders it crosses fill).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        provider: str = "td",
        auto_approve: bool = False,
        access_expires_in: Optional[int] = None,
        refresh_expires_in: Optional[int] = None,
        code_expires_in: Optional[int] = None,
        rotate_refresh_tokens: bool = False,
        consumer_keys: Optional[Iterable[str]] = None,
        callback_urls: Optional[Iterable[str]] = None,
        client_secret: Optional[str] = None,
        rate_limit: Optional[int] = None,
        rate_window: float = 60.0,
        tick_interval: float = 1.0,
        heartbeat_interval: float = 10.0,
        idle_stop: float = 30.0,
        seed: int = 0,
        accounts: Optional[Iterable[AccountSpec]] = None,
    ) -> None:
        self.host = host
        self.port = port
        profile, wire = stand_in(provider)
        self.profile = profile
        self.authority = profile.authority(
            auth_path=profile.auth_path, auto_approve=auto_approve,
            access_expires_in=profile.access_expires_in if access_expires_in is None else access_expires_in,
            refresh_expires_in=profile.refresh_expires_in if refresh_expires_in is None else refresh_expires_in,
            code_expires_in=profile.code_expires_in if code_expires_in is None else code_expires_in,
            rotate_refresh_tokens=rotate_refresh_tokens, consumer_keys=consumer_keys, callback_urls=callback_urls,
            client_secret=client_secret)
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.seed = seed
        self.broker = Broker(seed, accounts)
        self._lock = threading.Lock()
        self._requests: List[RecordedRequest] = []
        self._faults: List[Fault] = []
        self._recent: Dict[str, Deque[float]] = collections.defaultdict(collections.deque)
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.streamer = Streamer(wire, self.authority, host, tick_interval=tick_interval,
                                 heartbeat_interval=heartbeat_interval, idle_stop=idle_stop)
        self.streamer.accounts = lambda: list(self.broker.accounts)  # the streaming user holds the broker's
        self.broker.listeners.append(self.streamer.publish_order_event)  # fills stream as account activity

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start listening in a background thread; returns the sandbox."""
        if self._server is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_class = type("SandboxHTTPServer", (_Server,), {"address_family": family})
        server = server_class((self.host, self.port), _Handler)
        server.sandbox = self  # the handlers find their sandbox here
        self._server = server
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="pyTD-sandbox",
                                        daemon=True)  # a short poll interval makes stop() quick
        self._thread.start()
        self.streamer.start()
        log.info("Sandbox listening at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop listening and close the port."""
        if self._server is None:
            return
        self.streamer.stop()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"<Sandbox {self.provider} {state}>"

    # -- where it is ----------------------------------------------------------------------------------

    @property
    def provider(self) -> str:
        """``"td"`` or ``"schwab"``."""
        return self.profile.name

    @property
    def url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:50123``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def auth_url(self) -> str:
        """The login page: pass it as ``auth_url``.

        TD: ``<url>/auth`` (``https://auth.tdameritrade.com/auth``); Schwab:
        ``<url>/v1/oauth/authorize`` (``https://api.schwabapi.com/v1/oauth/authorize``).
        """
        return self.url + self.profile.auth_path

    @property
    def api_url(self) -> str:
        """The API base: pass it as ``api_url``.

        TD: ``<url>/v1`` (``https://api.tdameritrade.com/v1``); Schwab: ``<url>``
        (``https://api.schwabapi.com``), below which the client adds
        ``/v1/oauth/token``, ``/marketdata/v1/...`` and ``/trader/v1/...``.
        """
        return self.url + self.profile.api_path

    @property
    def token_url(self) -> str:
        """The token endpoint: TD ``<url>/v1/oauth2/token``, Schwab ``<url>/v1/oauth/token``."""
        return self.url + self.profile.token_path

    @property
    def client_secret(self) -> Optional[str]:
        """The app secret given to the constructor (Schwab), if any."""
        return self.authority.client_secret

    def known_secret(self, key: str) -> Optional[str]:
        """The app secret Schwab's stand-in accepts for ``key``: the configured one, or the first one presented.

        None when no secret is known yet (or for TD, which has none). The
        sandbox never logs it.
        """
        known = getattr(self.authority, "known_secret", None)
        return known(key) if known is not None else None

    # -- what it saw ----------------------------------------------------------------------------------

    @property
    def requests(self) -> List[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def token_requests(self) -> List[RecordedRequest]:
        """The requests to the token endpoint."""
        return [r for r in self.requests if r.path == self.profile.token_path]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- how it misbehaves ----------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 503, body: Optional[str] = None,
                  content_type: str = "application/json", path: Optional[str] = None, drop: bool = False,
                  retry_after: Optional[float] = None, delay: float = 0.0, after: bool = False,
                  methods: Optional[Iterable[str]] = None) -> None:
        """Fail the next ``count`` requests (whose path starts with ``path``, and whose method is one of
        ``methods``, if given).

        Each gets ``status`` with ``body`` (default ``{"error": "<reason>"}``)
        and a ``Retry-After`` header if ``retry_after`` is set; or, with
        ``drop``, the connection is closed without an answer. ``delay`` waits
        that many seconds first. With ``after``, the request is processed first
        (an order is placed) and only its answer is lost or replaced.
        """
        chosen = None if methods is None else tuple(m.upper() for m in methods)
        fault = Fault(status, body, content_type, path, drop, retry_after, delay, after, chosen)
        with self._lock:
            self._faults.extend([fault] * count)

    def drop_after_next(self, count: int = 1, *, path: Optional[str] = None,
                        methods: Optional[Iterable[str]] = ("POST", "PUT", "DELETE")) -> None:
        """Process the next ``count`` writes (``methods``; under ``path``), then close the connection without
        answering: the order was placed, but the client never hears so. Reads (a Schwab client's account
        map, say) pass untouched; ``methods=None`` drops after any request."""
        self.fail_next(count, path=path, drop=True, after=True, methods=methods)

    def delay_next(self, count: int = 1, seconds: float = 1.0, *, path: Optional[str] = None) -> None:
        """Answer the next ``count`` requests normally, but only after ``seconds``."""
        fault = Fault(None, None, "", path, False, None, seconds)
        with self._lock:
            self._faults.extend([fault] * count)

    def expire_access_tokens(self) -> None:
        """Treat every access token issued so far as expired (the next use gets a 401)."""
        self.authority.expire_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        """Reject every refresh token issued so far (TD: ``invalid_grant``; Schwab: its nested 400)."""
        self.authority.revoke_refresh_tokens()

    def rotate_account_hashes(self) -> None:
        """Schwab: give every account a new hash, so a client's stored map is stale (old hashes answer 404)."""
        trader = self.profile.trader(self)
        if not hasattr(trader, "rotate_hashes"):
            raise ValueError(f"{self.profile.title} addresses accounts by their numbers: it has no hashes")
        trader.rotate_hashes()

    # -- serving --------------------------------------------------------------------------------------

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request of the HTTP handler."""
        parts = urlsplit(handler.path)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            send(handler, error_reply(400, "invalid Content-Length"), {})
            return
        body = handler.rfile.read(length) if length else b""
        content_type = handler.headers.get("Content-Type", "")
        form = {}
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = single(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        query = single(parse_qs(parts.query, keep_blank_values=True))
        with self._lock:
            self._requests.append(RecordedRequest(handler.command, parts.path, query, form,
                                                  dict(handler.headers.items())))
        fault = self._take_fault(handler.command, parts.path)
        if fault is not None and fault.after:
            self._answer(handler.command, parts.path, query, form, handler.headers, body)
        if fault is not None:
            time.sleep(fault.delay)
            if fault.drop:
                handler.close_connection = True
                return
            if fault.status is not None:
                send(handler, fault.reply(), self.profile.headers())
                return
        send(handler, self._answer(handler.command, parts.path, query, form, handler.headers, body),
             self.profile.headers())

    def _take_fault(self, method: str, path: str) -> Optional[Fault]:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.applies(method, path):
                    return self._faults.pop(i)
        return None

    def _answer(self, method: str, path: str, query: Dict[str, str], form: Dict[str, str],
                headers: Any, body: bytes) -> Reply:
        profile = self.profile
        if path == profile.auth_path and method in ("GET", "POST"):
            return self.authority.authorize(form if method == "POST" else query, method == "POST")
        if path == profile.token_path:
            if method != "POST":
                return error_reply(405, "use POST")
            return self.authority.token(headers, form)
        if profile.is_resource(path):
            client = self.authority.client_of(headers.get("Authorization", ""))
            if client is None:
                return profile.unauthorized()
            if self._over_limit(client):
                return profile.rate_limited()
            if path == profile.user_info_path:
                token = headers["Authorization"].partition(" ")[2].strip()
                return profile.user_info(query, self, client, token)
            return profile.answer(method, path, query, body, self)
        if path == "/" and method == "GET":
            return html_reply(200, "pyTD sandbox", f"{profile.title} stand-in. auth_url: {self.auth_url}  "
                                                   f"api_url: {self.api_url}")
        return profile.not_found(path)

    def _over_limit(self, client: str) -> bool:
        limit = self.rate_limit
        if not limit:
            return False
        now = time.monotonic()
        with self._lock:
            recent = self._recent[client]
            while recent and recent[0] <= now - self.rate_window:
                recent.popleft()
            if len(recent) >= limit:
                return True
            recent.append(now)
        return False


def single(values: Dict[str, List[str]]) -> Dict[str, str]:
    """One value per name (the last), as TD reads its parameters."""
    return {name: items[-1] for name, items in values.items()}


def send(handler: BaseHTTPRequestHandler, reply: Reply, extra: Dict[str, str]) -> None:
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.content_type)
    handler.send_header("Content-Length", str(len(reply.body)))
    handler.send_header("Cache-Control", "no-store")
    for name, value in {**extra, **reply.headers}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(reply.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout tests) breaks the pipe; that is expected, not a crash.
        log.debug("Sandbox connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as TD's gateway
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would hold the second 40 ms
    server_version = "pyTD-sandbox"
    timeout = 30  # idle keep-alive connections end

    def _serve(self) -> None:
        self.server.sandbox.serve(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - names http.server looks up

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        # The path only: query strings can carry codes.
        path = urlsplit(getattr(self, "path", "")).path  # unset for a garbled request line
        log.debug("%s %s %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug("Sandbox: " + format, *args)
