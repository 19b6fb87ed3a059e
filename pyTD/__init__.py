"""pyTD: a Python client for TD Ameritrade's developer API.

Start with ``from pyTD.api import api``; the market-data functions are also
available here (``pyTD.get_quotes``) and as methods of ``api``.
"""

import logging

from pyTD.instruments import get_instrument, get_instruments
from pyTD.market import (
    get_fundamentals,
    get_market_hours,
    get_movers,
    get_option_chains,
    get_price_history,
    get_quotes,
)

__version__ = "0.1.0"
__all__ = ["get_fundamentals", "get_instrument", "get_instruments", "get_market_hours", "get_movers",
           "get_option_chains", "get_price_history", "get_quotes"]

# A library installs no handlers of its own; the application decides where logs go.
logging.getLogger("pyTD").addHandler(logging.NullHandler())
