"""Charles Schwab's Trader API, the live successor of TD's, as ``schwab-api.md`` describes it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote, urlsplit

from pyTD.checks import choice
from pyTD.exceptions import ConfigurationError, StreamError
from pyTD.frames import columns_of
from pyTD.providers import streaming
from pyTD.providers.base import (
    App,
    OptionSymbol,
    Provider,
    Request,
    Rows,
    TokenRequest,
    basic_auth,
    legs_of,
    location_id,
    option_parts,
    parts_of,
    read_option_symbol,
    records,
    rename,
    span,
)
from pyTD.providers.streaming import ALL, BOOK, CHANGE, FOREX, WHOLE, StreamerLogin, StreamService, table
from pyTD.tokens import Token, TokenPair, parse_token_response

REFRESH_LIFETIME = 7 * 24 * 3600.0  # from the interactive login; refreshing never extends it

MARKET_DATA = "/marketdata/v1"
TRADER = "/trader/v1"
QUOTE_BLOCKS = ("quote", "fundamental", "extended", "reference", "regular")
MOVER_INDEXES = ("$DJI", "$COMPX", "$SPX", "NYSE", "NASDAQ", "OTCBB", "INDEX_ALL", "EQUITY_ALL", "OPTION_ALL",
                 "OPTION_PUT", "OPTION_CALL")
MOVER_SORTS = ("VOLUME", "TRADES", "PERCENT_CHANGE_UP", "PERCENT_CHANGE_DOWN")
MOVER_FREQUENCIES = (0, 1, 5, 10, 30, 60)

# Schwab's quote fields that TD named otherwise: pyTD's columns use TD's names, so notebooks run on both.
QUOTE_NAMES = {
    "assetMainType": "assetType", "52WeekHigh": "52WkHigh", "52WeekLow": "52WkLow",
    "quoteTime": "quoteTimeInLong", "tradeTime": "tradeTimeInLong", "netPercentChange": "netPercentChangeInDouble",
    "markChange": "markChangeInDouble", "markPercentChange": "markPercentChangeInDouble",
    "regularMarketTradeTime": "regularMarketTradeTimeInLong",
    "regularMarketPercentChange": "regularMarketPercentChangeInDouble", "divExDate": "divDate",
    "isShortable": "shortable",
}
# The columns only Schwab has, by pyTD table: those of every equity quote (and chain, ...) come always,
# the others (futures, options, ...) when sent.
QUOTE_COLUMNS = {
    "assetSubType": "str", "quoteType": "str", "realtime": "bool", "ssid": "int", "cusip": "str",
    "isHardToBorrow": "bool", "htbQuantity": "int", "htbRate": "float", "askMICId": "str", "askTime": "time",
    "bidMICId": "str", "bidTime": "time", "lastMICId": "str", "postMarketChange": "float",
    "postMarketPercentChange": "float", "avg10DaysVolume": "float", "avg1YearVolume": "float",
    "declarationDate": "day", "divFreq": "int", "divPayAmount": "float", "divPayDate": "day", "eps": "float",
    "fundLeverageFactor": "float", "lastEarningsDate": "day", "nextDivExDate": "day", "nextDivPayDate": "day",
}
QUOTE_KINDS = {
    "fundStrategy": "str", "fsiDesc": "str", "otcMarketTier": "str", "settleTime": "time",
    "quotedInSession": "bool", "impliedYield": "float", "indAskPrice": "float", "indBidPrice": "float",
    "indQuoteTime": "time", "exerciseType": "str", "expirationType": "str", "isPennyPilot": "bool",
    "expirationStyle": "str", "settlemetPrice": "float",
    **{f"extended{name}": kind for name, kind in (
        ("AskPrice", "float"), ("AskSize", "int"), ("BidPrice", "float"), ("BidSize", "int"),
        ("LastPrice", "float"), ("LastSize", "int"), ("Mark", "float"), ("QuoteTime", "time"),
        ("TotalVolume", "int"), ("TradeTime", "time"))},
}
TABLES = {
    "quotes": (QUOTE_COLUMNS, QUOTE_KINDS),
    "movers": ({"volume": "int", "netChange": "float", "marketShare": "float", "trades": "int",
                "netPercentChange": "float"}, {}),
    "contracts": ({"intrinsicValue": "float", "extrinsicValue": "float", "optionRoot": "str", "exerciseType": "str",
                   "high52Week": "float", "low52Week": "float", "pennyPilot": "bool"}, {}),
    "fundamentals": ({"avg10DaysVolume": "float", "avg1DayVolume": "float", "avg3MonthVolume": "float",
                      "declarationDate": "day", "dividendFreq": "int", "eps": "float", "dtnVolume": "float",
                      "nextDividendPayDate": "day", "nextDividendDate": "day", "fundLeverageFactor": "float"},
                     {"corpactionDate": "day", "fundStrategy": "str"}),
}

# -- streaming (schwab-api.md §7): field names by number, one table per service -------------------------------

LEVELONE_EQUITIES = table("""
    symbol bidPrice askPrice lastPrice bidSize askSize askId bidId totalVolume lastSize highPrice lowPrice closePrice
    exchange marginable description lastId openPrice netChange 52WkHigh 52WkLow peRatio divAmount divYield nAV
    exchangeName divDate regularMarketQuote regularMarketTrade regularMarketLastPrice regularMarketLastSize
    regularMarketNetChange securityStatus mark quoteTime tradeTime regularMarketTradeTime bidTime askTime askMICId
    bidMICId lastMICId netPercentChange regularMarketPercentChange markChange markPercentChange htbQuantity htbRate
    hardToBorrow shortable postMarketNetChange postMarketPercentChange""")
LEVELONE_OPTIONS = table("""
    symbol description bidPrice askPrice lastPrice highPrice lowPrice closePrice totalVolume openInterest volatility
    moneyIntrinsicValue expirationYear multiplier digits openPrice bidSize askSize lastSize netChange strikePrice
    contractType underlying expirationMonth deliverables timeValue expirationDay daysToExpiration delta gamma theta
    vega rho securityStatus theoreticalOptionValue underlyingPrice uvExpirationType mark quoteTime tradeTime exchange
    exchangeName lastTradingDay settlementType netPercentChange markChange markPercentChange impliedYield
    isPennyPilot optionRoot 52WkHigh 52WkLow indicativeAskPrice indicativeBidPrice indicativeQuoteTime
    exerciseType""")
LEVELONE_FUTURES = table("""
    symbol bidPrice askPrice lastPrice bidSize askSize bidId askId totalVolume lastSize quoteTime tradeTime highPrice
    lowPrice closePrice exchange description lastId openPrice netChange futurePercentChange exchangeName
    securityStatus openInterest mark tick tickAmount product futurePriceFormat futureTradingHours futureIsTradable
    futureMultiplier futureIsActive futureSettlementPrice futureActiveSymbol futureExpirationDate expirationStyle
    askTime bidTime quotedInSession settlementDate""")
LEVELONE_FUTURES_OPTIONS = table("""
    symbol bidPrice askPrice lastPrice bidSize askSize bidId askId totalVolume lastSize quoteTime tradeTime highPrice
    lowPrice closePrice lastId description openPrice openInterest mark tick tickAmount futureMultiplier
    futureSettlementPrice underlying strikePrice futureExpirationDate expirationStyle contractType securityStatus
    exchange exchangeName""")
# The wire's order, not the guide's (schwab-py issue 80; two captures agree).
CHART_EQUITY = table("symbol sequence open high low close volume chartTime chartDay")
SCREENER = table("symbol snapshotTime sortField frequency items")
MAKERS = ("id", "size", "time")  # a book's market-maker entries; the time is ms since midnight New York

STREAM_SERVICES = streaming.services(
    StreamService("LEVELONE_EQUITIES", "quotes", LEVELONE_EQUITIES, CHANGE),
    StreamService("LEVELONE_OPTIONS", "options", LEVELONE_OPTIONS, CHANGE),
    StreamService("LEVELONE_FUTURES", "futures", LEVELONE_FUTURES, CHANGE),
    StreamService("LEVELONE_FUTURES_OPTIONS", "futures_options", LEVELONE_FUTURES_OPTIONS, CHANGE),
    StreamService("LEVELONE_FOREX", "forex", FOREX, CHANGE),
    StreamService("CHART_EQUITY", "chart_equity", CHART_EQUITY, ALL),
    streaming.CHART_FUTURES_SERVICE,
    StreamService("NYSE_BOOK", "book", BOOK, WHOLE, venue="NYSE", makers=MAKERS),
    StreamService("NASDAQ_BOOK", "book", BOOK, WHOLE, venue="NASDAQ", makers=MAKERS),
    StreamService("OPTIONS_BOOK", "book", BOOK, WHOLE, venue="OPTIONS", makers=MAKERS),
    StreamService("SCREENER_EQUITY", "screener", SCREENER, WHOLE, venue="EQUITY"),
    StreamService("SCREENER_OPTION", "screener", SCREENER, WHOLE, venue="OPTIONS"),
    streaming.ACCOUNT_ACTIVITY_SERVICE,
)
ACTIVITY_KEY = "Account Activity"  # any string works; Schwab's own example


# schwab-api.md sections 4 and 5
ORDER_STATUSES = ("AWAITING_PARENT_ORDER", "AWAITING_CONDITION", "AWAITING_STOP_CONDITION",
                  "AWAITING_MANUAL_REVIEW", "ACCEPTED", "AWAITING_UR_OUT", "PENDING_ACTIVATION", "QUEUED", "WORKING",
                  "REJECTED", "PENDING_CANCEL", "CANCELED", "PENDING_REPLACE", "REPLACED", "FILLED", "EXPIRED", "NEW",
                  "AWAITING_RELEASE_TIME", "PENDING_ACKNOWLEDGEMENT", "PENDING_RECALL", "UNKNOWN")
TRANSACTION_TYPES = ("TRADE", "RECEIVE_AND_DELIVER", "DIVIDEND_OR_INTEREST", "ACH_RECEIPT", "ACH_DISBURSEMENT",
                     "CASH_RECEIPT", "CASH_DISBURSEMENT", "ELECTRONIC_FUND", "WIRE_OUT", "WIRE_IN", "JOURNAL",
                     "MEMORANDUM", "MARGIN_CALL", "MONEY_MARKET", "SMA_ADJUSTMENT")
ORDER_LOCATION = r"/trader/v1/accounts/([^/]+)/orders/(\d+)$"
OPTION_SYMBOL = re.compile(r"(?P<root>[A-Z0-9.$]{1,6}) *(?P<year>\d\d)(?P<month>\d\d)(?P<day>\d\d)(?P<kind>[CP])"
                           r"(?P<strike>\d{8})")
DEFAULT_SPAN = timedelta(days=60)  # what clients ask for when no dates are given
ALL_ORDERS_WITHIN = timedelta(days=60)  # GET /orders: fromEnteredTime within 60 days of today
# Schwab's transaction fields that TD named otherwise: pyTD's columns use TD's names.
TRANSACTION_NAMES = {"activityId": "transactionId", "time": "transactionDate", "accountNumber": "accountId"}
TRANSACTION_KEPT = ("description", "status", "type")  # the transaction's, where its instrument has its own


class Schwab(Provider):
    """Charles Schwab: a confidential client (app key and secret), 7-day refresh tokens, https callbacks."""

    name = "schwab"
    title = "Charles Schwab"
    auth_url = "https://api.schwabapi.com/v1/oauth/authorize"
    api_url = "https://api.schwabapi.com"
    token_path = "/v1/oauth/token"  # noqa: S105 - a path, not a secret
    needs_secret = True
    example_callback = "https://127.0.0.1:8182"
    index_aliases = {"$SPX.X": "$SPX", "$DJI.X": "$DJI", "$COMPX.X": "$COMPX"}

    def check_callback_url(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        why = ""
        if host == "localhost":
            why = "Schwab does not redirect to localhost; register 127.0.0.1 instead"
        elif parts.scheme != "https":
            why = "Schwab redirects to https callback URLs only"
        elif parts.path.endswith("/"):
            why = "Schwab refuses a callback URL with a trailing slash"
        if why:
            raise ConfigurationError(f"The callback URL {url!r} cannot work with Schwab: {why}. "
                                     f"Register and use e.g. {self.example_callback}")

    def exchange_request(self, app: App, code: str) -> TokenRequest:
        return TokenRequest({"grant_type": "authorization_code", "code": code, "redirect_uri": app.callback_url},
                            self._headers(app))

    def refresh_request(self, app: App, refresh_token: str, renew: bool) -> TokenRequest:
        # Schwab renews nothing: a new refresh token needs a new browser login.
        return TokenRequest({"grant_type": "refresh_token", "refresh_token": refresh_token}, self._headers(app))

    def read_tokens(self, payload: Any, now: float, previous: Optional[Token] = None) -> TokenPair:
        # Schwab sends no refresh-token lifetime: it is 7 days from the login, whatever refreshes followed.
        issued = previous.access_time if previous is not None else now
        return parse_token_response(payload, now, refresh_issued=issued, refresh_expires_in=REFRESH_LIFETIME)

    def refresh_token_dead(self, status: int, error: str, description: str) -> bool:
        # Schwab's words for a dead refresh token: unsupported_token_type about a nested
        # refresh_token_authentication_error, or (2024) invalid_client "refresh token invalid".
        said = description.lower()
        return super().refresh_token_dead(status, error, description) or status in (400, 401) and (
            (error == "unsupported_token_type" and "refresh_token_authentication_error" in said)
            or (error == "invalid_client" and "refresh token invalid" in said))

    def relogin_advice(self) -> str:
        return ("log in again with `python -m pyTD login --provider schwab`: Schwab refresh tokens expire 7 days "
                "after the login that issued them, so Schwab needs a new login every 7 days")

    # -- market data ----------------------------------------------------------------------------------

    def quotes_request(self, symbols: str, fields: Optional[List[str]], indicative: Optional[bool]) -> Request:
        query: Dict[str, Any] = {"symbols": symbols}
        if fields is not None:
            query["fields"] = ",".join(choice(f, "fields", QUOTE_BLOCKS) or "" for f in fields)
        if indicative is not None:
            query["indicative"] = "true" if indicative else "false"
        return Request(f"{MARKET_DATA}/quotes", query)

    def quotes_found(self, answer: Any) -> Dict[str, Dict[str, Any]]:
        # Unknown symbols come back as an "errors" entry beside the quotes: never a symbol.
        return {symbol: quote for symbol, quote in super().quotes_found(answer).items()
                if symbol != "errors" or "invalidSymbols" not in quote}

    def quote_row(self, symbol: str, quote: Dict[str, Any]) -> Dict[str, Any]:
        flat = {key: value for key, value in quote.items() if key not in QUOTE_BLOCKS}
        for block in ("reference", "quote", "regular", "fundamental"):
            flat.update(quote.get(block) or {})
        flat.update((f"extended{key[:1].upper()}{key[1:]}", value)
                    for key, value in (quote.get("extended") or {}).items())
        row = rename(flat, QUOTE_NAMES)
        if isinstance(quote.get("realtime"), bool):
            row["delayed"] = not quote["realtime"]
        row.setdefault("symbol", symbol)
        return row

    tables = TABLES

    def history_request(self, symbol: str, query: Dict[str, Any], previous_close: Optional[bool]) -> Request:
        extra = {} if previous_close is None else {"needPreviousClose": "true" if previous_close else "false"}
        return Request(f"{MARKET_DATA}/pricehistory", {"symbol": symbol, **query, **extra})

    def movers_request(self, index: str, direction: Optional[str], change: Optional[str], sort: Optional[str],
                       frequency: Optional[int]) -> Request:
        name = self.index_name(index, MOVER_INDEXES)
        if change is not None and choice(change, "change", ("value", "percent")) == "value":
            raise ValueError("change='value' is not available on Charles Schwab, which ranks movers by percent "
                             "change (sort='PERCENT_CHANGE_UP' or 'PERCENT_CHANGE_DOWN'), volume or trades")
        if direction is not None:
            if sort is not None:
                raise ValueError("give direction or sort, not both: on Schwab, direction='up' means "
                                 "sort='PERCENT_CHANGE_UP'")
            sort = f"PERCENT_CHANGE_{(choice(direction, 'direction', ('up', 'down')) or '').upper()}"
        query: Dict[str, Any] = {}
        if sort is not None:
            query["sort"] = choice(sort, "sort", MOVER_SORTS)
        if frequency is not None:
            if frequency not in MOVER_FREQUENCIES or isinstance(frequency, bool):
                raise ValueError(f"frequency must be one of {', '.join(map(str, MOVER_FREQUENCIES))}; "
                                 f"got {frequency!r}")
            query["frequency"] = frequency
        return Request(f"{MARKET_DATA}/movers/{quote(name, safe='')}", query)

    def mover_rows(self, answer: Any) -> Rows:
        return [rename(item, {"lastPrice": "last"}) for item in (answer or {}).get("screeners") or []]

    def hours_request(self, markets: List[str], day: Optional[str]) -> Request:
        query = {} if day is None else {"date": day}
        names = [market.lower() for market in markets]
        if len(names) == 1:
            return Request(f"{MARKET_DATA}/markets/{names[0]}", query)
        return Request(f"{MARKET_DATA}/markets", {"markets": ",".join(names), **query})

    def chains_request(self, query: Dict[str, Any], include_quotes: Optional[bool],
                       entitlement: Optional[str]) -> Request:
        extra: Dict[str, Any] = {}
        if include_quotes is not None:
            extra["includeUnderlyingQuote"] = "true" if include_quotes else "false"
        if entitlement is not None:
            extra["entitlement"] = entitlement
        return Request(f"{MARKET_DATA}/chains", {**query, **extra})

    def expirations_request(self, symbol: str) -> Request:
        return Request(f"{MARKET_DATA}/expirationchain", {"symbol": symbol})

    def expiration_row(self, row: Dict[str, Any]) -> Dict[str, Any]:
        return rename(row, {"expiration": "expirationDate"})  # the spec's name; the wire says expirationDate

    def instruments_request(self, symbol: str, projection: str) -> Request:
        return Request(f"{MARKET_DATA}/instruments", {"symbol": symbol, "projection": projection})

    def instruments_found(self, answer: Any) -> Dict[str, Dict[str, Any]]:
        return self.instrument_found(answer)

    def merge_instruments(self, answers: List[Any]) -> Dict[str, Any]:
        return {"instruments": [item for answer in answers for item in _instruments(answer)]}

    def instrument_request(self, cusip: str) -> Request:
        return Request(f"{MARKET_DATA}/instruments/{cusip}")

    def instrument_found(self, answer: Any) -> Dict[str, Dict[str, Any]]:
        return super().instrument_found(_instruments(answer))

    # -- streaming --------------------------------------------------------------------------------------

    stream_services = STREAM_SERVICES
    stream_key_limit = 500  # per service; more is refused with code 19

    def streamer_request(self) -> Request:
        return Request("/trader/v1/userPreference")

    def streamer_login(self, answer: Any, access_token: str, account: Optional[str], api_url: str) -> StreamerLogin:
        if isinstance(answer, list):  # the spec's shape; the wire sends an object
            answer = answer[0] if answer else {}
        found = answer.get("streamerInfo") if isinstance(answer, dict) else None
        info: Any = found[0] if isinstance(found, list) and found else found
        try:
            return StreamerLogin(
                info["streamerSocketUrl"],  # a full URL, used as given
                {"SchwabClientCustomerId": info["schwabClientCustomerId"],
                 "SchwabClientCorrelId": info["schwabClientCorrelId"]},
                {"Authorization": access_token, "SchwabClientChannel": info["schwabClientChannel"],
                 "SchwabClientFunctionId": info["schwabClientFunctionId"]},
                ACTIVITY_KEY)
        except (KeyError, TypeError) as exc:
            raise StreamError(f"Schwab's /trader/v1/userPreference answer lacks streamerInfo ({exc!r}): "
                              "is the app subscribed to Schwab's Trader API (Market Data Production)?") from None

    # -- trading --------------------------------------------------------------------------------------

    account_field = "accountNumber"
    order_statuses = ORDER_STATUSES
    transaction_types = TRANSACTION_TYPES
    transactions_cap = 3000

    def account_numbers_request(self) -> Optional[Request]:
        return Request(f"{TRADER}/accounts/accountNumbers")

    def account_keys(self, answer: Any) -> Dict[str, str]:
        return {str(item["accountNumber"]): str(item["hashValue"]) for item in answer or []
                if isinstance(item, dict) and item.get("accountNumber") and item.get("hashValue")}

    def accounts_request(self, account: Optional[str], positions: bool) -> Request:
        return Request(f"{TRADER}/accounts" + ("" if account is None else f"/{account}"),
                       {"fields": "positions"} if positions else {})

    def option_symbol(self, underlying: str, expiration: date, contract_type: str, strike: float) -> str:
        day, kind, value = option_parts(expiration, contract_type, strike)
        root = underlying.strip().upper()
        thousandths = value * 1000
        if len(root) > 6 or thousandths != thousandths.to_integral_value() or thousandths >= 10 ** 8:
            raise ValueError(f"{root} {value} cannot be written as a Schwab option symbol (a root of at most 6 "
                             "characters, a strike below 100,000 in thousandths)")
        return f"{root:<6}{day:%y%m%d}{kind}{int(thousandths):08d}"

    def parse_option_symbol(self, symbol: str) -> Optional[OptionSymbol]:
        return read_option_symbol(OPTION_SYMBOL, symbol, 1000)  # the strike in thousandths

    def check_order(self, order: Mapping[str, Any]) -> None:
        for part in parts_of(order):
            if "requestedDestination" in part:
                raise ValueError("Schwab refuses requestedDestination in an order (400); leave it out")
        for leg in legs_of(order):
            instrument = leg.get("instrument") or {}
            symbol = str(instrument.get("symbol", ""))
            if instrument.get("assetType") == "OPTION" and self.parse_option_symbol(symbol) is None:
                raise ValueError(f"{symbol!r} is not a Schwab option symbol such as 'AAPL  251219C00200000': "
                                 "use option_symbol(..., provider='schwab')")

    def orders_query(self, all_accounts: bool, status: Optional[str], start: Optional[datetime],
                     end: Optional[datetime], max_results: Optional[int], tz: tzinfo) -> Dict[str, Any]:
        # Both bounds are required; all accounts' orders only within 60 days, one account's a year apart.
        first, last = span(start, end, datetime.now(timezone.utc), DEFAULT_SPAN, ("from_entered", "to_entered"),
                           within=ALL_ORDERS_WITHIN if all_accounts else None)
        query: Dict[str, Any] = {"fromEnteredTime": _instant(first), "toEnteredTime": _instant(last, up=True)}
        if max_results is not None:
            query["maxResults"] = max_results
        if status is not None:
            query["status"] = choice(status, "status", ORDER_STATUSES)
        return query

    def order_path(self, account: Optional[str], order_id: Optional[int] = None) -> str:
        if account is None:
            return f"{TRADER}/orders"
        return f"{TRADER}/accounts/{account}/orders" + ("" if order_id is None else f"/{order_id}")

    def preview_path(self, account: str) -> str:
        return f"{TRADER}/accounts/{account}/previewOrder"

    def order_id(self, location: str, account: str) -> Optional[int]:
        return location_id(location, ORDER_LOCATION, account)

    def transactions_query(self, types: Optional[List[str]], symbol: Optional[str], start: Optional[datetime],
                           end: Optional[datetime], tz: tzinfo) -> Dict[str, Any]:
        # startDate, endDate and types are all required.
        first, last = span(start, end, datetime.now(timezone.utc), DEFAULT_SPAN, ("start_date", "end_date"))
        chosen = [choice(t, "types", TRANSACTION_TYPES) or "" for t in types or TRANSACTION_TYPES]
        query: Dict[str, Any] = {"startDate": _instant(first), "endDate": _instant(last, up=True),
                                 "types": ",".join(chosen)}
        if symbol is not None:
            query["symbol"] = symbol
        return query

    def transactions_path(self, account: str, transaction_id: Optional[int] = None) -> str:
        return f"{TRADER}/accounts/{account}/transactions" + ("" if transaction_id is None else f"/{transaction_id}")

    def transaction_columns(self, answer: Any) -> Dict[str, List[Any]]:
        items = records(answer)
        parts = [_transfer(item.get("transferItems")) for item in items]
        mains = [main for main, _ in parts]
        columns = columns_of(items)
        for old, new in TRANSACTION_NAMES.items():
            if old in columns and new not in columns:
                columns[new] = columns.pop(old)
        # The security's transfer item, then its instrument's fields (but the transaction's own kept).
        columns.update(columns_of(mains, skip=("instrument",)))
        columns.update(columns_of([main.get("instrument") or {} for main in mains], skip=TRANSACTION_KEPT))
        columns["fees"] = [fees for _, fees in parts]
        for key in ("accountId", "orderId"):
            if key in columns:
                columns[key] = [None if value is None else str(value) for value in columns[key]]
        return columns

    def user_preferences_request(self, account: Optional[str]) -> Request:
        return Request(f"{TRADER}/userPreference")  # one set of preferences for the user, not per account

    @staticmethod
    def _headers(app: App) -> Dict[str, str]:
        headers = basic_auth(app.client_id, app.secret or "")
        headers["Accept"] = "application/json"
        return headers


def _transfer(items: Any) -> Tuple[Dict[str, Any], Optional[float]]:
    """A transaction's security item (the first that is not a fee, nor cash if another is not) and its fees'
    total (None without items)."""
    main: Dict[str, Any] = {}
    fees = 0.0
    for part in items or []:
        if not isinstance(part, dict):
            continue
        if part.get("feeType"):
            fees += abs(part.get("cost") or part.get("amount") or 0)
        elif not main or _cash(main) and not _cash(part):
            main = part
    return main, fees if items else None


def _cash(item: Dict[str, Any]) -> bool:
    return bool((item.get("instrument") or {}).get("assetType") == "CURRENCY")


def _instant(when: datetime, up: bool = False) -> str:
    """Schwab's date-time parameter: ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` in UTC, e.g. ``2024-03-29T00:00:00.000Z``;
    an end (``up``) rounded up to the millisecond, so that it still includes the moment it was taken."""
    utc = when.astimezone(timezone.utc)
    if up and utc.microsecond % 1000:
        utc += timedelta(microseconds=1000 - utc.microsecond % 1000)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _instruments(answer: Any) -> List[Any]:
    """The instruments of an answer: ``{"instruments": [...]}`` as recorded, or a bare object as the spec says."""
    if isinstance(answer, dict) and "instruments" in answer:
        return list(answer.get("instruments") or [])
    return [answer] if isinstance(answer, dict) and answer else []


PROFILE = Schwab()
