"""Instruments: symbol search, CUSIP lookup and fundamentals."""

from pyTD.instruments.instruments import get_fundamentals, get_instrument, get_instruments

__all__ = ["get_fundamentals", "get_instrument", "get_instruments"]
