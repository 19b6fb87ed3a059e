"""Accounts, positions, the user's principals and preferences, and TD's watchlists."""

from pyTD.accounts.accounts import get_account, get_accounts, get_positions
from pyTD.accounts.user import get_user_preferences, get_user_principals
from pyTD.accounts.watchlists import (
    create_watchlist,
    delete_watchlist,
    get_watchlist,
    get_watchlists,
    replace_watchlist,
    update_watchlist,
)

__all__ = ["create_watchlist", "delete_watchlist", "get_account", "get_accounts", "get_positions",
           "get_user_preferences", "get_user_principals", "get_watchlist", "get_watchlists", "replace_watchlist",
           "update_watchlist"]
