"""Charles Schwab's stand-in: its OAuth rules, market data under ``/marketdata/v1`` and its errors (schwab-api.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
import zlib
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from pyTD.sandbox import market, td
from pyTD.sandbox.market import UNIVERSE, Option, Security
from pyTD.sandbox.oauth import Authority, Grant
from pyTD.sandbox.params import BadRequest, Query, boolean, day_param, one_of, required, symbols_param, whole
from pyTD.sandbox.provider import Host, Provider, route
from pyTD.sandbox.replies import Reply, error_reply, html_reply, json_reply
from pyTD.sandbox.schwab_trading import SchwabTrader

SCOPE = "api"
TOKEN_HOST = base64.b64encode(b"oauth2.cdc.schwab.com").decode()  # the middle part of codes and access tokens
LOOPBACK = ("127.0.0.1", "::1")
TRADER = "/trader/v1/"


# -- OAuth ---------------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def nested_error(error: str, description: str) -> Reply:
    """Schwab's token-endpoint error: a JSON string inside ``error_description``."""
    inner = json.dumps({"error_description": description, "error": error}, separators=(",", ":"))
    return json_reply(400, {"error": "unsupported_token_type", "error_description": f'400 Bad Request: "{inner}"'})


class SchwabAuthority(Authority):
    """A confidential client: the bare app key and its secret in HTTP Basic; https callbacks on 127.0.0.1.

    With ``client_secret`` None, the first secret presented for an app key
    becomes that key's secret (trust on first use).
    """

    title = "Charles Schwab"

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._secrets: Dict[str, str] = {}

    def known_secret(self, key: str) -> Optional[str]:
        with self._lock:
            return self.client_secret if self.client_secret is not None else self._secrets.get(key)

    def check_authorization_request(self, fields: Mapping[str, str]) -> str:
        client_id = fields.get("client_id", "")
        if "@" in client_id:
            return "client_id must be the app key alone, without a suffix such as @AMER.OAUTHAP"
        if self.client_of_id(client_id) is None:
            return "unknown client_id (app key)"
        if fields.get("response_type") not in (None, "", "code"):
            return "response_type must be code"
        uri = fields.get("redirect_uri", "")
        parts = urlsplit(uri)
        if parts.scheme != "https":
            return "the callback URL must use https"
        if parts.hostname not in LOOPBACK:
            return "the callback URL's host must be 127.0.0.1"
        if parts.path.endswith("/"):
            return "the callback URL must not end with a slash"
        if not self.registered_callback(uri):
            return "redirect_uri does not match the app's callback URL"
        return ""

    def error_page(self, problem: str) -> Reply:
        return html_reply(400, "Charles Schwab (pyTD sandbox)",
                          f"Access Denied: {problem}. Check the app key and the callback URL registered "
                          f"for the app (https://127.0.0.1[:port][/path], matched exactly).")

    def client_of_id(self, client_id: str) -> Optional[str]:
        return client_id if "@" not in client_id and self.known_key(client_id) else None

    def callback_base(self, redirect_uri: str) -> str:
        return redirect_uri if urlsplit(redirect_uri).path else redirect_uri + "/"  # Schwab inserts the "/"

    def callback_params(self, code: str) -> Dict[str, str]:
        return {"code": code, "session": str(uuid.uuid4())}

    def authenticate(self, headers: Mapping[str, str], form: Mapping[str, str]) -> Union[str, Reply]:
        scheme, _, value = headers.get("Authorization", "").partition(" ")
        try:
            key, colon, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except ValueError:
            key, colon, secret = "", "", ""
        if scheme.lower() != "basic" or not colon or not secret or self.client_of_id(key) is None:
            return error_reply(401, "invalid_client",
                               error_description="HTTP Basic authentication with the app key and secret is required")
        if form.get("client_id", key) != key:
            return error_reply(401, "invalid_client", error_description="client_id does not match the app key")
        with self._lock:
            expected = self.client_secret if self.client_secret is not None else self._secrets.setdefault(key, secret)
        if not hmac.compare_digest(secret.encode(), expected.encode()):
            return error_reply(401, "invalid_client", error_description="wrong app secret")
        return key

    def new_code(self) -> str:
        return f"C0.{TOKEN_HOST}.{secrets.token_urlsafe(32)}@"

    def new_access(self) -> str:
        return f"I0.{TOKEN_HOST}.{secrets.token_urlsafe(32)}@"

    def new_refresh(self) -> str:
        return f"{secrets.token_urlsafe(48)}@"  # the shape of Schwab's refresh tokens is unconfirmed

    def token_payload(self, client: str, access: str, refresh: Optional[str], login: bool) -> Dict[str, Any]:
        return {"expires_in": self.access_expires_in, "token_type": "Bearer", "scope": SCOPE,
                "refresh_token": refresh, "access_token": access, "id_token": id_token(client)}

    def renewed_refresh_token(self, old: str, grant: Grant, form: Mapping[str, str], now: float) -> Optional[str]:
        """The same refresh token, still dying 7 days after the login (a new string if tokens rotate)."""
        return self._replace_refresh_token(old, grant) if self.rotate_refresh_tokens else old

    def bad_code(self, reason: str) -> Reply:
        # Unconfirmed body: modelled on the refresh error's nesting.
        return nested_error("invalid_request", f"Bad authorization code: {reason}")

    def bad_refresh_token(self, token: str) -> Reply:
        digest = b64url(hashlib.sha256(token.encode()).digest())
        return nested_error("refresh_token_authentication_error",
                            f"Exception while authenticating refresh token [tokenDigest={digest}]")


def id_token(client: str) -> str:
    """A JWT-shaped token (unsigned here: the signature part is random)."""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iss": "https://api.schwabapi.com", "aud": client, "sub": "pyTD-sandbox-user", "iat": now,
              "exp": now + 3600}
    parts = [b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)]
    return ".".join(parts + [b64url(secrets.token_bytes(64))])


# -- the provider --------------------------------------------------------------------------------------


CHANNEL, FUNCTION_ID = "N9", "APIAPP"


def user_preference(user: Any, sandbox: Any) -> Dict[str, Any]:
    """``GET /trader/v1/userPreference``: an object, as on the wire (fixtures/schwab/userpreference-1.json): the
    paper broker's accounts, the streamer on the sandbox's host, the offers."""
    broker = sandbox.broker
    return {"accounts": [{"accountNumber": number, "primaryAccount": number == user.account, "type": "BROKERAGE",
                          "nickName": f"Individual {broker.accounts[number].type.title()}",
                          "displayAcctId": f"...{number[-3:]}", "autoPositionEffect": False,
                          "accountColor": "Green" if i % 2 == 0 else "Blue"}
                         for i, number in enumerate(broker.accounts)],
            "streamerInfo": [{"streamerSocketUrl": user.url, "schwabClientCustomerId": user.customer_id,
                              "schwabClientCorrelId": user.correl_id, "schwabClientChannel": CHANNEL,
                              "schwabClientFunctionId": FUNCTION_ID}],
            "offers": [{"level2Permissions": True, "mktDataPermission": "NP"}]}


def errors_reply(status: int, title: str, detail: Optional[str] = None, *, parameter: Optional[str] = None,
                 int_status: bool = False) -> Reply:
    """Schwab's market-data error body ``{"errors": [{"id", "status", "title", "detail", "source"}]}``."""
    error: Dict[str, object] = {"id": str(uuid.uuid4()), "status": status if int_status else str(status),
                                "title": title}
    if detail is not None:
        error["detail"] = detail
    if parameter is not None:
        error["source"] = {"parameter": parameter}
    return json_reply(status, {"errors": [error]})


class Schwab(Provider):
    name = "schwab"
    title = "Charles Schwab"
    auth_path = "/v1/oauth/authorize"
    api_path = ""
    token_path = "/v1/oauth/token"  # noqa: S105 - a path, not a password
    resource_prefixes = ("/marketdata/v1/", "/trader/v1/")
    refresh_expires_in = 7 * 86400
    code_expires_in = 30
    authority = SchwabAuthority

    def answer(self, method: str, path: str, query: Mapping[str, str], body: bytes, sandbox: Host) -> Reply:
        """Serve ``path`` (still URL-encoded: symbols with ``/`` or spaces arrive percent-encoded)."""
        if path.startswith(TRADER):
            return self.trader(sandbox).answer(method, path[len(TRADER):].strip("/"), query, body) \
                or self.not_found(path)
        if method != "GET":
            return self.not_allowed(method)
        found = None
        if path.startswith("/marketdata/v1/"):
            try:
                found = route(ROUTES, path[len("/marketdata/v1/"):].rstrip("/"), query)
            except BadRequest as exc:
                return errors_reply(400, "Bad Request", str(exc), parameter=exc.parameter)
        if found is None:
            return self.not_found(path)
        if found[0] == 404:
            return errors_reply(404, "Not Found")  # as recorded: no detail
        return json_reply(*found)

    def make_trader(self, sandbox: Host) -> SchwabTrader:
        return SchwabTrader(sandbox, find)

    def unauthorized(self) -> Reply:
        return errors_reply(401, "Unauthorized", "Client not authorized", int_status=True)  # an int, as recorded

    def rate_limited(self) -> Reply:
        return errors_reply(429, "Too Many Requests", "The app made too many requests; slow down")

    def not_allowed(self, method: str) -> Reply:
        return errors_reply(405, "Method Not Allowed",
                            f"Market data is read with GET; {method} is not supported")

    def not_found(self, path: str) -> Reply:
        return errors_reply(404, "Not Found", f"No endpoint {path}")

    user_info_path = "/trader/v1/userPreference"


    def user_info(self, query: Mapping[str, str], sandbox: Any, client: str, access_token: str) -> Reply:
        return json_reply(200, user_preference(sandbox.streamer.user(client), sandbox))

    def headers(self) -> Dict[str, str]:
        return {"Schwab-Client-CorrelId": str(uuid.uuid4())}


# -- symbols -------------------------------------------------------------------------------------------

SYMBOLS = {s.symbol: s for s in UNIVERSE.values()}
OPTION_ROOTS = {s.option_root: s for s in UNIVERSE.values() if s.option_root}
OPTION_SYMBOL = re.compile(r"([A-Z]{1,6}) *(\d\d)(\d\d)(\d\d)([CP])(\d{8})")
MAX_SYMBOLS = 500
# Schwab's exchange code and name by listing exchange
EXCHANGES = {"NASDAQ": ("Q", "NASDAQ"), "NYSE": ("N", "NYSE"), "NYSE Arca": ("P", "NYSE Arca"),
             "Index": ("0", "Index"), "Mutual Fund": ("m", "Mutual Fund"), "CME": ("E", "XCME"),
             "NYMEX": ("E", "XNYM"), "COMEX": ("E", "XCEC"), "Forex": ("T", "GFT")}
MIC = {"NASDAQ": "XNAS", "NYSE": "XNYS", "NYSE Arca": "ARCX"}


def option_symbol(contract: Option) -> str:
    """``AAPL  251219C00200000``: root padded to 6, YYMMDD, C or P, strike times 1000 in 8 digits."""
    return (f"{contract.underlying.option_root:<6}{contract.expiration:%y%m%d}{contract.put_call[0]}"
            f"{round(contract.strike * 1000):08d}")


def find(symbol: str, today: date) -> Union[Security, Option, None]:
    """The security or listed option contract a Schwab symbol names."""
    match = OPTION_SYMBOL.fullmatch(symbol)
    if match and len(symbol) == 21:
        root, year, month, day, kind, strike = match.groups()
        return market.named_option(OPTION_ROOTS, root, year, month, day, kind, int(strike) / 1000, today)
    return market.named_security(SYMBOLS, symbol, today)


now_ms = td.now_ms


def today_of(stamp: int) -> date:
    return datetime.fromtimestamp(stamp / 1000, timezone.utc).date()


def ssid(symbol: str) -> int:
    return zlib.crc32(symbol.encode()) % 2_000_000_000


def midnight(day: date) -> str:
    """A day as Schwab's fundamental dates write it: New York midnight in UTC, ``2024-08-12T04:00:00Z``."""
    hours = 4 if market.new_york_offset(day) == "-04:00" else 5
    return f"{day.isoformat()}T{hours:02d}:00:00Z"


def expiration_iso(day: date) -> str:
    """``2024-10-18T20:00:00.000+00:00``: the close in New York, written in UTC."""
    moment = datetime.fromtimestamp(td.expiration_ms(day) / 1000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


# -- quotes --------------------------------------------------------------------------------------------

FIELDS = ("quote", "fundamental", "extended", "reference", "regular")


def wanted_fields(query: Query) -> Tuple[str, ...]:
    raw = query.get("fields", "all")
    if raw.strip().lower() == "all":
        return FIELDS
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    for name in names:
        if name not in FIELDS:
            raise BadRequest(f"fields must be a comma-separated list of {', '.join(FIELDS)}; got {name!r}", "fields")
    return names


def quotes(query: Query) -> Answer:
    """Unknown symbols are listed under ``"errors": {"invalidSymbols": [...]}``, after the quotes."""
    fields = wanted_fields(query)
    boolean(query, "indicative", False)
    stamp = now_ms()
    found: Dict[str, object] = {}
    invalid = []
    for symbol in symbols_param(query, "symbols", MAX_SYMBOLS):
        item = find(symbol, today_of(stamp))
        if item is None:
            invalid.append(symbol)
        else:
            found[symbol] = only(quote_of(item, stamp), fields)
    if invalid:
        found["errors"] = {"invalidSymbols": invalid}
    return 200, found


def quote_one(query: Query, symbol: str) -> Answer:
    fields = wanted_fields(query)
    stamp = now_ms()
    item = find(symbol.strip().upper(), today_of(stamp))
    if item is None:
        return 404, None
    return 200, {symbol.strip().upper(): only(quote_of(item, stamp), fields)}


def only(response: Dict[str, Any], fields: Tuple[str, ...]) -> Dict[str, Any]:
    return {name: value for name, value in response.items() if name not in FIELDS or name in fields}


def quote_of(item: Union[Security, Option], stamp: int) -> Dict[str, Any]:
    if isinstance(item, Option):
        return option_quote(item, stamp)
    q = market.quote(item, stamp)
    kind = item.asset_type
    code, name = EXCHANGES[item.exchange]
    head: Dict[str, object] = {"assetMainType": "EQUITY" if kind == "ETF" else kind}
    if kind in ("EQUITY", "ETF"):
        head.update(assetSubType="ETF" if kind == "ETF" else "COE", quoteType="NBBO")
    elif kind == "MUTUAL_FUND":
        head.update(assetSubType="OEF")
    head.update(realtime=True, ssid=ssid(item.symbol), symbol=item.symbol)
    changes = {"netChange": q.change, "netPercentChange": q.percent_change}
    if kind == "INDEX":
        return {**head, "quote": {"52WeekHigh": q.high52, "52WeekLow": q.low52, "closePrice": q.close,
                                  "highPrice": q.high, "lastPrice": q.last, "lowPrice": q.low, **changes,
                                  "openPrice": q.open, "securityStatus": "Normal", "totalVolume": q.volume,
                                  "tradeTime": stamp},
                "reference": {"description": item.description, "exchange": code, "exchangeName": name}}
    if kind == "MUTUAL_FUND":
        return {**head, "fundamental": fundamental(item, q), "quote": {
                    "52WeekHigh": q.high52, "52WeekLow": q.low52, "closePrice": q.close, "nAV": q.last, **changes,
                    "securityStatus": "Normal", "totalVolume": 0, "tradeTime": stamp},
                "reference": {"cusip": item.cusip, "description": item.description, "exchange": code,
                              "exchangeName": name}}
    prices = {"askPrice": q.ask, "askSize": 1, "bidPrice": q.bid, "bidSize": 1, "closePrice": q.close,
              "highPrice": q.high, "lastPrice": q.last, "lastSize": 1, "lowPrice": q.low, "mark": q.mark}
    if kind == "FOREX":
        return {**head, "quote": {"52WeekHigh": q.high52, "52WeekLow": q.low52, **prices, **changes,
                                  "openPrice": q.open, "quoteTime": stamp, "securityStatus": "Normal",
                                  "tick": 0.0001, "tickAmount": 10.0, "totalVolume": 0, "tradeTime": stamp},
                "reference": {"description": item.description, "exchange": code, "exchangeName": name,
                              "isTradable": True, "marketMaker": "", "product": "", "tradingHours": ""}}
    if kind == "FUTURE":
        return {**head, **future_blocks(item, q, prices, code, name)}
    mic = MIC.get(item.exchange, "XNAS")
    return {**head, "fundamental": fundamental(item, q), "quote": {
                "52WeekHigh": q.high52, "52WeekLow": q.low52, "askMICId": mic, "askPrice": q.ask, "askSize": 4,
                "askTime": stamp, "bidMICId": mic, "bidPrice": q.bid, "bidSize": 3, "bidTime": stamp,
                "closePrice": q.close, "highPrice": q.high, "lastMICId": mic, "lastPrice": q.last, "lastSize": 100,
                "lowPrice": q.low, "mark": q.mark, "markChange": round(q.mark - q.close, 2),
                "markPercentChange": round((q.mark - q.close) / q.close * 100, 4), **changes, "openPrice": q.open,
                "postMarketChange": 0.0, "postMarketPercentChange": 0.0, "quoteTime": stamp,
                "securityStatus": "Normal", "totalVolume": q.volume, "tradeTime": stamp},
            "reference": {"cusip": item.cusip, "description": item.description, "exchange": code,
                          "exchangeName": name, "isHardToBorrow": False, "isShortable": True,
                          "htbQuantity": int(market.number(item.symbol, "htb", 1e6, 5e7)), "htbRate": 0.0},
            "regular": {"regularMarketLastPrice": q.last, "regularMarketLastSize": int(q.volume / 10),
                        "regularMarketNetChange": q.change, "regularMarketPercentChange": q.percent_change,
                        "regularMarketTradeTime": stamp}}


def future_blocks(security: Security, q: market.Quote, prices: Dict[str, Any], code: str, name: str) -> Dict[str, Any]:
    active, expires = market.front_month(security.symbol, today_of(q.time_ms))
    tick = market.FUTURE_TICKS[security.symbol]
    multiplier = market.FUTURE_MULTIPLIERS[security.symbol]
    return {"quote": {"askMICId": "XCME", "askTime": q.time_ms, "bidMICId": "XCME", "bidTime": q.time_ms,
                      **prices, "futurePercentChange": round(q.percent_change / 100, 6), "lastMICId": "XCME",
                      "netChange": q.change, "openInterest": int(q.volume / 3), "openPrice": q.open,
                      "quoteTime": q.time_ms, "quotedInSession": False, "securityStatus": "Normal",
                      "settleTime": q.time_ms, "tick": tick, "tickAmount": tick * multiplier,
                      "totalVolume": q.volume, "tradeTime": q.time_ms},
            "reference": {"description": security.description, "exchange": code, "exchangeName": name,
                          "futureActiveSymbol": active, "futureExpirationDate": td.expiration_ms(expires),
                          "futureIsActive": True, "futureMultiplier": multiplier, "futurePriceFormat": "D,D",
                          "futureSettlementPrice": q.close, "futureTradingHours": "GLBX(de=1640;0=-17)",
                          "product": security.symbol}}


def option_quote(c: Option, stamp: int) -> Dict[str, Any]:
    day = c.expiration
    return {"assetMainType": "OPTION", "realtime": True, "ssid": ssid(option_symbol(c)), "symbol": option_symbol(c),
            "quote": {"52WeekHigh": round(c.value * 2, 2), "52WeekLow": round(c.value / 2, 2), "askPrice": c.ask,
                      "askSize": 12, "bidPrice": c.bid, "bidSize": 10, "closePrice": c.close,
                      "delta": round(c.delta, 4), "gamma": round(c.gamma, 4), "highPrice": round(c.value * 1.05, 2),
                      "impliedYield": 0.0, "lastPrice": round(c.value, 2), "lastSize": 1,
                      "lowPrice": round(c.value * 0.95, 2), "mark": c.mark, "markChange": round(c.mark - c.close, 2),
                      "markPercentChange": td.percent(c.mark - c.close, c.close),
                      "moneyIntrinsicValue": c.intrinsic, "netChange": round(c.value - c.close, 2),
                      "netPercentChange": td.percent(c.value - c.close, c.close),
                      "openInterest": float(c.open_interest), "openPrice": c.close, "quoteTime": stamp,
                      "rho": round(c.rho, 4), "securityStatus": "Normal",
                      "theoreticalOptionValue": round(c.value, 3), "theta": round(c.theta, 4),
                      "timeValue": round(c.value - c.intrinsic, 2), "totalVolume": c.volume, "tradeTime": stamp,
                      "underlyingPrice": c.underlying_price, "vega": round(c.vega, 4),
                      "volatility": round(c.sigma * 100, 4)},
            "reference": {"contractType": c.put_call[0], "daysToExpiration": c.days,
                          "deliverables": f"100 {c.underlying.symbol}", "description": c.description,
                          "exchange": "o", "exchangeName": "OPR", "exerciseType": exercise_type(c),
                          "expirationDay": day.day, "expirationMonth": day.month,
                          "expirationType": expiration_type(day), "expirationYear": day.year,
                          "isPennyPilot": True, "lastTradingDay": td.expiration_ms(day), "multiplier": 100.0,
                          "settlementType": "P", "strikePrice": c.strike, "underlying": c.underlying.symbol}}


def exercise_type(c: Option) -> str:
    return "E" if c.underlying.asset_type == "INDEX" else "A"


def expiration_type(day: date) -> str:
    """S: the monthly third Friday; W: a weekly."""
    return "S" if market.is_monthly(day) else "W"


def fundamental(security: Security, q: market.Quote) -> Dict[str, Any]:
    """The quote's ``fundamental`` block (fixtures/schwab/quotes-1.json): dividend dates only for payers."""
    numbers = market.fundamentals(security)
    today = today_of(q.time_ms) if q.time_ms else date.today()
    found: Dict[str, object] = {"avg10DaysVolume": numbers["vol10DayAvg"], "avg1YearVolume": numbers["vol3MonthAvg"]}
    if security.dividend:
        ex, pay, declared = market.dividend_dates(today)
        found.update(declarationDate=midnight(declared), divAmount=security.dividend, divExDate=midnight(ex),
                     divFreq=4, divPayAmount=numbers["dividendPayAmount"], divPayDate=midnight(pay))
    else:
        found.update(divAmount=0.0, divFreq=0, divPayAmount=0.0)  # divFreq 0 as recorded (the spec has no 0)
    found.update(divYield=q.dividend_yield, eps=numbers["epsTTM"], fundLeverageFactor=0.0,
                 lastEarningsDate=midnight(today - timedelta(days=(today.toordinal() % 90) + 1)))
    if security.dividend:
        ex, pay = market.next_dividend_dates(today)
        found.update(nextDivExDate=midnight(ex), nextDivPayDate=midnight(pay))
    found["peRatio"] = q.pe_ratio
    return found


# -- price history ------------------------------------------------------------------------------------

FREQUENCY_TYPES = {"day": ("minute",), "month": ("daily", "weekly"), "year": ("daily", "weekly", "monthly"),
                   "ytd": ("daily", "weekly")}
DEFAULT_FREQUENCY_TYPE = {"day": "minute", "month": "weekly", "year": "monthly", "ytd": "weekly"}


def price_history(query: Query) -> Answer:
    """``/pricehistory?symbol=``: Schwab's defaults; mismatched combinations get a 400."""
    symbol = required(query, "symbol").upper()
    period_type = one_of(query, "periodType", td.PERIOD_TYPES, "day")
    assert period_type is not None
    period = whole(query, "period")
    if period is not None and period not in td.PERIODS[period_type]:
        raise BadRequest(f"period for periodType {period_type} must be one of "
                         f"{', '.join(map(str, td.PERIODS[period_type]))}; got {period}", "period")
    frequency_type = one_of(query, "frequencyType", ("minute", "daily", "weekly", "monthly"),
                            DEFAULT_FREQUENCY_TYPE[period_type])
    assert frequency_type is not None
    if frequency_type not in FREQUENCY_TYPES[period_type]:
        raise BadRequest(f"frequencyType for periodType {period_type} must be one of "
                         f"{', '.join(FREQUENCY_TYPES[period_type])}; got {frequency_type}", "frequencyType")
    frequency = whole(query, "frequency") or 1
    if frequency not in td.FREQUENCIES[frequency_type]:
        raise BadRequest(f"frequency for frequencyType {frequency_type} must be one of "
                         f"{', '.join(map(str, td.FREQUENCIES[frequency_type]))}; got {frequency}", "frequency")
    extended = boolean(query, "needExtendedHoursData", True)
    previous = boolean(query, "needPreviousClose", False)
    start_s, end_s = td.history_span(period_type, period or td.DEFAULT_PERIOD[period_type],
                                     whole(query, "startDate"), whole(query, "endDate"))
    found = SYMBOLS.get(symbol)
    candles = market.candles(found.symbol, start_s, end_s, frequency_type, frequency, extended) if found else []
    answer: Dict[str, object] = {"candles": candles, "symbol": symbol, "empty": not candles}
    if previous and found is not None:
        day_before = datetime.fromtimestamp(start_s, timezone.utc).date() - timedelta(days=1)
        while not market.is_open(day_before):
            day_before -= timedelta(days=1)
        moment = datetime(day_before.year, day_before.month, day_before.day, 5, tzinfo=timezone.utc).timestamp()
        answer.update(previousClose=round(market.price_at(found.symbol, moment), market.digits(found)),
                      previousCloseDate=int(moment * 1000))
    return 200, answer


# -- movers -------------------------------------------------------------------------------------------

MOVER_INDEXES = ("$DJI", "$COMPX", "$SPX", "NYSE", "NASDAQ", "OTCBB", "INDEX_ALL", "EQUITY_ALL", "OPTION_ALL",
                 "OPTION_PUT", "OPTION_CALL")
SORTS = ("VOLUME", "TRADES", "PERCENT_CHANGE_UP", "PERCENT_CHANGE_DOWN")
FREQUENCIES = ("0", "1", "5", "10", "30", "60")


def members(index: str, stamp: int) -> List[Tuple[str, str, float, float, int]]:
    """(symbol, description, last, net change, volume) of what an index's movers are chosen from."""
    if index.startswith("OPTION_"):
        sides = {"OPTION_PUT": ("PUT",), "OPTION_CALL": ("CALL",)}.get(index, ("CALL", "PUT"))
        today = today_of(stamp)
        day = market.expirations(today)[0]
        rows = []
        for q in market.movers(market.INDEX_MEMBERS["$SPX"], stamp)[:10]:
            strike = round(q.last / market.strike_interval(q.last)) * market.strike_interval(q.last)
            for side in sides:
                c = market.option(q.security, side, day, strike, today)
                rows.append((option_symbol(c), c.description, round(c.value, 2), round(c.value - c.close, 2),
                             c.volume))
        return rows
    if index in market.INDEX_MEMBERS:
        names = market.INDEX_MEMBERS[index]
    elif index in ("NYSE", "NASDAQ"):
        names = tuple(s for s in market.EQUITIES if UNIVERSE[s].exchange == index)
    elif index == "EQUITY_ALL":
        names = market.EQUITIES
    elif index == "INDEX_ALL":
        names = tuple(s.symbol for s in UNIVERSE.values() if s.asset_type == "INDEX")
    else:  # OTCBB: the universe lists nothing over the counter
        names = ()
    return [(q.symbol, q.security.description, q.last, q.change, q.volume) for q in market.movers(names, stamp)]


def movers(query: Query, index: str) -> Answer:
    if index not in MOVER_INDEXES:
        raise BadRequest(f"symbol_id must be one of {', '.join(MOVER_INDEXES)}; got {index!r}", "symbol_id")
    sort = one_of(query, "sort", SORTS)
    one_of(query, "frequency", FREQUENCIES, "0")
    rows = members(index, now_ms())
    total = sum(row[4] for row in rows)
    items: List[Dict[str, Any]] = [
        {"description": description, "volume": volume, "lastPrice": last, "netChange": change,
         "marketShare": round(volume / total * 100, 2) if total else 0.0, "totalVolume": total,
         "trades": volume // 83, "netPercentChange": round(change / (last - change), 4) if last != change
         else 0.0, "symbol": symbol} for symbol, description, last, change, volume in rows]
    if sort == "PERCENT_CHANGE_UP":
        items = sorted((i for i in items if i["netChange"] > 0), key=lambda i: i["netPercentChange"], reverse=True)
    elif sort == "PERCENT_CHANGE_DOWN":
        items = sorted((i for i in items if i["netChange"] < 0), key=lambda i: i["netPercentChange"])
    else:
        items.sort(key=lambda i: i["trades" if sort == "TRADES" else "volume"], reverse=True)
    return 200, {"screeners": items[:10]}


# -- market hours -------------------------------------------------------------------------------------

MARKETS = tuple(m.lower() for m in market.MARKETS)


def hours_day(query: Query) -> date:
    """``date``: from today (a day of slack for time zones) to a year ahead."""
    today = market.utc_today()
    day = day_param(query, "date") or today
    if not today - timedelta(days=1) <= day <= today + timedelta(days=366):
        raise BadRequest(f"date must be from today to one year ahead; got {day.isoformat()}", "date")
    return day


def markets(query: Query) -> Answer:
    names = [m.strip() for m in required(query, "markets").split(",") if m.strip()]
    for name in names:
        if name not in MARKETS:
            raise BadRequest(f"markets must be a list of {', '.join(MARKETS)}; got {name!r}", "markets")
    day = hours_day(query)
    return 200, {name: products(name, day) for name in dict.fromkeys(names)}


def market_one(query: Query, name: str) -> Answer:
    if name not in MARKETS:
        raise BadRequest(f"market_id must be one of {', '.join(MARKETS)}; got {name!r}", "market_id")
    return 200, {name: products(name, hours_day(query))}


def products(name: str, day: date) -> Dict[str, Any]:
    """Schwab's hours (fixtures/schwab/markets-*.json): no exchange or category; no sessions when closed."""
    found = {}
    for product, (title, _, _, sessions) in market.PRODUCTS[name.upper()].items():
        info = {"date": day.isoformat(), "marketType": name.upper(), "product": product,
                "productName": title or product, "isOpen": market.is_open(day)}
        if info["isOpen"]:
            info["sessionHours"] = market.session_hours(sessions, day)
        found[product] = info
    return found


# -- option chains ------------------------------------------------------------------------------------

ENTITLEMENTS = ("PN", "NP", "PP")


def chains(query: Query) -> Answer:
    symbol = required(query, "symbol").upper()
    contract_type = one_of(query, "contractType", td.CONTRACT_TYPES, "ALL")
    strategy = one_of(query, "strategy", td.STRATEGIES, "SINGLE")
    range_ = one_of(query, "range", td.RANGES, "ALL")
    exp_month = one_of(query, "expMonth", td.MONTHS, "ALL")
    one_of(query, "optionType", td.OPTION_TYPES, "ALL")
    one_of(query, "entitlement", ENTITLEMENTS)
    include_quote = boolean(query, "includeUnderlyingQuote", False)
    options = td.chain_options(query)
    chain: Dict[str, object] = {
        "symbol": symbol, "status": "FAILED", "strategy": strategy, "interval": 0.0, "isDelayed": False,
        "isIndex": False, "interestRate": 0.0, "underlyingPrice": 0.0, "volatility": 0.0, "daysToExpiration": 0.0,
        "numberOfContracts": 0, "assetMainType": "EQUITY", "assetSubType": "COE", "isChainTruncated": False,
        "callExpDateMap": {}, "putExpDateMap": {}}
    security = SYMBOLS.get(symbol)
    if security is None or not security.option_root:
        return 200, chain
    stamp = now_ms()
    found = market.chain(security, contract_type=contract_type or "ALL", range_=range_ or "ALL",
                         exp_month=exp_month or "ALL", time_ms=stamp, **options)
    maps: Dict[str, Dict[str, Dict[str, Any]]] = {"CALL": {}, "PUT": {}}
    for put_call, by_day in found.contracts.items():
        for day, strikes in by_day.items():
            maps[put_call][f"{day.isoformat()}:{(day - today_of(stamp)).days}"] = {
                f"{k:.1f}": [contract(c, stamp)] for k, c in strikes.items()}
    index = security.asset_type == "INDEX"
    chain.update(status="SUCCESS", interval=found.interval, isIndex=index, interestRate=round(found.rate * 100, 3),
                 underlyingPrice=found.price, volatility=round(found.sigma * 100, 2),
                 numberOfContracts=found.count, assetMainType="INDEX" if index else "EQUITY",
                 assetSubType="ETF" if security.asset_type == "ETF" else "COE",
                 callExpDateMap=maps["CALL"], putExpDateMap=maps["PUT"])
    if index:
        del chain["assetSubType"]
    if include_quote:
        chain["underlying"] = td.underlying(found.quote)
    return 200, chain


def contract(c: Option, stamp: int) -> Dict[str, Any]:
    """A chain contract in the keys of Schwab's real chains (TD's words, not the spec's)."""
    high52, low52 = round(c.value * 2, 2), round(c.value / 2, 2)
    return {
        "putCall": c.put_call, "symbol": option_symbol(c), "description": c.description, "exchangeName": "OPR",
        "bid": c.bid, "ask": c.ask, "last": round(c.value, 2), "mark": c.mark, "bidSize": 10, "askSize": 12,
        "bidAskSize": "10X12", "lastSize": 1, "highPrice": round(c.value * 1.05, 2),
        "lowPrice": round(c.value * 0.95, 2), "openPrice": c.close, "closePrice": c.close, "totalVolume": c.volume,
        "tradeTimeInLong": stamp, "quoteTimeInLong": stamp, "netChange": round(c.value - c.close, 2),
        "volatility": round(c.sigma * 100, 3), "delta": round(c.delta, 3), "gamma": round(c.gamma, 3),
        "theta": round(c.theta, 3), "vega": round(c.vega, 3), "rho": round(c.rho, 3),
        "openInterest": c.open_interest, "timeValue": round(c.value - c.intrinsic, 2),
        "theoreticalOptionValue": round(c.value, 3), "theoreticalVolatility": 29.0,
        "optionDeliverablesList": [{"symbol": c.underlying.symbol, "assetType": c.underlying.asset_type,
                                    "deliverableUnits": 100.0}],
        "strikePrice": c.strike, "expirationDate": expiration_iso(c.expiration), "daysToExpiration": c.days,
        "expirationType": expiration_type(c.expiration), "lastTradingDay": td.expiration_ms(c.expiration),
        "multiplier": 100.0, "settlementType": "P", "deliverableNote": "100 " + c.underlying.symbol,
        "percentChange": td.percent(c.value - c.close, c.close), "markChange": round(c.mark - c.close, 2),
        "markPercentChange": td.percent(c.mark - c.close, c.close), "intrinsicValue": c.intrinsic,
        "extrinsicValue": round(c.value - c.intrinsic, 2), "optionRoot": c.underlying.option_root,
        "exerciseType": exercise_type(c), "high52Week": high52, "low52Week": low52, "nonStandard": False,
        "pennyPilot": True, "inTheMoney": c.in_the_money, "mini": False,
    }


def expiration_chain(query: Query) -> Answer:
    """``{"expirationList": [...]}`` with the recorded key ``expirationDate`` (the spec says ``expiration``)."""
    symbol = required(query, "symbol").upper()
    security = SYMBOLS.get(symbol)
    if security is None or not security.option_root:
        return 200, {"expirationList": []}
    today = market.utc_today()
    return 200, {"expirationList": [
        {"expirationDate": day.isoformat(), "daysToExpiration": (day - today).days,
         "expirationType": expiration_type(day), "settlementType": "P", "optionRoots": security.option_root,
         "standard": True} for day in market.expirations(today)]}


# -- instruments --------------------------------------------------------------------------------------

PROJECTIONS = ("symbol-search", "symbol-regex", "desc-search", "desc-regex", "search", "fundamental")


def instrument(security: Security) -> Dict[str, Any]:
    return {"cusip": security.cusip, "symbol": security.symbol, "description": security.description,
            "exchange": security.exchange, "assetType": security.asset_type}


def instrument_fundamental(security: Security) -> Dict[str, Any]:
    """The 56 keys of ``fundamental`` in fixtures/schwab/instruments-1.json."""
    numbers = market.fundamentals(security)
    today = date.today()
    ex, pay, declared = market.dividend_dates(today)
    next_ex, next_pay = market.next_dividend_dates(today)
    paid = security.dividend > 0

    def day(value: date) -> str:
        return f"{value} 00:00:00.0" if paid else ""

    return {"symbol": security.symbol, **numbers, "dividendDate": day(ex), "dividendPayDate": day(pay),
            "avg10DaysVolume": int(numbers["vol10DayAvg"]), "avg1DayVolume": int(numbers["vol1DayAvg"]),
            "avg3MonthVolume": int(numbers["vol3MonthAvg"]), "declarationDate": day(declared),
            "dividendFreq": 4 if paid else 0, "eps": numbers["epsTTM"], "dtnVolume": int(numbers["vol1DayAvg"]),
            "nextDividendPayDate": day(next_pay), "nextDividendDate": day(next_ex), "fundLeverageFactor": 0.0}


def instruments(query: Query) -> Answer:
    found = td.search(query, PROJECTIONS, MAX_SYMBOLS)
    if query.get("projection") == "fundamental":
        return 200, {"instruments": [{"fundamental": instrument_fundamental(s), **instrument(s)} for s in found]}
    return 200, {"instruments": [instrument(s) for s in found]}


def instrument_by_cusip(query: Query, cusip: str) -> Answer:
    """Wrapped as recorded: ``{"instruments": [instrument]}`` (the spec says a bare object)."""
    security = market.BY_CUSIP.get(cusip.upper())
    return (404, None) if security is None else (200, {"instruments": [instrument(security)]})


Answer = Tuple[int, object]
ROUTES: List[Tuple[re.Pattern[str], Callable[..., Answer]]] = [
    (re.compile(r"quotes"), quotes),
    (re.compile(r"([^/]+)/quotes"), quote_one),
    (re.compile(r"pricehistory"), price_history),
    (re.compile(r"movers/([^/]+)"), movers),
    (re.compile(r"markets"), markets),
    (re.compile(r"markets/([^/]+)"), market_one),
    (re.compile(r"chains"), chains),
    (re.compile(r"expirationchain"), expiration_chain),
    (re.compile(r"instruments"), instruments),
    (re.compile(r"instruments/([^/]+)"), instrument_by_cusip),
]
