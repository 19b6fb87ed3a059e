"""TD Ameritrade's developer API (shut down in May 2024), as ``td-api.md`` describes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional
from urllib.parse import quote, urlencode

from pyTD.checks import choice
from pyTD.exceptions import StreamError
from pyTD.providers import streaming
from pyTD.providers.base import App, Provider, Request, TokenRequest
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
    tables = {"contracts": ({"tradeDate": "day", "isIndexOption": "bool"}, {})}

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


def _path(symbol: str) -> str:
    return quote(symbol, safe="")


PROFILE = TD()
