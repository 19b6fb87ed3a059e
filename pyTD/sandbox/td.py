"""TD Ameritrade's stand-in: its OAuth rules, its market-data paths and shapes, and its errors (td-api.md)."""

from __future__ import annotations

import base64
import re
import secrets
import time
from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from pyTD.sandbox import market
from pyTD.sandbox.market import UNIVERSE, Option, Security
from pyTD.sandbox.oauth import Authority, Grant
from pyTD.sandbox.params import BadRequest, Query, day_param, decimal, one_of, symbols_param, whole
from pyTD.sandbox.provider import Host, Provider, route
from pyTD.sandbox.replies import Reply, error_reply, html_reply, json_reply
from pyTD.sandbox.td_trading import PATHS as TRADER_PATHS
from pyTD.sandbox.td_trading import PREFERENCES, PRINCIPAL_FIELDS, TDTrader

CLIENT_ID_SUFFIX = "@AMER.OAUTHAP"
SCOPE = "PlaceTrades AccountAccess MoveMoney"
MISMATCH = "A third-party application may be attempting to make unauthorized access"
Answer = Tuple[int, object]


# -- OAuth ---------------------------------------------------------------------------------------------


def opaque(size: int = 32) -> str:
    """A code or token shaped like TD's: base64 that always contains ``+``, ``/`` and ``=``.

    The characters that need URL-encoding are guaranteed, so every test
    exercises decoding them exactly once.
    """
    text = base64.b64encode(secrets.token_bytes(size - size % 3 + 2)).decode()  # ends with "="
    return f"{text[:8]}+{text[8:16]}/{text[16:]}"


class TDAuthority(Authority):
    """A public client: ``KEY@AMER.OAUTHAP`` in the body, no secret; any http(s) callback."""

    title = "TD Ameritrade"

    def check_authorization_request(self, fields: Mapping[str, str]) -> str:
        if fields.get("response_type") != "code":
            return "response_type must be code"
        if self.client_of_id(fields.get("client_id", "")) is None:
            return "unknown client_id"
        uri = fields.get("redirect_uri", "")
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "redirect_uri must be an http(s) URL"
        if not self.registered_callback(uri):
            return "redirect_uri does not match the app's callback URL"
        return ""

    def error_page(self, problem: str) -> Reply:
        return html_reply(400, "TD Ameritrade (pyTD sandbox)", f"{MISMATCH}: {problem}")

    def client_of_id(self, client_id: str) -> Optional[str]:
        key, suffix = client_id[: -len(CLIENT_ID_SUFFIX)], client_id[-len(CLIENT_ID_SUFFIX):]
        return client_id if suffix == CLIENT_ID_SUFFIX and self.known_key(key) else None

    def authenticate(self, headers: Mapping[str, str], form: Mapping[str, str]) -> Union[str, Reply]:
        client = self.client_of_id(form.get("client_id", ""))
        return error_reply(401, "invalid_client") if client is None else client

    def new_code(self) -> str:
        return opaque()

    def new_access(self) -> str:
        return opaque(96)

    def new_refresh(self) -> str:
        return opaque(96)

    def token_payload(self, client: str, access: str, refresh: Optional[str], login: bool) -> Dict[str, Any]:
        payload = {"access_token": access, "token_type": "Bearer", "expires_in": self.access_expires_in,
                   "scope": SCOPE}
        if refresh is not None:
            payload.update(refresh_token=refresh, refresh_token_expires_in=self.refresh_expires_in)
        return payload

    def renewed_refresh_token(self, old: str, grant: Grant, form: Mapping[str, str], now: float) -> Optional[str]:
        """Only ``access_type=offline`` brings a new refresh token, good for another 90 days."""
        if form.get("access_type") != "offline":
            return None
        return self._replace_refresh_token(old, Grant(grant.client, now + self.refresh_expires_in))

    def bad_code(self, reason: str) -> Reply:
        if reason == "redirect_uri does not match":
            return error_reply(400, "invalid_grant", error_description=reason)
        return error_reply(400, "invalid_grant")

    def bad_refresh_token(self, token: str) -> Reply:
        return error_reply(400, "invalid_grant")


# -- the provider --------------------------------------------------------------------------------------


class TD(Provider):
    name = "td"
    title = "TD Ameritrade"
    auth_path = "/auth"
    api_path = "/v1"
    token_path = "/v1/oauth2/token"  # noqa: S105 - a path, not a password
    resource_prefixes = ("/v1/",)
    refresh_expires_in = 90 * 86400
    code_expires_in = 600
    authority = TDAuthority

    def answer(self, method: str, path: str, query: Mapping[str, str], body: bytes, sandbox: Host) -> Reply:
        """Serve ``path`` (still URL-encoded)."""
        relative = path[len(self.api_path):].strip("/")
        if relative.split("/")[0] in TRADER_PATHS:
            return self.trader(sandbox).answer(method, relative, query, body) or self.not_found(path)
        if method != "GET":
            return self.not_allowed(method)
        try:
            found = route(ROUTES, relative, query)
        except BadRequest as exc:
            return error_reply(400, str(exc))
        return self.not_found(path) if found is None else json_reply(*found)

    def make_trader(self, sandbox: Host) -> TDTrader:
        return TDTrader(sandbox, find)

    def unauthorized(self) -> Reply:
        return error_reply(401, "The access token being passed has expired or is invalid.")

    def rate_limited(self) -> Reply:
        return error_reply(429, "Individual App's transactions per seconds restriction reached. "
                                "Please contact us with further questions")

    def not_allowed(self, method: str) -> Reply:
        return error_reply(405, f"Market data is read with GET; {method} is not supported")

    def not_found(self, path: str) -> Reply:
        return error_reply(404, f"No endpoint {path}")

    user_info_path = "/v1/userprincipals"


    def user_info(self, query: Mapping[str, str], sandbox: Any, client: str, access_token: str) -> Reply:
        fields = [f for f in query.get("fields", "").split(",") if f]
        for name in fields:
            if name not in PRINCIPAL_FIELDS:
                return error_reply(400, f"fields must be any of {', '.join(PRINCIPAL_FIELDS)}; got {name!r}")
        token = sandbox.streamer.issue(client, access_token)
        return json_reply(200, user_principals(fields, token, sandbox))


# -- user principals (td-trading.md §7): where the streamer is, and the credential's parts -------------------

COMPANY, ACCESS, APP_ID, ACL = "AMER", "ACCT", "PYTD", "AKB48"


def user_principals(fields: List[str], token: Any, sandbox: Any) -> Dict[str, Any]:
    """``GET /userprincipals``: the user, the paper broker's accounts and, as ``fields`` asks, the streamer's
    connection and keys (``streamerSocketUrl`` is ``host:port``: TD's clients add the scheme and ``/ws``)."""
    user, broker = token.user, sandbox.broker
    stamp = datetime.fromtimestamp(token.issued, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
    numbers = list(broker.accounts)
    answer: Dict[str, Any] = {
        "authToken": "", "userId": "pytdsandbox", "userCdDomainId": user.cd_domain, "primaryAccountId": user.account,
        "lastLoginTime": stamp, "tokenExpirationTime": stamp, "loginTime": stamp, "accessLevel": "CUS",
        "stalePassword": False, "professionalStatus": "NON_PROFESSIONAL",
        "quotes": {"isNyseDelayed": False, "isNasdaqDelayed": False, "isOpraDelayed": False, "isAmexDelayed": False,
                   "isCmeDelayed": True, "isIceDelayed": True, "isForexDelayed": True},
        "exchangeAgreements": {"NASDAQ_EXCHANGE_AGREEMENT": "ACCEPTED", "NYSE_EXCHANGE_AGREEMENT": "ACCEPTED",
                               "OPRA_EXCHANGE_AGREEMENT": "ACCEPTED"},
        "accounts": [],
    }
    for number in numbers:
        kind = broker.accounts[number].type
        account: Dict[str, Any] = {
            "accountId": number, "displayName": "pytdsandbox", "description": f"Individual {kind.title()}",
            "accountCdDomainId": user.cd_domain if number == user.account else f"A000000{number}",
            "company": COMPANY, "segment": COMPANY, "acl": ACL,
            "authorizations": {"apex": False, "levelTwoQuotes": True, "stockTrading": True,
                               "marginTrading": kind == "MARGIN", "streamingNews": True,
                               "optionTradingLevel": "SPREAD", "streamerAccess": True, "advancedMargin": False,
                               "scottradeAccount": False}}
        if "surrogateIds" in fields:
            account["surrogateIds"] = {}
        if "preferences" in fields:
            account["preferences"] = dict(PREFERENCES)
        answer["accounts"].append(account)
    if "streamerConnectionInfo" in fields:
        host = urlsplit(sandbox.streamer.url).netloc
        answer["streamerInfo"] = {"streamerBinaryUrl": host, "streamerSocketUrl": host, "token": token.name,
                                  "tokenTimestamp": stamp, "userGroup": ACCESS, "accessLevel": ACCESS, "acl": ACL,
                                  "appId": APP_ID}
    if "streamerSubscriptionKeys" in fields:
        answer["streamerSubscriptionKeys"] = {"keys": [{"key": user.activity_key}]}
    return answer


# -- symbols -------------------------------------------------------------------------------------------

# TD's parameter values (td-api.md)
PERIOD_TYPES = ("day", "month", "year", "ytd")
PERIODS = {"day": (1, 2, 3, 4, 5, 10), "month": (1, 2, 3, 6), "year": (1, 2, 3, 5, 10, 15, 20), "ytd": (1,)}
FREQUENCY_TYPES_BY_PERIOD = {"day": ("minute",), "month": ("daily", "weekly"), "year": ("daily", "weekly", "monthly"),
                             "ytd": ("daily", "weekly")}
FREQUENCIES = {"minute": (1, 5, 10, 15, 30), "daily": (1,), "weekly": (1,), "monthly": (1,)}
DEFAULT_PERIOD = {"day": 10, "month": 1, "year": 1, "ytd": 1}
MOVER_INDEXES = {"$DJI": "$DJI", "$COMPX": "$COMPX", "$SPX.X": "$SPX"}  # TD's name -> the market's
MARKETS = market.MARKETS
CONTRACT_TYPES = ("CALL", "PUT", "ALL")
STRATEGIES = ("SINGLE", "ANALYTICAL", "COVERED", "VERTICAL", "CALENDAR", "STRANGLE", "STRADDLE", "BUTTERFLY",
              "CONDOR", "DIAGONAL", "COLLAR", "ROLL")
RANGES = ("ITM", "NTM", "OTM", "SAK", "SBK", "SNK", "ALL")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "ALL")
OPTION_TYPES = ("S", "NS", "ALL")
PROJECTIONS = ("symbol-search", "symbol-regex", "desc-search", "desc-regex", "fundamental")
PRODUCTS = market.PRODUCTS

SYMBOLS = {s.td_symbol or s.symbol: s for s in UNIVERSE.values()}
OPTION_ROOTS = {s.option_root: s for s in UNIVERSE.values() if s.option_root}
OPTION_SYMBOL = re.compile(r"([A-Z]+)_(\d\d)(\d\d)(\d\d)([CP])(\d+(?:\.\d+)?)")
# TD's exchange code and name by listing exchange (fixtures/td/quotes-1.json)
EXCHANGES = {"NASDAQ": ("q", "NASD"), "NYSE": ("n", "NYSE"), "NYSE Arca": ("p", "PACIFIC"), "Index": ("x", "INDICES"),
             "Mutual Fund": ("m", "MUTUAL_FUND"), "CME": ("@", "XCME"), "NYMEX": ("@", "XNYM"),
             "COMEX": ("@", "XCEC"), "Forex": ("T", "GFT")}
NAN_FIELDS = ("volatility", "delta", "gamma", "theta", "rho", "theoreticalOptionValue")


def td_symbol(security: Security) -> str:
    return security.td_symbol or security.symbol


def option_symbol(contract: Option) -> str:
    """``MSFT_061821P65``: root, expiration as MMDDYY, C or P, strike."""
    return f"{contract.underlying.option_root}_{contract.expiration:%m%d%y}{contract.put_call[0]}{contract.strike:g}"


def find(symbol: str, today: date) -> Union[Security, Option, None]:
    """The security or listed option contract a TD symbol names."""
    match = OPTION_SYMBOL.fullmatch(symbol)
    if match:
        root, month, day, year, kind, strike = match.groups()
        return market.named_option(OPTION_ROOTS, root, year, month, day, kind, float(strike), today)
    return market.named_security(SYMBOLS, symbol, today)


def now_ms() -> int:
    return int(time.time() * 1000)


def expiration_ms(day: date) -> int:
    """16:00 New York on the expiration day, in epoch milliseconds."""
    moment = datetime.fromisoformat(f"{day.isoformat()}T16:00:00{market.new_york_offset(day)}")
    return int(moment.timestamp() * 1000)


# -- quotes --------------------------------------------------------------------------------------------


def quotes(query: Query) -> Answer:
    """Known symbols only: TD leaves unknown ones out."""
    stamp = now_ms()
    today = datetime.fromtimestamp(stamp / 1000, timezone.utc).date()
    found = {}
    for symbol in symbols_param(query):
        item = find(symbol, today)
        if item is not None:
            found[symbol] = option_quote(item, stamp) if isinstance(item, Option) else quote(item, stamp)
    return 200, found


def quote_one(query: Query, symbol: str) -> Answer:
    return quotes({"symbol": symbol})


def quote(security: Security, stamp: int) -> Dict[str, Any]:
    """TD's flat quote, with the fields of its asset type (fixtures/td/quotes-1.json)."""
    q = market.quote(security, stamp)
    code, name = EXCHANGES[security.exchange]
    kind = security.asset_type
    head = {"assetType": kind, "symbol": td_symbol(security), "description": security.description}
    if kind == "FOREX" or kind == "FUTURE":
        return {**head, **forex_or_future_quote(security, q, code, name)}
    tail = {"exchange": code, "exchangeName": name, "digits": market.digits(security), "52WkHigh": q.high52,
            "52WkLow": q.low52}
    if kind == "INDEX":
        return {**head, "lastPrice": q.last, "openPrice": q.open, "highPrice": q.high, "lowPrice": q.low,
                "closePrice": q.close, "netChange": q.change, "totalVolume": q.volume, "tradeTimeInLong": stamp,
                **tail, "securityStatus": "Normal", "delayed": False}
    dividend = {"nAV": q.last if kind == "MUTUAL_FUND" else 0, "peRatio": q.pe_ratio,
                "divAmount": security.dividend, "divYield": q.dividend_yield,
                "divDate": f"{market.dividend_dates(date.today())[0]} 00:00:00.000" if security.dividend else ""}
    if kind == "MUTUAL_FUND":
        return {**head, "closePrice": q.close, "netChange": q.change, "totalVolume": 0, "tradeTimeInLong": stamp,
                **tail, **dividend, "securityStatus": "Normal", "delayed": False}
    return {
        **head, "bidPrice": q.bid, "bidSize": 300, "bidId": "Q", "askPrice": q.ask, "askSize": 400, "askId": "Q",
        "lastPrice": q.last, "lastSize": 100, "lastId": "Q", "openPrice": q.open, "highPrice": q.high,
        "lowPrice": q.low, "bidTick": " ", "closePrice": q.close, "netChange": q.change, "totalVolume": q.volume,
        "quoteTimeInLong": stamp, "tradeTimeInLong": stamp, "mark": q.mark, "exchange": code, "exchangeName": name,
        "marginable": True, "shortable": True, "volatility": q.volatility, **tail, **dividend,
        "securityStatus": "Normal", "regularMarketLastPrice": q.last, "regularMarketLastSize": 1,
        "regularMarketNetChange": q.change, "regularMarketTradeTimeInLong": stamp,
        "netPercentChangeInDouble": q.percent_change, "markChangeInDouble": round(q.mark - q.close, 2),
        "markPercentChangeInDouble": round((q.mark - q.close) / q.close * 100, 4),
        "regularMarketPercentChangeInDouble": q.percent_change, "delayed": False,
    }


def forex_or_future_quote(security: Security, q: market.Quote, code: str, name: str) -> Dict[str, Any]:
    """The ``...InDouble`` fields TD used for forex (recorded) and futures (TD's documentation)."""
    stamp = q.time_ms
    prices = {"bidPriceInDouble": q.bid, "askPriceInDouble": q.ask, "lastPriceInDouble": q.last,
              "bidSizeInLong": 1, "askSizeInLong": 1}
    if security.asset_type == "FOREX":
        return {**prices, "totalVolume": 0, "lastSizeInLong": 200000, "quoteTimeInLong": stamp,
                "tradeTimeInLong": stamp, "highPriceInDouble": q.high, "lowPriceInDouble": q.low,
                "closePriceInDouble": q.close, "exchange": code, "openPriceInDouble": q.open,
                "changeInDouble": q.change, "percentChange": q.percent_change, "exchangeName": name, "digits": 4,
                "securityStatus": "Normal", "tick": 0.0001, "tickAmount": 10, "product": "", "tradingHours": "",
                "isTradable": True, "marketMaker": "", "52WkHighInDouble": q.high52, "52WkLowInDouble": q.low52,
                "mark": q.mark, "delayed": False}
    active, expires = market.front_month(security.symbol, date.today())
    tick = market.FUTURE_TICKS[security.symbol]
    return {**prices, "bidId": "?", "askId": "?", "totalVolume": q.volume, "lastSizeInLong": 1,
            "quoteTimeInLong": stamp, "tradeTimeInLong": stamp, "highPriceInDouble": q.high,
            "lowPriceInDouble": q.low, "closePriceInDouble": q.close, "exchange": code, "lastId": "?",
            "openPriceInDouble": q.open, "changeInDouble": q.change, "futurePercentChange": q.percent_change / 100,
            "exchangeName": name, "securityStatus": "Normal", "openInterest": int(q.volume / 3), "mark": q.mark,
            "tick": tick, "tickAmount": tick * market.FUTURE_MULTIPLIERS[security.symbol],
            "product": security.symbol, "futurePriceFormat": "D,D", "futureTradingHours": "GLBX(de=1640;0=-17)",
            "futureIsTradable": True, "futureMultiplier": market.FUTURE_MULTIPLIERS[security.symbol],
            "futureIsActive": True, "futureSettlementPrice": q.close, "futureActiveSymbol": active,
            "futureExpirationDate": expiration_ms(expires), "delayed": False}


def option_quote(contract: Option, stamp: int) -> Dict[str, Any]:
    """An option's quote (the fields of ``MSFT_061821P65`` in fixtures/td/quotes-1.json)."""
    fields = contract_fields(contract, stamp)
    day = contract.expiration
    return {
        "assetType": "OPTION", "symbol": option_symbol(contract), "description": contract.description,
        "bidPrice": fields["bid"], "bidSize": 10, "askPrice": fields["ask"], "askSize": 12,
        "lastPrice": fields["last"], "lastSize": 1, "openPrice": fields["openPrice"],
        "highPrice": fields["highPrice"], "lowPrice": fields["lowPrice"], "closePrice": fields["closePrice"],
        "netChange": fields["netChange"], "totalVolume": contract.volume, "quoteTimeInLong": stamp,
        "tradeTimeInLong": stamp, "mark": fields["mark"], "openInterest": contract.open_interest,
        "volatility": fields["volatility"], "moneyIntrinsicValue": contract.intrinsic, "multiplier": 100,
        "digits": 2, "strikePrice": contract.strike, "contractType": contract.put_call[0],
        "underlying": td_symbol(contract.underlying), "expirationDay": day.day, "expirationMonth": day.month,
        "expirationYear": day.year, "daysToExpiration": contract.days, "timeValue": fields["timeValue"],
        "deliverables": "", "delta": fields["delta"], "gamma": fields["gamma"], "theta": fields["theta"],
        "vega": fields["vega"], "rho": fields["rho"], "securityStatus": "Normal",
        "theoreticalOptionValue": fields["theoreticalOptionValue"], "underlyingPrice": contract.underlying_price,
        "uvExpirationType": "R" if market.is_monthly(day) else "S", "exchange": "o", "exchangeName": "OPR",
        "lastTradingDay": fields["lastTradingDay"], "settlementType": " ",
        "netPercentChangeInDouble": fields["percentChange"], "markChangeInDouble": fields["markChange"],
        "markPercentChangeInDouble": fields["markPercentChange"], "delayed": False,
    }


# -- price history ------------------------------------------------------------------------------------


def price_history(query: Query, symbol: str) -> Answer:
    symbol = symbol.upper()
    period_type = one_of(query, "periodType", PERIOD_TYPES, "day")
    assert period_type is not None
    period = whole(query, "period")
    if period is not None and period not in PERIODS[period_type]:
        raise BadRequest(f"period for periodType {period_type} must be one of "
                         f"{', '.join(map(str, PERIODS[period_type]))}; got {period}", "period")
    frequency_type = one_of(query, "frequencyType", FREQUENCY_TYPES_BY_PERIOD[period_type],
                            FREQUENCY_TYPES_BY_PERIOD[period_type][0])
    assert frequency_type is not None
    frequency = whole(query, "frequency") or 1
    if frequency not in FREQUENCIES[frequency_type]:
        raise BadRequest(f"frequency for frequencyType {frequency_type} must be one of "
                         f"{', '.join(map(str, FREQUENCIES[frequency_type]))}; got {frequency}", "frequency")
    extended = one_of(query, "needExtendedHoursData", ("true", "false"), "true") == "true"
    start, end = whole(query, "startDate"), whole(query, "endDate")
    start_s, end_s = history_span(period_type, period or DEFAULT_PERIOD[period_type], start, end)
    found = SYMBOLS.get(symbol)
    candles = market.candles(found.symbol, start_s, end_s, frequency_type, frequency, extended) if found else []
    return 200, {"candles": candles, "symbol": symbol, "empty": not candles}


def history_span(period_type: str, period: int, start: Optional[int], end: Optional[int]) -> Tuple[float, float]:
    """Seconds from and to: ``startDate``/``endDate`` (epoch ms), or the period back from the end."""
    if start is not None and end is not None and start > end:
        raise BadRequest("startDate must not be after endDate", "startDate")
    end_s = end / 1000 if end is not None else time.time()
    if start is not None:
        return start / 1000, end_s
    if period_type == "ytd":
        return datetime(datetime.fromtimestamp(end_s, timezone.utc).year, 1, 1, tzinfo=timezone.utc).timestamp(), end_s
    days = {"day": 1, "month": 31, "year": 366}[period_type] * period
    return end_s - days * 86400, end_s


# -- movers -------------------------------------------------------------------------------------------


def movers(query: Query, index: str) -> Answer:
    if index not in MOVER_INDEXES:
        raise BadRequest(f"index must be one of {', '.join(MOVER_INDEXES)}; got {index!r}", "index")
    direction = one_of(query, "direction", ("up", "down"))
    change = one_of(query, "change", ("value", "percent"), "percent")
    rows: List[Dict[str, Any]] = []
    for q in market.movers(market.INDEX_MEMBERS[MOVER_INDEXES[index]], now_ms()):
        rows.append({"change": round(q.change / q.close if change == "percent" else q.change, 4),
                     "description": q.security.description, "direction": "up" if q.change >= 0 else "down",
                     "last": q.last, "symbol": q.symbol, "totalVolume": q.volume})
    if direction:
        rows = [r for r in rows if r["direction"] == direction]
    rows.sort(key=lambda r: abs(r["change"]), reverse=True)
    return 200, rows[:10]


# -- market hours -------------------------------------------------------------------------------------


def market_hours(query: Query, name: str = "") -> Answer:
    if name:
        names = [name.upper()]
    else:
        names = [m.strip().upper() for m in query.get("markets", "").split(",") if m.strip()]
        if not names:
            raise BadRequest(f"markets is required: any of {', '.join(MARKETS)}", "markets")
    for each in names:
        if each not in MARKETS:
            raise BadRequest(f"market must be one of {', '.join(MARKETS)}; got {each!r}", "markets")
    day = day_param(query, "date") or market.utc_today()
    return 200, {each.lower(): {product: hours(each, product, day) for product in PRODUCTS[each]}
                 for each in names}


def hours(name: str, product: str, day: date) -> Dict[str, Any]:
    """TD's hours of a product (fixtures/td/hours-*.json): ``sessionHours`` is null on a closed day."""
    title, exchange, category, sessions = PRODUCTS[name][product]
    is_open = market.is_open(day)
    return {"date": day.isoformat(), "marketType": name, "exchange": exchange, "category": category,
            "product": product, "productName": title, "isOpen": is_open,
            "sessionHours": market.session_hours(sessions, day) if is_open else None}


# -- option chains ------------------------------------------------------------------------------------


def chains(query: Query) -> Answer:
    """TD's chain; ``status: FAILED`` for a symbol without options."""
    symbol = query.get("symbol", "").strip().upper()
    if not symbol:
        raise BadRequest("symbol is required", "symbol")
    contract_type = one_of(query, "contractType", CONTRACT_TYPES, "ALL")
    strategy = one_of(query, "strategy", STRATEGIES, "SINGLE")
    range_ = one_of(query, "range", RANGES, "ALL")
    exp_month = one_of(query, "expMonth", MONTHS, "ALL")
    one_of(query, "optionType", OPTION_TYPES, "ALL")
    include_quotes = one_of(query, "includeQuotes", ("TRUE", "FALSE"), "FALSE") == "TRUE"
    chain: Dict[str, Any] = {"symbol": symbol, "status": "FAILED", "underlying": None, "strategy": strategy,
                   "interval": 0.0, "isDelayed": False, "isIndex": False, "interestRate": 0.0,
                   "underlyingPrice": 0.0, "volatility": 0.0, "daysToExpiration": 0.0, "numberOfContracts": 0,
                   "callExpDateMap": {}, "putExpDateMap": {}}
    options = chain_options(query)
    security = SYMBOLS.get(symbol)
    if security is None or not security.option_root:
        return 200, chain
    stamp = now_ms()
    found = market.chain(security, contract_type=contract_type or "ALL", range_=range_ or "ALL",
                         exp_month=exp_month or "ALL", time_ms=stamp, **options)
    for put_call, key in (("CALL", "callExpDateMap"), ("PUT", "putExpDateMap")):
        for day, strikes in found.contracts.get(put_call, {}).items():
            chain[key][f"{day.isoformat()}:{(day - market.utc_today()).days}"] = {
                f"{k:.1f}": [contract_fields(c, stamp)] for k, c in strikes.items()}
    chain.update(status="SUCCESS", interval=found.interval, isIndex=security.asset_type == "INDEX",
                 interestRate=round(found.rate * 100, 3), underlyingPrice=found.price,
                 volatility=round(found.sigma * 100, 2), numberOfContracts=found.count,
                 underlying=underlying(found.quote) if include_quotes else None)
    return 200, chain


def chain_options(query: Query) -> Dict[str, Any]:
    """The numeric chain parameters both providers share, checked."""
    first, last = day_param(query, "fromDate"), day_param(query, "toDate")
    if first and last and first > last:
        raise BadRequest("fromDate must not be after toDate", "fromDate")
    interval = decimal(query, "interval")
    if interval is not None and interval <= 0:
        raise BadRequest(f"interval must be positive; got {interval}", "interval")
    whole(query, "daysToExpiration")
    return dict(strike_count=whole(query, "strikeCount"), strike=decimal(query, "strike"), from_date=first,
                to_date=last, interval=interval, underlying_price=decimal(query, "underlyingPrice"),
                volatility=decimal(query, "volatility"), interest_rate=decimal(query, "interestRate"))


def contract_fields(c: Option, stamp: int) -> Dict[str, Any]:
    """A chain contract in TD's words (fixtures/td/chains-*.json); both providers' chains use them.

    A few contracts carry the string ``"NaN"`` in their model fields, as TD's did.
    """
    bid, ask, mark, close = c.bid, c.ask, c.mark, c.close
    fields = {
        "putCall": c.put_call, "symbol": option_symbol(c), "description": c.description, "exchangeName": "OPR",
        "bid": bid, "ask": ask, "last": round(c.value, 2), "mark": mark, "bidSize": 10, "askSize": 12,
        "bidAskSize": "10X12", "lastSize": 1, "highPrice": round(c.value * 1.05, 2),
        "lowPrice": round(c.value * 0.95, 2), "openPrice": close, "closePrice": close, "totalVolume": c.volume,
        "tradeDate": None, "tradeTimeInLong": stamp, "quoteTimeInLong": stamp,
        "netChange": round(c.value - close, 2), "volatility": round(c.sigma * 100, 3), "delta": round(c.delta, 3),
        "gamma": round(c.gamma, 3), "theta": round(c.theta, 3), "vega": round(c.vega, 3), "rho": round(c.rho, 3),
        "openInterest": c.open_interest, "timeValue": round(c.value - c.intrinsic, 2),
        "theoreticalOptionValue": round(c.value, 3), "theoreticalVolatility": 29.0, "optionDeliverablesList": None,
        "strikePrice": c.strike, "expirationDate": expiration_ms(c.expiration), "daysToExpiration": c.days,
        "expirationType": "R" if market.is_monthly(c.expiration) else "S",
        "lastTradingDay": expiration_ms(c.expiration), "multiplier": 100.0, "settlementType": " ",
        "deliverableNote": "", "isIndexOption": None, "percentChange": percent(c.value - close, close),
        "markChange": round(mark - close, 2), "markPercentChange": percent(mark - close, close),
        "mini": False, "inTheMoney": c.in_the_money, "nonStandard": False,
    }
    if market.number(c.salt, "nan", 0, 1) < 0.03:
        fields.update(dict.fromkeys(NAN_FIELDS, "NaN"))
    return fields


def percent(change: float, base: float) -> float:
    return round(change / base * 100, 2) if base else 0.0


def underlying(q: market.Quote) -> Dict[str, Any]:
    """The chain's ``underlying`` block (fixtures/td/chains-3.json)."""
    security = q.security
    return {"symbol": td_symbol(security), "description": security.description, "change": q.change,
            "percentChange": q.percent_change, "close": q.close, "quoteTime": q.time_ms, "tradeTime": q.time_ms,
            "bid": q.bid, "ask": q.ask, "last": q.last, "mark": q.mark, "markChange": round(q.mark - q.close, 2),
            "markPercentChange": round((q.mark - q.close) / q.close * 100, 4), "bidSize": 300, "askSize": 400,
            "highPrice": q.high, "lowPrice": q.low, "openPrice": q.open, "totalVolume": q.volume,
            "exchangeName": {"NASDAQ": "NAS", "NYSE": "NYS", "NYSE Arca": "PAC"}.get(security.exchange, "IND"),
            "fiftyTwoWeekHigh": q.high52, "fiftyTwoWeekLow": q.low52, "delayed": False}


# -- instruments --------------------------------------------------------------------------------------

INSTRUMENTS = {td_symbol(s): s for s in UNIVERSE.values() if s.cusip}


def search(query: Query, projections: Tuple[str, ...], limit: int = 100) -> List[Security]:
    """The securities with a CUSIP that an instrument search finds (shared by both providers)."""
    projection = one_of(query, "projection", projections)
    if projection is None:
        raise BadRequest(f"projection is required: one of {', '.join(projections)}", "projection")
    text = query.get("symbol", "")
    if not text:
        raise BadRequest("symbol is required", "symbol")
    if projection in ("symbol-search", "fundamental"):
        return [INSTRUMENTS[s] for s in symbols_param(query, limit=limit) if s in INSTRUMENTS]
    try:
        pattern = re.compile(text if projection.endswith("regex") else re.escape(text), re.IGNORECASE)
    except re.error as exc:
        raise BadRequest(f"symbol is not a valid regular expression: {exc}", "symbol") from None
    match: Callable[[Security], object]
    if projection == "symbol-regex":
        def match(s: Security) -> object:
            return pattern.fullmatch(s.symbol)
    elif projection == "search":  # Schwab: a symbol or description search
        def match(s: Security) -> object:
            return pattern.search(s.symbol) or pattern.search(s.description)
    else:
        def match(s: Security) -> object:
            return pattern.search(s.description)
    return [s for s in INSTRUMENTS.values() if match(s)]


def instrument(security: Security) -> Dict[str, object]:
    return {"cusip": security.cusip, "symbol": td_symbol(security), "description": security.description,
            "exchange": security.exchange, "assetType": security.asset_type}


def fundamental(security: Security) -> Dict[str, object]:
    """TD's 46 fundamental fields (fixtures/td/fundamentals-1.json)."""
    numbers = market.fundamentals(security)
    ex, pay, _ = market.dividend_dates(date.today())
    paid = security.dividend > 0
    return {"symbol": td_symbol(security), **numbers,
            "dividendDate": f"{ex} 00:00:00.000" if paid else " ",
            "dividendPayDate": f"{pay} 00:00:00.000" if paid else " "}


def instruments(query: Query) -> Answer:
    result: Dict[str, Dict[str, Any]] = {}
    with_fundamentals = query.get("projection") == "fundamental"
    for security in search(query, PROJECTIONS):
        result[td_symbol(security)] = instrument(security)
        if with_fundamentals:
            result[td_symbol(security)]["fundamental"] = fundamental(security)
    return 200, result


def instrument_by_cusip(query: Query, cusip: str) -> Answer:
    security = market.BY_CUSIP.get(cusip.upper())
    if security is None:
        return 404, {"error": f"No instrument with CUSIP {cusip}"}
    return 200, [instrument(security)]


ROUTES: List[Tuple[re.Pattern[str], Callable[..., Answer]]] = [
    (re.compile(r"marketdata/quotes"), quotes),
    (re.compile(r"marketdata/([^/]+)/quotes"), quote_one),
    (re.compile(r"marketdata/([^/]+)/pricehistory"), price_history),
    (re.compile(r"marketdata/([^/]+)/movers"), movers),
    (re.compile(r"marketdata/hours"), market_hours),
    (re.compile(r"marketdata/([^/]+)/hours"), market_hours),
    (re.compile(r"marketdata/chains"), chains),
    (re.compile(r"instruments"), instruments),
    (re.compile(r"instruments/([^/]+)"), instrument_by_cusip),
]
