"""Accounts and positions: balances, holdings, one account or all linked accounts."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union, overload

from pyTD.accounts.numbers import with_account
from pyTD.exceptions import TDError
from pyTD.fetch import JSONFormat, PandasFormat, check_output_format, client, send, to_frame
from pyTD.frames import Kinds, Table
from pyTD.transport import parse_response

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

log = logging.getLogger("pyTD")

Account = Dict[str, Any]

# One row per account; each balance block follows as "<block>.<name>" columns (currentBalances.cashBalance, ...).
ACCOUNTS = Table("accounts", {"accountId": "str", "type": "str", "roundTrips": "int", "isDayTrader": "bool",
                  "isClosingOnlyRestricted": "bool"},
                 optional={"pfcbFlag": "bool"})
# One row per position: the account, the instrument, the quantities and prices.
POSITIONS = Table(
    "positions",
    {
        "accountId": "str", "symbol": "str", "assetType": "str", "cusip": "str", "description": "str",
        "longQuantity": "float", "shortQuantity": "float", "averagePrice": "float", "marketValue": "float",
        "currentDayProfitLoss": "float", "currentDayProfitLossPercentage": "float", "settledLongQuantity": "float",
        "settledShortQuantity": "float", "agedQuantity": "float",
    },
    optional={
        "maintenanceRequirement": "float", "currentDayCost": "float", "previousSessionLongQuantity": "float",
        "previousSessionShortQuantity": "float", "averageLongPrice": "float", "averageShortPrice": "float",
        "taxLotAverageLongPrice": "float", "taxLotAverageShortPrice": "float", "longOpenProfitLoss": "float",
        "shortOpenProfitLoss": "float", "instrumentId": "int", "netChange": "float", "type": "str",
        "putCall": "str", "underlyingSymbol": "str", "optionMultiplier": "float", "optionDeliverables": "obj",
        "maturityDate": "day", "variableRate": "float", "factor": "float",
    },
)


@overload
def get_accounts(positions: bool = ..., *, api: Optional[Client] = ...,
                 output_format: JSONFormat = ...) -> List[Account]: ...
@overload
def get_accounts(positions: bool = ..., *, api: Optional[Client] = ...,
                 output_format: PandasFormat) -> pd.DataFrame: ...
def get_accounts(positions: bool = False, *, api: Optional[Client] = None,
                 output_format: str = "json") -> Union[List[Account], pd.DataFrame]:
    """Every account this login can use, with balances (and positions if asked).

    Parameters
    ----------
    positions : bool
        Include each account's positions.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON: the provider's list of ``{"securitiesAccount": {...}}`` as sent
        (Schwab adds ``aggregatedBalance``). pandas: one row per account:
        ``accountId``, ``type``, ``roundTrips``, ``isDayTrader``, ... and every
        balance as a number in a ``<block>.<name>`` column
        (``currentBalances.cashBalance``, ``initialBalances.equity``, ...).

    Notes
    -----
    When TD answers 207 (it could not read some linked accounts), the accounts
    it could read are returned and one WARNING names the others.
    """
    check_output_format(output_format)
    td = client(api)
    accounts = _all_accounts(td, positions)
    return accounts if output_format == "json" else accounts_frame(accounts, td)


@overload
def get_account(account_id: Union[str, int], positions: bool = ..., *, api: Optional[Client] = ...,
                output_format: JSONFormat = ...) -> Account: ...
@overload
def get_account(account_id: Union[str, int], positions: bool = ..., *, api: Optional[Client] = ...,
                output_format: PandasFormat) -> pd.DataFrame: ...
def get_account(account_id: Union[str, int], positions: bool = False, *, api: Optional[Client] = None,
                output_format: str = "json") -> Union[Account, pd.DataFrame]:
    """One account, with balances (and positions if asked).

    Parameters
    ----------
    account_id : str or int
        The plain account number (on Schwab too: pyTD maps it to Schwab's hash).
    positions : bool
        Include the account's positions.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON: ``{"securitiesAccount": {...}}`` as sent; pandas: a one-row
        DataFrame as :func:`get_accounts` makes.

    Raises
    ------
    ResourceNotFound
        If the login has no such account.
    """
    check_output_format(output_format)
    td = client(api)
    account: Account = with_account(td, account_id,
                                    lambda key: send(td, td.profile.accounts_request(key, positions)))
    return account if output_format == "json" else accounts_frame([account], td)


@overload
def get_positions(account_id: Union[str, int, None] = ..., *, api: Optional[Client] = ...,
                  output_format: JSONFormat = ...) -> Dict[str, List[Dict[str, Any]]]: ...
@overload
def get_positions(account_id: Union[str, int, None] = ..., *, api: Optional[Client] = ...,
                  output_format: PandasFormat) -> pd.DataFrame: ...
def get_positions(account_id: Union[str, int, None] = None, *, api: Optional[Client] = None,
                  output_format: str = "json") -> Union[Dict[str, List[Dict[str, Any]]], pd.DataFrame]:
    """The positions of one account, or of every account.

    Parameters
    ----------
    account_id : str or int, optional
        The plain account number; None (the default) for all accounts.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON: ``{account number: [position, ...]}``, each position as the
        provider sent it. pandas: one row per position with ``accountId``,
        ``symbol``, ``assetType``, ``cusip``, ``description``, the quantities
        (``longQuantity``, ``shortQuantity``, ...), ``averagePrice``,
        ``marketValue`` and the day's profit or loss, as numbers.
    """
    check_output_format(output_format)
    td = client(api)
    if account_id is None:
        accounts = _all_accounts(td, True)
    else:
        accounts = [with_account(td, account_id, lambda key: send(td, td.profile.accounts_request(key, True)))]
    if output_format == "pandas":
        return to_frame(POSITIONS, [row for a in accounts for row in td.profile.position_rows(a)], td)
    return {td.profile.account_id(a): list((a.get("securitiesAccount") or {}).get("positions") or [])
            for a in accounts}


def accounts_frame(accounts: List[Account], td: Client) -> pd.DataFrame:
    """One row per account."""
    rows = [td.profile.account_row(account) for account in accounts]
    return ACCOUNTS.frame(rows, td.tz, ({}, balance_kinds(rows)))


def balance_kinds(rows: List[Dict[str, Any]]) -> Kinds:
    """Balance columns are numbers, except the flags (``isInCall``, sent as true/false)."""
    kinds: Dict[str, str] = {}
    for row in rows:
        for name, value in row.items():
            if "." in name and kinds.get(name) != "float":
                kinds[name] = "bool" if isinstance(value, bool) else "float"
    return kinds


def _all_accounts(td: Client, positions: bool) -> List[Account]:
    """Every linked account; after a partial answer (TD's 207), the ones that worked, and a WARNING naming the rest."""
    request = td.profile.accounts_request(None, positions)
    response = td.send("GET", request.path, params=request.params)
    answer = parse_response(response)
    accounts = [item for item in answer or [] if isinstance(item, dict) and item.get("securitiesAccount")]
    if td.profile.partial_accounts(response.status_code):
        log.warning("%s could not read %s; the other accounts' data is returned (do not add up balances and "
                    "positions across accounts now)", td.profile.title, _missing(td, accounts))
    return accounts


def _missing(td: Client, accounts: List[Account]) -> str:
    """The linked accounts a partial answer left out, by number when the provider can list them."""
    got = {td.profile.account_id(a) for a in accounts}
    linked = td.profile.linked_accounts_request()
    try:
        names = [n for n in td.profile.linked_accounts(send(td, linked)) if n not in got] if linked else []
    except TDError as exc:  # naming them is a courtesy; the accounts that worked still count
        log.debug("Could not list the linked accounts: %s", exc)
        names = []
    if not names:
        return "one or more linked accounts"
    return f"account{'s' if len(names) > 1 else ''} {', '.join(names)}"
