"""Tokens kept in memory, for this process only."""

from __future__ import annotations

from pyTD.cache.base import TokenCache
from pyTD.cache.format import Tokens


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
        self._tokens: Tokens = (None, None)

    def _load(self) -> Tokens:
        return self._tokens

    def _save(self, tokens: Tokens) -> None:
        self._tokens = tokens
