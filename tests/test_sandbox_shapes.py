"""Both sandboxes answer in the shape of the real recordings (tests/shared/fixtures/{td,schwab}): for the same
endpoint, the same keys and the same value types (numbers as numbers, TD's "NaN" strings as numbers)."""

import json
from datetime import date, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from pyTD.sandbox import Sandbox
from tests.schwab_spec import SHARED

FIXTURES = SHARED / "fixtures"
CALLBACK = "https://127.0.0.1:8182"


def kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)) or value == "NaN":
        return "number"
    return type(value).__name__


def shape(value):
    """Keys and value types, recursively; a list by its first item."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return kind(value)


def same_shape(ours, theirs):
    assert shape(ours) == shape(theirs)


def recorded(provider, name):
    return json.loads((FIXTURES / provider / name).read_text())


def logged_in(provider):
    sb = Sandbox(provider=provider, auto_approve=True).start()
    key = "SHAPEKEY@AMER.OAUTHAP" if provider == "td" else "SHAPEKEY"
    callback = CALLBACK if provider == "schwab" else "http://127.0.0.1:9/cb"
    location = requests.get(sb.auth_url, params={"response_type": "code", "client_id": key, "redirect_uri": callback},
                            allow_redirects=False, timeout=5).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback, "client_id": key,
            "access_type": "offline"}
    auth = ("SHAPEKEY", "secret") if provider == "schwab" else None
    token = requests.post(sb.token_url, data=form, auth=auth, timeout=5).json()["access_token"]
    sb.bearer = {"Authorization": "Bearer " + token}
    return sb


@pytest.fixture(scope="module")
def td():
    sb = logged_in("td")
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def schwab():
    sb = logged_in("schwab")
    yield sb
    sb.stop()


def get(sb, path, **query):
    answer = requests.get(sb.api_url + path, params=query, headers=sb.bearer, timeout=5)
    assert answer.status_code in (200, 404), answer.text
    return answer.json()


def weekday(weekday_number):
    """A day ahead (Schwab takes dates from today on) that falls on the given weekday (0 Monday)."""
    day = date.today() + timedelta(days=1)
    return (day + timedelta(days=(weekday_number - day.weekday()) % 7)).isoformat()


# -- TD -----------------------------------------------------------------------------------------------


def an_option(sb, symbol, key="callExpDateMap"):
    chain = get(sb, "/marketdata/chains", symbol=symbol, strikeCount="2")
    return next(iter(next(iter(chain[key].values())).values()))[0]


@pytest.mark.parametrize("recorded_symbol, ours", [("MSFT", "MSFT"), ("SPY", "SPY"), ("VTSAX", "VTSAX"),
                                                   ("NOK/JPY", "EUR/USD"), ("$SPX.X", "$SPX.X"),
                                                   ("MSFT_061821P65", None)])
def test_td_quotes_per_asset_type(td, recorded_symbol, ours):
    ours = ours or an_option(td, "MSFT", "putExpDateMap")["symbol"]
    answer = get(td, "/marketdata/quotes", symbol=ours)
    same_shape(answer[ours], recorded("td", "quotes-1.json")[recorded_symbol])


def test_td_price_history(td):
    theirs = recorded("td", "pricehistory-1.json")
    ours = get(td, "/marketdata/MSFT/pricehistory", periodType="day", period="2", frequency="1")
    assert ours["candles"] and set(ours) == set(theirs)
    same_shape(ours["candles"][0], theirs["candles"][0])


def test_td_movers(td):
    ours = get(td, "/marketdata/$DJI/movers", direction="up", change="percent")
    same_shape(ours[0], recorded("td", "movers-1.json")[0])


@pytest.mark.parametrize("fixture, market, product, day", [
    ("hours-1.json", "EQUITY", "EQ", weekday(0)), ("hours-2.json", "OPTION", "IND", weekday(4)),
    ("hours-3.json", "FOREX", "forex", weekday(5)), ("hours-4.json", "BOND", "BON", weekday(3)),
])
def test_td_hours(td, fixture, market, product, day):
    ours = get(td, f"/marketdata/{market}/hours", date=day)
    same_shape(ours[market.lower()][product], recorded("td", fixture)[market.lower()][product])


def test_td_future_hours(td):
    ours = get(td, "/marketdata/hours", markets="FUTURE", date=weekday(2))
    same_shape(ours["future"]["ES"], recorded("td", "hours-6.json")["future"]["ES"])


def test_td_chain_and_its_nan_fields(td):
    theirs = recorded("td", "chains-1.json")
    ours = get(td, "/marketdata/chains", symbol="MSFT", strikeCount="20")
    assert set(ours) == set(theirs)
    contract = next(iter(next(iter(theirs["callExpDateMap"].values())).values()))[0]
    contracts = [c for strikes in ours["callExpDateMap"].values() for group in strikes.values() for c in group]
    for ours_contract in contracts:
        same_shape(ours_contract, contract)
    assert any(c["delta"] == "NaN" for c in contracts) and any(c["delta"] != "NaN" for c in contracts)


def test_td_chain_underlying(td):
    ours = get(td, "/marketdata/chains", symbol="MSFT", strikeCount="2", includeQuotes="TRUE")
    same_shape(ours["underlying"], recorded("td", "chains-3.json")["underlying"])


def test_td_instruments(td):
    ours = get(td, "/instruments", symbol="MSFT", projection="fundamental")
    same_shape(ours, recorded("td", "fundamentals-1.json"))
    search = get(td, "/instruments", symbol="M.*", projection="symbol-regex")
    same_shape(search["MSFT"], recorded("td", "instruments-1.json")["MBCI"])
    (one,) = get(td, "/instruments/594918104")
    bond = recorded("td", "instrument-1.json")[0]
    assert set(one) == set(bond) - {"bondPrice"}  # the universe has no bonds


# -- Schwab -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["AAPL", "AMD"])  # a dividend payer, and a stock without dividends
def test_schwab_quotes(schwab, symbol):
    same_shape(get(schwab, "/marketdata/v1/quotes", symbols=symbol)[symbol],
               recorded("schwab", "quotes-1.json")[symbol])


def test_schwab_one_quote(schwab):
    same_shape(get(schwab, "/marketdata/v1/INTC/quotes"), recorded("schwab", "quote-1.json"))


def test_schwab_price_history(schwab):
    theirs = recorded("schwab", "pricehistory-1.json")
    ours = get(schwab, "/marketdata/v1/pricehistory", symbol="AAPL", periodType="year", frequencyType="monthly")
    assert ours["candles"] and set(ours) == set(theirs)
    same_shape(ours["candles"][0], theirs["candles"][0])


def test_schwab_movers(schwab):
    theirs = recorded("schwab", "movers-1.json")
    ours = get(schwab, "/marketdata/v1/movers/$DJI", sort="VOLUME")
    assert len(ours["screeners"]) == len(theirs["screeners"]) == 10
    for item in ours["screeners"]:
        same_shape(item, theirs["screeners"][0])


def test_schwab_markets(schwab):
    friday = weekday(4)
    ours = get(schwab, "/marketdata/v1/markets", markets="equity,option", date=friday)
    theirs = recorded("schwab", "markets-1.json")
    same_shape(ours, theirs)
    assert ours["option"]["IND"]["sessionHours"]["regularMarket"][0]["end"].startswith(friday + "T16:15:00-0")
    same_shape(get(schwab, "/marketdata/v1/markets/equity", date=friday), recorded("schwab", "markets-2.json"))


def test_schwab_instruments(schwab):
    same_shape(get(schwab, "/marketdata/v1/instruments", symbol="AAPL", projection="fundamental"),
               recorded("schwab", "instruments-1.json"))
    same_shape(get(schwab, "/marketdata/v1/instruments/037833100"), recorded("schwab", "instrument-cusip-1.json"))
    assert get(schwab, "/marketdata/v1/instruments/037833100") == recorded("schwab", "instrument-cusip-1.json")


def test_schwab_errors(schwab):
    ours = get(schwab, "/marketdata/v1/instruments/000000000")
    same_shape(ours, recorded("schwab", "error-404-1.json"))
    unauthorized = requests.get(schwab.url + "/marketdata/v1/quotes?symbols=AAPL", timeout=5).json()
    assert set(unauthorized["errors"][0]) == set(recorded("schwab", "error-401-1.json")["errors"][0])
    assert unauthorized["errors"][0]["status"] == 401


def test_schwab_option_quote_by_its_symbol(schwab):
    chain = get(schwab, "/marketdata/v1/chains", symbol="AAPL", strikeCount="2")
    symbol = next(iter(next(iter(chain["callExpDateMap"].values())).values()))[0]["symbol"]
    answer = get(schwab, "/marketdata/v1/" + quote(symbol, safe="") + "/quotes")
    assert answer[symbol]["assetMainType"] == "OPTION" and answer[symbol]["reference"]["underlying"] == "AAPL"
