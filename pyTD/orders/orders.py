"""Orders: place, read, list, replace, cancel and preview, with the care real money needs.

An order write (POST, PUT, DELETE) is sent once and never again by pyTD: when its answer is lost (a timeout,
a dropped connection, a 5xx) :class:`~pyTD.exceptions.OrderStatusUnknown` says so, and the caller looks the
order up before deciding anything. Order writes wait for their own limit (``order_rate_limit``, per account);
order reads count against the data limit.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, Union, overload

import requests

from pyTD.accounts.numbers import account_number, with_account
from pyTD.checks import DateLike, moment
from pyTD.exceptions import OrderStatusUnknown, TDConnectionError, TDError, TDQueryError
from pyTD.fetch import JSONFormat, PandasFormat, check_output_format, client, send, to_frame
from pyTD.frames import Table
from pyTD.orders.builder import Order, order_json
from pyTD.providers.base import Request
from pyTD.transport import parse_response

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

log = logging.getLogger("pyTD")

OrderLike = Union[Order, Mapping[str, Any]]
Json = Dict[str, Any]

# One row per order, child orders (of OCO and TRIGGER orders) after their parent with parentOrderId.
ORDERS = Table(
    "orders",
    {
        "orderId": "int", "accountId": "str", "parentOrderId": "int", "status": "str", "enteredTime": "time",
        "closeTime": "time", "symbol": "str", "assetType": "str", "instruction": "str", "orderType": "str",
        "quantity": "float", "filledQuantity": "float", "remainingQuantity": "float", "price": "float",
        "stopPrice": "float", "session": "str", "duration": "str", "orderStrategyType": "str",
        "complexOrderStrategyType": "str", "cancelable": "bool", "editable": "bool", "orderLegCollection": "obj",
    },
    optional={
        "orderActivityCollection": "obj", "replacingOrderCollection": "obj", "tag": "str", "statusDescription": "str",
        "requestedDestination": "str", "destinationLinkName": "str", "stopPriceLinkBasis": "str",
        "stopPriceLinkType": "str", "stopPriceOffset": "float", "stopType": "str", "priceLinkBasis": "str",
        "priceLinkType": "str", "activationPrice": "float", "specialInstruction": "str", "taxLotMethod": "str",
        "cancelTime": "obj", "releaseTime": "time",
    },
)


def place_order(account_id: Union[str, int], order: OrderLike, *, api: Optional[Client] = None) -> int:
    """Place an order; return its id.

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    order : Order or dict
        A builder (:class:`~pyTD.orders.Order` or a template such as
        :func:`~pyTD.orders.equity_buy_limit`) or the providers' order JSON.
        Float prices in a dict are truncated to strings as the builder does.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).

    Returns
    -------
    int
        The new order's id, from the ``Location`` header of the answer.

    Raises
    ------
    OrderStatusUnknown
        If the answer was lost (a timeout, a dropped connection, a 5xx): the
        order may or may not exist. pyTD does not send it again; check
        :func:`get_orders` before you do.
    TDError
        If the provider accepted the request but named no order id: the order
        may have been placed; :func:`get_orders` shows it.
    ValidationError
        If the provider refused the order (400), with its message (e.g. about
        buying power).
    ValueError
        If the order is incomplete or has something the provider refuses,
        before anything is sent.
    """
    body, td = _prepared(order, api)
    number = account_number(account_id)

    def place(key: str) -> int:
        response = _write(td, "POST", td.profile.order_path(key), number, "placed", body)
        return _new_order_id(td, response, key, number, "placed")

    order_id = with_account(td, number, place)
    log.info("Placed order %d in account %s", order_id, number)
    return order_id


def replace_order(account_id: Union[str, int], order_id: int, order: OrderLike, *,
                  api: Optional[Client] = None) -> int:
    """Replace a working order with another; return the new order's id (the old one is canceled).

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    order_id : int
        The order to replace.
    order : Order or dict
        The new order, as for :func:`place_order`.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).

    Raises
    ------
    OrderStatusUnknown
        If the answer was lost: the old order may or may not have been
        replaced; check :func:`get_orders` before sending anything again.
    ResourceNotFound
        If there is no such order.
    ValidationError
        If the order can no longer be replaced (filled, canceled) or the new
        one is refused, with the provider's message.
    """
    body, td = _prepared(order, api)
    number, old = account_number(account_id), _order_id(order_id)

    def replace(key: str) -> int:
        response = _write(td, "PUT", td.profile.order_path(key, old), number, "replaced", body)
        return _new_order_id(td, response, key, number, "replaced")

    new = with_account(td, number, replace)
    log.info("Replaced order %d in account %s by order %d", old, number, new)
    return new


def cancel_order(account_id: Union[str, int], order_id: int, *, api: Optional[Client] = None) -> None:
    """Cancel a working order.

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    order_id : int
        The order to cancel.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).

    Raises
    ------
    OrderStatusUnknown
        If the answer was lost: check :func:`get_order` to see whether the
        order was canceled.
    ResourceNotFound
        If there is no such order.
    ValidationError
        If the order cannot be canceled (e.g. it was filled), with the
        provider's message.
    """
    td = client(api)
    number, wanted = account_number(account_id), _order_id(order_id)
    with_account(td, number, lambda key: _write(td, "DELETE", td.profile.order_path(key, wanted), number,
                                                "canceled"))
    log.info("Canceled order %d in account %s", wanted, number)


def preview_order(account_id: Union[str, int], order: OrderLike, *, api: Optional[Client] = None) -> Json:
    """Schwab: check and price an order without placing it (its ``PreviewOrder``, as sent).

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    order : Order or dict
        The order, as for :func:`place_order`.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).

    Raises
    ------
    UnsupportedError
        On TD, which has no preview.
    """
    body, td = _prepared(order, api)
    preview: Json = with_account(td, account_id, lambda key: td.request("POST", td.profile.preview_path(key),
                                                                        json=body))
    return preview


@overload
def get_order(account_id: Union[str, int], order_id: int, *, api: Optional[Client] = ...,
              output_format: JSONFormat = ...) -> Json: ...
@overload
def get_order(account_id: Union[str, int], order_id: int, *, api: Optional[Client] = ...,
              output_format: PandasFormat) -> pd.DataFrame: ...
def get_order(account_id: Union[str, int], order_id: int, *, api: Optional[Client] = None,
              output_format: str = "json") -> Union[Json, pd.DataFrame]:
    """One order.

    Parameters
    ----------
    account_id : str or int
        The plain account number.
    order_id : int
        The order's id.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        The order as the provider sent it, or a DataFrame as :func:`get_orders`
        makes (one row, and one per child order).

    Raises
    ------
    ResourceNotFound
        If there is no such order.
    """
    check_output_format(output_format)
    td = client(api)
    wanted = _order_id(order_id)
    found: Json = with_account(td, account_id, lambda key: send(td, Request(td.profile.order_path(key, wanted))))
    return found if output_format == "json" else orders_frame([found], td)


@overload
def get_orders(account_id: Union[str, int, None] = ..., *, status: Optional[str] = ...,
               from_entered: Optional[DateLike] = ..., to_entered: Optional[DateLike] = ...,
               max_results: Optional[int] = ..., api: Optional[Client] = ...,
               output_format: JSONFormat = ...) -> List[Json]: ...
@overload
def get_orders(account_id: Union[str, int, None] = ..., *, status: Optional[str] = ...,
               from_entered: Optional[DateLike] = ..., to_entered: Optional[DateLike] = ...,
               max_results: Optional[int] = ..., api: Optional[Client] = ...,
               output_format: PandasFormat) -> pd.DataFrame: ...
def get_orders(account_id: Union[str, int, None] = None, *, status: Optional[str] = None,
               from_entered: Optional[DateLike] = None, to_entered: Optional[DateLike] = None,
               max_results: Optional[int] = None, api: Optional[Client] = None,
               output_format: str = "json") -> Union[List[Json], pd.DataFrame]:
    """The orders of one account, or of every account.

    Parameters
    ----------
    account_id : str or int, optional
        The plain account number; None (the default) for all accounts.
    status : str, optional
        Only orders in this status (``WORKING``, ``FILLED``, ``CANCELED``, ...).
    from_entered, to_entered : datetime, date, ISO string or epoch ms, optional
        When the orders were entered. A day alone is read in the api's time
        zone, and ``to_entered`` then includes that whole day. Each provider's
        rules apply: TD sends days and lists orders of the last 60 days; Schwab
        needs both bounds (pyTD sends the last 60 days when none is given), at
        most a year apart, and within the last 60 days for all accounts.
    max_results : int, optional
        The most orders to return.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON: the provider's list of orders, as sent. pandas: one row per
        order and per child order: ``orderId``, ``accountId``,
        ``parentOrderId``, ``status``, ``enteredTime``, ``symbol``,
        ``instruction``, ``orderType``, the quantities and prices as numbers...
    """
    check_output_format(output_format)
    if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int)
                                    or max_results < 1):
        raise ValueError(f"max_results must be a whole number of 1 or more, got {max_results!r}")
    td = client(api)
    start = moment(from_entered, "from_entered", td.tz)
    end = moment(to_entered, "to_entered", td.tz, end=True)

    query = td.profile.orders_query(account_id is None, status, start, end, max_results, td.tz)

    def orders_of(key: Optional[str]) -> List[Json]:
        found: List[Json] = send(td, Request(td.profile.order_path(key), query))
        return found

    orders = orders_of(None) if account_id is None else with_account(td, account_id, orders_of)
    return orders if output_format == "json" else orders_frame(orders, td)


def orders_frame(orders: List[Json], td: Client) -> pd.DataFrame:
    """One row per order and per child order."""
    return to_frame(ORDERS, td.profile.order_rows(orders), td)


def _prepared(order: OrderLike, api: Optional[Client]) -> Tuple[Json, Client]:
    """The JSON to send and the client, once the order passed the builder's and the provider's checks."""
    body = order_json(order)
    td = client(api)
    td.profile.check_order(body)
    return body, td


def _order_id(order_id: Any) -> int:
    text = str(order_id).strip() if isinstance(order_id, (int, str)) and not isinstance(order_id, bool) else ""
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"order_id must be a whole number above 0, got {order_id!r}")
    return int(text)


def _write(td: Client, method: str, path: str, number: str, done: str, body: Optional[Json] = None
           ) -> requests.Response:
    """Send an order write once; a lost answer is OrderStatusUnknown, a refusal its typed error."""
    check = ("check get_order(account_id, order_id) to see whether it was canceled" if done == "canceled" else
             f"check get_orders(account_id={number!r}) before sending it again")
    try:
        response = td.send(method, path, json=body, limiter=td.order_limiter(number))
    except TDConnectionError as exc:
        raise OrderStatusUnknown(f"{exc}. The order may or may not have been {done}: {check}") from None
    if response.status_code >= 500:
        try:
            parse_response(response)
        except TDQueryError as exc:
            raise OrderStatusUnknown(f"{exc}. The order may or may not have been {done}: {check}") from None
    if not response.ok:
        parse_response(response)  # raises the typed error, with the provider's message
    return response


def _new_order_id(td: Client, response: requests.Response, key: str, number: str, done: str) -> int:
    order_id = td.profile.order_id(response.headers.get("Location", ""), key)
    if order_id is None:
        raise TDError(f"{td.profile.title} answered {response.status_code} but named no order id (no usable "
                      f"Location header): the order may have been {done}. Look for it with "
                      f"get_orders(account_id={number!r}) before sending it again.")
    return order_id
