"""Market data: quotes and more, one function per TD endpoint."""

from pyTD.market.quotes import get_quotes

__all__ = ["get_quotes"]
