"""Token caches: :class:`MemCache` (memory), :class:`DiskCache` (a private file), :class:`KeyringCache`
(the OS keychain; needs the ``keyring`` extra)."""

from typing import Any

from pyTD.cache.base import TokenCache
from pyTD.cache.disk import DiskCache
from pyTD.cache.memory import MemCache

__all__ = ["DiskCache", "KeyringCache", "MemCache", "TokenCache"]


def __getattr__(name: str) -> Any:
    if name == "KeyringCache":  # imported on first use: most programs never need it
        from pyTD.cache.keychain import KeyringCache

        return KeyringCache
    raise AttributeError(f"module 'pyTD.cache' has no attribute {name!r}")
