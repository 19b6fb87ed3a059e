"""Transactions: an account's trades, dividends, transfers and fees."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union, overload

from pyTD.accounts.numbers import with_account
from pyTD.checks import DateLike, moment, symbol_list
from pyTD.fetch import JSONFormat, PandasFormat, check_output_format, client, send
from pyTD.frames import Table
from pyTD.providers.base import Request

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

log = logging.getLogger("pyTD")

Json = Dict[str, Any]

# One row per transaction, in TD's names on both providers (Schwab's activityId is transactionId, its time
# transactionDate): the security of the trade (Schwab: the first transfer item that is not cash), and fees as
# one total. Schwab's transferItems are kept as sent.
TRANSACTIONS = Table(
    "transactions",
    {
        "transactionId": "int", "accountId": "str", "type": "str", "description": "str", "transactionDate": "time",
        "settlementDate": "day", "orderId": "str", "netAmount": "float", "symbol": "str", "assetType": "str",
        "cusip": "str", "amount": "float", "price": "float", "cost": "float", "positionEffect": "str",
        "fees": "float",
    },
    optional={
        # TD
        "transactionSubType": "str", "subAccount": "str", "orderDate": "time", "clearingReferenceNumber": "str",
        "cashBalanceEffectFlag": "bool", "achStatus": "str", "accruedInterest": "float", "sma": "float",
        "requirementReallocationAmount": "float", "dayTradeBuyingPowerEffect": "float", "instruction": "str",
        "parentOrderKey": "int", "parentChildIndicator": "str", "underlyingSymbol": "str",
        "optionExpirationDate": "time", "optionStrikePrice": "float", "putCall": "str", "bondMaturityDate": "time",
        "bondInterestRate": "float",
        # Schwab
        "tradeDate": "day", "status": "str", "activityType": "str", "positionId": "int", "transferItems": "obj",
        "user": "obj", "instrumentId": "int", "closingPrice": "float",
    },
)


@overload
def get_transactions(account_id: Union[str, int], *, types: Union[str, Iterable[str], None] = ...,
                     symbol: Optional[str] = ..., start_date: Optional[DateLike] = ...,
                     end_date: Optional[DateLike] = ..., api: Optional[Client] = ...,
                     output_format: JSONFormat = ...) -> List[Json]: ...
@overload
def get_transactions(account_id: Union[str, int], *, types: Union[str, Iterable[str], None] = ...,
                     symbol: Optional[str] = ..., start_date: Optional[DateLike] = ...,
                     end_date: Optional[DateLike] = ..., api: Optional[Client] = ...,
                     output_format: PandasFormat) -> pd.DataFrame: ...
def get_transactions(account_id: Union[str, int], *, types: Union[str, Iterable[str], None] = None,
                     symbol: Optional[str] = None, start_date: Optional[DateLike] = None,
                     end_date: Optional[DateLike] = None, api: Optional[Client] = None,
                     output_format: str = "json") -> Union[List[Json], pd.DataFrame]:
    """An account's transactions.

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    types : str or iterable of str, optional
        Which kinds. TD takes one of ``ALL``, ``TRADE``, ``BUY_ONLY``,
        ``SELL_ONLY``, ``CASH_IN_OR_CASH_OUT``, ``CHECKING``, ``DIVIDEND``,
        ``INTEREST``, ``OTHER``, ``ADVISORY_FEES``; Schwab any of ``TRADE``,
        ``RECEIVE_AND_DELIVER``, ``DIVIDEND_OR_INTEREST``, ``ACH_RECEIPT``, ...
        (default: all of them, as Schwab needs the parameter).
    symbol : str, optional
        Only transactions in this symbol.
    start_date, end_date : datetime, date, ISO string or epoch ms, optional
        A day alone is read in the api's time zone, and ``end_date`` then
        includes that whole day; at most a year apart. TD: both optional.
        Schwab needs both: pyTD sends the last 60 days when none is given.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON: the provider's list, as sent (TD's and Schwab's shapes differ).
        pandas: one row per transaction with the same columns on both
        providers: ``transactionId``, ``type``, ``description``,
        ``transactionDate``, ``settlementDate``, ``orderId``, ``netAmount``,
        and the trade's ``symbol``, ``assetType``, ``amount`` (the
        quantity), ``price``, ``cost`` and ``fees`` (their total).

    Notes
    -----
    Schwab answers at most 3000 transactions per request; when an answer is
    that long, a WARNING says to ask for a shorter time span.
    """
    check_output_format(output_format)
    kinds = None if types is None else symbol_list(types)
    wanted = None if symbol is None else symbol_list(symbol)[0]
    td = client(api)
    start = moment(start_date, "start_date", td.tz)
    end = moment(end_date, "end_date", td.tz, end=True)
    query = td.profile.transactions_query(kinds, wanted, start, end, td.tz)
    found: List[Json] = with_account(td, account_id, lambda key: send(td, Request(td.profile.transactions_path(key),
                                                                                   query)))
    cap = td.profile.transactions_cap
    if cap is not None and isinstance(found, list) and len(found) >= cap:
        log.warning("%s answered with %d transactions, the most it sends at once: older ones in the span may be "
                    "missing; ask for a shorter span (start_date, end_date)", td.profile.title, len(found))
    return found if output_format == "json" else transactions_frame(found, td)


@overload
def get_transaction(account_id: Union[str, int], transaction_id: int, *, api: Optional[Client] = ...,
                    output_format: JSONFormat = ...) -> Any: ...
@overload
def get_transaction(account_id: Union[str, int], transaction_id: int, *, api: Optional[Client] = ...,
                    output_format: PandasFormat) -> pd.DataFrame: ...
def get_transaction(account_id: Union[str, int], transaction_id: int, *, api: Optional[Client] = None,
                    output_format: str = "json") -> Any:
    """One transaction.

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    transaction_id : int
        The transaction's id (Schwab's ``activityId``).
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON as the provider sent it (TD: an object; Schwab: as its spec says,
        a list holding it, though an object is read as well), or a one-row
        DataFrame as :func:`get_transactions` makes.

    Raises
    ------
    ResourceNotFound
        If there is no such transaction.
    """
    check_output_format(output_format)
    if isinstance(transaction_id, bool) or not str(transaction_id).strip().isdigit():
        raise ValueError(f"transaction_id must be a whole number, got {transaction_id!r}")
    td = client(api)
    found = with_account(td, account_id,
                         lambda key: send(td, Request(td.profile.transactions_path(key, int(transaction_id)))))
    return found if output_format == "json" else transactions_frame(found, td)


def transactions_frame(found: Any, td: Client) -> pd.DataFrame:
    """One row per transaction."""
    return TRANSACTIONS.frame_columns(td.profile.transaction_columns(found), td.tz,
                                      td.profile.tables.get(TRANSACTIONS.name))
