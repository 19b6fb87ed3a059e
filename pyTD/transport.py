"""The one path every HTTP request takes: a session, a timeout, retries, typed errors."""

from __future__ import annotations

import logging
import random
import time
from typing import Any, Optional
from urllib.parse import urlsplit

import requests

from pyTD.exceptions import (
    ServerError,
    TDConnectionError,
    TDQueryError,
    error_message,
    query_error,
)
from pyTD.ratelimit import Limiter, RateLimiter

log = logging.getLogger("pyTD")

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_RETRY_AFTER = 60.0
_BODY_LIMIT = 2000
_NOT_JSON = object()


def strip_query(url: str) -> str:
    """Return ``url`` without query or fragment, for messages and logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class Transport:
    """Send requests over one keep-alive session.

    Parameters
    ----------
    session : requests.Session, optional
        The session to use (default: a new one).
    timeout : float
        Seconds to wait to connect and for each read; no request waits forever.
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
        if timeout is None or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        if retry_count < 0 or pause < 0:
            raise ValueError("retry_count and pause must not be negative")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.retry_count = retry_count
        self.pause = pause
        self.limiter = limiter if limiter is not None else RateLimiter(0)
        self._warned_throttle = -float("inf")

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request, retrying idempotent ones; return the final response.

        Raises
        ------
        TDConnectionError
            If the server could not be reached or did not answer in time.
        """
        method = method.upper()
        kwargs.setdefault("timeout", self.timeout)
        retries = self.retry_count if method in _IDEMPOTENT else 0
        where = strip_query(url)
        for attempt in range(1, retries + 2):
            self._throttle(method, where)
            start = time.perf_counter()
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt > retries:
                    raise TDConnectionError(
                        f"{method} {where} failed after {attempt} attempt(s): {type(exc).__name__}"
                    ) from None
                self._wait(attempt, None, f"{type(exc).__name__} from {method} {where}")
                continue
            log.debug("%s %s -> %s in %.0f ms (attempt %d)", method, where, response.status_code,
                      (time.perf_counter() - start) * 1000, attempt)
            if response.status_code in _RETRY_STATUSES and attempt <= retries:
                self._wait(attempt, response.headers.get("Retry-After"),
                           f"{response.status_code} from {method} {where}")
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _throttle(self, method: str, where: str) -> None:
        waited = self.limiter.acquire()
        if not waited:
            return
        now = time.monotonic()
        # One warning per window: a long batch should not flood the log.
        level = logging.WARNING if now - self._warned_throttle > self.limiter.window else logging.DEBUG
        if level == logging.WARNING:
            self._warned_throttle = now
        log.log(level, "Rate limit of %d requests per %g s reached: %s %s waited %.2f s",
                self.limiter.limit, self.limiter.window, method, where, waited)

    def _wait(self, attempt: int, retry_after: Optional[str], why: str) -> None:
        delay = self.pause * 2 ** (attempt - 1) * (1 + random.random() / 4)
        delay = max(delay, _parse_retry_after(retry_after))
        log.warning("%s; retrying in %.2f s (attempt %d of %d)", why, delay, attempt + 1,
                    self.retry_count + 1)
        time.sleep(delay)


def _parse_retry_after(value: Optional[str]) -> float:
    """Seconds from a ``Retry-After`` header (seconds form only), capped; 0 if absent."""
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER) if value else 0.0
    except ValueError:
        return 0.0


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
    said = error_message(body) or (text.strip()[:200] if body is _NOT_JSON else "")
    message = f"{response.status_code} {response.reason or ''}".strip() + f" from {where}"
    if said:
        message += f": {said}"
    error: TDQueryError = query_error(response.status_code, message, text[:_BODY_LIMIT],
                                      strip_query(response.url))
    raise error

