"""The sandbox's make-believe securities: deterministic prices and descriptions derived from the symbol.

Any symbol of one to five capital letters exists; anything else does not.
The same symbol always gets the same quote, so tests can compare answers.
"""

from __future__ import annotations

import math
import re
import zlib
from typing import Dict, Optional

KNOWN_SYMBOL = re.compile(r"[A-Z]{1,5}")

# Names for the symbols people try first; other symbols get a generic name.
NAMES = {
    "AAPL": ("Apple Inc. - Common Stock", "NASD"),
    "MSFT": ("Microsoft Corporation - Common Stock", "NASD"),
    "AMZN": ("Amazon.com, Inc. - Common Stock", "NASD"),
    "GOOGL": ("Alphabet Inc. - Class A Common Stock", "NASD"),
    "TSLA": ("Tesla, Inc. - Common Stock", "NASD"),
    "META": ("Meta Platforms, Inc. - Class A Common Stock", "NASD"),
    "NVDA": ("NVIDIA Corporation - Common Stock", "NASD"),
    "NFLX": ("Netflix, Inc. - Common Stock", "NASD"),
    "INTC": ("Intel Corporation - Common Stock", "NASD"),
    "AMD": ("Advanced Micro Devices, Inc. - Common Stock", "NASD"),
    "CSCO": ("Cisco Systems, Inc. - Common Stock", "NASD"),
    "PEP": ("PepsiCo, Inc. Common Stock", "NASD"),
    "AMGN": ("Amgen Inc. - Common Stock", "NASD"),
    "HON": ("Honeywell International Inc. Common Stock", "NASD"),
    "WBA": ("Walgreens Boots Alliance, Inc. - Common Stock", "NASD"),
    "ORCL": ("Oracle Corporation Common Stock", "NYSE"),
    "IBM": ("International Business Machines Corporation Common Stock", "NYSE"),
    "JPM": ("JP Morgan Chase & Co. Common Stock", "NYSE"),
    "GS": ("Goldman Sachs Group, Inc. (The) Common Stock", "NYSE"),
    "BA": ("Boeing Company (The) Common Stock", "NYSE"),
    "KO": ("Coca-Cola Company (The) Common Stock", "NYSE"),
    "WMT": ("Walmart Inc. Common Stock", "NYSE"),
    "DIS": ("Walt Disney Company (The) Common Stock", "NYSE"),
    "V": ("Visa Inc. Common Stock", "NYSE"),
    "MA": ("Mastercard Incorporated Common Stock", "NYSE"),
    "XOM": ("Exxon Mobil Corporation Common Stock", "NYSE"),
    "CVX": ("Chevron Corporation Common Stock", "NYSE"),
    "JNJ": ("Johnson & Johnson Common Stock", "NYSE"),
    "PG": ("Procter & Gamble Company (The) Common Stock", "NYSE"),
    "MRK": ("Merck & Company, Inc. Common Stock", "NYSE"),
    "HD": ("Home Depot, Inc. (The) Common Stock", "NYSE"),
    "MCD": ("McDonald's Corporation Common Stock", "NYSE"),
    "NKE": ("Nike, Inc. Common Stock", "NYSE"),
    "CAT": ("Caterpillar, Inc. Common Stock", "NYSE"),
    "MMM": ("3M Company Common Stock", "NYSE"),
    "AXP": ("American Express Company Common Stock", "NYSE"),
    "TRV": ("The Travelers Companies, Inc. Common Stock", "NYSE"),
    "UNH": ("UnitedHealth Group Incorporated Common Stock", "NYSE"),
    "VZ": ("Verizon Communications Inc. Common Stock", "NYSE"),
    "CRM": ("Salesforce, Inc. Common Stock", "NYSE"),
    "DOW": ("Dow Inc. Common Stock", "NYSE"),
    "SPY": ("SPDR S&P 500 ETF Trust", "PACIFIC"),
}

INDEX_MEMBERS = {
    "$DJI": ("AAPL", "AMGN", "AXP", "BA", "CAT", "CRM", "CSCO", "CVX", "DIS", "DOW", "GS", "HD", "HON", "IBM", "INTC",
             "JNJ", "JPM", "KO", "MCD", "MMM", "MRK", "MSFT", "NKE", "PG", "TRV", "UNH", "V", "VZ", "WBA", "WMT"),
    "$COMPX": ("AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA", "NFLX", "INTC", "AMD", "CSCO", "PEP",
               "AMGN", "HON", "WBA"),
    "$SPX.X": ("AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA", "JPM", "V", "MA", "XOM", "CVX", "JNJ",
               "PG", "HD", "KO", "WMT", "DIS", "ORCL", "IBM"),
}


def known(symbol: str) -> bool:
    return bool(KNOWN_SYMBOL.fullmatch(symbol))


def number(symbol: str, salt: str, low: float, high: float) -> float:
    """A deterministic number in ``[low, high)`` for a symbol and a purpose."""
    fraction = zlib.crc32(f"{salt}:{symbol}".encode()) / 2**32
    return low + (high - low) * fraction


def description(symbol: str) -> str:
    return NAMES.get(symbol, (f"{symbol} Holdings Corp. - Common Stock", ""))[0]


def exchange(symbol: str) -> str:
    return NAMES.get(symbol, ("", "NYSE" if len(symbol) <= 3 else "NASD"))[1]


def cusip(symbol: str) -> str:
    """A 9-character CUSIP that encodes the symbol, so ``/instruments/{cusip}`` can find it again."""
    return symbol.ljust(5, "0") + f"{zlib.crc32(symbol.encode()) % 10000:04d}"


def symbol_of(cusip_: str) -> Optional[str]:
    symbol = cusip_[:5].rstrip("0")
    return symbol if known(symbol) and cusip(symbol) == cusip_ else None


def close_price(symbol: str) -> float:
    return round(number(symbol, "close", 10, 500), 2)


def price_at(symbol: str, seconds: float) -> float:
    """A smooth, deterministic price path for price history and option values."""
    base = close_price(symbol)
    phase = number(symbol, "phase", 0, 2 * math.pi)
    wave = 0.08 * math.sin(seconds / (86400 * 45) * 2 * math.pi + phase)
    ripple = 0.01 * math.sin(seconds / 3600 * 1.3 + phase)
    return base * (1 + wave + ripple)


def quote(symbol: str, now_ms: int) -> Dict[str, object]:
    """TD's quote fields for an equity."""
    close = close_price(symbol)
    last = round(close * (1 + number(symbol, "change", -0.05, 0.05)), 2)
    open_ = round(close * (1 + number(symbol, "open", -0.01, 0.01)), 2)
    high = round(max(open_, last) * (1 + number(symbol, "high", 0, 0.01)), 2)
    low = round(min(open_, last) * (1 - number(symbol, "low", 0, 0.01)), 2)
    return {
        "assetType": "EQUITY", "assetMainType": "EQUITY", "cusip": cusip(symbol), "symbol": symbol,
        "description": description(symbol), "bidPrice": round(last - 0.01, 2), "bidSize": 300,
        "askPrice": round(last + 0.01, 2), "askSize": 400, "lastPrice": last, "lastSize": 100,
        "openPrice": open_, "highPrice": high, "lowPrice": low, "closePrice": close,
        "netChange": round(last - close, 2), "totalVolume": int(number(symbol, "volume", 1e5, 5e7)),
        "quoteTimeInLong": now_ms, "tradeTimeInLong": now_ms, "mark": last, "exchange": "q",
        "exchangeName": exchange(symbol), "marginable": True, "shortable": True,
        "volatility": round(number(symbol, "volatility", 0.005, 0.03), 4), "digits": 4,
        "52WkHigh": round(high * 1.3, 2), "52WkLow": round(low * 0.7, 2),
        "peRatio": round(number(symbol, "pe", 5, 60), 2), "divAmount": round(number(symbol, "div", 0, 4), 2),
        "divYield": round(number(symbol, "yield", 0, 3), 2), "securityStatus": "Normal",
        "regularMarketLastPrice": last, "regularMarketNetChange": round(last - close, 2), "delayed": False,
        "realtimeEntitled": True,
    }


def instrument(symbol: str) -> Dict[str, object]:
    return {"cusip": cusip(symbol), "symbol": symbol, "description": description(symbol),
            "exchange": exchange(symbol) or "NASDAQ", "assetType": "EQUITY"}


def fundamental(symbol: str) -> Dict[str, object]:
    q = quote(symbol, 0)
    shares = round(number(symbol, "shares", 5e7, 1.6e10))

    def ratio(salt: str, low: float, high: float) -> float:
        return round(number(symbol, salt, low, high), 4)

    return {
        "symbol": symbol, "high52": q["52WkHigh"], "low52": q["52WkLow"], "dividendAmount": q["divAmount"],
        "dividendYield": q["divYield"], "dividendDate": "2024-05-10 00:00:00.000", "peRatio": q["peRatio"],
        "pegRatio": ratio("peg", 0.2, 4), "pbRatio": ratio("pb", 0.5, 40), "prRatio": ratio("pr", 0.5, 15),
        "pcfRatio": ratio("pcf", 2, 40), "grossMarginTTM": ratio("gm", 10, 80),
        "netProfitMarginTTM": ratio("npm", -10, 40), "operatingMarginTTM": ratio("om", -5, 45),
        "returnOnEquity": ratio("roe", -10, 80), "returnOnAssets": ratio("roa", -5, 30),
        "currentRatio": ratio("cr", 0.5, 3), "quickRatio": ratio("qr", 0.3, 2.5),
        "totalDebtToCapital": ratio("dtc", 0, 80), "marketCap": round(shares * q["lastPrice"] / 1e6, 2),
        "sharesOutstanding": shares, "beta": ratio("beta", 0.3, 2.2),
        "vol1DayAvg": q["totalVolume"], "vol10DayAvg": int(q["totalVolume"] * 1.05),
        "vol3MonthAvg": int(q["totalVolume"] * 0.95),
    }
