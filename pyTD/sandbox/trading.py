"""What TD's and Schwab's trader stand-ins share: reading the order JSON (one vocabulary on both), writing
orders, positions and balances back in it, and routing a trader request by method and path.

A :class:`Dialect` holds the few differences: the name of the account number, how a symbol is written, and
the extra fields Schwab adds.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from pyTD.sandbox.broker import (
    INSTRUCTIONS,
    ORDER_TYPES,
    Account,
    Balances,
    Broker,
    Instrument,
    Leg,
    NotFound,
    PaperOrder,
    Rejected,
    Spec,
    instrument_of,
)
from pyTD.sandbox.market import Option, Security
from pyTD.sandbox.params import BadRequest, Query
from pyTD.sandbox.provider import Host
from pyTD.sandbox.replies import Reply, json_reply

# A provider's symbol lookup: what a symbol names on a day (a security, a listed option, or nothing).
Lookup = Callable[[str, date], Union[Security, Option, None]]


Json = Dict[str, Any]
Finder = Callable[[str], Union[Security, Option, None]]
SESSIONS = ("NORMAL", "AM", "PM", "SEAMLESS")
NEEDS_PRICE = ("LIMIT", "STOP_LIMIT", "NET_DEBIT", "NET_CREDIT")
SPREAD_TYPES = ("MARKET", "NET_DEBIT", "NET_CREDIT", "NET_ZERO")
PRICES = ("price", "stopPrice", "activationPrice")
Handler = Callable[..., Reply]
Routes = Sequence[Tuple[str, "re.Pattern[str]", Handler]]


@dataclass(frozen=True)
class Dialect:
    """How one provider writes the broker's state."""

    account_field: str  # accountId (TD) or accountNumber (Schwab)
    symbol: Callable[[Instrument], str]
    durations: Sequence[str]
    schwab: bool = False  # adds instrumentId and Schwab's position fields


def stamp(seconds: float) -> str:
    """The trader APIs' time: ``2021-12-10T04:45:05+0000``."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def instrument_id(instrument: Instrument, symbol: str) -> int:
    return zlib.crc32(symbol.encode()) % 1_000_000_000


# -- reading an order ---------------------------------------------------------------------------------------


def read_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise Rejected("A validation error occurred while processing the request.") from None


def read_order(order: Any, find: Finder, dialect: Dialect) -> Spec:
    """An order's JSON as a broker :class:`Spec`; Rejected with the reason for what a provider would refuse."""
    if not isinstance(order, dict):
        raise Rejected("A validation error occurred while processing the request.")
    strategy = order.get("orderStrategyType")
    children = order.get("childOrderStrategies") or []
    if not isinstance(children, list):
        raise Rejected("childOrderStrategies must be a list of orders")
    specs = [read_order(child, find, dialect) for child in children]
    if strategy == "OCO":
        if order.get("orderLegCollection") or len(specs) < 2:
            raise Rejected("An OCO order has two or more childOrderStrategies and no orderLegCollection")
        return Spec("OCO", order, children=specs)
    if strategy not in ("SINGLE", "TRIGGER"):
        raise Rejected(f"orderStrategyType must be SINGLE, OCO or TRIGGER, not {strategy!r}")
    if (strategy == "TRIGGER") != bool(specs):
        raise Rejected("A TRIGGER order has childOrderStrategies; a SINGLE order has none")
    kind = order.get("orderType")
    if kind not in ORDER_TYPES:
        raise Rejected(f"orderType must be one of {', '.join(ORDER_TYPES)}; got {kind!r}")
    if order.get("session") not in SESSIONS:
        raise Rejected(f"session must be one of {', '.join(SESSIONS)}; got {order.get('session')!r}")
    if order.get("duration") not in dialect.durations:
        raise Rejected(f"duration must be one of {', '.join(dialect.durations)}; got {order.get('duration')!r}")
    legs = [read_leg(leg, find) for leg in order.get("orderLegCollection") or []]
    if not legs:
        raise Rejected("The order has no orderLegCollection")
    if len(legs) > 1 and kind not in SPREAD_TYPES:
        raise Rejected("OrderType must be one of those values: NET_CREDIT, NET_DEBIT, NET_ZERO or MARKET.")
    if len(legs) == 1 and kind in ("NET_DEBIT", "NET_CREDIT", "NET_ZERO"):
        raise Rejected(f"A {kind} order has two or more legs")
    spec = Spec(strategy, order, kind, price=read_price(order, "price"), stop_price=read_price(order, "stopPrice"),
                legs=legs, children=specs)
    if kind in NEEDS_PRICE and spec.price is None:
        raise Rejected(f"A {kind} order needs a price")
    if kind in ("STOP", "STOP_LIMIT") and spec.stop_price is None:
        raise Rejected(f"A {kind} order needs a stopPrice")
    if kind == "TRAILING_STOP":
        offset = order.get("stopPriceOffset")
        if isinstance(offset, bool) or not isinstance(offset, (int, float)) or offset <= 0:
            raise Rejected("A TRAILING_STOP order needs a stopPriceOffset above 0")
        spec.stop_offset = float(offset)
        spec.stop_link_type = str(order.get("stopPriceLinkType") or "VALUE")
    return spec


def read_leg(leg: Any, find: Finder) -> Leg:
    if not isinstance(leg, dict) or not isinstance(leg.get("instrument"), dict):
        raise Rejected("Each leg needs an instruction, a quantity and an instrument")
    symbol = str(leg["instrument"].get("symbol", ""))
    item = find(symbol)
    if item is None:
        raise Rejected(f"The symbol {symbol!r} is not valid")
    instrument = instrument_of(item)
    asset_type = leg["instrument"].get("assetType")
    if asset_type != instrument.asset_type or instrument.security.asset_type not in ("EQUITY", "ETF", "INDEX"):
        raise Rejected(f"{symbol} cannot be traded as {asset_type!r} (orders are for EQUITY and OPTION)")
    if instrument.asset_type == "EQUITY" and instrument.security.asset_type == "INDEX":
        raise Rejected(f"An index ({symbol}) cannot be traded")
    instruction = str(leg.get("instruction", "")).upper()  # TD accepts "Buy" and answers "BUY"
    if instruction not in INSTRUCTIONS[instrument.asset_type]:
        raise Rejected(f"Instruction {leg.get('instruction')!r} is not valid for {asset_type}: use one of "
                       f"{', '.join(INSTRUCTIONS[instrument.asset_type])}")
    quantity = leg.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or quantity <= 0 or quantity % 1:
        raise Rejected(f"The quantity must be a whole number above 0, got {quantity!r}")
    return Leg(instruction, float(quantity), instrument)


def read_price(order: Mapping[str, Any], name: str) -> Optional[float]:
    """A price sent as a string or a number, with at most 2 decimals (4 below $1), as both providers require."""
    value = order.get(name)
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if isinstance(value, bool) or not number.is_finite() or number < 0:
        raise Rejected(f"{name} must be a number, got {value!r}")
    places = -number.normalize().as_tuple().exponent  # type: ignore[operator]
    if places > (4 if number < 1 else 2):
        raise Rejected(f"{name} {value}: a price of $1 or more has at most 2 decimal places, below $1 at most 4")
    return float(number)


# -- writing the broker's state --------------------------------------------------------------------------------


def account_number(number: str) -> Union[int, str]:
    """Orders name their account as a number (``"accountId": 123456789``)."""
    return int(number) if number.isdigit() and not number.startswith("0") else number


def instrument_json(instrument: Instrument, dialect: Dialect) -> Json:
    security = instrument.security
    symbol = dialect.symbol(instrument)
    found: Json = {"assetType": instrument.asset_type, "symbol": symbol, "description": instrument.description}
    if instrument.put_call:
        found.update(putCall=instrument.put_call, underlyingSymbol=dialect.symbol(Instrument(security)),
                     type="VANILLA", optionMultiplier=100)
    elif security.cusip:
        found["cusip"] = security.cusip
    if dialect.schwab:
        found["instrumentId"] = instrument_id(instrument, symbol)
    return found


def order_json(order: PaperOrder, dialect: Dialect) -> Json:
    """An order as the provider answers it: the request's fields, upper-cased instructions, prices as numbers,
    and the server's own fields (orderId, status, times, quantities, executions)."""
    spec = order.spec
    found: Json = {key: value for key, value in spec.request.items()
                   if key not in ("orderLegCollection", "childOrderStrategies", *PRICES)}
    for name in PRICES:
        if spec.request.get(name) is not None:
            found[name] = float(str(spec.request[name]))
    if spec.legs:
        found.setdefault("complexOrderStrategyType", "NONE")
        found.update(quantity=order.quantity, filledQuantity=order.filled,
                     remainingQuantity=0.0 if not order.active else order.quantity - order.filled,
                     requestedDestination=spec.request.get("requestedDestination", "AUTO"),
                     destinationLinkName=spec.request.get("destinationLinkName", "AutoRoute"))
        found["orderLegCollection"] = [
            {"orderLegType": leg.instrument.asset_type, "legId": i, "instrument": instrument_json(leg.instrument,
                                                                                               dialect),
             "instruction": leg.instruction, "positionEffect": effect(leg), "quantity": leg.quantity}
            for i, leg in enumerate(spec.legs, 1)]
    found.update(orderId=order.id, cancelable=order.active, editable=order.active, status=order.status,
                 enteredTime=stamp(order.entered))
    if order.closed is not None and not order.active:
        found["closeTime"] = stamp(order.closed)
    if order.description:
        found["statusDescription"] = order.description
    found[dialect.account_field] = account_number(order.account)
    if order.executions:
        found["orderActivityCollection"] = [execution_json(order, n, dialect) for n in range(len(order.executions))]
    if order.children:
        found["childOrderStrategies"] = [order_json(child, dialect) for child in order.children]
    return found


def execution_json(order: PaperOrder, n: int, dialect: Dialect) -> Json:
    execution = order.executions[n]
    legs = []
    for i, (leg, price) in enumerate(zip(order.spec.legs, execution.prices), 1):
        item: Json = {"legId": i, "quantity": leg.quantity, "mismarkedQuantity": 0.0, "price": price,
                      "time": stamp(execution.time)}
        if dialect.schwab:
            item["instrumentId"] = instrument_id(leg.instrument, dialect.symbol(leg.instrument))
        legs.append(item)
    found: Json = {"activityType": "EXECUTION", "executionType": "FILL", "quantity": execution.quantity,
                   "orderRemainingQuantity": order.quantity - order.filled, "executionLegs": legs}
    if dialect.schwab:
        found["activityId"] = order.id * 10 + n
    return found


def effect(leg: Leg) -> str:
    return "OPENING" if leg.instruction in ("BUY", "SELL_SHORT", "BUY_TO_OPEN", "SELL_TO_OPEN") else "CLOSING"


def position_json(broker: Broker, instrument: Instrument, quantity: float, average: float, dialect: Dialect) -> Json:
    """A position (td-trading.md section 2; schwab-api.md section 4) at the current prices."""
    mark = broker.mark(instrument)
    units = abs(quantity) * instrument.multiplier
    close = instrument.security.price if not instrument.put_call else mark
    long, short = max(quantity, 0.0), max(-quantity, 0.0)
    value = round(mark * units * (1 if quantity > 0 else -1), 2)
    day = round((mark - close) * quantity * instrument.multiplier, 2)
    found: Json = {
        "shortQuantity": short, "averagePrice": average, "currentDayProfitLoss": day,
        "currentDayProfitLossPercentage": round((mark / close - 1) * 100, 2) if close else 0.0,
        "longQuantity": long, "settledLongQuantity": long, "settledShortQuantity": short, "agedQuantity": 0.0,
        "instrument": instrument_json(instrument, dialect), "marketValue": value,
        "maintenanceRequirement": round(abs(value) * (0.25 if quantity > 0 else 0.3), 2), "currentDayCost": 0.0,
        "previousSessionLongQuantity": long,
    }
    if dialect.schwab:
        pnl = round((mark - average) * quantity * instrument.multiplier, 2)
        found.update(averageLongPrice=average if long else 0.0, averageShortPrice=average if short else 0.0,
                     taxLotAverageLongPrice=average if long else 0.0, taxLotAverageShortPrice=average if short else 0.0,
                     longOpenProfitLoss=pnl if long else 0.0, shortOpenProfitLoss=pnl if short else 0.0,
                     previousSessionShortQuantity=short)
        found["instrument"]["netChange"] = round(mark - close, 2)
    return found


def balances_json(account: Account, now: Balances, start: Balances) -> Json:
    """The three balance blocks: the key sets of the recorded margin account (fixtures/schwab/accounts-1) and of
    the specs' cash balances; every key optional in real answers, all present here."""
    if account.type == "MARGIN":
        return {"initialBalances": margin_initial(start), "currentBalances": margin_current(now),
                "projectedBalances": margin_projected(now)}
    return {"initialBalances": cash_initial(start), "currentBalances": cash_current(now),
            "projectedBalances": cash_current(now)}


def margin_initial(b: Balances) -> Json:
    return {
        "accruedInterest": 0.0, "availableFundsNonMarginableTrade": b.buying_power / 2, "bondValue": 0.0,
        "buyingPower": b.buying_power, "cashBalance": b.cash, "cashAvailableForTrading": max(b.cash, 0.0),
        "cashReceipts": 0.0, "dayTradingBuyingPower": b.buying_power * 2, "dayTradingBuyingPowerCall": 0.0,
        "dayTradingEquityCall": 0.0, "equity": b.equity, "equityPercentage": 100.0, "liquidationValue": b.equity,
        "longMarginValue": b.long_stock, "longOptionMarketValue": b.long_options, "longStockValue": b.long_stock,
        "maintenanceCall": 0.0, "maintenanceRequirement": b.maintenance, "margin": max(b.cash, 0.0),
        "marginEquity": b.equity, "moneyMarketFund": 0.0, "mutualFundValue": 0.0, "regTCall": 0.0,
        "shortMarginValue": b.short_stock, "shortOptionMarketValue": b.short_options,
        "shortStockValue": b.short_stock, "totalCash": b.cash, "isInCall": False, "pendingDeposits": 0.0,
        "marginBalance": min(b.cash, 0.0), "shortBalance": b.short_stock, "accountValue": b.equity,
    }


def margin_current(b: Balances) -> Json:
    return {
        "accruedInterest": 0.0, "cashBalance": b.cash, "cashReceipts": 0.0, "longOptionMarketValue": b.long_options,
        "liquidationValue": b.equity, "longMarketValue": b.long_stock, "moneyMarketFund": 0.0, "savings": 0.0,
        "shortMarketValue": b.short_stock, "pendingDeposits": 0.0, "mutualFundValue": 0.0, "bondValue": 0.0,
        "shortOptionMarketValue": b.short_options, "availableFunds": b.buying_power / 2,
        "availableFundsNonMarginableTrade": b.buying_power / 2, "buyingPower": b.buying_power,
        "buyingPowerNonMarginableTrade": b.buying_power / 2, "dayTradingBuyingPower": b.buying_power * 2,
        "equity": b.equity, "equityPercentage": 100.0, "longMarginValue": b.long_stock, "maintenanceCall": 0.0,
        "maintenanceRequirement": b.maintenance, "marginBalance": min(b.cash, 0.0), "regTCall": 0.0,
        "shortBalance": b.short_stock, "shortMarginValue": b.short_stock, "sma": b.buying_power / 2,
    }


def margin_projected(b: Balances) -> Json:
    return {"availableFunds": b.buying_power / 2, "availableFundsNonMarginableTrade": b.buying_power / 2,
            "buyingPower": b.buying_power, "dayTradingBuyingPower": b.buying_power * 2,
            "dayTradingBuyingPowerCall": 0.0, "maintenanceCall": 0.0, "regTCall": 0.0, "isInCall": False,
            "stockBuyingPower": b.buying_power}


def cash_initial(b: Balances) -> Json:
    return {"accruedInterest": 0.0, "cashAvailableForTrading": b.cash, "cashAvailableForWithdrawal": b.cash,
            "cashBalance": b.cash, "bondValue": 0.0, "cashReceipts": 0.0, "liquidationValue": b.equity,
            "longOptionMarketValue": b.long_options, "longStockValue": b.long_stock, "moneyMarketFund": 0.0,
            "mutualFundValue": 0.0, "shortOptionMarketValue": 0.0, "shortStockValue": 0.0, "isInCall": False,
            "unsettledCash": 0.0, "cashDebitCallValue": 0.0, "pendingDeposits": 0.0, "accountValue": b.equity}


def cash_current(b: Balances) -> Json:
    return {"cashAvailableForTrading": b.buying_power, "cashAvailableForWithdrawal": b.cash, "cashCall": 0.0,
            "longNonMarginableMarketValue": b.long_value, "totalCash": b.cash, "cashDebitCallValue": 0.0,
            "unsettledCash": 0.0}


def securities_account(broker: Broker, account: Account, positions: bool, dialect: Dialect) -> Json:
    """The ``securitiesAccount`` object both providers answer (TD's ``accountId``, Schwab's ``accountNumber``)."""
    found: Json = {"type": account.type, dialect.account_field: account.number, "roundTrips": 0,
                   "isDayTrader": False, "isClosingOnlyRestricted": False}
    if dialect.schwab:
        found["pfcbFlag"] = False
    if positions:
        found["positions"] = [position_json(broker, instrument, p.quantity, p.average_price, dialect)
                              for instrument, p in sorted(account.positions.items(),
                                                          key=lambda item: dialect.symbol(item[0]))]
    start = Balances(account.start_cash, account.start_value, 0.0, 0.0, 0.0,
                     account.start_cash * (2 if account.type == "MARGIN" else 1), 0.25 * account.start_value)
    found.update(balances_json(account, broker.balances(account), start))
    return found


def fields_param(query: Query, accepted: Tuple[str, ...]) -> List[str]:
    """The comma-joined ``fields`` of an accounts request (TD: positions, orders; Schwab: positions)."""
    fields = [f.strip() for f in query.get("fields", "").split(",") if f.strip()]
    for name in fields:
        if name not in accepted:
            raise BadRequest(f"fields must be any of {', '.join(accepted)}; got {name!r}", "fields")
    return fields


# -- routing ------------------------------------------------------------------------------------------------

def dispatch(routes: Routes, method: str, relative: str, *args: Any) -> Optional[Reply]:
    """The reply of the route whose method and pattern match (handlers get ``*args`` then the path's groups);
    a path known for other methods answers None with ``method`` unknown: the caller answers 405."""
    known = False
    for verb, pattern, handler in routes:
        match = pattern.fullmatch(relative)
        if match is None:
            continue
        known = True
        if verb == method:
            return handler(*args, *match.groups())
    if known:
        raise NotAllowed(method)
    return None


class NotAllowed(Exception):
    """A trader path asked with a method it does not serve."""


ORDER_ROUTES = (  # method, path, the Trader method that answers (in the provider's shapes)
    ("GET", r"orders", "all_orders"),
    ("GET", r"accounts/(\w+)/orders", "orders"),
    ("POST", r"accounts/(\w+)/orders", "place"),
    ("GET", r"accounts/(\w+)/orders/(\d+)", "order"),
    ("PUT", r"accounts/(\w+)/orders/(\d+)", "replace"),
    ("DELETE", r"accounts/(\w+)/orders/(\d+)", "cancel"),
    ("GET", r"accounts/(\w+)/transactions", "transactions"),
    ("GET", r"accounts/(\w+)/transactions/(\d+)", "transaction"),
)


class Trader:
    """One provider's trader endpoints on a sandbox's broker: what both providers route alike (the order and
    transaction paths), the dispatch, and the hooks for each provider's error body."""

    def __init__(self, sandbox: Host, lookup: Lookup) -> None:
        self.sandbox = sandbox
        self.broker = sandbox.broker
        self.lookup = lookup
        self._lock = threading.Lock()
        self.routes: Routes = [*self.own_routes(), *self.order_routes()]

    def own_routes(self) -> Routes:
        """The provider's other endpoints."""
        return []

    def order_routes(self) -> Routes:
        """Orders and transactions: the same paths on both providers (relative to their trader base), served
        by the methods :data:`ORDER_ROUTES` names."""
        return [(verb, re.compile(pattern), getattr(self, name)) for verb, pattern, name in ORDER_ROUTES]

    def answer(self, method: str, relative: str, query: Query, body: bytes) -> Optional[Reply]:
        """The reply to a trader request (``relative`` to the trader base), or None for an unknown path."""
        try:
            return dispatch(self.routes, method, relative, query, body)
        except (Rejected, BadRequest) as exc:
            return self.error(400, str(exc))
        except NotFound as exc:
            return self.error(404, str(exc))
        except NotAllowed:
            return self.wrong_method(method, relative)

    def error(self, status: int, message: str) -> Reply:
        """The provider's error body."""
        raise NotImplementedError

    def wrong_method(self, method: str, relative: str) -> Reply:
        raise NotImplementedError

    # -- what each provider knows: its symbols, how paths name accounts, where orders live ----------------

    dialect: Dialect

    def find(self, symbol: str) -> Union[Security, Option, None]:
        """What a symbol in the provider's format names (a security or a listed option), or None."""
        return self.lookup(symbol, self.today())

    def today(self) -> date:
        """The broker's day, where the provider's options expire."""
        raise NotImplementedError

    def number_of(self, key: str) -> str:
        """The account number a path's account segment names; NotFound if none."""
        raise NotImplementedError

    def location(self, key: str, order_id: int) -> Dict[str, str]:
        """The ``Location`` header of a placed order."""
        raise NotImplementedError

    def spec_of(self, body: bytes) -> Spec:
        """An order request's body as the broker's Spec (Rejected with the reason)."""
        return read_order(read_body(body), self.find, self.dialect)

    # -- the order endpoints, alike on both providers -------------------------------------------------

    def place(self, query: Query, body: bytes, key: str) -> Reply:
        order = self.broker.place(self.number_of(key), self.spec_of(body))
        return Reply(201, b"", "application/json", self.location(key, order.id))

    def order(self, query: Query, body: bytes, key: str, order_id: str) -> Reply:
        return json_reply(200, order_json(self.broker.order(self.number_of(key), int(order_id)), self.dialect))

    def replace(self, query: Query, body: bytes, key: str, order_id: str) -> Reply:
        number = self.number_of(key)
        self.broker.order(number, int(order_id))  # a missing order is a 404 before the body is read
        new = self.broker.replace(number, int(order_id), self.spec_of(body))
        return Reply(201, b"", "application/json", self.location(key, new.id))

    def cancel(self, query: Query, body: bytes, key: str, order_id: str) -> Reply:
        self.broker.cancel(self.number_of(key), int(order_id))
        return Reply(200, b"")


__all__ = ["Dialect", "NotAllowed", "NotFound", "Rejected", "Trader", "dispatch", "order_json", "read_body",
           "read_order", "securities_account", "stamp"]
