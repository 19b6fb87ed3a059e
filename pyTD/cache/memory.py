"""Tokens kept in memory, for this process only."""

from __future__ import annotations

from typing import Optional

from pyTD.auth.tokens import Token
from pyTD.cache.base import TokenCache, check_token


class MemCache(TokenCache):
    """Keep tokens in memory: nothing is written to disk, and they are gone when the process ends.

    Examples
    --------
    >>> from pyTD.api import api
    >>> from pyTD.cache import MemCache
    >>> a = api(cache=MemCache())  # doctest: +SKIP
    """

    def __init__(self) -> None:
        super().__init__()
        self._access: Optional[Token] = None
        self._refresh: Optional[Token] = None

    @property
    def access_token(self) -> Optional[Token]:
        """The access token, or None."""
        return self._access

    @access_token.setter
    def access_token(self, value: Optional[Token]) -> None:
        self._access = check_token(value)

    @property
    def refresh_token(self) -> Optional[Token]:
        """The refresh token, or None."""
        return self._refresh

    @refresh_token.setter
    def refresh_token(self, value: Optional[Token]) -> None:
        self._refresh = check_token(value)

    def clear(self) -> None:
        """Forget both tokens."""
        self._access = self._refresh = None
