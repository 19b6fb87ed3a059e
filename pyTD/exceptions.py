"""Every error pyTD raises, under one base class :class:`TDError`.

Messages never contain tokens, authorization codes or the consumer key, so
they are safe to log and to show to users.
"""

from __future__ import annotations

from typing import Any, Optional, Type

from pyTD.redact import printable


class TDError(Exception):
    """Base class of all pyTD errors."""


class ConfigurationError(TDError):
    """A setting is missing or invalid (argument, environment variable or URL)."""


class StoreError(TDError):
    """A store that processes share (the token cache, a shared rate-limit store) cannot be used."""


class CacheError(StoreError):
    """The token cache cannot be read, written or locked."""


class AuthorizationError(TDError):
    """Logging in failed, or a request needs a login first."""


class AuthorizationTimeout(AuthorizationError):
    """No authorization reached the callback server in time."""


class ReauthorizationRequired(AuthorizationError):
    """The server rejected the refresh token: log in again (``python -m pyTD login``)."""


class UnsupportedError(TDError):
    """The provider in use does not offer this (e.g. Schwab has no watchlists, TD no expiration chain)."""


class StreamError(TDError):
    """The streamer refused or stopped the stream in a way reconnecting cannot fix; the message says what to do
    (e.g. close the other stream: each provider allows one per user)."""


class TDConnectionError(TDError):
    """The server could not be reached, or did not answer in time."""


class OrderStatusUnknown(TDError):
    """An order write (place, replace, cancel) got no usable answer: a timeout, a dropped connection or a 5xx.

    The server may or may not have acted on it. pyTD never sends an order write again by itself; check
    ``get_orders`` (or ``get_order``) before sending it again.
    """


class TDQueryError(TDError):
    """The server answered a request with an error.

    Attributes
    ----------
    status : int or None
        The HTTP status code.
    body : str
        The response body as text (error bodies never carry tokens).
    url : str or None
        The URL requested, without its query string.
    """

    def __init__(
        self,
        message: str = "",
        status: Optional[int] = None,
        body: str = "",
        url: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.url = url


class ClientError(TDQueryError):
    """The server rejected the request (4xx)."""


class ValidationError(ClientError):
    """The server found the request invalid (400)."""


class ForbiddenAccess(ClientError):
    """The app or account may not access this resource (403)."""


class ResourceNotFound(ClientError):
    """Nothing exists at this path, or nothing matched the query (404)."""


class RateLimitError(ClientError):
    """Too many requests (429): TD allows 120 a minute per app."""


class ServerError(TDQueryError):
    """The server failed (5xx), or answered with something that is not JSON."""


_BY_STATUS = {
    400: ValidationError,
    403: ForbiddenAccess,
    404: ResourceNotFound,
    429: RateLimitError,
}


def error_message(body: Any) -> str:
    """Return the server's own words from an error body, in any of the providers' shapes.

    TD: ``{"error": ...}``; OAuth: ``{"error", "error_description"}``; Schwab market data:
    ``{"errors": [{"title", "detail"}]}``; Schwab trader: ``{"message", "errors": [...]}``; Schwab's
    gateway: ``{"fault": {"faultstring"}}``.
    """
    if not isinstance(body, dict):
        return ""
    for key in ("error_description", "error", "message"):
        if isinstance(body.get(key), str) and body[key]:
            return printable(body[key])
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        said = [_said(item) for item in errors]
        return printable("; ".join(text for text in said if text))
    fault = body.get("fault")
    if isinstance(fault, dict) and fault.get("faultstring"):
        return printable(fault["faultstring"])
    return ""


def _said(item: Any) -> str:
    if isinstance(item, dict):
        title, detail = item.get("title"), item.get("detail")
        return ": ".join(str(part) for part in (title, detail) if part)
    return str(item)


def query_error(status: int, message: str, body: str = "", url: Optional[str] = None) -> TDQueryError:
    """Build the :class:`TDQueryError` subclass that matches an HTTP status."""
    if status >= 500:
        cls: Type[TDQueryError] = ServerError
    else:
        cls = _BY_STATUS.get(status, ClientError if 400 <= status < 500 else TDQueryError)
    return cls(message, status=status, body=body, url=url)
