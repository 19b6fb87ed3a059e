"""Token caches: :class:`MemCache` (memory), :class:`DiskCache` (a private file), :class:`KeyringCache`
(the OS keychain; needs the ``keyring`` extra)."""

from pyTD.cache.base import TokenCache
from pyTD.cache.disk import DiskCache
from pyTD.cache.keychain import KeyringCache
from pyTD.cache.memory import MemCache

__all__ = ["DiskCache", "KeyringCache", "MemCache", "TokenCache"]
