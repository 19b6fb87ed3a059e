"""Access and refresh tokens, and the one function that reads them from TD's answer."""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from typing import Any, Dict, Optional, Tuple

from pyTD.exceptions import ServerError

MAX_LIFETIME = 10 * 366 * 86400.0  # no token lives longer than ten years; a larger lifetime is an error
_LATEST_ISSUE = 4102444800.0  # 2100-01-01: later issue times are nonsense (and would not print)


class Token:
    """An access or refresh token and its lifetime.

    Parameters
    ----------
    token : str
        The token string, as TD issued it.
    access_time : float
        When it was issued, in epoch seconds.
    expires_in : float
        Its lifetime in seconds.

    Notes
    -----
    ``repr()`` and ``str()`` show the expiry only, never the token itself.
    """

    __slots__ = ("token", "access_time", "expires_in")

    def __init__(self, token: str, access_time: float, expires_in: float) -> None:
        if not isinstance(token, str) or not token or not all("!" <= ch <= "~" for ch in token):
            # A bearer token is printable ASCII without spaces (RFC 6750); anything else could split a header.
            raise ValueError("token must be a non-empty string of printable ASCII characters without spaces")
        self.token = token
        self.access_time = _number(access_time, 0, _LATEST_ISSUE, "access_time")
        self.expires_in = _number(expires_in, 0, MAX_LIFETIME, "expires_in")

    @property
    def expiry(self) -> float:
        """When the token expires, in epoch seconds."""
        return self.access_time + self.expires_in

    @property
    def valid(self) -> bool:
        """True while the token has not expired."""
        return not self.expires_within(0)

    def expires_within(self, seconds: float) -> bool:
        """True if the token expires within ``seconds`` from now (or already has)."""
        return self.expiry - seconds <= time.time()

    def to_dict(self) -> Dict[str, Any]:
        """The token as a JSON-ready dict (this holds the secret)."""
        return {"token": self.token, "access_time": self.access_time, "expires_in": self.expires_in}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Token:
        """Rebuild a token from :meth:`to_dict` output; raises ValueError or KeyError if malformed."""
        return cls(data["token"], data["access_time"], data["expires_in"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Token):
            return NotImplemented
        return (self.token, self.access_time, self.expires_in) == (
            other.token,
            other.access_time,
            other.expires_in,
        )

    def __hash__(self) -> int:
        return hash((self.token, self.access_time, self.expires_in))

    def __repr__(self) -> str:
        expiry = datetime.fromtimestamp(self.expiry, timezone.utc).isoformat(timespec="seconds")
        return f"<Token expires={expiry} valid={self.valid}>"


def _number(value: Any, low: float, high: float, name: str) -> float:
    """``value`` as a finite float within ``[low, high]``, else ValueError (NaN and infinity included)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    try:
        number = float(value)  # ValueError or TypeError for anything but a number
    except OverflowError:
        number = math.inf
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(f"{name} must be between {low:g} and {high:g}")
    return number


TokenPair = Tuple[Token, Optional[Token]]


def parse_token_response(payload: Any, now: Optional[float] = None, *, refresh_issued: Optional[float] = None,
                         refresh_expires_in: Optional[float] = None) -> TokenPair:
    """Read the tokens out of a successful token-endpoint answer.

    Parameters
    ----------
    payload : dict
        The JSON body the token endpoint returned.
    now : float, optional
        The issue time to record (default: the current time).
    refresh_issued : float, optional
        When the refresh token's lifetime started (default ``now``): a
        provider whose refresh tokens are not renewed by refreshing keeps the
        login's time.
    refresh_expires_in : float, optional
        The refresh token's lifetime when the answer does not say
        (``refresh_token_expires_in``).

    Returns
    -------
    tuple of (Token, Token or None)
        The access token, and the refresh token when the answer carries one.
    """
    now = time.time() if now is None else now
    try:
        access = Token(payload["access_token"], now, payload["expires_in"])
        refresh = None
        if payload.get("refresh_token"):
            lifetime = payload.get("refresh_token_expires_in", refresh_expires_in)
            issued = now if refresh_issued is None else refresh_issued
            refresh = Token(payload["refresh_token"], issued, lifetime)
    except (KeyError, TypeError, ValueError, AttributeError):
        # Never echo the payload: it may hold a token.
        raise ServerError("The token endpoint answered without a usable access token (a token or its "
                          "lifetime is missing or malformed)") from None
    return access, refresh
