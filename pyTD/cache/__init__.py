"""Token caches: :class:`MemCache` (memory), :class:`DiskCache` (a private file), :class:`KeyringCache`
(the OS keychain; needs the ``keyring`` extra), :class:`RedisCache` (Redis, shared by many hosts; needs
the ``redis`` extra)."""

from typing import Any

from pyTD.cache.base import TokenCache
from pyTD.cache.disk import DiskCache
from pyTD.cache.memory import MemCache

__all__ = ["DiskCache", "KeyringCache", "MemCache", "RedisCache", "TokenCache"]


def __getattr__(name: str) -> Any:
    # Imported on first use: most programs never need them
    if name == "KeyringCache":
        from pyTD.cache.keychain import KeyringCache

        return KeyringCache
    if name == "RedisCache":
        from pyTD.cache.rediscache import RedisCache

        return RedisCache
    raise AttributeError(f"module 'pyTD.cache' has no attribute {name!r}")
