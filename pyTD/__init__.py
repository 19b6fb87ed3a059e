"""pyTD: a Python client for TD Ameritrade's developer API and Charles Schwab's Trader API.

Start with ``from pyTD.api import api``; the market-data and trading functions are
also available here (``pyTD.get_quotes``, ``pyTD.place_order``) and as methods of ``api``.
"""

import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Where each re-exported function lives; imported on first use, so ``import pyTD`` stays quick.
FUNCTIONS = {
    "get_quotes": "pyTD.market",
    "get_price_history": "pyTD.market",
    "get_movers": "pyTD.market",
    "get_market_hours": "pyTD.market",
    "get_option_chains": "pyTD.market",
    "get_option_expirations": "pyTD.market",
    "get_fundamentals": "pyTD.market",
    "get_instruments": "pyTD.instruments",
    "get_instrument": "pyTD.instruments",
    "get_accounts": "pyTD.accounts",
    "get_account": "pyTD.accounts",
    "get_positions": "pyTD.accounts",
    "get_user_principals": "pyTD.accounts",
    "get_user_preferences": "pyTD.accounts",
    "get_watchlists": "pyTD.accounts",
    "get_watchlist": "pyTD.accounts",
    "create_watchlist": "pyTD.accounts",
    "replace_watchlist": "pyTD.accounts",
    "update_watchlist": "pyTD.accounts",
    "delete_watchlist": "pyTD.accounts",
    "place_order": "pyTD.orders",
    "get_order": "pyTD.orders",
    "get_orders": "pyTD.orders",
    "cancel_order": "pyTD.orders",
    "replace_order": "pyTD.orders",
    "preview_order": "pyTD.orders",
    "get_transactions": "pyTD.transactions",
    "get_transaction": "pyTD.transactions",
}
__all__ = sorted(FUNCTIONS)

if TYPE_CHECKING:  # what type checkers see (``as``: re-exported); at run time __getattr__ imports on first use
    from pyTD.accounts import create_watchlist as create_watchlist
    from pyTD.accounts import delete_watchlist as delete_watchlist
    from pyTD.accounts import get_account as get_account
    from pyTD.accounts import get_accounts as get_accounts
    from pyTD.accounts import get_positions as get_positions
    from pyTD.accounts import get_user_preferences as get_user_preferences
    from pyTD.accounts import get_user_principals as get_user_principals
    from pyTD.accounts import get_watchlist as get_watchlist
    from pyTD.accounts import get_watchlists as get_watchlists
    from pyTD.accounts import replace_watchlist as replace_watchlist
    from pyTD.accounts import update_watchlist as update_watchlist
    from pyTD.instruments import get_instrument as get_instrument
    from pyTD.instruments import get_instruments as get_instruments
    from pyTD.market import get_fundamentals as get_fundamentals
    from pyTD.market import get_market_hours as get_market_hours
    from pyTD.market import get_movers as get_movers
    from pyTD.market import get_option_chains as get_option_chains
    from pyTD.market import get_option_expirations as get_option_expirations
    from pyTD.market import get_price_history as get_price_history
    from pyTD.market import get_quotes as get_quotes
    from pyTD.orders import cancel_order as cancel_order
    from pyTD.orders import get_order as get_order
    from pyTD.orders import get_orders as get_orders
    from pyTD.orders import place_order as place_order
    from pyTD.orders import preview_order as preview_order
    from pyTD.orders import replace_order as replace_order
    from pyTD.transactions import get_transaction as get_transaction
    from pyTD.transactions import get_transactions as get_transactions

# A library installs no handlers of its own; the application decides where logs go.
logging.getLogger("pyTD").addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    if name in FUNCTIONS:
        import importlib

        return getattr(importlib.import_module(FUNCTIONS[name]), name)
    raise AttributeError(f"module 'pyTD' has no attribute {name!r}")
