"""The one path every HTTP request takes: a session, a deadline, retries, typed errors."""

from __future__ import annotations

import http.client
import logging
import math
import random
import time
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

import requests
import urllib3

from pyTD.config import MAX_SECONDS
from pyTD.deadline import DeadlineExceeded, deadline, watch
from pyTD.exceptions import (
    ConfigurationError,
    ServerError,
    TDConnectionError,
    TDError,
    TDQueryError,
    error_message,
    query_error,
)
from pyTD.ratelimit import Limiter, RateLimiter
from pyTD.redact import printable

log = logging.getLogger("pyTD")

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_RETRY_AFTER = 60.0
_MAX_BACKOFF = 60.0
_BODY_LIMIT = 2000
_CHUNK = 65536
_NOT_JSON = object()
# Failures worth another attempt of an idempotent request: the network, not the request, went wrong.
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
# Failures of the request itself: a malformed URL or header, a body that cannot be encoded.
_UNSENDABLE = (requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader, requests.exceptions.MissingSchema,
               requests.exceptions.InvalidSchema, requests.exceptions.URLRequired, requests.exceptions.InvalidJSONError,
               http.client.InvalidURL, ValueError)
# Everything else requests, urllib3 and the socket layer may raise.
_OTHER = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, OverflowError,
          ValueError)


def strip_query(url: str) -> str:
    """Return ``url`` without user name, password, query or fragment, for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "<a malformed URL>"
    host = f"[{host}]" if ":" in host else host
    return printable(f"{parts.scheme}://{host}{port}{parts.path}")


class Transport:
    """Send requests over one keep-alive session.

    Parameters
    ----------
    session : requests.Session, optional
        The session to use (default: a new one).
    timeout : float
        Seconds a whole request may take: connecting, sending, and receiving
        the headers and the whole body. A retry gets the same time again.
    retry_count : int
        How many times a GET is retried after a connection error, a timeout,
        429 or 5xx. Other methods are never retried.
    pause : float
        The first back-off in seconds; it doubles with each retry, plus jitter.
        A ``Retry-After`` header wins when it is longer.
    limiter : Limiter, optional
        Every attempt waits for a slot here first (default: no limit). Any object with ``limit``,
        ``window`` and ``acquire()`` (see :mod:`pyTD.ratelimit`).
    """

    def __init__(
        self,
        session: Optional[requests.Session] = None,
        timeout: float = 30,
        retry_count: int = 3,
        pause: float = 0.5,
        limiter: Optional[Limiter] = None,
    ) -> None:
        if not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_SECONDS:
            raise ValueError(f"timeout must be a number of seconds above 0 and at most {MAX_SECONDS:g}")
        if retry_count < 0 or not 0 <= pause <= _MAX_BACKOFF:
            raise ValueError(f"retry_count must not be negative, and pause must be between 0 and {_MAX_BACKOFF:g} s")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.retry_count = retry_count
        self.pause = pause
        self.limiter = limiter if limiter is not None else RateLimiter(0)
        self._warned_throttle = -float("inf")

    def send(self, method: str, url: str, *, throttle: bool = True, limiter: Optional[Limiter] = None,
             **kwargs: Any) -> requests.Response:
        """Send one request, retrying idempotent ones; return the final response, its body read.

        ``throttle=False`` skips the rate limiter (for the token endpoint, whose
        requests are rare and hold the refresh lock); ``limiter`` takes the place of
        the transport's own (order writes have their own limit). ``timeout=`` overrides the
        transport's for this request; other keywords go to :mod:`requests`.

        Raises
        ------
        TDConnectionError
            If the server could not be reached or did not answer in time.
        TDError
            A subclass for every other failure (a redirect loop, a body that
            cannot be decoded, a malformed URL or header).
        """
        method = method.upper()
        seconds = kwargs.pop("timeout", None) or self.timeout
        kwargs.pop("stream", None)  # the body is always read here, within the deadline
        retries = self.retry_count if method in _IDEMPOTENT else 0
        for attempt in range(1, retries + 2):
            if throttle:
                self._throttle(limiter or self.limiter, method, url)
            start = time.perf_counter()
            try:
                response = self._attempt(method, url, seconds, kwargs)
            except _TRANSIENT as exc:
                why = f"Timeout: no complete answer within {seconds:g} s" if isinstance(exc, DeadlineExceeded) \
                    else type(exc).__name__
                if attempt > retries:
                    raise TDConnectionError(f"{method} {strip_query(url)} failed after {attempt} attempt(s): "
                                            f"{why}") from None
                self._wait(attempt, None, f"{why} from {method} {strip_query(url)}")
                continue
            except _OTHER as exc:
                raise _failure(exc, f"{method} {strip_query(url)}") from None
            if log.isEnabledFor(logging.DEBUG):  # the URL is shown without its query: worth it only when logged
                log.debug("%s %s -> %s in %.0f ms (attempt %d)", method, strip_query(url), response.status_code,
                          (time.perf_counter() - start) * 1000, attempt)
            if response.status_code in _RETRY_STATUSES and attempt <= retries:
                self._wait(attempt, response.headers.get("Retry-After"),
                           f"{response.status_code} from {method} {strip_query(url)}")
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, method: str, url: str, seconds: float, kwargs: Dict[str, Any]) -> requests.Response:
        """One request, headers and body, within ``seconds``; raises DeadlineExceeded past them."""
        watch(self.session)
        with deadline(seconds) as limit:
            try:
                response = self.session.request(method, url, timeout=seconds, stream=True, **kwargs)
                try:
                    body = bytearray()
                    for chunk in response.iter_content(_CHUNK):
                        body += chunk
                        if limit.expired:
                            break
                except BaseException:
                    response.close()
                    raise
            except _TRANSIENT + _OTHER:
                if limit.expired:
                    raise DeadlineExceeded from None
                raise
            if limit.expired:  # the watchdog cut the answer short, or it came too slowly
                response.close()
                raise DeadlineExceeded
        response._content = bytes(body)
        return response

    def _throttle(self, limiter: Limiter, method: str, url: str) -> None:
        waited = limiter.acquire()
        if not waited:
            return
        now = time.monotonic()
        # One warning per window: a long batch should not flood the log.
        level = logging.WARNING if now - self._warned_throttle > limiter.window else logging.DEBUG
        if level == logging.WARNING:
            self._warned_throttle = now
        log.log(level, "Rate limit of %d requests per %g s reached: %s %s waited %.2f s",
                limiter.limit, limiter.window, method, strip_query(url), waited)

    def _wait(self, attempt: int, retry_after: Optional[str], why: str) -> None:
        delay = min(self.pause * 2.0 ** min(attempt - 1, 16), _MAX_BACKOFF) * (1 + random.random() / 4)
        delay = max(delay, _parse_retry_after(retry_after))
        log.warning("%s; retrying in %.2f s (attempt %d of %d)", why, delay, attempt + 1,
                    self.retry_count + 1)
        time.sleep(delay)


def _parse_retry_after(value: Optional[str]) -> float:
    """Seconds from a ``Retry-After`` header (seconds form only), capped; 0 if absent."""
    try:
        seconds = float(value) if value else 0.0
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER) if math.isfinite(seconds) else 0.0


def parse_response(response: requests.Response) -> Any:
    """Return the JSON of a 2xx response, or raise the typed error for its status.

    Raises
    ------
    TDQueryError
        A subclass chosen by status: ValidationError (400), ForbiddenAccess
        (403), ResourceNotFound (404), RateLimitError (429), ClientError (other
        4xx), ServerError (5xx, or a 2xx body that is not JSON).
    """
    try:
        # .json() decodes the bytes itself; .text would first guess the charset, which is slow.
        body = response.json() if response.content.strip() else None
    except ValueError:
        body = _NOT_JSON
    if response.ok and body is not _NOT_JSON:
        return body
    where = f"{response.request.method} {strip_query(response.url)}" if response.request else ""
    text = response.text
    if response.ok:  # a 2xx whose body is not JSON
        raise ServerError(f"{where} answered {response.status_code} with a body that is not JSON",
                          response.status_code, text[:_BODY_LIMIT], strip_query(response.url))
    said = error_message(body) or (printable(text.strip(), 200) if body is _NOT_JSON else "")
    message = f"{response.status_code} {response.reason or ''}".strip() + f" from {where}"
    if said:
        message += f": {said}"
    error: TDQueryError = query_error(response.status_code, message, text[:_BODY_LIMIT],
                                      strip_query(response.url))
    raise error



def _failure(exc: BaseException, what: str) -> TDError:
    """The typed error for a request that failed other than by the network (never quoting its message,
    which may hold a header's value or the URL's query)."""
    name = type(exc).__name__
    if isinstance(exc, requests.TooManyRedirects):
        return TDQueryError(f"{what} was redirected too many times (a redirect loop?)")
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return ServerError(f"{what} answered with a body that cannot be decoded ({name})")
    if isinstance(exc, _UNSENDABLE):
        return ConfigurationError(f"{what} cannot be sent: a header or the URL is malformed ({name})")
    return TDConnectionError(f"{what} failed: {name}")
