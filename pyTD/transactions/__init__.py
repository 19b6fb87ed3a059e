"""Transactions: an account's trades, dividends, transfers and fees."""

from pyTD.transactions.transactions import get_transaction, get_transactions

__all__ = ["get_transaction", "get_transactions"]
