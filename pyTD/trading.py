"""The trading functions (accounts, orders, transactions, user info, watchlists) as methods of :class:`pyTD.api.api`.

Each method is the module function with the client as ``self``: the same parameters (without ``api=``), the
same docstring, and overloads so that a type checker knows ``output_format="pandas"`` returns a DataFrame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union, overload

from pyTD.accounts import accounts, user, watchlists
from pyTD.checks import DateLike
from pyTD.client import Client
from pyTD.fetch import JSONFormat, PandasFormat, delegate, method_doc
from pyTD.orders import orders
from pyTD.orders.orders import OrderLike
from pyTD.transactions import transactions

if TYPE_CHECKING:
    import pandas as pd

Json = Dict[str, Any]
AccountId = Union[str, int]


class Trading(Client):
    """The trading methods of :class:`pyTD.api.api`."""

    # -- accounts -------------------------------------------------------------------------------------

    @overload
    def get_accounts(self, positions: bool = ..., *, output_format: JSONFormat = ...) -> List[Json]: ...
    @overload
    def get_accounts(self, positions: bool = ..., *, output_format: PandasFormat) -> pd.DataFrame: ...
    def get_accounts(self, positions: bool = False, *, output_format: str = "json") -> Any:
        return delegate(accounts.get_accounts, self, positions, output_format=output_format)
    get_accounts.__doc__ = method_doc(accounts.get_accounts)

    @overload
    def get_account(self, account_id: AccountId, positions: bool = ..., *,
                    output_format: JSONFormat = ...) -> Json: ...
    @overload
    def get_account(self, account_id: AccountId, positions: bool = ..., *,
                    output_format: PandasFormat) -> pd.DataFrame: ...
    def get_account(self, account_id: AccountId, positions: bool = False, *, output_format: str = "json") -> Any:
        return delegate(accounts.get_account, self, account_id, positions, output_format=output_format)
    get_account.__doc__ = method_doc(accounts.get_account)

    @overload
    def get_positions(self, account_id: Optional[AccountId] = ..., *,
                      output_format: JSONFormat = ...) -> Dict[str, List[Json]]: ...
    @overload
    def get_positions(self, account_id: Optional[AccountId] = ..., *,
                      output_format: PandasFormat) -> pd.DataFrame: ...
    def get_positions(self, account_id: Optional[AccountId] = None, *, output_format: str = "json") -> Any:
        return delegate(accounts.get_positions, self, account_id, output_format=output_format)
    get_positions.__doc__ = method_doc(accounts.get_positions)

    # -- orders ---------------------------------------------------------------------------------------

    def place_order(self, account_id: AccountId, order: OrderLike) -> int:
        return delegate(orders.place_order, self, account_id, order)  # type: ignore[no-any-return]
    place_order.__doc__ = method_doc(orders.place_order)

    def replace_order(self, account_id: AccountId, order_id: int, order: OrderLike) -> int:
        return delegate(orders.replace_order, self, account_id, order_id, order)  # type: ignore[no-any-return]
    replace_order.__doc__ = method_doc(orders.replace_order)

    def cancel_order(self, account_id: AccountId, order_id: int) -> None:
        delegate(orders.cancel_order, self, account_id, order_id)
    cancel_order.__doc__ = method_doc(orders.cancel_order)

    def preview_order(self, account_id: AccountId, order: OrderLike) -> Json:
        return delegate(orders.preview_order, self, account_id, order)  # type: ignore[no-any-return]
    preview_order.__doc__ = method_doc(orders.preview_order)

    @overload
    def get_order(self, account_id: AccountId, order_id: int, *, output_format: JSONFormat = ...) -> Json: ...
    @overload
    def get_order(self, account_id: AccountId, order_id: int, *, output_format: PandasFormat) -> pd.DataFrame: ...
    def get_order(self, account_id: AccountId, order_id: int, *, output_format: str = "json") -> Any:
        return delegate(orders.get_order, self, account_id, order_id, output_format=output_format)
    get_order.__doc__ = method_doc(orders.get_order)

    @overload
    def get_orders(self, account_id: Optional[AccountId] = ..., *, status: Optional[str] = ...,
                   from_entered: Optional[DateLike] = ..., to_entered: Optional[DateLike] = ...,
                   max_results: Optional[int] = ..., output_format: JSONFormat = ...) -> List[Json]: ...
    @overload
    def get_orders(self, account_id: Optional[AccountId] = ..., *, status: Optional[str] = ...,
                   from_entered: Optional[DateLike] = ..., to_entered: Optional[DateLike] = ...,
                   max_results: Optional[int] = ..., output_format: PandasFormat) -> pd.DataFrame: ...
    def get_orders(self, account_id: Optional[AccountId] = None, *, status: Optional[str] = None,
                   from_entered: Optional[DateLike] = None, to_entered: Optional[DateLike] = None,
                   max_results: Optional[int] = None, output_format: str = "json") -> Any:
        return delegate(orders.get_orders, self, account_id, status=status, from_entered=from_entered,
                        to_entered=to_entered, max_results=max_results, output_format=output_format)
    get_orders.__doc__ = method_doc(orders.get_orders)

    # -- transactions ---------------------------------------------------------------------------------

    @overload
    def get_transactions(self, account_id: AccountId, *, types: Union[str, Iterable[str], None] = ...,
                         symbol: Optional[str] = ..., start_date: Optional[DateLike] = ...,
                         end_date: Optional[DateLike] = ..., output_format: JSONFormat = ...) -> List[Json]: ...
    @overload
    def get_transactions(self, account_id: AccountId, *, types: Union[str, Iterable[str], None] = ...,
                         symbol: Optional[str] = ..., start_date: Optional[DateLike] = ...,
                         end_date: Optional[DateLike] = ..., output_format: PandasFormat) -> pd.DataFrame: ...
    def get_transactions(self, account_id: AccountId, *, types: Union[str, Iterable[str], None] = None,
                         symbol: Optional[str] = None, start_date: Optional[DateLike] = None,
                         end_date: Optional[DateLike] = None, output_format: str = "json") -> Any:
        return delegate(transactions.get_transactions, self, account_id, types=types, symbol=symbol,
                        start_date=start_date, end_date=end_date, output_format=output_format)
    get_transactions.__doc__ = method_doc(transactions.get_transactions)

    @overload
    def get_transaction(self, account_id: AccountId, transaction_id: int, *,
                        output_format: JSONFormat = ...) -> Any: ...
    @overload
    def get_transaction(self, account_id: AccountId, transaction_id: int, *,
                        output_format: PandasFormat) -> pd.DataFrame: ...
    def get_transaction(self, account_id: AccountId, transaction_id: int, *, output_format: str = "json") -> Any:
        return delegate(transactions.get_transaction, self, account_id, transaction_id, output_format=output_format)
    get_transaction.__doc__ = method_doc(transactions.get_transaction)

    # -- the user -------------------------------------------------------------------------------------

    def get_user_principals(self, fields: Union[str, Iterable[str], None] = None) -> Json:
        return delegate(user.get_user_principals, self, fields)  # type: ignore[no-any-return]
    get_user_principals.__doc__ = method_doc(user.get_user_principals)

    def get_user_preferences(self, account_id: Optional[AccountId] = None) -> Any:
        return delegate(user.get_user_preferences, self, account_id)
    get_user_preferences.__doc__ = method_doc(user.get_user_preferences)

    # -- TD's watchlists ------------------------------------------------------------------------------

    @overload
    def get_watchlists(self, account_id: Optional[AccountId] = ..., *,
                       output_format: JSONFormat = ...) -> List[Json]: ...
    @overload
    def get_watchlists(self, account_id: Optional[AccountId] = ..., *,
                       output_format: PandasFormat) -> pd.DataFrame: ...
    def get_watchlists(self, account_id: Optional[AccountId] = None, *, output_format: str = "json") -> Any:
        return delegate(watchlists.get_watchlists, self, account_id, output_format=output_format)
    get_watchlists.__doc__ = method_doc(watchlists.get_watchlists)

    @overload
    def get_watchlist(self, account_id: AccountId, watchlist_id: str, *,
                      output_format: JSONFormat = ...) -> Json: ...
    @overload
    def get_watchlist(self, account_id: AccountId, watchlist_id: str, *,
                      output_format: PandasFormat) -> pd.DataFrame: ...
    def get_watchlist(self, account_id: AccountId, watchlist_id: str, *, output_format: str = "json") -> Any:
        return delegate(watchlists.get_watchlist, self, account_id, watchlist_id, output_format=output_format)
    get_watchlist.__doc__ = method_doc(watchlists.get_watchlist)

    def create_watchlist(self, account_id: AccountId, name: str, symbols: watchlists.Items) -> Optional[str]:
        return delegate(watchlists.create_watchlist, self, account_id, name, symbols)  # type: ignore[no-any-return]
    create_watchlist.__doc__ = method_doc(watchlists.create_watchlist)

    def replace_watchlist(self, account_id: AccountId, watchlist_id: str, name: str,
                          symbols: watchlists.Items) -> None:
        delegate(watchlists.replace_watchlist, self, account_id, watchlist_id, name, symbols)
    replace_watchlist.__doc__ = method_doc(watchlists.replace_watchlist)

    def update_watchlist(self, account_id: AccountId, watchlist_id: str, *, name: Optional[str] = None,
                         symbols: Optional[watchlists.Items] = None) -> None:
        delegate(watchlists.update_watchlist, self, account_id, watchlist_id, name=name, symbols=symbols)
    update_watchlist.__doc__ = method_doc(watchlists.update_watchlist)

    def delete_watchlist(self, account_id: AccountId, watchlist_id: str) -> None:
        delegate(watchlists.delete_watchlist, self, account_id, watchlist_id)
    delete_watchlist.__doc__ = method_doc(watchlists.delete_watchlist)
