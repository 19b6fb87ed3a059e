"""A one-shot web server on loopback that catches the browser's redirect to the callback URL.

It does one job: wait for a request to the callback path that carries the
expected ``state`` and either a ``code`` or an ``error``, answer it with a
small page, and hand the decoded query parameters back. It knows nothing of
tokens. Anything else (favicon, probes, a wrong state, garbage) gets a 4xx
page and the server keeps waiting.
"""

from __future__ import annotations

import errno
import html
import http.server
import logging
import socket
import ssl
import threading
import time
from string import Template
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, unquote, urlsplit

from pyTD.config import url_problem
from pyTD.exceptions import AuthorizationTimeout, ConfigurationError
from pyTD.redact import printable

log = logging.getLogger("pyTD")

# Where the server listens for each callback host. A browser may resolve ``localhost`` to either
# address (RFC 8252 section 8.3), so both are taken: otherwise another local user could listen on
# the other one and receive the code.
LISTEN_ADDRESSES = {"localhost": ("127.0.0.1", "::1"), "127.0.0.1": ("127.0.0.1",), "::1": ("::1",)}
LOOPBACK_HOSTS = {host: addresses[0] for host, addresses in LISTEN_ADDRESSES.items()}

PAGE = Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pyTD: $title</title>
<style>body{font-family:sans-serif;max-width:36em;margin:4em auto;color:#222}</style></head>
<body><h1>$title</h1><p>$message</p></body></html>
""")
SUCCESS = ("Authorization complete", "pyTD has received the authorization. You can close this window.")
DENIED = ("Authorization failed", "TD did not authorize pyTD: $reason. Close this window and try again.")
NOT_FOUND = ("Not found", "This is pyTD's login callback; there is nothing else here.")
BAD_STATE = ("Unexpected authorization", "This response does not belong to the login pyTD is waiting "
             "for (its state does not match). Start the login again from pyTD.")
NO_CODE = ("No authorization code", "This request carries no authorization code.")


def callback_address(callback_url: str) -> Tuple[str, int, str, bool]:
    """Check a callback URL for the local server; return ``(bind_host, port, path, https)``.

    Raises
    ------
    ConfigurationError
        If the URL is malformed, not http(s), not on loopback, or has no port (or port 0).
    """
    problem = url_problem(callback_url)
    if problem:
        raise ConfigurationError(f"The callback URL is not a valid URL{problem}: the browser could never "
                                 "reach it exactly as registered")
    try:
        parts = urlsplit(callback_url)
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"The callback URL {callback_url!r} is not a valid URL") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(
            f"The callback URL {callback_url!r} must be an http:// or https:// URL, "
            "e.g. https://127.0.0.1:8080"
        )
    if host not in LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"The callback URL's host {host!r} is not loopback: the login server only listens on "
            "localhost, 127.0.0.1 or [::1]. Use login_manual() or exchange_code() for other hosts."
        )
    if not port:
        raise ConfigurationError(
            f"The callback URL {callback_url!r} has no port (or port 0), so the login server cannot know "
            "where the browser will go. Register a callback URL with a port (e.g. https://127.0.0.1:8080), "
            "or use login_manual()."
        )
    return LOOPBACK_HOSTS[host], port, parts.path or "/", parts.scheme == "https"


def redirect_params(query: str) -> Dict[str, str]:
    """Decode the query of a redirect to the callback URL, each value exactly once.

    The code is percent-decoded without turning ``+`` into a space: TD codes
    contain ``+``, ``/`` and ``=`` and never spaces, so a literal ``+`` is kept.
    """
    params = dict(parse_qsl(query, keep_blank_values=True))
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "code":
            params["code"] = unquote(value)
    return params


def state_matches(params: Dict[str, str], state: Optional[str]) -> bool:
    """True if a pasted redirect belongs to this login.

    A code needs the exact state we sent. An error may come without a state
    (TD's error redirect need not carry one), but not with a different one:
    the user pasted it, so it is the user's answer. The callback server, which
    anyone on the machine can reach, accepts nothing without the exact state.
    """
    if state is None:
        return True
    if "code" in params:
        return params.get("state") == state
    return params.get("state", state) == state


class CallbackServer:
    """Listen on loopback at the callback URL until the authorization arrives.

    Parameters
    ----------
    callback_url : str
        The app's registered callback URL; its host must be loopback and it
        must name a port.
    state : str
        The ``state`` sent with the authorization request; redirects carrying
        another are turned away.
    ssl_context : ssl.SSLContext, optional
        Serve over TLS (for ``https://`` callback URLs).

    Examples
    --------
    >>> with CallbackServer("http://127.0.0.1:8080", state) as server:  # doctest: +SKIP
    ...     webbrowser.open(authorization_url)
    ...     params = server.wait(timeout=300)
    """

    def __init__(self, callback_url: str, state: str, ssl_context: Optional[ssl.SSLContext] = None):
        _, port, self.path, _ = callback_address(callback_url)
        self.state = state
        self.result: Optional[Dict[str, str]] = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._servers = _bind_all(LISTEN_ADDRESSES[(urlsplit(callback_url).hostname or "").lower()], port, self)
        self._httpd = self._servers[0]
        self._threads = []
        for httpd in self._servers:
            if ssl_context is not None:
                httpd.socket = ssl_context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
            thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.02},  # close() waits one poll
                name="pyTD-callback", daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._httpd.server_address[1]

    def wait(self, timeout: Optional[float] = 300) -> Dict[str, str]:
        """Block until the callback arrives and return its decoded query parameters.

        Raises
        ------
        AuthorizationTimeout
            If nothing arrived within ``timeout`` seconds (None: wait forever).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        # Short waits keep Ctrl-C responsive.
        while not self._done.wait(0.2):
            if deadline is not None and time.monotonic() >= deadline:
                raise AuthorizationTimeout(
                    f"No authorization reached {self.path!r} on port {self.port} within "
                    f"{timeout:g} s. Check the consumer key and the callback URL: both must match the "
                    "app's registration exactly (the page the browser shows usually says which is wrong)."
                )
        assert self.result is not None
        return self.result

    def close(self) -> None:
        """Stop serving and close the port."""
        for httpd in self._servers:
            httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> CallbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def handle(self, path: str, query: str) -> Tuple[int, Tuple[str, str]]:
        """Decide the answer to one request: ``(status, (title, message))``.

        The login is complete as soon as the answer is recorded here, before
        the page is sent: a browser that drops the connection cannot stall it.
        """
        if path != self.path:
            return 404, NOT_FOUND
        params = redirect_params(query)
        if "code" not in params and "error" not in params:
            return 400, NO_CODE
        if params.get("state") != self.state:  # an error too: anyone on this machine can send one
            log.warning("Ignored a callback request whose state does not match this login")
            return 400, BAD_STATE
        with self._lock:
            if self.result is not None:  # the login is already answered
                return 404, NOT_FOUND
            self.result = params
            self._done.set()
        if "error" in params:
            reason = printable(params.get("error_description") or params["error"])
            return 400, (DENIED[0], Template(DENIED[1]).substitute(reason=reason))
        return 200, SUCCESS


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _HTTPServer
    timeout = 10  # an idle browser connection must not hold a thread forever
    server_version = "pyTD"
    sys_version = ""

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        owner = self.server.owner
        parts = urlsplit(self.path)
        status, (title, message) = owner.handle(parts.path, parts.query)
        body = PAGE.substitute(title=html.escape(title), message=html.escape(message)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_request(self, code: object = "-", size: object = "-") -> None:
        # The request line carries the code: log the path only.
        log.debug("callback server: %s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base class name
        log.debug("callback server: %s", (format % args).split("?")[0])


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: CallbackServer

    def handle_error(self, request: object, client_address: object) -> None:
        # Garbage, TLS failures and dropped connections are the client's problem; keep waiting.
        log.debug("callback server: a request from %s failed", client_address, exc_info=True)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


def _bind_all(hosts: Tuple[str, ...], port: int, owner: CallbackServer) -> List[_HTTPServer]:
    """Listen on every address of ``hosts``; the first is required, the others unless the system lacks them."""
    servers: List[_HTTPServer] = []
    try:
        for host in hosts:
            httpd = _bind(host, port, owner, required=not servers)
            if httpd is not None:
                servers.append(httpd)
    except BaseException:
        for httpd in servers:
            httpd.server_close()
        raise
    return servers


def _bind(host: str, port: int, owner: CallbackServer, required: bool) -> Optional[_HTTPServer]:
    cls = _HTTPServer6 if ":" in host else _HTTPServer
    try:
        httpd = cls((host, port), _Handler)
    except OSError as exc:
        if not required and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            return None  # no IPv6 here: no one else can listen there either
        if exc.errno == errno.EADDRINUSE and not required:
            why = (f"port {port} on {host} is already in use by another program. A browser may send "
                   "`localhost` there, so it could receive your login. Stop that program, or register "
                   "a callback URL with 127.0.0.1 instead of localhost")
        elif exc.errno == errno.EADDRINUSE:
            why = f"port {port} on {host} is already in use (is another login running?)"
        elif exc.errno == errno.EACCES:
            why = (f"listening on port {port} is not permitted (ports below 1024 need privileges; "
                   "register a callback URL with a higher port, e.g. https://127.0.0.1:8080)")
        else:
            why = f"cannot listen on {host} port {port}: {exc.strerror or exc}"
        raise ConfigurationError(f"The login callback server could not start: {why}") from None
    httpd.owner = owner
    return httpd
