"""Charles Schwab's streamer, as the sandbox plays it (schwab-api.md §7): the access-token LOGIN, field numbers
(CHART_EQUITY in the wire's order), answers, 500 keys per service, one stream per user (code 12)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Dict, Optional, Tuple, Union

from pyTD.sandbox import schwab
from pyTD.sandbox.market import Option, Security
from pyTD.sandbox.schwab_trading import schwab_symbol
from pyTD.sandbox.streamer import BOOK, CHART_FUTURES, FOREX, Session, Streamer, StreamUser, Wire, _ms

LEVEL_ONE = {"bidPrice": 1, "askPrice": 2, "lastPrice": 3, "bidSize": 4, "askSize": 5, "askId": 6, "bidId": 7,
             "totalVolume": 8, "lastSize": 9, "highPrice": 10, "lowPrice": 11, "closePrice": 12, "exchange": 13,
             "description": 15, "openPrice": 17, "netChange": 18, "exchangeName": 25, "securityStatus": 32,
             "mark": 33, "quoteTime": 34, "tradeTime": 35, "netPercentChange": 42}
OPTION = {"description": 1, "bidPrice": 2, "askPrice": 3, "lastPrice": 4, "highPrice": 5, "lowPrice": 6,
          "closePrice": 7, "totalVolume": 8, "openInterest": 9, "volatility": 10, "moneyIntrinsicValue": 11,
          "expirationYear": 12, "multiplier": 13, "openPrice": 15, "bidSize": 16, "askSize": 17, "lastSize": 18,
          "netChange": 19, "strikePrice": 20, "contractType": 21, "underlying": 22, "expirationMonth": 23,
          "timeValue": 25, "expirationDay": 26, "daysToExpiration": 27, "delta": 28, "gamma": 29, "theta": 30,
          "vega": 31, "rho": 32, "securityStatus": 33, "underlyingPrice": 35, "mark": 37, "quoteTime": 38,
          "tradeTime": 39}
FUTURES = {"bidPrice": 1, "askPrice": 2, "lastPrice": 3, "bidSize": 4, "askSize": 5, "bidId": 6, "askId": 7,
           "totalVolume": 8, "lastSize": 9, "quoteTime": 10, "tradeTime": 11, "highPrice": 12, "lowPrice": 13,
           "closePrice": 14, "exchange": 15, "description": 16, "openPrice": 18, "netChange": 19, "exchangeName": 21,
           "securityStatus": 22, "mark": 24, "futureActiveSymbol": 34}
CHART_EQUITY = {"sequence": 1, "open": 2, "high": 3, "low": 4, "close": 5, "volume": 6, "chartTime": 7, "chartDay": 8}
SCREENER = {"snapshotTime": 1, "sortField": 2, "frequency": 3, "items": 4}


# A paper order's events as Schwab's account-activity message types (schwab-api.md, ACCT_ACTIVITY).
SCHWAB_ACTIVITY = {"entered": "OrderCreated", "filled": "OrderFillCompleted", "canceled": "OrderUROutCompleted",
                   "replaced": "OrderUROutCompleted", "rejected": "OrderRejected"}


class SchwabWire(Wire):
    services = {
        "LEVELONE_EQUITIES": ("level1", LEVEL_ONE), "LEVELONE_OPTIONS": ("level1", OPTION),
        "LEVELONE_FUTURES": ("level1", FUTURES), "LEVELONE_FOREX": ("level1", FOREX),
        "CHART_EQUITY": ("chart", CHART_EQUITY), "CHART_FUTURES": ("chart", CHART_FUTURES),
        "NYSE_BOOK": ("book", BOOK), "NASDAQ_BOOK": ("book", BOOK), "OPTIONS_BOOK": ("book", BOOK),
        "SCREENER_EQUITY": ("screener", SCREENER), "SCREENER_OPTION": ("screener", SCREENER),
        "ACCT_ACTIVITY": ("activity", {}),
    }
    key_limit = 500
    book_maker_time = True

    def login(self, request: Dict[str, Any], streamer: Streamer) -> Union[StreamUser, str]:
        parameters = request.get("parameters") or {}
        token = str(parameters.get("Authorization", ""))
        client = streamer.authority.client_of(f"Bearer {token}")
        if client is None or token.startswith("Bearer"):
            return "Login Denied.: token is invalid or has expired."
        user = streamer.user(client)
        if (request.get("SchwabClientCustomerId"), request.get("SchwabClientCorrelId")) != \
                (user.customer_id, user.correl_id):
            return "Login Denied.: SchwabClientCustomerId or SchwabClientCorrelId does not match the user"
        if (parameters.get("SchwabClientChannel"), parameters.get("SchwabClientFunctionId")) != \
                (schwab.CHANNEL, schwab.FUNCTION_ID):
            return "Login Denied.: wrong SchwabClientChannel or SchwabClientFunctionId"
        return user

    def identity(self, request: Dict[str, Any]) -> Dict[str, Any]:
        return {"SchwabClientCustomerId": request.get("SchwabClientCustomerId"),
                "SchwabClientCorrelId": request.get("SchwabClientCorrelId")}

    def response(self, request: Dict[str, Any], code: int, message: str) -> Dict[str, Any]:
        return {"service": request.get("service"), "command": request.get("command"),
                "requestid": str(request.get("requestid")), "SchwabClientCorrelId": request.get("SchwabClientCorrelId"),
                "timestamp": _ms(), "content": {"code": code, "msg": message}}

    def find(self, symbol: str) -> Union[Security, Option, None]:
        return schwab.find(symbol, date.today())

    async def second_stream(self, session: Session, request: Dict[str, Any], streamer: Streamer) -> None:
        await streamer.answer(session, request, 12, "CLOSE_CONNECTION: you've reached the maximum number of "
                                                     "connections allowed (one streamer connection per user)")
        await session.ws.close(1000, "")

    def activity(self, event: str, order: Any) -> Optional[Tuple[str, str]]:
        kind = SCHWAB_ACTIVITY.get(event)
        if kind is None:
            return None
        leg = order.spec.legs[0] if order.spec.legs else None
        # Schwab sends a JSON string (the recorded frames' shape, fewer of their parts).
        symbol = schwab_symbol(leg.instrument) if leg is not None else None
        return kind, json.dumps({"SchwabOrderID": str(order.id), "AccountNumber": order.account,
                                 "BaseEvent": {"EventType": kind, "Symbol": symbol, "Quantity": order.quantity,
                                               "Status": order.status}}, separators=(",", ":"))
