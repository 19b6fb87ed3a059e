"""What every token cache offers: two tokens, ``clear()`` and a lock."""

from __future__ import annotations

import threading
from typing import Callable, ContextManager, Optional

from pyTD.cache.format import Corrupt, Tokens, parse
from pyTD.tokens import Token


def check_token(value: object) -> Optional[Token]:
    """Accept a :class:`~pyTD.tokens.Token` or None; anything else is a TypeError."""
    if value is not None and not isinstance(value, Token):
        raise TypeError(f"expected a Token or None, got {type(value).__name__}")
    return value


class TokenCache:
    """Base class of the token caches.

    Any object with ``access_token`` and ``refresh_token`` attributes and a
    ``clear()`` method can serve as a cache; subclasses of this class also
    offer :meth:`lock`, which pyTD holds while it refreshes tokens, so that
    threads sharing a cache refresh once, not once each.

    A subclass stores both tokens together: it implements ``_load()`` and
    ``_save(tokens)`` for the pair ``(access, refresh)``.
    """

    def __init__(self) -> None:
        self._thread_lock = threading.RLock()

    @property
    def access_token(self) -> Optional[Token]:
        """The access token, or None."""
        return self._load()[0]

    @access_token.setter
    def access_token(self, value: Optional[Token]) -> None:
        self._update(0, check_token(value))

    @property
    def refresh_token(self) -> Optional[Token]:
        """The refresh token, or None."""
        return self._load()[1]

    @refresh_token.setter
    def refresh_token(self, value: Optional[Token]) -> None:
        self._update(1, check_token(value))

    def clear(self) -> None:
        """Forget both tokens."""
        with self.lock():
            self._save((None, None))

    def lock(self) -> ContextManager[object]:
        """Return a re-entrant lock that serialises token refreshes."""
        return self._thread_lock

    def _update(self, index: int, value: Optional[Token]) -> None:
        # Read-modify-write of the pair under the lock: the other token is never lost.
        with self.lock():
            tokens = list(self._load())
            tokens[index] = value
            self._save((tokens[0], tokens[1]))

    def _decoded(self, read: Callable[[], Optional[bytes]], where: str) -> Tokens:
        """Decode what ``read()`` returns. Undecodable data is read again under the lock (another process
        may have just replaced it) and, if still undecodable, set aside by ``_quarantine()``."""
        try:
            return parse(read(), where)
        except Corrupt:
            pass
        with self.lock():
            try:
                return parse(read(), where)
            except Corrupt:
                return self._quarantine()

    def _quarantine(self) -> Tokens:
        """Set undecodable stored data aside (never overwrite it), warn, and return no tokens."""
        raise NotImplementedError

    def _load(self) -> Tokens:
        raise NotImplementedError

    def _save(self, tokens: Tokens) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(access_token={self._state(self.access_token)}, " \
            f"refresh_token={self._state(self.refresh_token)})"

    @staticmethod
    def _state(token: Optional[Token]) -> str:
        # Say whether a token is there, never what it is.
        if token is None:
            return "None"
        return "valid" if token.valid else "expired"
