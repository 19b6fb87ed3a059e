"""TD Ameritrade's developer API (shut down in May 2024), as ``td-api.md`` describes it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import quote, urlencode

from pyTD.checks import choice
from pyTD.exceptions import StreamError
from pyTD.frames import columns_of
from pyTD.providers import streaming
from pyTD.providers.base import (
    App,
    OptionSymbol,
    Provider,
    Request,
    TokenRequest,
    legs_of,
    location_id,
    option_parts,
    parts_of,
    plain_strike,
    read_option_symbol,
    records,
    span,
)
from pyTD.providers.streaming import ALL, BOOK, CHANGE, FOREX, WHOLE, StreamerLogin, StreamService, services, table
from pyTD.tokens import Token, TokenPair, parse_token_response

CLIENT_ID_SUFFIX = "@AMER.OAUTHAP"
MOVER_INDEXES = ("$DJI", "$COMPX", "$SPX.X")

# -- streaming (td-trading.md §8): field names by number, one table per service ---------------------------------

QUOTE = table("""
    symbol bidPrice askPrice lastPrice bidSize askSize askId bidId totalVolume lastSize tradeSeconds quoteSeconds
    highPrice lowPrice bidTick closePrice exchange marginable shortable islandBid islandAsk islandVolume quoteDay
    tradeDay volatility description lastId digits openPrice netChange 52WkHigh 52WkLow peRatio divAmount divYield
    islandBidSize islandAskSize nAV fundPrice exchangeName divDate regularMarketQuote regularMarketTrade
    regularMarketLastPrice regularMarketLastSize regularMarketTradeSeconds regularMarketTradeDay
    regularMarketNetChange securityStatus mark quoteTime tradeTime regularMarketTradeTime""")
OPTION = table("""
    symbol description bidPrice askPrice lastPrice highPrice lowPrice closePrice totalVolume openInterest volatility
    quoteSeconds tradeSeconds moneyIntrinsicValue quoteDay tradeDay expirationYear multiplier digits openPrice bidSize
    askSize lastSize netChange strikePrice contractType underlying expirationMonth deliverables timeValue
    expirationDay daysToExpiration delta gamma theta vega rho securityStatus theoreticalOptionValue underlyingPrice
    uvExpirationType mark""")
FUTURES = table("""
    symbol bidPrice askPrice lastPrice bidSize askSize askId bidId totalVolume lastSize quoteTime tradeTime highPrice
    lowPrice closePrice exchange description lastId openPrice netChange futurePercentChange exchangeName
    securityStatus openInterest mark tick tickAmount product futurePriceFormat futureTradingHours futureIsTradable
    futureMultiplier futureIsActive futureSettlementPrice futureActiveSymbol futureExpirationDate""")
CHART_EQUITY = table("symbol open high low close volume sequence chartTime chartDay")
TIMESALE = table("symbol tradeTime lastPrice lastSize lastSequence")
NEWS_HEADLINE = table("""
    symbol errorCode storyTime headlineId status headline storyId keywordCount keywords isHot storySource""")
MAKERS = ("id", "size", "sequence")  # a book's market-maker entries, as tda-api decoded them

STREAM_SERVICES = services(
    StreamService("QUOTE", "quotes", QUOTE, CHANGE, add=False),  # "subscription only"
    StreamService("OPTION", "options", OPTION, CHANGE, add=False),
    StreamService("LEVELONE_FUTURES", "futures", FUTURES, CHANGE, add=False),
    StreamService("LEVELONE_FUTURES_OPTIONS", "futures_options", FUTURES, CHANGE, add=False),
    StreamService("LEVELONE_FOREX", "forex", FOREX, CHANGE, add=False),
    StreamService("CHART_EQUITY", "chart_equity", CHART_EQUITY, ALL),
    streaming.CHART_FUTURES_SERVICE,
    StreamService("LISTED_BOOK", "book", BOOK, WHOLE, add=False, venue="NYSE", makers=MAKERS),
    StreamService("NASDAQ_BOOK", "book", BOOK, WHOLE, add=False, venue="NASDAQ", makers=MAKERS),
    StreamService("OPTIONS_BOOK", "book", BOOK, WHOLE, add=False, venue="OPTIONS", makers=MAKERS),
    StreamService("TIMESALE_EQUITY", "timesale_equity", TIMESALE, ALL, add=False),
    StreamService("TIMESALE_FUTURES", "timesale_futures", TIMESALE, ALL, add=False),
    StreamService("NEWS_HEADLINE", "news", NEWS_HEADLINE, ALL, add=False),
    streaming.ACCOUNT_ACTIVITY_SERVICE,
)

# td-trading.md sections 3, 5 and 7
ORDER_STATUSES = ("AWAITING_PARENT_ORDER", "AWAITING_CONDITION", "AWAITING_MANUAL_REVIEW", "ACCEPTED",
                  "AWAITING_UR_OUT", "PENDING_ACTIVATION", "QUEUED", "WORKING", "REJECTED", "PENDING_CANCEL",
                  "CANCELED", "PENDING_REPLACE", "REPLACED", "FILLED", "EXPIRED")
TRANSACTION_TYPES = ("ALL", "TRADE", "BUY_ONLY", "SELL_ONLY", "CASH_IN_OR_CASH_OUT", "CHECKING", "DIVIDEND",
                     "INTEREST", "OTHER", "ADVISORY_FEES")
PRINCIPAL_FIELDS = ("streamerSubscriptionKeys", "streamerConnectionInfo", "preferences", "surrogateIds")
ORDER_LOCATION = r"/accounts/([^/]+)/orders/(\d+)$"
WATCHLIST_LOCATION = r"/accounts/[^/]+/watchlists/([^/]+)$"
OPTION_SYMBOL = re.compile(r"(?P<root>[A-Z0-9.$/]{1,12})_(?P<month>\d\d)(?P<day>\d\d)(?P<year>\d\d)(?P<kind>[CP])"
                           r"(?P<strike>\d+(?:\.\d+)?)")
ORDERS_WITHIN = timedelta(days=60)  # "Date must be within 60 days from today's date."
# What TD's order schema accepts where Schwab's accepts more.
ORDER_VALUES = {
    "duration": ("DAY", "GOOD_TILL_CANCEL", "FILL_OR_KILL"),
    "orderType": ("MARKET", "LIMIT", "STOP", "STOP_LIMIT", "TRAILING_STOP", "MARKET_ON_CLOSE", "EXERCISE",
                  "TRAILING_STOP_LIMIT", "NET_DEBIT", "NET_CREDIT", "NET_ZERO"),
    "orderStrategyType": ("SINGLE", "OCO", "TRIGGER"),
    "instruction": ("BUY", "SELL", "BUY_TO_COVER", "SELL_SHORT", "BUY_TO_OPEN", "BUY_TO_CLOSE", "SELL_TO_OPEN",
                    "SELL_TO_CLOSE", "EXCHANGE"),
}


class TD(Provider):
    """TD Ameritrade: a public client (no secret), ``KEY@AMER.OAUTHAP``, 90-day renewable refresh tokens."""

    name = "td"
    title = "TD Ameritrade"
    auth_url = "https://auth.tdameritrade.com/auth"
    api_url = "https://api.tdameritrade.com/v1"
    token_path = "/oauth2/token"  # noqa: S105 - a path, not a secret
    renew_refresh_within = 7 * 24 * 3600.0  # refresh tokens last 90 days; renew them in their last week
    example_callback = "https://127.0.0.1:8080"
    index_aliases = {"$SPX": "$SPX.X"}

    def client_id(self, key: str) -> str:
        return key if key.upper().endswith(CLIENT_ID_SUFFIX) else key + CLIENT_ID_SUFFIX

    def authorization_params(self, app: App, state: Optional[str]) -> Dict[str, str]:
        params = {"response_type": "code", "redirect_uri": app.callback_url, "client_id": app.client_id}
        if state is not None:
            params["state"] = state
        return params

    def exchange_request(self, app: App, code: str) -> TokenRequest:
        return TokenRequest({"grant_type": "authorization_code", "access_type": "offline", "code": code,
                             "client_id": app.client_id, "redirect_uri": app.callback_url})

    def refresh_request(self, app: App, refresh_token: str, renew: bool) -> TokenRequest:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.client_id}
        if renew:
            data["access_type"] = "offline"  # also returns a new refresh token, valid another 90 days
        return TokenRequest(data)

    def read_tokens(self, payload: Any, now: float, previous: Optional[Token] = None) -> TokenPair:
        return parse_token_response(payload, now)

    # -- market data ----------------------------------------------------------------------------------

    def quotes_request(self, symbols: str, fields: Optional[List[str]], indicative: Optional[bool]) -> Request:
        self.refuse(fields=fields, indicative=indicative)
        return Request("/marketdata/quotes", {"symbol": symbols})

    def history_request(self, symbol: str, query: Dict[str, Any], previous_close: Optional[bool]) -> Request:
        self.refuse(previous_close=previous_close)
        return Request(f"/marketdata/{_path(symbol)}/pricehistory", query)

    def movers_request(self, index: str, direction: Optional[str], change: Optional[str], sort: Optional[str],
                       frequency: Optional[int]) -> Request:
        self.refuse(sort=sort, frequency=frequency)
        name = self.index_name(index, MOVER_INDEXES)
        return Request(f"/marketdata/{_path(name)}/movers",
                       {"direction": choice(direction or "up", "direction", ("up", "down")),
                        "change": choice(change or "percent", "change", ("value", "percent"))})

    def hours_request(self, markets: List[str], day: Optional[str]) -> Request:
        query = {} if day is None else {"date": day}
        if len(markets) == 1:
            return Request(f"/marketdata/{markets[0]}/hours", query)
        return Request("/marketdata/hours", {"markets": ",".join(markets), **query})

    def chains_request(self, query: Dict[str, Any], include_quotes: Optional[bool],
                       entitlement: Optional[str]) -> Request:
        self.refuse(entitlement=entitlement)
        if include_quotes is not None:
            query = {**query, "includeQuotes": "TRUE" if include_quotes else "FALSE"}
        return Request("/marketdata/chains", query)

    def instruments_request(self, symbol: str, projection: str) -> Request:
        if projection == "search":
            raise ValueError(f"projection='search' is not available on {self.title}")
        return Request("/instruments", {"symbol": symbol, "projection": projection})

    def instruments_found(self, answer: Any) -> Dict[str, Dict[str, Any]]:
        return self.quotes_found(answer)  # the same {SYMBOL: {...}} map

    def merge_instruments(self, answers: List[Any]) -> Dict[str, Any]:
        return {symbol: info for answer in answers for symbol, info in (answer or {}).items()}

    def instrument_request(self, cusip: str) -> Request:
        return Request(f"/instruments/{cusip}")

    # -- streaming --------------------------------------------------------------------------------------

    stream_services = STREAM_SERVICES

    def streamer_request(self) -> Request:
        return Request("/userprincipals", {"fields": "streamerSubscriptionKeys,streamerConnectionInfo"})

    def streamer_login(self, answer: Any, access_token: str, account: Optional[str], api_url: str) -> StreamerLogin:
        info = _part(answer, "streamerInfo")
        chosen = _account(answer, account)
        keys = _part(answer, "streamerSubscriptionKeys").get("keys") or [{}]
        try:
            stamp = datetime.strptime(info["tokenTimestamp"], "%Y-%m-%dT%H:%M:%S%z")
            credential = {  # exactly these keys, in this order
                "userid": chosen["accountId"], "token": info["token"], "company": chosen["company"],
                "segment": chosen["segment"], "cddomain": chosen["accountCdDomainId"],
                "usergroup": info["userGroup"], "accesslevel": info["accessLevel"], "authorized": "Y",
                "timestamp": int(stamp.timestamp() * 1000), "appid": info["appId"], "acl": info["acl"]}
            host = info["streamerSocketUrl"]
        except (KeyError, TypeError, ValueError) as exc:
            raise StreamError(f"TD's /userprincipals answer lacks the streamer's details ({exc!r})") from None
        scheme = "ws" if api_url.startswith("http:") else "wss"  # the sandbox on loopback is plain, as its API
        return StreamerLogin(f"{scheme}://{host}/ws", {"account": str(chosen["accountId"]), "source": info["appId"]},
                             {"credential": urlencode(credential), "token": info["token"], "version": "1.0"},
                             str(keys[0].get("key") or ""))

    def stream_closed(self, code: int, reason: str, established: bool) -> Optional[str]:
        # TD keeps one stream per account and closes another one (td-trading.md §8) with a plain 1000.
        if code == 1000 and not established:
            return ("TD Ameritrade closed the stream as it opened: TD allows one open stream per "
                    "account, so close the other one (another program, notebook or pyTD process streaming this "
                    "account), or pass account= the account this login belongs to")
        return None


    # -- trading --------------------------------------------------------------------------------------

    order_statuses = ORDER_STATUSES
    transaction_types = TRANSACTION_TYPES
    preferences_per_account = True

    def accounts_request(self, account: Optional[str], positions: bool) -> Request:
        return Request("/accounts" if account is None else f"/accounts/{account}",
                       {"fields": "positions"} if positions else {})

    def partial_accounts(self, status: int) -> bool:
        return status == 207  # "the accounts who's data returned successfully is in the response"

    def linked_accounts_request(self) -> Optional[Request]:
        return Request("/userprincipals")

    def linked_accounts(self, answer: Any) -> List[str]:
        accounts = answer.get("accounts") if isinstance(answer, dict) else None
        return [str(a["accountId"]) for a in accounts or [] if isinstance(a, dict) and a.get("accountId")]

    def option_symbol(self, underlying: str, expiration: date, contract_type: str, strike: float) -> str:
        day, kind, value = option_parts(expiration, contract_type, strike)
        return f"{underlying.strip().upper()}_{day:%m%d%y}{kind}{plain_strike(value)}"

    def parse_option_symbol(self, symbol: str) -> Optional[OptionSymbol]:
        return read_option_symbol(OPTION_SYMBOL, symbol)

    def check_order(self, order: Mapping[str, Any]) -> None:
        for part in parts_of(order):
            for name, accepted in ORDER_VALUES.items():
                value = part.get(name)
                if value is not None and str(value).upper() not in accepted:
                    raise ValueError(f"{name} {value} is not available on {self.title}")
        for leg in legs_of(order):
            if str(leg.get("instruction", "")).upper() not in ORDER_VALUES["instruction"]:
                raise ValueError(f"instruction {leg.get('instruction')} is not available on {self.title}")
            symbol = str((leg.get("instrument") or {}).get("symbol", ""))
            if (leg.get("instrument") or {}).get("assetType") == "OPTION" and self.parse_option_symbol(symbol) is None:
                raise ValueError(f"{symbol!r} is not a TD option symbol such as GOOG_012122P620: "
                                 "use option_symbol(..., provider='td')")

    def orders_query(self, all_accounts: bool, status: Optional[str], start: Optional[datetime],
                     end: Optional[datetime], max_results: Optional[int], tz: tzinfo) -> Dict[str, Any]:
        query: Dict[str, Any] = {}
        if max_results is not None:
            query["maxResults"] = max_results
        if status is not None:
            query["status"] = choice(status, "status", ORDER_STATUSES)
        if start is not None or end is not None:  # TD wants both days or neither; without, it lists recent orders
            today = datetime.now(tz).date()
            first, last = span(_day(start, tz), _day(end, tz), today, ORDERS_WITHIN,
                               ("from_entered", "to_entered"), within=ORDERS_WITHIN)
            query.update(fromEnteredTime=first.isoformat(), toEnteredTime=last.isoformat())
        return query

    def order_path(self, account: Optional[str], order_id: Optional[int] = None) -> str:
        if account is None:
            return "/orders"
        return f"/accounts/{account}/orders" + ("" if order_id is None else f"/{order_id}")

    def order_id(self, location: str, account: str) -> Optional[int]:
        return location_id(location, ORDER_LOCATION, account)

    def transactions_query(self, types: Optional[List[str]], symbol: Optional[str], start: Optional[datetime],
                           end: Optional[datetime], tz: tzinfo) -> Dict[str, Any]:
        query: Dict[str, Any] = {}
        if types:
            if len(types) > 1:
                raise ValueError(f"TD Ameritrade takes one transaction type at a time, got {', '.join(types)}")
            query["type"] = choice(types[0], "types", TRANSACTION_TYPES)
        if symbol is not None:
            query["symbol"] = symbol
        if start is not None or end is not None:
            today = datetime.now(tz).date()
            first, last = span(_day(start, tz), _day(end, tz), today, timedelta(days=365),
                               ("start_date", "end_date"))
            query.update(startDate=first.isoformat(), endDate=last.isoformat())
        return query

    def transactions_path(self, account: str, transaction_id: Optional[int] = None) -> str:
        return f"/accounts/{account}/transactions" + ("" if transaction_id is None else f"/{transaction_id}")

    def transaction_columns(self, answer: Any) -> Dict[str, List[Any]]:
        items = records(answer)
        trades = [item.get("transactionItem") or {} for item in items]
        # The trade's fields, then its instrument's, over the transaction's (but its own description).
        columns = columns_of(items, skip=("transactionItem", "fees"))
        columns.update(columns_of(trades, skip=("instrument",)))
        columns.update(columns_of([trade.get("instrument") or {} for trade in trades], skip=("description",)))
        columns["fees"] = [_total(item.get("fees")) for item in items]
        if "accountId" in columns:
            columns["accountId"] = [None if value is None else str(value) for value in columns["accountId"]]
        return columns

    def user_principals_request(self, fields: List[str]) -> Request:
        chosen = [choice(name, "fields", PRINCIPAL_FIELDS) or "" for name in fields]
        return Request("/userprincipals", {"fields": ",".join(chosen)} if chosen else {})

    def user_preferences_request(self, account: Optional[str]) -> Request:
        if account is None:  # each account's preferences, inside the user principals
            return self.user_principals_request(["preferences"])
        return Request(f"/accounts/{account}/preferences")

    def watchlists_path(self, account: Optional[str], watchlist_id: Optional[str] = None) -> str:
        if account is None:
            return "/accounts/watchlists"
        return f"/accounts/{account}/watchlists" + ("" if watchlist_id is None else f"/{quote(watchlist_id, safe='')}")

    def watchlist_id(self, location: str) -> Optional[str]:
        match = re.search(WATCHLIST_LOCATION, location or "")
        return match.group(1) if match else None


def _part(answer: Any, name: str) -> Dict[str, Any]:
    part = answer.get(name) if isinstance(answer, dict) else None
    if not isinstance(part, dict):
        raise StreamError(f"TD's /userprincipals answer has no {name}: is streaming enabled for this login?")
    return part


def _account(answer: Dict[str, Any], wanted: Optional[str]) -> Dict[str, Any]:
    """The account to stream: the one asked for, else the only one, else the primary one (ids compared as text)."""
    accounts = [a for a in answer.get("accounts") or [] if isinstance(a, dict)]
    want = str(wanted if wanted is not None else answer.get("primaryAccountId", ""))
    for account in accounts:
        if str(account.get("accountId")) == want or (wanted is None and len(accounts) == 1):
            return account
    held = ", ".join(str(a.get("accountId")) for a in accounts) or "none"
    raise StreamError(f"No account {want!r} in TD's /userprincipals answer (accounts: {held}); pass account=")


def _total(fees: Any) -> Optional[float]:
    """The sum of TD's ``fees`` object (its numbers), or None when there is none."""
    if not isinstance(fees, dict):
        return None
    try:
        return float(sum(fees.values()))
    except TypeError:
        return float(sum(v for v in fees.values() if isinstance(v, (int, float))))


def _day(when: Optional[datetime], tz: tzinfo) -> Optional[date]:
    return None if when is None else when.astimezone(tz).date()


def _path(symbol: str) -> str:
    return quote(symbol, safe="")


PROFILE = TD()
