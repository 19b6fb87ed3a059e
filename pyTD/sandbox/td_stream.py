"""TD Ameritrade's streamer, as the sandbox plays it (td-trading.md §8): the credential LOGIN, field numbers,
answers, and one stream per account (a second one is closed)."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, Optional, Tuple, Union
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from pyTD.sandbox import td
from pyTD.sandbox.market import Option, Security
from pyTD.sandbox.streamer import BOOK, CHART_FUTURES, FOREX, Session, Streamer, StreamUser, Wire, _ms
from pyTD.sandbox.td_trading import td_symbol

CREDENTIAL = ("userid", "token", "company", "segment", "cddomain", "usergroup", "accesslevel", "authorized",
              "timestamp", "appid", "acl")
LEVEL_ONE = {"bidPrice": 1, "askPrice": 2, "lastPrice": 3, "bidSize": 4, "askSize": 5, "askId": 6, "bidId": 7,
             "totalVolume": 8, "lastSize": 9, "highPrice": 12, "lowPrice": 13, "closePrice": 15, "exchange": 16,
             "description": 25, "digits": 27, "openPrice": 28, "netChange": 29, "exchangeName": 39,
             "securityStatus": 48, "mark": 49, "quoteTime": 50, "tradeTime": 51}
OPTION = {"description": 1, "bidPrice": 2, "askPrice": 3, "lastPrice": 4, "highPrice": 5, "lowPrice": 6,
          "closePrice": 7, "totalVolume": 8, "openInterest": 9, "volatility": 10, "moneyIntrinsicValue": 13,
          "expirationYear": 16, "multiplier": 17, "openPrice": 19, "bidSize": 20, "askSize": 21, "lastSize": 22,
          "netChange": 23, "strikePrice": 24, "contractType": 25, "underlying": 26, "expirationMonth": 27,
          "timeValue": 29, "expirationDay": 30, "daysToExpiration": 31, "delta": 32, "gamma": 33, "theta": 34,
          "vega": 35, "rho": 36, "securityStatus": 37, "underlyingPrice": 39, "mark": 41}
FUTURES = {"bidPrice": 1, "askPrice": 2, "lastPrice": 3, "bidSize": 4, "askSize": 5, "askId": 6, "bidId": 7,
           "totalVolume": 8, "lastSize": 9, "quoteTime": 10, "tradeTime": 11, "highPrice": 12, "lowPrice": 13,
           "closePrice": 14, "exchange": 15, "description": 16, "openPrice": 18, "netChange": 19, "exchangeName": 21,
           "securityStatus": 22, "mark": 24, "futureActiveSymbol": 34}
CHART_EQUITY = {"open": 1, "high": 2, "low": 3, "close": 4, "volume": 5, "sequence": 6, "chartTime": 7, "chartDay": 8}
TIMESALE = {"tradeTime": 1, "lastPrice": 2, "lastSize": 3, "lastSequence": 4}
NEWS = {"errorCode": 1, "storyTime": 2, "headlineId": 3, "status": 4, "headline": 5, "storyId": 6,
        "keywordCount": 7, "keywords": 8, "isHot": 9, "storySource": 10}


# A paper order's events as TD's account-activity message types (td-trading.md, ACCT_ACTIVITY).
TD_ACTIVITY = {"entered": "OrderEntryRequest", "filled": "OrderFill", "canceled": "UROUT",
               "replaced": "OrderCancelReplaceRequest", "rejected": "OrderRejection"}


class TDWire(Wire):
    services = {
        "QUOTE": ("level1", LEVEL_ONE), "OPTION": ("level1", OPTION), "LEVELONE_FUTURES": ("level1", FUTURES),
        "LEVELONE_FUTURES_OPTIONS": ("level1", FUTURES), "LEVELONE_FOREX": ("level1", FOREX),
        "CHART_EQUITY": ("chart", CHART_EQUITY), "CHART_FUTURES": ("chart", CHART_FUTURES),
        "LISTED_BOOK": ("book", BOOK), "NASDAQ_BOOK": ("book", BOOK), "OPTIONS_BOOK": ("book", BOOK),
        "TIMESALE_EQUITY": ("timesale", TIMESALE), "TIMESALE_FUTURES": ("timesale", TIMESALE),
        "NEWS_HEADLINE": ("news", NEWS), "ACCT_ACTIVITY": ("activity", {}),
    }

    def login(self, request: Dict[str, Any], streamer: Streamer) -> Union[StreamUser, str]:
        parameters = request.get("parameters") or {}
        credential = parse_qsl(str(parameters.get("credential", "")), keep_blank_values=True)
        names = tuple(name for name, _ in credential)
        if names != CREDENTIAL:
            return f"Login Denied.: the credential must hold {', '.join(CREDENTIAL)}, in this order; got {names}"
        given = dict(credential)
        token = streamer.token_named(given["token"])
        if token is None or parameters.get("token") != given["token"]:
            return "Login Denied.: unknown streamer token"
        if streamer.authority.client_of(f"Bearer {token.access_token}") != token.user.client:
            return "Login Denied.: the streamer token has expired (its access token did)"
        user = token.user
        expected = {"userid": user.account, "company": td.COMPANY, "segment": td.COMPANY, "cddomain": user.cd_domain,
                    "usergroup": td.ACCESS, "accesslevel": td.ACCESS, "authorized": "Y",
                    "timestamp": str(token.issued * 1000), "appid": td.APP_ID, "acl": td.ACL}
        wrong = [name for name, value in expected.items() if given[name] != value]
        # The account as text or as a number (tda-api sends the account_id it was given, an int).
        if wrong or str(request.get("account")) != user.account or request.get("source") != td.APP_ID \
                or parameters.get("version") != "1.0":
            return f"Login Denied.: wrong {', '.join(wrong) or 'account, source or version'}"
        return user

    def identity(self, request: Dict[str, Any]) -> Dict[str, Any]:
        return {"account": request.get("account"), "source": request.get("source")}

    def response(self, request: Dict[str, Any], code: int, message: str) -> Dict[str, Any]:
        return {"service": request.get("service"), "requestid": str(request.get("requestid")),
                "command": request.get("command"), "timestamp": _ms(), "content": {"code": code, "msg": message}}

    def find(self, symbol: str) -> Union[Security, Option, None]:
        return td.find(symbol, date.today())

    async def second_stream(self, session: Session, request: Dict[str, Any], streamer: Streamer) -> None:
        await session.ws.close(1000, "")  # TD closes another stream of the same account, saying nothing

    def activity(self, event: str, order: Any) -> Optional[Tuple[str, str]]:
        kind = TD_ACTIVITY.get(event)
        if kind is None:
            return None
        leg = order.spec.legs[0] if order.spec.legs else None
        symbol = escape(td_symbol(leg.instrument)) if leg is not None else ""
        # TD sent XML (its urn:xmlns:beb.ameritrade.com schema); the sandbox sends the parts clients read.
        return kind, (f'<?xml version="1.0" encoding="UTF-8"?><{kind}Message xmlns="urn:xmlns:beb.ameritrade.com">'
                      f"<OrderGroupID><AccountKey>{order.account}</AccountKey></OrderGroupID><Order>"
                      f"<OrderKey>{order.id}</OrderKey><Security><Symbol>{symbol}</Symbol></Security>"
                      f"<OriginalQuantity>{order.quantity:g}</OriginalQuantity><OrderType>"
                      f"{escape(order.spec.order_type)}</OrderType></Order></{kind}Message>")
