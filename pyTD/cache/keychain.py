"""Tokens kept in the operating system's keychain through the ``keyring`` package (extra ``keyring``)."""

from __future__ import annotations

import logging
from typing import Any, Optional

from pyTD.cache.base import TokenCache
from pyTD.cache.format import Tokens, aside_name, encode
from pyTD.exceptions import CacheError

log = logging.getLogger("pyTD")

SERVICE = "pyTD"


class KeyringCache(TokenCache):
    """Keep tokens in the OS keychain (macOS Keychain, Windows Credential Locker, Secret Service).

    Both tokens are stored as one keychain entry in pyTD's versioned JSON
    format, so an update never leaves one token without the other.

    Parameters
    ----------
    name : str, optional
        The entry's user name under the service. Default: the name
        :class:`pyTD.api.api` gives its app's tokens (one per provider and
        key, as the token file's), or ``"tokens"`` used alone.
    service : str
        The keychain service name.
    backend : keyring backend, optional
        A specific backend; default: the one :mod:`keyring` selects.

    Raises
    ------
    ImportError
        If :mod:`keyring` is not installed (``pip install 'pytd-client[keyring]'``).

    Notes
    -----
    The lock serialises refreshes between the threads of one process only;
    processes that share a keychain entry may each refresh once.
    """

    def __init__(self, name: Optional[str] = None, service: str = SERVICE, *, backend: Any = None) -> None:
        super().__init__()
        if backend is None:
            try:
                import keyring
            except ImportError:
                raise ImportError("KeyringCache needs keyring: pip install 'pytd-client[keyring]'") from None
            backend = keyring.get_keyring()
        self._name = name
        self.service = service
        self.backend = backend

    @property
    def name(self) -> str:
        """The keychain entry's user name in use."""
        return self._name or "tokens"

    def name_after(self, app: str) -> None:
        """Unless a name was given, use ``app``, the name :class:`pyTD.api.api` gives its app's tokens."""
        if self._name is None:
            self._name = app

    def clear(self) -> None:
        """Forget both tokens (the keychain entry is deleted)."""
        with self.lock():
            if self._call("get_password", self.name) is not None:
                self._call("delete_password", self.name)

    def _save(self, tokens: Tokens) -> None:
        self._call("set_password", self.name, encode(tokens).decode("utf-8"))

    def _load(self) -> Tokens:
        def read() -> Optional[bytes]:
            stored = self._call("get_password", self.name)
            return stored.encode("utf-8") if stored else None

        return self._decoded(read, f"keychain entry {self.service}/{self.name}")

    def _quarantine(self) -> Tokens:
        """Keep an undecodable entry under another name rather than overwrite it, and read as empty."""
        stored = self._call("get_password", self.name)
        if stored is None:  # deleted meanwhile by another process
            return (None, None)
        aside = aside_name(self.name, lambda name: self._call("get_password", name) is not None)
        self._call("set_password", aside, stored)
        self._call("delete_password", self.name)
        log.warning("The keychain entry %s/%s could not be decoded; it was moved to %s/%s. "
                    "Log in again (python -m pyTD login).", self.service, self.name, self.service, aside)
        return (None, None)

    def _call(self, method: str, name: str, *args: str) -> Any:
        try:
            return getattr(self.backend, method)(self.service, name, *args)
        except Exception as exc:  # keyring raises its own KeyringError family, and backends more
            raise CacheError(f"The keychain ({type(self.backend).__name__}) failed: {type(exc).__name__}") from None

    def __repr__(self) -> str:
        return f"KeyringCache(service={self.service!r}, name={self.name!r})"
