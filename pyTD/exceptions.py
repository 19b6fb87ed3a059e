"""Every error pyTD raises, under one base class :class:`TDError`.

Messages never contain tokens, authorization codes or the consumer key, so
they are safe to log and to show to users.
"""

from __future__ import annotations

from typing import Any, Optional


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


class TDConnectionError(TDError):
    """The server could not be reached, or did not answer in time."""


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
    """Return the server's own words from an error body (JSON or text)."""
    if isinstance(body, dict):
        for key in ("error_description", "error", "message", "errors"):
            if body.get(key):
                return str(body[key])
    return ""


def query_error(status: int, message: str, body: str = "", url: Optional[str] = None) -> TDQueryError:
    """Build the :class:`TDQueryError` subclass that matches an HTTP status."""
    if status >= 500:
        cls: type = ServerError
    else:
        cls = _BY_STATUS.get(status, ClientError if 400 <= status < 500 else TDQueryError)
    return cls(message, status=status, body=body, url=url)
