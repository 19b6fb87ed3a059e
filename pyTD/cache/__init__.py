"""Token caches: :class:`MemCache` (memory) and :class:`DiskCache` (a private file)."""

from pyTD.cache.base import TokenCache
from pyTD.cache.disk import DiskCache
from pyTD.cache.memory import MemCache

__all__ = ["DiskCache", "MemCache", "TokenCache"]
