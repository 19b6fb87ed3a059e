"""TD Ameritrade's stand-in: its OAuth rules, its market-data paths and shapes, and its errors (td-api.md)."""

from __future__ import annotations

import base64
import re
import secrets
import time
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import unquote, urlsplit

from pyTD.market.history import FREQUENCIES, FREQUENCY_TYPES_BY_PERIOD, PERIOD_TYPES, PERIODS
from pyTD.market.hours import MARKETS
from pyTD.providers.td import MOVER_INDEXES as INDEXES
from pyTD.sandbox import securities
from pyTD.sandbox.chains import option_chain
from pyTD.sandbox.oauth import Authority, Grant
from pyTD.sandbox.params import BadRequest, Query, day_param, one_of, symbols_param, whole
from pyTD.sandbox.provider import Provider
from pyTD.sandbox.replies import Reply, error_reply, html_reply, json_reply

CLIENT_ID_SUFFIX = "@AMER.OAUTHAP"
SCOPE = "PlaceTrades AccountAccess MoveMoney"
MISMATCH = "A third-party application may be attempting to make unauthorized access"
PROJECTIONS = ("symbol-search", "symbol-regex", "desc-search", "desc-regex", "fundamental")
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

    def token_payload(self, client: str, access: str, refresh: Optional[str], login: bool) -> dict:
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

    def answer(self, path: str, query: Mapping[str, str]) -> Reply:
        """Serve ``path`` (still URL-encoded)."""
        relative = path[len(self.api_path):].strip("/")
        for pattern, endpoint in ROUTES:
            match = pattern.fullmatch(relative)
            if match:
                try:
                    status, payload = endpoint(query, *map(unquote, match.groups()))
                except BadRequest as exc:
                    return error_reply(400, str(exc))
                return json_reply(status, payload)
        return self.not_found(path)

    def unauthorized(self) -> Reply:
        return error_reply(401, "The access token being passed has expired or is invalid.")

    def rate_limited(self) -> Reply:
        return error_reply(429, "Individual App's transactions per seconds restriction reached. "
                                "Please contact us with further questions")

    def not_allowed(self, method: str) -> Reply:
        return error_reply(405, f"The sandbox serves market data only; {method} is not supported")

    def not_found(self, path: str) -> Reply:
        return error_reply(404, f"No endpoint {path}")


# -- market data ---------------------------------------------------------------------------------------


def now_ms() -> int:
    return int(time.time() * 1000)


# -- quotes -------------------------------------------------------------------------------------------


def quotes(query: Query) -> Answer:
    stamp = now_ms()
    return 200, {s: securities.quote(s, stamp) for s in symbols_param(query) if securities.known(s)}


def quote_one(query: Query, symbol: str) -> Answer:
    return quotes({"symbol": symbol})


# -- price history ------------------------------------------------------------------------------------

DEFAULT_PERIOD = {"day": 10, "month": 1, "year": 1, "ytd": 1}
STEP = {"minute": 60, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400}
MAX_CANDLES = 20000


def price_history(query: Query, symbol: str) -> Answer:
    symbol = symbol.upper()
    period_type = one_of(query, "periodType", PERIOD_TYPES, "day")
    period = whole(query, "period")
    if period is not None and period not in PERIODS[period_type]:
        raise BadRequest(f"period for periodType {period_type} must be one of "
                         f"{', '.join(map(str, PERIODS[period_type]))}; got {period}")
    frequency_type = one_of(query, "frequencyType", FREQUENCY_TYPES_BY_PERIOD[period_type],
                            FREQUENCY_TYPES_BY_PERIOD[period_type][0])
    frequency = whole(query, "frequency") or 1
    if frequency not in FREQUENCIES[frequency_type]:
        raise BadRequest(f"frequency for frequencyType {frequency_type} must be one of "
                         f"{', '.join(map(str, FREQUENCIES[frequency_type]))}; got {frequency}")
    extended = one_of(query, "needExtendedHoursData", ("true", "false"), "true") == "true"
    start, end = whole(query, "startDate"), whole(query, "endDate")
    if start is not None and end is not None and start > end:
        raise BadRequest("startDate must not be after endDate")
    end_s = end / 1000 if end is not None else time.time()
    if start is not None:
        start_s = start / 1000
    elif period_type == "ytd":
        start_s = datetime(datetime.fromtimestamp(end_s, timezone.utc).year, 1, 1, tzinfo=timezone.utc).timestamp()
    else:
        days = {"day": 1, "month": 31, "year": 366}[period_type] * (period or DEFAULT_PERIOD[period_type])
        start_s = end_s - days * 86400
    known = securities.known(symbol)
    candles = candles_between(symbol, start_s, end_s, frequency_type, frequency, extended) if known else []
    return 200, {"candles": candles, "symbol": symbol, "empty": not candles}


def candles_between(symbol: str, start: float, end: float, frequency_type: str, frequency: int,
                    extended: bool) -> List[dict]:
    """Candles on trading days only; minute candles within the (extended) session, times in UTC."""
    step = STEP[frequency_type] * frequency
    first = start - start % step if frequency_type == "minute" else start - start % 86400 + 5 * 3600
    opens, closes = (9 * 3600, 24 * 3600) if extended else (13.5 * 3600, 20 * 3600)
    candles = []
    t = first if first >= start else first + step
    while t <= end and len(candles) < MAX_CANDLES:
        moment = datetime.fromtimestamp(t, timezone.utc)
        in_session = moment.weekday() < 5 and (frequency_type != "minute" or opens <= t % 86400 < closes)
        if in_session:
            candles.append(candle(symbol, t, step))
        t += step
    return candles


def candle(symbol: str, t: float, step: float) -> dict:
    open_, close = securities.price_at(symbol, t), securities.price_at(symbol, t + step)
    spread = abs(close - open_) * 0.5 + open_ * 0.001
    volume = int(securities.number(symbol, f"v{int(t)}", 1e3, 1e6) * (step / 60) ** 0.5)
    return {"open": round(open_, 2), "high": round(max(open_, close) + spread, 2),
            "low": round(min(open_, close) - spread, 2), "close": round(close, 2), "volume": volume,
            "datetime": int(t * 1000)}


# -- movers -------------------------------------------------------------------------------------------


def movers(query: Query, index: str) -> Answer:
    if index not in INDEXES:
        raise BadRequest(f"index must be one of {', '.join(INDEXES)}; got {index!r}")
    direction = one_of(query, "direction", ("up", "down"))
    change = one_of(query, "change", ("value", "percent"), "percent")
    stamp = now_ms()
    rows = []
    for symbol in securities.INDEX_MEMBERS[index]:
        q = securities.quote(symbol, stamp)
        moved = q["lastPrice"] - q["closePrice"]
        rows.append({"change": round(moved / q["closePrice"] if change == "percent" else moved, 4),
                     "description": q["description"], "direction": "up" if moved >= 0 else "down",
                     "last": q["lastPrice"], "symbol": symbol, "totalVolume": q["totalVolume"]})
    if direction:
        rows = [r for r in rows if r["direction"] == direction]
    rows.sort(key=lambda r: abs(r["change"]), reverse=True)
    return 200, rows[:10]


# -- market hours -------------------------------------------------------------------------------------

PRODUCTS = {
    "EQUITY": {"EQ": "equity"},
    "OPTION": {"EQO": "equity option", "IND": "index option"},
    "FUTURE": {"/ES": "E-mini S&P 500", "/CL": "Crude Oil", "/GC": "Gold"},
    "BOND": {"BON": "bond"},
    "FOREX": {"forex": "forex"},
}
SESSIONS = {  # New York local times
    "EQUITY": {"preMarket": ("07:00", "09:30"), "regularMarket": ("09:30", "16:00"),
               "postMarket": ("16:00", "20:00")},
    "OPTION": {"regularMarket": ("09:30", "16:15")},
    "FUTURE": {"preMarket": ("18:00", "09:30"), "regularMarket": ("09:30", "17:00")},
    "BOND": {"preMarket": ("08:00", "08:00"), "regularMarket": ("08:00", "17:00")},
    "FOREX": {"regularMarket": ("17:00", "17:00")},
}


def market_hours(query: Query, market: str = "") -> Answer:
    if market:
        names = [market.upper()]
    else:
        names = [m.strip().upper() for m in query.get("markets", "").split(",") if m.strip()]
        if not names:
            raise BadRequest(f"markets is required: any of {', '.join(MARKETS)}")
    for name in names:
        if name not in MARKETS:
            raise BadRequest(f"market must be one of {', '.join(MARKETS)}; got {name!r}")
    day = day_param(query, "date") or datetime.now(timezone.utc).date()
    return 200, {name.lower(): {product: hours(name, product, title, day) for product, title in
                                PRODUCTS[name].items()} for name in names}


def hours(market: str, product: str, title: str, day: date) -> dict:
    is_open = day.weekday() < 5
    info = {"date": day.isoformat(), "marketType": market, "exchange": "NULL", "category": "NULL",
            "product": product, "productName": title, "isOpen": is_open}
    if is_open:  # TD leaves sessionHours out on closed days
        offset = new_york_offset(day)
        info["sessionHours"] = {
            session: [{"start": f"{day.isoformat()}T{start}:00{offset}",
                       "end": f"{(day + timedelta(days=1) if end <= start else day).isoformat()}T{end}:00{offset}"}]
            for session, (start, end) in SESSIONS[market].items()}
    return info


def new_york_offset(day: date) -> str:
    """-04:00 in US daylight saving time (second Sunday of March to first Sunday of November), else -05:00."""
    march = date(day.year, 3, 8 + (6 - date(day.year, 3, 8).weekday()) % 7)
    november = date(day.year, 11, 1 + (6 - date(day.year, 11, 1).weekday()) % 7)
    return "-04:00" if march <= day < november else "-05:00"


# -- option chains ------------------------------------------------------------------------------------


def chains(query: Query) -> Answer:
    return 200, option_chain(query)


# -- instruments --------------------------------------------------------------------------------------


def instruments(query: Query) -> Answer:
    projection = one_of(query, "projection", PROJECTIONS)
    if projection is None:
        raise BadRequest(f"projection is required: one of {', '.join(PROJECTIONS)}")
    text = query.get("symbol", "")
    if not text:
        raise BadRequest("symbol is required")
    if projection in ("symbol-search", "fundamental"):
        found = [s for s in symbols_param(query) if securities.known(s)]
    else:
        try:
            pattern = re.compile(text if projection.endswith("regex") else re.escape(text), re.IGNORECASE)
        except re.error as exc:
            raise BadRequest(f"symbol is not a valid regular expression: {exc}") from None
        match: Callable[[str], object]
        if projection == "symbol-regex":
            match = pattern.fullmatch
        else:
            def match(s: str) -> object:
                return pattern.search(securities.description(s))
        found = [s for s in securities.NAMES if match(s)]
    result: Dict[str, dict] = {}
    for symbol in found:
        result[symbol] = securities.instrument(symbol)
        if projection == "fundamental":
            result[symbol]["fundamental"] = securities.fundamental(symbol)
    return 200, result


def instrument_by_cusip(query: Query, cusip: str) -> Answer:
    symbol = securities.symbol_of(cusip.upper())
    if symbol is None:
        return 404, {"error": f"No instrument with CUSIP {cusip}"}
    return 200, [securities.instrument(symbol)]


ROUTES: List[Tuple[re.Pattern, Callable[..., Answer]]] = [
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
