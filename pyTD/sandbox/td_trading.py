"""TD Ameritrade's trader stand-in (td-trading.md): accounts (207 included), orders, transactions, user
principals, preferences and watchlists under ``/v1``, on the shared paper broker."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional

from pyTD.sandbox.broker import BUYS, Instrument, NotFound, Rejected, Transaction
from pyTD.sandbox.market import NEW_YORK  # TD's days
from pyTD.sandbox.params import BadRequest, Query, day_param, one_of, whole
from pyTD.sandbox.provider import Host
from pyTD.sandbox.replies import Reply, error_reply, json_reply
from pyTD.sandbox.trading import (
    Dialect,
    Lookup,
    Routes,
    Trader,
    fields_param,
    instrument_json,
    order_json,
    read_body,
    securities_account,
    stamp,
)

ORDER_STATUSES = ("AWAITING_PARENT_ORDER", "AWAITING_CONDITION", "AWAITING_MANUAL_REVIEW", "ACCEPTED",
                  "AWAITING_UR_OUT", "PENDING_ACTIVATION", "QUEUED", "WORKING", "REJECTED", "PENDING_CANCEL",
                  "CANCELED", "PENDING_REPLACE", "REPLACED", "FILLED", "EXPIRED")
TRANSACTION_TYPES = ("ALL", "TRADE", "BUY_ONLY", "SELL_ONLY", "CASH_IN_OR_CASH_OUT", "CHECKING", "DIVIDEND",
                     "INTEREST", "OTHER", "ADVISORY_FEES")
PRINCIPAL_FIELDS = ("streamerSubscriptionKeys", "streamerConnectionInfo", "preferences", "surrogateIds")
SUBTYPES = {"BUY": "BY", "SELL": "SL", "BUY_TO_COVER": "BC", "SELL_SHORT": "SS", "BUY_TO_OPEN": "BO",
            "BUY_TO_CLOSE": "BC", "SELL_TO_OPEN": "SO", "SELL_TO_CLOSE": "SC"}
NO_FEES = {"rFee": 0.0, "additionalFee": 0.0, "cdscFee": 0.0, "regFee": 0.0, "otherCharges": 0.0, "commission": 0.0,
           "optRegFee": 0.0, "secFee": 0.0}
PREFERENCES = {"expressTrading": False, "directOptionsRouting": False, "directEquityRouting": False,
               "defaultEquityOrderLegInstruction": "NONE", "defaultEquityOrderType": "LIMIT",
               "defaultEquityOrderPriceLinkType": "NONE", "defaultEquityOrderDuration": "DAY",
               "defaultEquityOrderMarketSession": "NORMAL", "defaultEquityQuantity": 0,
               "mutualFundTaxLotMethod": "FIFO", "optionTaxLotMethod": "FIFO", "equityTaxLotMethod": "FIFO",
               "defaultAdvancedToolLaunch": "NONE", "authTokenTimeout": "FIFTY_FIVE_MINUTES"}
PATHS = ("accounts", "orders", "userprincipals")  # the first segments of the trader paths


def td_symbol(instrument: Instrument) -> str:
    if instrument.put_call and instrument.expiration is not None:
        return (f"{instrument.security.option_root}_{instrument.expiration:%m%d%y}{instrument.put_call[0]}"
                f"{instrument.strike:g}")
    return instrument.security.td_symbol or instrument.security.symbol


DIALECT = Dialect("accountId", td_symbol, ("DAY", "GOOD_TILL_CANCEL", "FILL_OR_KILL"))


class TDTrader(Trader):
    """TD's trader endpoints on one sandbox's broker; holds TD-only state (watchlists)."""

    dialect = DIALECT

    def __init__(self, sandbox: Host, lookup: Lookup) -> None:
        self._watchlists: Dict[str, Dict[str, Dict[str, Any]]] = {}
        self._next_watchlist = 1000
        super().__init__(sandbox, lookup)

    def own_routes(self) -> Routes:
        return [
            ("GET", re.compile(r"accounts"), self.accounts),
            ("GET", re.compile(r"accounts/watchlists"), self.all_watchlists),
            ("GET", re.compile(r"accounts/(\w+)"), self.account),
            ("GET", re.compile(r"accounts/(\w+)/preferences"), self.preferences),
            ("GET", re.compile(r"accounts/(\w+)/watchlists"), self.watchlists),
            ("POST", re.compile(r"accounts/(\w+)/watchlists"), self.create_watchlist),
            ("GET", re.compile(r"accounts/(\w+)/watchlists/([^/]+)"), self.watchlist),
            ("PUT", re.compile(r"accounts/(\w+)/watchlists/([^/]+)"), self.replace_watchlist),
            ("PATCH", re.compile(r"accounts/(\w+)/watchlists/([^/]+)"), self.update_watchlist),
            ("DELETE", re.compile(r"accounts/(\w+)/watchlists/([^/]+)"), self.delete_watchlist),
        ]

    def error(self, status: int, message: str) -> Reply:
        return error_reply(status, message)

    def wrong_method(self, method: str, relative: str) -> Reply:
        return error_reply(400, "The Target endpoint cannot be reached or is not configured for "
                                f"{method} {relative}")  # TD's gateway for a wrong method

    def today(self) -> date:
        return datetime.fromtimestamp(self.broker.clock(), NEW_YORK).date()

    def number_of(self, key: str) -> str:
        self.broker.account(key)  # NotFound for an account that does not exist
        return key

    def location(self, key: str, order_id: int) -> Dict[str, str]:
        return self._location(key, "orders", order_id)

    def _location(self, number: str, what: str, item: object) -> Dict[str, str]:
        return {"Location": f"{self.sandbox.api_url}/accounts/{number}/{what}/{item}"}

    # -- accounts -------------------------------------------------------------------------------------

    def accounts(self, query: Query, body: bytes) -> Reply:
        fields = fields_param(query, ("positions", "orders"))
        found = [self._account(number, fields) for number in self.broker.accounts
                 if number not in self.broker.unavailable]
        # 207: "the accounts who's data returned successfully is in the response"
        return json_reply(207 if self.broker.unavailable & set(self.broker.accounts) else 200, found)

    def account(self, query: Query, body: bytes, number: str) -> Reply:
        fields = fields_param(query, ("positions", "orders"))
        self.broker.account(number)
        if number in self.broker.unavailable:
            return error_reply(500, "A server error occurred. Please contact the administrator.")
        return json_reply(200, self._account(number, fields))

    def _account(self, number: str, fields: List[str]) -> Dict[str, Any]:
        inner = securities_account(self.broker, self.broker.account(number), "positions" in fields, DIALECT)
        if "orders" in fields:
            inner["orderStrategies"] = [order_json(o, DIALECT) for o in self.broker.orders_of(number)]
        return {"securitiesAccount": inner}

    # -- orders ---------------------------------------------------------------------------------------

    def all_orders(self, query: Query, body: bytes) -> Reply:
        number = query.get("accountId")
        if number is not None:
            self.broker.account(number)
        return self._list(query, number)

    def orders(self, query: Query, body: bytes, number: str) -> Reply:
        self.broker.account(number)
        return self._list(query, number)

    def _list(self, query: Query, number: Optional[str]) -> Reply:
        status = one_of(query, "status", ORDER_STATUSES)
        first, last = day_param(query, "fromEnteredTime"), day_param(query, "toEnteredTime")
        if (first is None) != (last is None):
            raise BadRequest("fromEnteredTime and toEnteredTime must both be set, or neither")
        today = datetime.fromtimestamp(self.broker.clock(), NEW_YORK).date()
        if first is not None and first < today - timedelta(days=60):
            raise BadRequest("Date must be within 60 days from today's date.")
        found = []
        for order in self.broker.orders_of(number):
            day = datetime.fromtimestamp(order.entered, NEW_YORK).date()
            if first is not None and last is not None and not first <= day <= last:
                continue
            if status is None or order.status == status:
                found.append(order_json(order, DIALECT))
        limit = whole(query, "maxResults")
        return json_reply(200, found[:limit] if limit else found)

    # -- transactions ---------------------------------------------------------------------------------

    def transactions(self, query: Query, body: bytes, number: str) -> Reply:
        self.broker.account(number)
        kind = one_of(query, "type", TRANSACTION_TYPES, "ALL")
        first, last = day_param(query, "startDate"), day_param(query, "endDate")
        if first and last and (last - first).days > 366:
            raise BadRequest("The maximum date range is one year.")
        symbol = query.get("symbol")
        found = []
        for t in reversed(self.broker.transactions_of(number)):
            day = datetime.fromtimestamp(t.time, NEW_YORK).date()
            if (first and day < first) or (last and day > last) or not _of_type(t, kind or "ALL"):
                continue
            if symbol and (t.instrument is None or td_symbol(t.instrument) != symbol.upper()):
                continue
            found.append(transaction_json(t))
        return json_reply(200, found)

    def transaction(self, query: Query, body: bytes, number: str, transaction_id: str) -> Reply:
        return json_reply(200, transaction_json(self.broker.transaction(number, int(transaction_id))))

    # -- the user -------------------------------------------------------------------------------------

    def preferences(self, query: Query, body: bytes, number: str) -> Reply:
        self.broker.account(number)
        return json_reply(200, dict(PREFERENCES))

    # -- watchlists -----------------------------------------------------------------------------------

    def all_watchlists(self, query: Query, body: bytes) -> Reply:
        with self._lock:
            return json_reply(200, [w for lists in self._watchlists.values() for w in lists.values()])

    def watchlists(self, query: Query, body: bytes, number: str) -> Reply:
        self.broker.account(number)
        with self._lock:
            return json_reply(200, list(self._watchlists.get(number, {}).values()))

    def watchlist(self, query: Query, body: bytes, number: str, watchlist_id: str) -> Reply:
        return json_reply(200, self._watchlist(number, watchlist_id))

    def _watchlist(self, number: str, watchlist_id: str) -> Dict[str, Any]:
        self.broker.account(number)
        with self._lock:
            found = self._watchlists.get(number, {}).get(watchlist_id)
        if found is None:
            raise NotFound(f"Watchlist {watchlist_id} was not found in account {number}")
        return found

    def create_watchlist(self, query: Query, body: bytes, number: str) -> Reply:
        self.broker.account(number)
        request = _watchlist_body(read_body(body), need_name=True)
        with self._lock:
            self._next_watchlist += 1
            watchlist_id = str(self._next_watchlist)
            self._watchlists.setdefault(number, {})[watchlist_id] = {
                "name": request["name"], "watchlistId": watchlist_id, "accountId": number,
                "watchlistItems": _items(request.get("watchlistItems") or [], [])}
        return Reply(201, b"", "application/json", self._location(number, "watchlists", watchlist_id))

    def replace_watchlist(self, query: Query, body: bytes, number: str, watchlist_id: str) -> Reply:
        found = self._watchlist(number, watchlist_id)
        request = _watchlist_body(read_body(body), need_name=True)
        with self._lock:
            found.update(name=request["name"], watchlistItems=_items(request.get("watchlistItems") or [], []))
        return Reply(204, b"", "application/json", self._location(number, "watchlists", watchlist_id))

    def update_watchlist(self, query: Query, body: bytes, number: str, watchlist_id: str) -> Reply:
        found = self._watchlist(number, watchlist_id)
        request = _watchlist_body(read_body(body), need_name=False)
        with self._lock:
            if request.get("name"):
                found["name"] = request["name"]
            found["watchlistItems"] = _items(request.get("watchlistItems") or [], found["watchlistItems"])
        return Reply(204, b"", "application/json",
                     {"Content-Location": self._location(number, "watchlists", watchlist_id)["Location"]})

    def delete_watchlist(self, query: Query, body: bytes, number: str, watchlist_id: str) -> Reply:
        self._watchlist(number, watchlist_id)
        with self._lock:
            del self._watchlists[number][watchlist_id]
        return Reply(204, b"")


def _of_type(t: Transaction, kind: str) -> bool:
    """TD's ``type`` parameter, in its own words, against a transaction."""
    if kind == "ALL":
        return True
    if kind == "TRADE":
        return t.kind == "TRADE"
    if kind in ("BUY_ONLY", "SELL_ONLY"):
        return t.kind == "TRADE" and (t.instruction in BUYS) == (kind == "BUY_ONLY")
    if kind == "CASH_IN_OR_CASH_OUT":
        return t.kind == "ELECTRONIC_FUND"
    if kind == "OTHER":
        return t.kind == "RECEIVE_AND_DELIVER"
    return False  # checking, dividends, interest and fees: the sandbox has none


def transaction_json(t: Transaction) -> Dict[str, Any]:
    """A transaction in TD's shape (td-trading.md section 5: ``orderId`` a string, ``settlementDate`` a day)."""
    moment = datetime.fromtimestamp(t.time, NEW_YORK)
    settles = _next_business_day(moment.date()) if t.kind == "TRADE" else moment.date()
    item: Dict[str, Any] = {"accountId": int(t.account) if t.account.isdigit() else t.account}
    if t.instrument is not None:
        gross = round(t.price * t.quantity * t.instrument.multiplier, 2)
        item.update(amount=t.quantity, price=t.price, cost=gross if t.instruction and t.instruction not in BUYS
                    else -gross if t.instruction else 0.0)
        if t.instruction:
            item.update(instruction=t.instruction, positionEffect=t.position_effect)
        item["instrument"] = {key: value for key, value in instrument_json(t.instrument, DIALECT).items()
                              if key in ("symbol", "cusip", "assetType", "description", "putCall",
                                         "underlyingSymbol")}
    else:
        item.update(amount=t.amount, cost=0.0)
    found: Dict[str, Any] = {
        "type": t.kind, "subAccount": "1", "settlementDate": settles.isoformat(), "netAmount": t.amount,
        "transactionDate": stamp(t.time), "transactionSubType": SUBTYPES.get(t.instruction, "TI" if t.instrument
                                                                             else "EF"),
        "transactionId": t.id, "cashBalanceEffectFlag": t.amount != 0, "description": t.description,
        "fees": {**NO_FEES, "secFee": t.fees.get("SEC_FEE", 0.0)}, "transactionItem": item,
    }
    if t.order_id is not None:
        found.update(orderId=str(t.order_id), orderDate=stamp(t.time))
    return found


def _next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _watchlist_body(request: Any, need_name: bool) -> Mapping[str, Any]:
    if not isinstance(request, dict):
        raise Rejected("A validation error occurred while processing the request.")
    if need_name and not (isinstance(request.get("name"), str) and request["name"].strip()):
        raise Rejected("A watchlist needs a name")
    if not isinstance(request.get("watchlistItems", []), list):
        raise Rejected("watchlistItems must be a list")
    return request


def _items(given: List[Any], kept: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Items added to (or, with a sequenceId, changed in) ``kept``; symbols are not checked, as at TD."""
    items = [dict(item) for item in kept]
    for item in given:
        instrument = item.get("instrument") if isinstance(item, dict) else None
        if not isinstance(instrument, dict) or not instrument.get("symbol"):
            raise Rejected("Each watchlist item needs an instrument with a symbol")
        entry = {"quantity": item.get("quantity", 0), "averagePrice": item.get("averagePrice", 0),
                 "commission": item.get("commission", 0),
                 "instrument": {"symbol": str(instrument["symbol"]).upper(),
                                "assetType": instrument.get("assetType", "EQUITY")}}
        if item.get("purchasedDate"):
            entry["purchasedDate"] = item["purchasedDate"]
        same = [i for i in items if item.get("sequenceId") is not None and i["sequenceId"] == item["sequenceId"]]
        if same:
            same[0].update(entry)
        else:
            items.append({"sequenceId": max((i["sequenceId"] for i in items), default=0) + 1, **entry})
    return items
