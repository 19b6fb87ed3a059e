"""The sandbox's option chains: weekly and monthly expirations, strikes around the price, Black-Scholes values."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from typing import Dict, List, Optional

from pyTD.market.options import CONTRACT_TYPES, MONTHS, OPTION_TYPES, RANGES, STRATEGIES
from pyTD.sandbox import securities
from pyTD.sandbox.params import BadRequest, Query, day_param, decimal, one_of, whole

DEFAULT_STRIKES = 10
NEAR = 0.05  # NTM / SNK: strikes within 5% of the price


def option_chain(query: Query) -> dict:
    """TD's answer to ``/marketdata/chains`` for the query; ``status: FAILED`` for an unknown symbol."""
    symbol = query.get("symbol", "").strip().upper()
    if not symbol:
        raise BadRequest("symbol is required")
    contract_type = one_of(query, "contractType", CONTRACT_TYPES, "ALL")
    strategy = one_of(query, "strategy", STRATEGIES, "SINGLE")
    range_ = one_of(query, "range", RANGES, "ALL")
    exp_month = one_of(query, "expMonth", MONTHS, "ALL")
    one_of(query, "optionType", OPTION_TYPES, "ALL")
    include_quotes = one_of(query, "includeQuotes", ("TRUE", "FALSE"), "FALSE") == "TRUE"
    strike_count = whole(query, "strikeCount") or DEFAULT_STRIKES
    whole(query, "daysToExpiration")
    interval, strike = decimal(query, "interval"), decimal(query, "strike")
    volatility, interest_rate = decimal(query, "volatility"), decimal(query, "interestRate")
    first, last = day_param(query, "fromDate"), day_param(query, "toDate")
    if first and last and first > last:
        raise BadRequest("fromDate must not be after toDate")
    if interval is not None and interval <= 0:
        raise BadRequest(f"interval must be positive; got {interval}")

    chain: dict = {"symbol": symbol, "status": "FAILED", "underlying": None, "strategy": strategy,
                   "interval": 0.0, "isDelayed": False, "isIndex": False, "interestRate": 0.0,
                   "underlyingPrice": 0.0, "volatility": 0.0, "daysToExpiration": 0.0, "numberOfContracts": 0,
                   "callExpDateMap": {}, "putExpDateMap": {}}
    if not securities.known(symbol):
        return chain
    quote = securities.quote(symbol, int(datetime.now(timezone.utc).timestamp() * 1000))
    price = decimal(query, "underlyingPrice") or float(quote["lastPrice"])
    step = interval or default_interval(price)
    sigma = (volatility / 100) if volatility else securities.number(symbol, "iv", 0.2, 0.5)
    rate = (interest_rate / 100) if interest_rate is not None else 0.04
    today = datetime.now(timezone.utc).date()
    days = [d for d in expirations(today) if (not first or d >= first) and (not last or d <= last)
            and exp_month in ("ALL", d.strftime("%b").upper())]
    strikes = [strike] if strike is not None else strikes_around(price, step, strike_count)
    count = 0
    for put_call, key in (("CALL", "callExpDateMap"), ("PUT", "putExpDateMap")):
        if contract_type not in ("ALL", put_call):
            continue
        for day in days:
            dte = (day - today).days
            by_strike: Dict[str, List[dict]] = {}
            for k in strikes:
                if in_range(range_, put_call, k, price):
                    by_strike[f"{k:.1f}"] = [contract(symbol, put_call, day, dte, k, price, sigma, rate)]
                    count += 1
            if by_strike:
                chain[key][f"{day.isoformat()}:{dte}"] = by_strike
    chain.update(status="SUCCESS", interval=step, interestRate=round(rate * 100, 3), underlyingPrice=price,
                 volatility=round(sigma * 100, 2), numberOfContracts=count,
                 underlying=underlying(quote) if include_quotes else None)
    return chain


def default_interval(price: float) -> float:
    return 1.0 if price < 25 else 2.5 if price < 50 else 5.0 if price < 200 else 10.0


def strikes_around(price: float, step: float, count: int) -> List[float]:
    """``count`` strikes centred on the at-the-money one."""
    atm = round(price / step) * step
    strikes = [atm + (i - count // 2) * step for i in range(count)]
    return [round(k, 2) for k in strikes if k > 0]


def expirations(today: date) -> List[date]:
    """The next four Fridays and the next three monthly (third-Friday) expirations."""
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    days = {friday + timedelta(weeks=i) for i in range(4)}
    year, month = today.year, today.month
    while len(days) < 7:
        first = date(year, month, 1)
        third_friday = first + timedelta(days=(4 - first.weekday()) % 7 + 14)
        if third_friday > today:
            days.add(third_friday)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(days)


def in_range(range_: Optional[str], put_call: str, strike: float, price: float) -> bool:
    in_the_money = strike < price if put_call == "CALL" else strike > price
    near = abs(strike - price) <= price * NEAR
    return {"ITM": in_the_money, "OTM": not in_the_money, "NTM": near, "SNK": near, "SAK": strike > price,
            "SBK": strike < price}.get(range_ or "ALL", True)


def contract(symbol: str, put_call: str, day: date, dte: int, strike: float, price: float, sigma: float,
             rate: float) -> dict:
    """One contract as TD describes it, priced with Black-Scholes."""
    value, delta, gamma, theta, vega, rho = black_scholes(put_call == "CALL", price, strike, max(dte, 0.5) / 365,
                                                          sigma, rate)
    spread = max(0.01, round(value * 0.02, 2))
    bid, ask = max(0.0, round(value - spread / 2, 2)), round(value + spread / 2, 2)
    kind = "C" if put_call == "CALL" else "P"
    expiry = datetime(day.year, day.month, day.day, 21, tzinfo=timezone.utc)
    return {
        "putCall": put_call, "symbol": f"{symbol}_{day:%m%d%y}{kind}{strike:g}",
        "description": f"{symbol} {day:%b %d %Y} {strike:g} {put_call.title()}", "exchangeName": "OPR",
        "bid": bid, "ask": ask, "last": round(value, 2), "mark": round((bid + ask) / 2, 2), "bidSize": 10,
        "askSize": 12, "totalVolume": int(securities.number(f"{symbol}{day}{strike}{kind}", "ov", 0, 5000)),
        "volatility": round(sigma * 100, 3), "delta": round(delta, 3), "gamma": round(gamma, 3),
        "theta": round(theta, 3), "vega": round(vega, 3), "rho": round(rho, 3),
        "openInterest": int(securities.number(f"{symbol}{day}{strike}{kind}", "oi", 0, 20000)),
        "timeValue": round(value - max(0.0, price - strike if kind == "C" else strike - price), 2),
        "theoreticalOptionValue": round(value, 3), "strikePrice": strike,
        "expirationDate": int(expiry.timestamp() * 1000), "daysToExpiration": dte,
        "expirationType": "R" if 15 <= day.day <= 21 else "W", "multiplier": 100.0, "settlementType": " ",
        "inTheMoney": (price > strike) == (kind == "C"), "mini": False, "nonStandard": False,
    }


def black_scholes(call: bool, s: float, k: float, t: float, sigma: float, r: float) -> tuple:
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


def underlying(quote: dict) -> dict:
    fields = ("symbol", "description", "bidPrice", "askPrice", "lastPrice", "openPrice", "highPrice", "lowPrice",
              "closePrice", "totalVolume", "52WkHigh", "52WkLow", "exchangeName")
    renamed = {"bidPrice": "bid", "askPrice": "ask", "lastPrice": "last", "52WkHigh": "fiftyTwoWeekHigh",
               "52WkLow": "fiftyTwoWeekLow"}
    result = {renamed.get(name, name): quote[name] for name in fields}
    result["change"] = round(quote["lastPrice"] - quote["closePrice"], 2)
    return result
