"""TD's watchlists: named lists of symbols kept with an account (Schwab has none)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Union, overload

from pyTD.accounts.numbers import with_account
from pyTD.checks import symbol_list
from pyTD.fetch import JSONFormat, PandasFormat, check_output_format, client, send, to_frame
from pyTD.frames import Table
from pyTD.providers.base import Request
from pyTD.transport import parse_response

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

Json = Dict[str, Any]
Items = Union[str, Iterable[Union[str, Mapping[str, Any]]]]

# One row per item of each watchlist.
WATCHLISTS = Table("watchlists",
                   {"accountId": "str", "watchlistId": "str", "name": "str", "sequenceId": "int", "symbol": "str",
                    "assetType": "str", "description": "str", "quantity": "float", "averagePrice": "float",
                    "commission": "float", "purchasedDate": "day", "status": "str"})


@overload
def get_watchlists(account_id: Union[str, int, None] = ..., *, api: Optional[Client] = ...,
                   output_format: JSONFormat = ...) -> List[Json]: ...
@overload
def get_watchlists(account_id: Union[str, int, None] = ..., *, api: Optional[Client] = ...,
                   output_format: PandasFormat) -> pd.DataFrame: ...
def get_watchlists(account_id: Union[str, int, None] = None, *, api: Optional[Client] = None,
                   output_format: str = "json") -> Union[List[Json], pd.DataFrame]:
    """TD: the watchlists of one account, or of every account.

    Parameters
    ----------
    account_id : str or int, optional
        The plain account number; None (the default) for all accounts.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        TD's list as sent, or one row per item: ``accountId``,
        ``watchlistId``, ``name``, ``sequenceId``, ``symbol``, ``assetType``, ...

    Raises
    ------
    UnsupportedError
        On Schwab, which has no watchlists.
    """
    check_output_format(output_format)
    td = _watchlist_client(api)
    if account_id is None:
        found: List[Json] = send(td, Request(td.profile.watchlists_path(None)))
    else:
        found = with_account(td, account_id, lambda key: send(td, Request(td.profile.watchlists_path(key))))
    return found if output_format == "json" else watchlists_frame(found, td)


@overload
def get_watchlist(account_id: Union[str, int], watchlist_id: str, *, api: Optional[Client] = ...,
                  output_format: JSONFormat = ...) -> Json: ...
@overload
def get_watchlist(account_id: Union[str, int], watchlist_id: str, *, api: Optional[Client] = ...,
                  output_format: PandasFormat) -> pd.DataFrame: ...
def get_watchlist(account_id: Union[str, int], watchlist_id: str, *, api: Optional[Client] = None,
                  output_format: str = "json") -> Union[Json, pd.DataFrame]:
    """TD: one watchlist.

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    watchlist_id : str
        The watchlist's id (as :func:`create_watchlist` returns it).
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        As :func:`get_watchlists`.

    Raises
    ------
    ResourceNotFound
        If there is no such watchlist.
    UnsupportedError
        On Schwab.
    """
    check_output_format(output_format)
    td = _watchlist_client(api)
    wanted = _watchlist_id(watchlist_id)
    found: Json = with_account(td, account_id,
                               lambda key: send(td, Request(td.profile.watchlists_path(key, wanted))))
    return found if output_format == "json" else watchlists_frame([found], td)


def create_watchlist(account_id: Union[str, int], name: str, symbols: Items, *,
                     api: Optional[Client] = None) -> Optional[str]:
    """TD: create a watchlist; return its id (None if TD did not name it).

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    name : str
        The watchlist's name.
    symbols : str or iterable
        Its symbols (stocks), or items in TD's shape (``{"instrument":
        {"symbol": ..., "assetType": ...}, "quantity": ...}``).
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    """
    td = _watchlist_client(api)
    body = {"name": _name(name), "watchlistItems": _items(symbols)}

    def create(key: str) -> Optional[str]:
        response = _write(td, "POST", td.profile.watchlists_path(key), body)
        return td.profile.watchlist_id(response.headers.get("Location", ""))

    created: Optional[str] = with_account(td, account_id, create)
    return created


def replace_watchlist(account_id: Union[str, int], watchlist_id: str, name: str, symbols: Items, *,
                      api: Optional[Client] = None) -> None:
    """TD: replace a watchlist's name and all its items.

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    watchlist_id : str
        The watchlist's id.
    name : str
        Its (new) name.
    symbols : str or iterable
        All its items, as for :func:`create_watchlist`.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    """
    td = _watchlist_client(api)
    wanted = _watchlist_id(watchlist_id)
    body = {"name": _name(name), "watchlistId": wanted, "watchlistItems": _items(symbols)}
    with_account(td, account_id, lambda key: _write(td, "PUT", td.profile.watchlists_path(key, wanted), body))


def update_watchlist(account_id: Union[str, int], watchlist_id: str, *, name: Optional[str] = None,
                     symbols: Optional[Items] = None, api: Optional[Client] = None) -> None:
    """TD: rename a watchlist and/or add items to it (TD's PATCH).

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    watchlist_id : str
        The watchlist's id.
    name : str, optional
        A new name.
    symbols : str or iterable, optional
        Items to add (or, with a ``sequenceId``, to change), as for
        :func:`create_watchlist`.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    """
    if name is None and symbols is None:
        raise ValueError("give a new name, symbols to add, or both")
    td = _watchlist_client(api)
    wanted = _watchlist_id(watchlist_id)
    body: Json = {"watchlistId": wanted}
    if name is not None:
        body["name"] = _name(name)
    if symbols is not None:
        body["watchlistItems"] = _items(symbols)
    with_account(td, account_id, lambda key: _write(td, "PATCH", td.profile.watchlists_path(key, wanted), body))


def delete_watchlist(account_id: Union[str, int], watchlist_id: str, *, api: Optional[Client] = None) -> None:
    """TD: delete a watchlist.

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    watchlist_id : str
        The watchlist's id.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    """
    td = _watchlist_client(api)
    wanted = _watchlist_id(watchlist_id)
    with_account(td, account_id, lambda key: _write(td, "DELETE", td.profile.watchlists_path(key, wanted)))


def watchlists_frame(watchlists: List[Json], td: Client) -> pd.DataFrame:
    """One row per item of each watchlist."""
    rows = []
    for watchlist in watchlists:
        head = {key: watchlist.get(key) for key in ("accountId", "watchlistId", "name")}
        for item in watchlist.get("watchlistItems") or []:
            rows.append({**head, **{k: v for k, v in item.items() if k != "instrument"},
                         **(item.get("instrument") or {})})
    return to_frame(WATCHLISTS, rows, td)


def _watchlist_client(api: Optional[Client]) -> Client:
    td = client(api)
    td.profile.watchlists_path(None)  # UnsupportedError where the provider has no watchlists, before any request
    return td


def _write(td: Client, method: str, path: str, body: Optional[Json] = None) -> Any:
    response = td.send(method, path, json=body)
    parse_response(response)  # a typed error for a refusal; 201 and 204 have no body to read
    return response


def _watchlist_id(watchlist_id: Any) -> str:
    text = str(watchlist_id).strip() if isinstance(watchlist_id, (str, int)) and not isinstance(watchlist_id,
                                                                                                 bool) else ""
    if not text:
        raise ValueError(f"watchlist_id must be a watchlist's id, got {watchlist_id!r}")
    return text


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    return name.strip()


def _items(symbols: Items) -> List[Json]:
    given = [symbols] if isinstance(symbols, str) else list(symbols)
    items: List[Json] = []
    for item in given:
        if isinstance(item, Mapping):
            items.append(dict(item))
        else:
            items += [{"instrument": {"symbol": s, "assetType": "EQUITY"}} for s in symbol_list(item)]
    if not items:
        raise ValueError("no symbols given")
    return items
