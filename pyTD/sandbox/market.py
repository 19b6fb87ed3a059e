"""The sandbox's market, shared by both providers: real securities, deterministic prices, option chains, hours.

The universe is fixed: real tickers with their real CUSIPs and descriptions.
Anything else (a typo such as ``APPL``) is an unknown symbol. Prices are
deterministic: the same symbol always gets the same quote, and price history
follows a smooth path through time, so tests can compare answers. Option
chains list weekly and monthly expirations with strikes centred on the price.
The provider modules turn these facts into their own symbols, field names
and shapes.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Security:
    """One security: ``symbol`` as Schwab writes it (TD too, unless ``td_symbol`` says otherwise)."""

    symbol: str
    cusip: str
    description: str
    asset_type: str  # EQUITY, ETF, INDEX, MUTUAL_FUND, FUTURE, FOREX
    exchange: str  # the listing exchange (instruments' "exchange")
    price: float  # the previous close
    td_symbol: str = ""
    option_root: str = ""  # the root of its options; "" when none are listed
    dividend: float = 0.0  # yearly, per share


def _universe(rows: Iterable[Tuple[Any, ...]]) -> Dict[str, Security]:
    return {row[0]: Security(*row) for row in rows}


NEW_YORK = ZoneInfo("America/New_York")  # the exchanges' clock

# symbol, CUSIP, description, type, exchange, previous close[, TD symbol, option root, dividend]
UNIVERSE = _universe([
    ("AAPL", "037833100", "APPLE INC", "EQUITY", "NASDAQ", 232.15, "", "AAPL", 1.0),
    ("MSFT", "594918104", "Microsoft Corp", "EQUITY", "NASDAQ", 416.72, "", "MSFT", 3.32),
    ("AMZN", "023135106", "Amazon.com Inc", "EQUITY", "NASDAQ", 188.99, "", "AMZN"),
    ("GOOGL", "02079K305", "Alphabet Inc. Class A", "EQUITY", "NASDAQ", 163.42, "", "GOOGL", 0.8),
    ("GOOG", "02079K107", "Alphabet Inc. Class C", "EQUITY", "NASDAQ", 164.76, "", "GOOG", 0.8),
    ("META", "30303M102", "Meta Platforms Inc", "EQUITY", "NASDAQ", 576.93, "", "META", 2.0),
    ("NVDA", "67066G104", "NVIDIA CORP", "EQUITY", "NASDAQ", 137.71, "", "NVDA", 0.04),
    ("TSLA", "88160R101", "Tesla Inc", "EQUITY", "NASDAQ", 220.70, "", "TSLA"),
    ("NFLX", "64110L106", "Netflix Inc", "EQUITY", "NASDAQ", 763.89, "", "NFLX"),
    ("INTC", "458140100", "INTEL CORP", "EQUITY", "NASDAQ", 22.44, "", "INTC", 0.5),
    ("AMD", "007903107", "Advanced Micro Devic", "EQUITY", "NASDAQ", 156.25, "", "AMD"),
    ("CSCO", "17275R102", "CISCO SYS INC", "EQUITY", "NASDAQ", 56.81, "", "CSCO", 1.6),
    ("PEP", "713448108", "PepsiCo Inc", "EQUITY", "NASDAQ", 170.12, "", "PEP", 5.42),
    ("AMGN", "031162100", "Amgen Inc", "EQUITY", "NASDAQ", 321.60, "", "AMGN", 9.0),
    ("HON", "438516106", "Honeywell International Inc", "EQUITY", "NASDAQ", 209.75, "", "HON", 4.52),
    ("COST", "22160K105", "Costco Wholesale Corp", "EQUITY", "NASDAQ", 889.53, "", "COST", 4.64),
    ("WMT", "931142103", "WALMART INC", "EQUITY", "NASDAQ", 81.08, "", "WMT", 0.83),
    ("JPM", "46625H100", "JPMorgan Chase & Co", "EQUITY", "NYSE", 222.62, "", "JPM", 5.0),
    ("KO", "191216100", "The Coca-Cola Co", "EQUITY", "NYSE", 70.13, "", "KO", 1.94),
    ("DIS", "254687106", "DISNEY WALT CO", "EQUITY", "NYSE", 97.25, "", "DIS", 0.9),
    ("F", "345370860", "Ford Motor Co", "EQUITY", "NYSE", 10.79, "", "F", 0.6),
    ("IBM", "459200101", "International Business Machines Corp", "EQUITY", "NYSE", 232.20, "", "IBM", 6.68),
    ("XOM", "30231G102", "Exxon Mobil Corp", "EQUITY", "NYSE", 121.40, "", "XOM", 3.96),
    ("JNJ", "478160104", "Johnson & Johnson", "EQUITY", "NYSE", 161.50, "", "JNJ", 4.96),
    ("PG", "742718109", "Procter & Gamble Co", "EQUITY", "NYSE", 171.27, "", "PG", 4.03),
    ("V", "92826C839", "Visa Inc. Class A", "EQUITY", "NYSE", 289.16, "", "V", 2.36),
    ("BAC", "060505104", "Bank of America Corp", "EQUITY", "NYSE", 42.03, "", "BAC", 1.04),
    ("T", "00206R102", "AT&T Inc", "EQUITY", "NYSE", 22.18, "", "T", 1.11),
    ("HD", "437076102", "Home Depot Inc", "EQUITY", "NYSE", 412.20, "", "HD", 9.0),
    ("MCD", "580135101", "McDonald's Corp", "EQUITY", "NYSE", 303.05, "", "MCD", 7.08),
    ("BA", "097023105", "Boeing Co", "EQUITY", "NYSE", 155.29, "", "BA"),
    ("PFE", "717081103", "Pfizer Inc", "EQUITY", "NYSE", 29.20, "", "PFE", 1.68),
    ("GS", "38141G104", "Goldman Sachs Group Inc", "EQUITY", "NYSE", 522.41, "", "GS", 12.0),
    ("CAT", "149123101", "Caterpillar Inc", "EQUITY", "NYSE", 389.93, "", "CAT", 5.64),
    ("UNH", "91324P102", "UnitedHealth Group Inc", "EQUITY", "NYSE", 590.56, "", "UNH", 8.4),
    ("NKE", "654106103", "Nike Inc. Class B", "EQUITY", "NYSE", 82.53, "", "NKE", 1.6),
    ("CVX", "166764100", "Chevron Corp", "EQUITY", "NYSE", 155.47, "", "CVX", 6.52),
    ("VZ", "92343V104", "VERIZON COMMUNICATIO", "EQUITY", "NYSE", 44.62, "", "VZ", 2.71),
    ("MRK", "58933Y105", "Merck & Co. Inc.", "EQUITY", "NYSE", 108.55, "", "MRK", 3.08),
    ("AXP", "025816109", "American Express Co", "EQUITY", "NYSE", 270.69, "", "AXP", 2.8),
    ("MMM", "88579Y101", "3M Co", "EQUITY", "NYSE", 130.38, "", "MMM", 2.8),
    ("TRV", "89417E109", "Travelers Companies Inc", "EQUITY", "NYSE", 241.04, "", "TRV", 4.2),
    ("CRM", "79466L302", "Salesforce Inc", "EQUITY", "NYSE", 291.83, "", "CRM", 1.6),
    ("BRK.B", "084670702", "Berkshire Hathaway Inc. Class B", "EQUITY", "NYSE", 461.06, "", "BRKB"),
    ("BRK.A", "084670108", "Berkshire Hathaway Inc. Class A", "EQUITY", "NYSE", 691250.0),
    ("SPY", "78462F103", "SPDR S&P 500 ETF Trust", "ETF", "NYSE Arca", 584.59, "", "SPY", 6.9),
    ("QQQ", "46090E103", "Invesco QQQ Trust Series 1", "ETF", "NASDAQ", 494.47, "", "QQQ", 2.8),
    ("IWM", "464287655", "iShares Russell 2000 ETF", "ETF", "NYSE Arca", 222.83, "", "IWM", 2.6),
    ("DIA", "252787106", "SPDR Dow Jones Industrial Average ETF Trust", "ETF", "NYSE Arca", 432.17, "", "DIA",
     7.1),
    ("VTSAX", "922908728", "Vanguard Total Stock Market Index Fd Admiral Shs", "MUTUAL_FUND", "Mutual Fund",
     136.04, "", "", 1.7),
    ("$SPX", "", "S&P 500 Index", "INDEX", "Index", 5864.67, "$SPX.X", "SPX"),
    ("$DJI", "", "Dow Jones Industrial Average", "INDEX", "Index", 43275.91),
    ("$COMPX", "", "NASDAQ Composite", "INDEX", "Index", 18489.55),
    ("/ES", "", "E-mini S&P 500 Futures", "FUTURE", "CME", 5891.25),
    ("/CL", "", "Crude Oil Futures", "FUTURE", "NYMEX", 69.22),
    ("/GC", "", "Gold Futures", "FUTURE", "COMEX", 2736.40),
    ("EUR/USD", "", "Euro/USDollar Spot", "FOREX", "Forex", 1.0866),
    ("USD/JPY", "", "USDollar/Japanese Yen Spot", "FOREX", "Forex", 149.52),
    ("GBP/USD", "", "British Pound/USDollar Spot", "FOREX", "Forex", 1.3048),
])

BY_CUSIP = {s.cusip: s for s in UNIVERSE.values() if s.cusip}
EQUITIES = tuple(s.symbol for s in UNIVERSE.values() if s.asset_type == "EQUITY")
DOW = ("AAPL", "AMGN", "AMZN", "AXP", "BA", "CAT", "CRM", "CSCO", "CVX", "DIS", "GS", "HD", "HON", "IBM", "JNJ",
       "JPM", "KO", "MCD", "MMM", "MRK", "MSFT", "NKE", "NVDA", "PG", "TRV", "UNH", "V", "VZ", "WMT")
INDEX_MEMBERS = {  # the members the universe holds
    "$DJI": DOW,
    "$COMPX": tuple(s for s in EQUITIES if UNIVERSE[s].exchange == "NASDAQ"),
    "$SPX": tuple(s for s in EQUITIES if s != "BRK.A"),
}

# Futures: month codes of the listed contract months; the front month is the first not yet past mid-month.
MONTH_CODES = "FGHJKMNQUVXZ"
FUTURE_MONTHS = {"/ES": (3, 6, 9, 12), "/CL": tuple(range(1, 13)), "/GC": (2, 4, 6, 8, 10, 12)}
FUTURE_MULTIPLIERS = {"/ES": 50.0, "/CL": 1000.0, "/GC": 100.0}
FUTURE_TICKS = {"/ES": 0.25, "/CL": 0.01, "/GC": 0.1}


def front_month(root: str, today: date) -> Tuple[str, date]:
    """The front contract of a futures root, e.g. ``("/ESZ25", date(2025, 12, 19))``: its symbol and expiration."""
    year, month = today.year, today.month
    if today.day >= 15:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    while month not in FUTURE_MONTHS[root]:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{root}{MONTH_CODES[month - 1]}{year % 100:02d}", third_friday(year, month)


def lookup(symbol: str, today: Optional[date] = None) -> Optional[Security]:
    """The security with this symbol (any case; a futures contract by its front-month symbol too), or None."""
    wanted = symbol.strip().upper()
    found = UNIVERSE.get(wanted)
    if found is None and wanted.startswith("/") and len(wanted) > 3:
        root = wanted[:-3]
        if root in FUTURE_MONTHS and front_month(root, today or utc_today())[0] == wanted:
            return UNIVERSE[root]
    return found


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


# -- prices -------------------------------------------------------------------------------------------


def number(symbol: str, salt: str, low: float, high: float) -> float:
    """A deterministic number in ``[low, high)`` for a symbol and a purpose."""
    fraction = zlib.crc32(f"{salt}:{symbol}".encode()) / 2**32
    return low + (high - low) * fraction


def digits(security: Security) -> int:
    return 4 if security.asset_type == "FOREX" else 2


def price_at(symbol: str, seconds: float) -> float:
    """A smooth, deterministic price path for price history and option values."""
    base = UNIVERSE[symbol].price
    phase = number(symbol, "phase", 0, 2 * math.pi)
    wave = 0.08 * math.sin(seconds / (86400 * 45) * 2 * math.pi + phase)
    ripple = 0.01 * math.sin(seconds / 3600 * 1.3 + phase)
    return base * (1 + wave + ripple)


@dataclass(frozen=True)
class Quote:
    """Today's deterministic quote of a security, in neutral names."""

    security: Security
    close: float
    last: float
    open: float
    high: float
    low: float
    bid: float
    ask: float
    volume: int
    high52: float
    low52: float
    pe_ratio: float
    volatility: float
    time_ms: int

    @property
    def symbol(self) -> str:
        return self.security.symbol

    @property
    def change(self) -> float:
        return round(self.last - self.close, digits(self.security))

    @property
    def percent_change(self) -> float:
        return round((self.last - self.close) / self.close * 100, 4)

    @property
    def mark(self) -> float:
        return round((self.bid + self.ask) / 2, digits(self.security))

    @property
    def dividend_yield(self) -> float:
        return round(self.security.dividend / self.last * 100, 4)


def quote(security: Security, time_ms: int) -> Quote:
    s, close, places = security.symbol, security.price, digits(security)
    last = round(close * (1 + number(s, "change", -0.03, 0.03)), places)
    open_ = round(close * (1 + number(s, "open", -0.01, 0.01)), places)
    high = round(max(open_, last) * (1 + number(s, "high", 0, 0.01)), places)
    low = round(min(open_, last) * (1 - number(s, "low", 0, 0.01)), places)
    tick = 10 ** -places
    quoted = security.asset_type not in ("INDEX", "MUTUAL_FUND")
    volume = 0 if security.asset_type in ("MUTUAL_FUND", "FOREX") else int(number(s, "volume", 1e6, 6e7))
    return Quote(security, close, last, open_, high, low,
                 bid=round(last - tick, places) if quoted else 0.0, ask=round(last + tick, places) if quoted else 0.0,
                 volume=volume, high52=round(high * 1.25, places), low52=round(low * 0.75, places),
                 pe_ratio=round(number(s, "pe", 8, 60), 4) if security.asset_type == "EQUITY" else 0.0,
                 volatility=round(number(s, "volatility", 0.005, 0.03), 4), time_ms=time_ms)


# -- price history ------------------------------------------------------------------------------------

STEP = {"minute": 60, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400}
MAX_CANDLES = 20000


def candles(symbol: str, start: float, end: float, frequency_type: str, frequency: int,
            extended: bool) -> List[Dict[str, Any]]:
    """Candles on weekdays only; minute candles within the (extended) session, times in UTC."""
    step = STEP[frequency_type] * frequency
    first = start - start % step if frequency_type == "minute" else start - start % 86400 + 5 * 3600
    opens, closes = (9 * 3600, 24 * 3600) if extended else (13.5 * 3600, 20 * 3600)
    found: List[Dict[str, Any]] = []
    t = first if first >= start else first + step
    while t <= end and len(found) < MAX_CANDLES:
        moment = datetime.fromtimestamp(t, timezone.utc)
        if moment.weekday() < 5 and (frequency_type != "minute" or opens <= t % 86400 < closes):
            found.append(candle(symbol, t, step))
        t += step
    return found


def candle(symbol: str, t: float, step: float) -> Dict[str, Any]:
    places = digits(UNIVERSE[symbol])
    open_, close = price_at(symbol, t), price_at(symbol, t + step)
    spread = abs(close - open_) * 0.5 + open_ * 0.001
    volume = int(number(symbol, f"v{int(t)}", 1e3, 1e6) * (step / 60) ** 0.5)
    return {"open": round(open_, places), "high": round(max(open_, close) + spread, places),
            "low": round(min(open_, close) - spread, places), "close": round(close, places), "volume": volume,
            "datetime": int(t * 1000)}


# -- options ------------------------------------------------------------------------------------------

NEAR = 0.05  # NTM / SNK: strikes within 5% of the price
RATE = 0.04


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def expirations(today: date) -> List[date]:
    """The next four Fridays and the next three monthly (third-Friday) expirations."""
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    days = {friday + timedelta(weeks=i) for i in range(4)}
    year, month = today.year, today.month
    while len(days) < 7:
        if third_friday(year, month) > today:
            days.add(third_friday(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(days)


def is_monthly(day: date) -> bool:
    return 15 <= day.day <= 21 and day.weekday() == 4


def strike_interval(price: float) -> float:
    return 1.0 if price < 25 else 2.5 if price < 50 else 5.0 if price < 500 else 10.0 if price < 2000 else 25.0


def strikes_around(price: float, step: float, count: int) -> List[float]:
    """The ``count`` strikes of the grid nearest the price, in order."""
    atm = round(price / step) * step
    grid = [round(atm + i * step, 2) for i in range(-count, count + 1) if atm + i * step > 0]
    return sorted(sorted(grid, key=lambda k: abs(k - price))[:count])


def listed_strike(security: Security, strike: float) -> bool:
    """Strikes are listed on the interval's grid, from half to one and a half times the price."""
    step = strike_interval(security.price)
    return 0.5 * security.price <= strike <= 1.5 * security.price and abs(strike / step - round(strike / step)) < 1e-9


def in_range(range_: str, put_call: str, strike: float, price: float) -> bool:
    in_the_money = strike < price if put_call == "CALL" else strike > price
    near = abs(strike - price) <= price * NEAR
    return {"ITM": in_the_money, "OTM": not in_the_money, "NTM": near, "SNK": near, "SAK": strike > price,
            "SBK": strike < price}.get(range_, True)


@dataclass(frozen=True)
class Option:
    """One option contract, priced with Black-Scholes on the underlying's last price."""

    underlying: Security
    put_call: str  # CALL or PUT
    expiration: date
    strike: float
    days: int  # to expiration
    underlying_price: float
    sigma: float
    value: float
    delta: float
    gamma: float
    theta: float
    vega: float
    rho: float

    @property
    def bid(self) -> float:
        return max(0.0, round(self.value - self.spread / 2, 2))

    @property
    def ask(self) -> float:
        return round(self.value + self.spread / 2, 2)

    @property
    def spread(self) -> float:
        return max(0.01, round(self.value * 0.02, 2))

    @property
    def intrinsic(self) -> float:
        s, k = self.underlying_price, self.strike
        return round(max(0.0, s - k if self.put_call == "CALL" else k - s), 2)

    @property
    def in_the_money(self) -> bool:
        return self.intrinsic > 0

    @property
    def close(self) -> float:
        """Yesterday's close."""
        return round(self.value * (1 + number(self.salt, "close", -0.1, 0.1)), 2)

    @property
    def mark(self) -> float:
        return round((self.bid + self.ask) / 2, 2)

    @property
    def salt(self) -> str:
        return f"{self.underlying.symbol}{self.expiration}{self.strike}{self.put_call}"

    @property
    def volume(self) -> int:
        return int(number(self.salt, "ov", 0, 5000))

    @property
    def open_interest(self) -> int:
        return int(number(self.salt, "oi", 0, 20000))

    @property
    def description(self) -> str:
        day = self.expiration
        return f"{self.underlying.option_root} {day:%b} {day.day} {day.year} {self.strike:g} {self.put_call.title()}"


def implied_volatility(security: Security) -> float:
    return number(security.symbol, "iv", 0.15 if security.asset_type == "INDEX" else 0.2, 0.5)


def option(security: Security, put_call: str, expiration: date, strike: float, today: date,
           underlying_price: Optional[float] = None, sigma: Optional[float] = None,
           rate: float = RATE) -> Option:
    price = underlying_price or quote(security, 0).last
    sigma = sigma or implied_volatility(security)
    days = (expiration - today).days
    greeks = black_scholes(put_call == "CALL", price, strike, max(days, 0.5) / 365, sigma, rate)
    return Option(security, put_call, expiration, strike, days, price, sigma, *greeks)


def listed_option(security: Optional[Security], put_call: str, expiration: date, strike: float,
                  today: date) -> Optional[Option]:
    """The contract if it is listed today (an expiration of :func:`expirations`, a listed strike), else None."""
    if security is None or not security.option_root or expiration not in expirations(today):
        return None
    if not listed_strike(security, strike):
        return None
    return option(security, put_call, expiration, strike, today)


def named_option(roots: Mapping[str, Security], root: str, year: str, month: str, day: str, kind: str,
                 strike: float, today: date) -> Optional[Option]:
    """The listed contract an option symbol's parts name (two-digit year, ``C`` or ``P``), or None."""
    try:
        expiration = date(2000 + int(year), int(month), int(day))
    except ValueError:
        return None
    return listed_option(roots.get(root), "CALL" if kind == "C" else "PUT", expiration, strike, today)


def named_security(symbols: Mapping[str, Security], symbol: str, today: date) -> Optional[Security]:
    """The security a provider's symbol names; a futures contract by its front-month symbol too."""
    found = symbols.get(symbol)
    if found is None and symbol.startswith("/"):
        found = lookup(symbol, today)
    return found


def black_scholes(call: bool, s: float, k: float, t: float, sigma: float, r: float) -> Tuple[float, ...]:
    """Price and greeks (theta per day, vega and rho per point) of a European option."""
    root = sigma * math.sqrt(t)
    d1 = (math.log(s / k) + (r + sigma * sigma / 2) * t) / root
    d2 = d1 - root
    pdf = math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi)
    discount = k * math.exp(-r * t)
    gamma, vega = pdf / (s * root), s * pdf * math.sqrt(t) / 100
    decay = -s * pdf * sigma / (2 * math.sqrt(t))
    if call:
        value = s * cdf(d1) - discount * cdf(d2)
        return value, cdf(d1), gamma, (decay - r * discount * cdf(d2)) / 365, vega, t * discount * cdf(d2) / 100
    value = discount * cdf(-d2) - s * cdf(-d1)
    return value, cdf(d1) - 1, gamma, (decay + r * discount * cdf(-d2)) / 365, vega, -t * discount * cdf(-d2) / 100


def cdf(x: float) -> float:
    return (1 + math.erf(x / math.sqrt(2))) / 2


@dataclass
class Chain:
    """The contracts a chain request selects, by side, expiration and strike, with what priced them."""

    security: Security
    quote: Quote
    price: float
    interval: float
    sigma: float
    rate: float
    contracts: Dict[str, Dict[date, Dict[float, Option]]]  # "CALL"/"PUT" -> expiration -> strike -> contract

    @property
    def count(self) -> int:
        return sum(len(strikes) for side in self.contracts.values() for strikes in side.values())


def chain(security: Security, *, contract_type: str = "ALL", strike_count: Optional[int] = None,
          strike: Optional[float] = None, range_: str = "ALL", from_date: Optional[date] = None,
          to_date: Optional[date] = None, exp_month: str = "ALL", interval: Optional[float] = None,
          underlying_price: Optional[float] = None, volatility: Optional[float] = None,
          interest_rate: Optional[float] = None, time_ms: int = 0) -> Chain:
    """Select and price a chain's contracts; ``volatility`` and ``interest_rate`` in percent."""
    today = datetime.fromtimestamp(time_ms / 1000, timezone.utc).date() if time_ms else utc_today()
    now = quote(security, time_ms)
    price = underlying_price or now.last
    step = interval or strike_interval(price)
    sigma = volatility / 100 if volatility else implied_volatility(security)
    rate = interest_rate / 100 if interest_rate is not None else RATE
    days = [d for d in expirations(today) if (not from_date or d >= from_date) and (not to_date or d <= to_date)
            and exp_month in ("ALL", d.strftime("%b").upper())]
    strikes = [strike] if strike is not None else strikes_around(price, step, strike_count or 10)
    contracts: Dict[str, Dict[date, Dict[float, Option]]] = {}
    for put_call in ("CALL", "PUT"):
        if contract_type not in ("ALL", put_call):
            continue
        side = contracts.setdefault(put_call, {})
        for day in days:
            picked = {k: option(security, put_call, day, k, today, price, sigma, rate) for k in strikes
                      if in_range(range_, put_call, k, price)}
            if picked:
                side[day] = picked
    return Chain(security, now, price, step, sigma, rate, contracts)


# -- movers -------------------------------------------------------------------------------------------


def movers(members: Iterable[str], time_ms: int) -> List[Quote]:
    """Today's quotes of the members, most active first."""
    return sorted((quote(UNIVERSE[s], time_ms) for s in members), key=lambda q: q.volume, reverse=True)


# -- market hours -------------------------------------------------------------------------------------

# market -> product -> (product name, exchange, category, {session: [(start, end, days after the date)]})
# New York local times, from TD's recorded hours (fixtures/td/hours-*.json).
FUTURE_SESSIONS = {"preMarket": [("17:45", "18:00", 0)], "regularMarket": [("18:00", "17:15", 1)]}
PRODUCTS: Dict[str, Dict[str, Tuple[Any, ...]]] = {
    "EQUITY": {"EQ": ("equity", "NULL", "NULL", {
        "preMarket": [("07:00", "09:30", 0)], "regularMarket": [("09:30", "16:00", 0)],
        "postMarket": [("16:00", "20:00", 0)]})},
    "OPTION": {"EQO": ("equity option", "NULL", "NULL", {"regularMarket": [("09:30", "16:00", 0)]}),
               "IND": ("index option", "NULL", "NULL", {"regularMarket": [("09:30", "16:15", 0)]})},
    "FUTURE": {"ES": ("e-mini sp 500 futures", "CME", "Equities", {
                   "preMarket": [("17:45", "18:00", 0), ("16:15", "16:30", 0)],
                   "regularMarket": [("18:00", "16:15", 1), ("16:30", "17:15", 0)]}),
               "CL": ("crude oil futures", "NYMEX", "Energy", FUTURE_SESSIONS),
               "GC": ("gold futures", "COMEX", "Metals", FUTURE_SESSIONS)},
    "BOND": {"BON": ("bond", "NULL", "NULL", {
        "preMarket": [("04:00", "08:00", 0)], "regularMarket": [("08:00", "17:00", 0)],
        "postMarket": [("17:00", "20:00", 0)]})},
    "FOREX": {"forex": (None, None, None, {"regularMarket": [("17:00", "17:00", 1)]})},
}
MARKETS = tuple(PRODUCTS)


def is_open(day: date) -> bool:
    """Weekdays; holidays are not modelled."""
    return day.weekday() < 5


def session_hours(sessions: Dict[str, List[Tuple[str, str, int]]], day: date) -> Dict[str, List[Dict[str, str]]]:
    """``{"regularMarket": [{"start": "2024-10-18T09:30:00-04:00", "end": ...}]}`` for ``day``."""
    offset = new_york_offset(day)
    return {name: [{"start": f"{day.isoformat()}T{start}:00{offset}",
                    "end": f"{(day + timedelta(days=later)).isoformat()}T{end}:00{offset}"}
                   for start, end, later in spans] for name, spans in sessions.items()}


def new_york_offset(day: date) -> str:
    """-04:00 in US daylight saving time (second Sunday of March to first Sunday of November), else -05:00."""
    march = date(day.year, 3, 8 + (6 - date(day.year, 3, 8).weekday()) % 7)
    november = date(day.year, 11, 1 + (6 - date(day.year, 11, 1).weekday()) % 7)
    return "-04:00" if march <= day < november else "-05:00"


# -- fundamentals -------------------------------------------------------------------------------------

RATIOS = {  # name -> range of its deterministic value
    "pegRatio": (0.2, 4), "pbRatio": (0.5, 40), "prRatio": (0.5, 15), "pcfRatio": (2, 40),
    "grossMarginTTM": (10, 80), "grossMarginMRQ": (10, 80), "netProfitMarginTTM": (-10, 40),
    "netProfitMarginMRQ": (-10, 40), "operatingMarginTTM": (-5, 45), "operatingMarginMRQ": (-5, 45),
    "returnOnEquity": (-10, 80), "returnOnAssets": (-5, 30), "returnOnInvestment": (-5, 50), "quickRatio": (0.3, 2.5),
    "currentRatio": (0.5, 3), "interestCoverage": (0, 200), "totalDebtToCapital": (0, 80),
    "ltDebtToEquity": (0, 150), "totalDebtToEquity": (0, 150), "epsTTM": (0.1, 25), "epsChangePercentTTM": (-20, 40),
    "epsChangeYear": (-20, 40), "epsChange": (0, 0), "revChangeYear": (-10, 30), "revChangeTTM": (-10, 30),
    "revChangeIn": (0, 0), "bookValuePerShare": (1, 80), "shortIntToFloat": (0, 0), "shortIntDayToCover": (0, 0),
    "divGrowthRate3Year": (0, 10), "beta": (0.3, 2.2),
}


def fundamentals(security: Security) -> Dict[str, float]:
    """The numbers of an instrument's ``fundamental`` block that both providers send."""
    q = quote(security, 0)
    shares = round(number(security.symbol, "shares", 5e8, 1.6e10))
    found: Dict[str, float] = {"high52": q.high52, "low52": q.low52, "dividendAmount": security.dividend,
                               "dividendYield": q.dividend_yield, "peRatio": q.pe_ratio}
    found.update({name: round(number(security.symbol, name, low, high), 4) for name, (low, high) in RATIOS.items()})
    found.update(sharesOutstanding=float(shares), marketCapFloat=round(shares * q.last * 0.99 / 1e6, 2),
                 marketCap=round(shares * q.last / 1e6, 2), dividendPayAmount=round(security.dividend / 4, 4),
                 vol1DayAvg=float(q.volume), vol10DayAvg=float(int(q.volume * 1.05)),
                 vol3MonthAvg=float(int(q.volume * 0.95)))
    return found


def dividend_dates(today: date) -> Tuple[date, date, date]:
    """The last ex-dividend, pay and declaration dates of a quarterly payer: the 12th, 15th and 1st of Feb, May,
    Aug or Nov."""
    year, month = today.year, today.month
    while not (month % 3 == 2 and date(year, month, 12) <= today):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return date(year, month, 12), date(year, month, 15), date(year, month, 1)


def next_dividend_dates(today: date) -> Tuple[date, date]:
    """The next ex-dividend and pay dates."""
    ex, pay, _ = dividend_dates(today)
    year, month = (ex.year + 1, ex.month - 9) if ex.month > 9 else (ex.year, ex.month + 3)
    return ex.replace(year=year, month=month), pay.replace(year=year, month=month)
