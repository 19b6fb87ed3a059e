"""Charles Schwab's trader stand-in (schwab-api.md sections 4-5, ``trader-openapi.json``): accounts addressed by
hash, orders, previews, transactions and the user's preferences under ``/trader/v1``, on the shared paper broker.

Its answers validate against Schwab's trader spec, except where real recordings differ
(``tests/test_sandbox_trading.py`` lists each case).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from pyTD.sandbox.broker import BUYS, Instrument, NotFound, Rejected, Spec, Transaction
from pyTD.sandbox.params import BadRequest, Query, one_of, whole
from pyTD.sandbox.provider import Host
from pyTD.sandbox.replies import Reply, json_reply
from pyTD.sandbox.trading import (
    Dialect,
    Lookup,
    Routes,
    Trader,
    effect,
    fields_param,
    instrument_json,
    order_json,
    read_body,
    securities_account,
    stamp,
)

ORDER_STATUSES = ("AWAITING_PARENT_ORDER", "AWAITING_CONDITION", "AWAITING_STOP_CONDITION",
                  "AWAITING_MANUAL_REVIEW", "ACCEPTED", "AWAITING_UR_OUT", "PENDING_ACTIVATION", "QUEUED", "WORKING",
                  "REJECTED", "PENDING_CANCEL", "CANCELED", "PENDING_REPLACE", "REPLACED", "FILLED", "EXPIRED", "NEW",
                  "AWAITING_RELEASE_TIME", "PENDING_ACKNOWLEDGEMENT", "PENDING_RECALL", "UNKNOWN")
TRANSACTION_TYPES = ("TRADE", "RECEIVE_AND_DELIVER", "DIVIDEND_OR_INTEREST", "ACH_RECEIPT", "ACH_DISBURSEMENT",
                     "CASH_RECEIPT", "CASH_DISBURSEMENT", "ELECTRONIC_FUND", "WIRE_OUT", "WIRE_IN", "JOURNAL",
                     "MEMORANDUM", "MARGIN_CALL", "MONEY_MARKET", "SMA_ADJUSTMENT")
DURATIONS = ("DAY", "GOOD_TILL_CANCEL", "FILL_OR_KILL", "IMMEDIATE_OR_CANCEL", "END_OF_WEEK", "END_OF_MONTH",
             "NEXT_END_OF_MONTH")
INSTANT = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{3})?Z")
MAX_TRANSACTIONS = 3000  # per answer
CURRENCY = {"assetType": "CURRENCY", "status": "ACTIVE", "symbol": "CURRENCY_USD", "description": "USD currency",
            "instrumentId": 1, "closingPrice": 0.0}


def schwab_symbol(instrument: Instrument) -> str:
    if instrument.put_call and instrument.expiration is not None:
        return (f"{instrument.security.option_root:<6}{instrument.expiration:%y%m%d}{instrument.put_call[0]}"
                f"{round(instrument.strike * 1000):08d}")
    return instrument.security.symbol


DIALECT = Dialect("accountNumber", schwab_symbol, DURATIONS, schwab=True)


def errors_body(message: str) -> Dict[str, Any]:
    """Schwab's trader error: ``ServiceError``."""
    return {"message": message, "errors": [message]}


class SchwabTrader(Trader):
    """Schwab's trader endpoints on one sandbox's broker; accounts are addressed by hashes it can change."""

    dialect = DIALECT

    def __init__(self, sandbox: Host, lookup: Lookup) -> None:
        self._generation = 0
        super().__init__(sandbox, lookup)

    def own_routes(self) -> Routes:
        return [
            ("GET", re.compile(r"accounts/accountNumbers"), self.account_numbers),
            ("GET", re.compile(r"accounts"), self.accounts),
            ("GET", re.compile(r"accounts/(\w+)"), self.account),
            ("POST", re.compile(r"accounts/(\w+)/previewOrder"), self.preview),
        ]

    def error(self, status: int, message: str) -> Reply:
        return json_reply(status, errors_body(message))

    def wrong_method(self, method: str, relative: str) -> Reply:
        return self.error(405, f"{method} is not allowed on /trader/v1/{relative}")

    # -- account hashes -------------------------------------------------------------------------------

    def hash_of(self, number: str) -> str:
        with self._lock:
            generation = self._generation
        digest = hashlib.sha256(f"{self.sandbox.seed}:{generation}:{number}".encode()).hexdigest()
        return digest.upper()

    def rotate_hashes(self) -> None:
        """Give every account a new hash: the old ones answer 404 (a client's map goes stale)."""
        with self._lock:
            self._generation += 1

    def number_of(self, key: str) -> str:
        for number in self.broker.accounts:
            if self.hash_of(number) == key:
                return number
        raise NotFound(f"No account with the hash {key[:8]}... (get the hashes from /accounts/accountNumbers)")

    def today(self) -> date:
        return datetime.fromtimestamp(self.broker.clock(), timezone.utc).date()

    def location(self, key: str, order_id: int) -> Dict[str, str]:
        return {"Location": f"{self.sandbox.url}/trader/v1/accounts/{key}/orders/{order_id}"}

    # -- accounts -------------------------------------------------------------------------------------

    def account_numbers(self, query: Query, body: bytes) -> Reply:
        return json_reply(200, [{"accountNumber": n, "hashValue": self.hash_of(n)} for n in self.broker.accounts])

    def accounts(self, query: Query, body: bytes) -> Reply:
        positions = "positions" in fields_param(query, ("positions",))
        return json_reply(200, [self._account(n, positions) for n in self.broker.accounts])

    def account(self, query: Query, body: bytes, key: str) -> Reply:
        positions = "positions" in fields_param(query, ("positions",))
        return json_reply(200, self._account(self.number_of(key), positions))

    def _account(self, number: str, positions: bool) -> Dict[str, Any]:
        inner = securities_account(self.broker, self.broker.account(number), positions, DIALECT)
        value = inner["currentBalances"].get("liquidationValue", inner["initialBalances"]["liquidationValue"])
        return {"securitiesAccount": inner,
                "aggregatedBalance": {"currentLiquidationValue": value, "liquidationValue": value}}

    # -- orders ---------------------------------------------------------------------------------------

    def all_orders(self, query: Query, body: bytes) -> Reply:
        return self._list(query, None)

    def orders(self, query: Query, body: bytes, key: str) -> Reply:
        return self._list(query, self.number_of(key))

    def _list(self, query: Query, number: Optional[str]) -> Reply:
        first, last = _instant(query, "fromEnteredTime"), _instant(query, "toEnteredTime")
        if first > last:
            raise BadRequest("fromEnteredTime must not be after toEnteredTime")
        if last - first > timedelta(days=366):
            raise BadRequest("The date range of fromEnteredTime and toEnteredTime may be at most a year")
        now = datetime.fromtimestamp(self.broker.clock(), timezone.utc)
        if number is None and first < now - timedelta(days=61):  # a day to spare for a client's "60 days ago"
            raise BadRequest("fromEnteredTime must be within 60 days of today")
        status = one_of(query, "status", ORDER_STATUSES)
        limit = whole(query, "maxResults") or 3000
        # compared at the second its enteredTime shows
        found = [order_json(o, DIALECT) for o in self.broker.orders_of(number)
                 if first.timestamp() <= int(o.entered) <= last.timestamp() and status in (None, o.status)]
        return json_reply(200, found[:limit])

    def spec_of(self, body: bytes) -> Spec:
        order = read_body(body)
        if isinstance(order, dict) and any("requestedDestination" in part for part in
                                           [order, *(c for c in order.get("childOrderStrategies") or []
                                                     if isinstance(c, dict))]):
            raise Rejected("requestedDestination is not allowed in an order request")  # schwab-py issue 43
        return super().spec_of(body)

    def preview(self, query: Query, body: bytes, key: str) -> Reply:
        number = self.number_of(key)
        spec = self.spec_of(body)
        return json_reply(200, preview_json(self, number, spec))

    # -- transactions ---------------------------------------------------------------------------------

    def transactions(self, query: Query, body: bytes, key: str) -> Reply:
        number = self.number_of(key)
        first, last = _instant(query, "startDate"), _instant(query, "endDate")
        if first > last or last - first > timedelta(days=366):
            raise BadRequest("startDate must not be after endDate, and at most a year before it")
        given = query.get("types", "")
        if not given:
            raise BadRequest("types is required")
        kinds = given.split(",")
        for kind in kinds:
            if kind not in TRANSACTION_TYPES:
                raise BadRequest(f"types must be any of {', '.join(TRANSACTION_TYPES)}; got {kind!r}")
        symbol = query.get("symbol")
        found = []
        for t in reversed(self.broker.transactions_of(number)):
            if not first.timestamp() <= int(t.time) <= last.timestamp() or t.kind not in kinds:
                continue
            if symbol and (t.instrument is None or schwab_symbol(t.instrument) != symbol):
                continue
            found.append(transaction_json(t))
        return json_reply(200, found[:MAX_TRANSACTIONS])

    def transaction(self, query: Query, body: bytes, key: str, transaction_id: str) -> Reply:
        # The spec's answer is a list (schwab-api.md): so it is here.
        return json_reply(200, [transaction_json(self.broker.transaction(self.number_of(key), int(transaction_id)))])



def _instant(query: Query, name: str) -> datetime:
    """A required date-time parameter, ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` (the milliseconds optional)."""
    value = query.get(name)
    if not value:
        raise BadRequest(f"{name} is required", name)
    match = INSTANT.fullmatch(value)
    if match is None:
        raise BadRequest(f"{name} must be a date-time such as 2024-03-29T00:00:00.000Z; got {value!r}", name)
    moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return moment + timedelta(milliseconds=int((match.group(2) or ".0")[1:]))


def transaction_json(t: Transaction) -> Dict[str, Any]:
    """A transaction in Schwab's shape: the security and each fee as ``transferItems``."""
    items: List[Dict[str, Any]] = []
    if t.instrument is not None:
        instrument = instrument_json(t.instrument, DIALECT)
        security = {key: value for key, value in instrument.items() if key in ("assetType", "symbol", "description",
                                                                                "instrumentId", "putCall",
                                                                                "underlyingSymbol")}
        security.update(status="ACTIVE", closingPrice=t.instrument.security.price)
        if t.instrument.asset_type == "EQUITY":
            security["type"] = "COMMON_STOCK"
        gross = round(t.price * t.quantity * t.instrument.multiplier, 2)
        buys = t.instruction in BUYS
        item: Dict[str, Any] = {"instrument": security, "amount": t.quantity if buys or not t.instruction
                                else -t.quantity, "cost": (-gross if buys else gross) if t.instruction else 0.0,
                                "price": t.price}
        if t.instruction:
            item["positionEffect"] = t.position_effect
        items.append(item)
    else:
        items.append({"instrument": dict(CURRENCY), "amount": t.amount, "cost": t.amount})
    items += [{"instrument": dict(CURRENCY), "amount": 0.0, "cost": -fee, "feeType": name}
              for name, fee in t.fees.items()]
    found: Dict[str, Any] = {
        "activityId": t.id, "time": stamp(t.time), "description": t.description, "accountNumber": t.account,
        "type": t.kind, "status": "VALID", "subAccount": "CASH", "tradeDate": stamp(t.time),
        "netAmount": t.amount, "activityType": "EXECUTION" if t.kind == "TRADE" else "TRANSFER",
        "transferItems": items,
    }
    if t.order_id is not None:
        found.update(orderId=t.order_id, positionId=t.order_id % 1_000_000_007,
                     settlementDate=stamp(t.time + 86400))
    return found


def preview_json(trader: SchwabTrader, number: str, spec: Spec) -> Dict[str, Any]:
    """``POST .../previewOrder``: the order checked and priced, not placed (fixtures/schwab/previeworder-1);
    an order the account cannot carry is REJECTED with the reason, as recorded."""
    broker = trader.broker
    try:
        broker.check(number, spec)
        verdict: Dict[str, Any] = {"accepts": [{"activityMessage": "Order is valid", "originalSeverity": "ACCEPT"}]}
        status = "ACCEPTED"
    except Rejected as exc:
        verdict, status = {"rejects": [{"activityMessage": str(exc), "originalSeverity": "REJECT"}]}, "REJECTED"
    now = stamp(broker.clock())
    legs = []
    value = 0.0
    for i, leg in enumerate(spec.legs, 1):
        bid, ask = broker.quote(leg.instrument)
        price = spec.price if spec.price is not None and len(spec.legs) == 1 else (ask if leg.buys else bid)
        value += price * leg.quantity * leg.instrument.multiplier
        legs.append({"askPrice": ask, "bidPrice": bid, "lastPrice": round((bid + ask) / 2, 2),
                     "markPrice": broker.mark(leg.instrument), "projectedCommission": 0.0,
                     "finalSymbol": schwab_symbol(leg.instrument), "legId": i,
                     "assetType": leg.instrument.asset_type, "instruction": leg.instruction,
                     "positionEffect": effect(leg), "instrument": {"assetType": leg.instrument.asset_type,
                                                                   "symbol": schwab_symbol(leg.instrument)}})
    power = broker.balances(broker.account(number)).buying_power
    strategy: Dict[str, Any] = {
        "accountNumber": number, "advancedOrderType": {"OCO": "OCO", "TRIGGER": "OTO"}.get(spec.strategy, "NONE"),
        "closeTime": now, "enteredTime": now,
        "orderBalance": {"orderValue": round(value, 2), "projectedAvailableFund": round(power - value, 2),
                         "projectedBuyingPower": round(power - value, 2), "projectedCommission": 0.0},
        "orderStrategyType": spec.strategy, "orderVersion": 1, "session": spec.request.get("session", "NORMAL"),
        "status": status, "discretionary": False, "duration": spec.request.get("duration", "DAY"),
        "filledQuantity": 0.0, "orderType": spec.order_type or "MARKET", "orderValue": round(value, 2),
        "quantity": spec.legs[0].quantity if spec.legs else 0.0, "remainingQuantity": 0.0,
        "sellNonMarginableFirst": False, "strategy": spec.request.get("complexOrderStrategyType", "NONE"),
        "amountIndicator": "SHARES", "orderLegs": legs,
    }
    if spec.price is not None:
        strategy["price"] = spec.price
    zero = {"commissionLegs": [{"commissionValues": [{"value": 0.0, "type": "BASE_CHARGE"},
                                                     {"value": 0.0, "type": "COMMISSION"}]}]}
    fees = {"feeLegs": [{"feeValues": [{"value": 0.0, "type": name} for name in ("SEC_FEE", "OPT_REG_FEE",
                                                                                 "TAF_FEE")]}]}
    return {"orderId": 0, "orderStrategy": strategy, "orderValidationResult": verdict,
            "commissionAndFee": {"commission": zero, "fee": fees, "trueCommission": zero}}
