"""Market data, one function per endpoint; each returns JSON or a pandas DataFrame."""

from pyTD.instruments.instruments import get_fundamentals
from pyTD.market.history import get_price_history
from pyTD.market.hours import get_market_hours
from pyTD.market.movers import get_movers
from pyTD.market.options import get_option_chains, get_option_expirations
from pyTD.market.quotes import get_quotes

__all__ = ["get_fundamentals", "get_market_hours", "get_movers", "get_option_chains", "get_option_expirations",
           "get_price_history", "get_quotes"]
