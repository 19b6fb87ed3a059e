"""Market-data and instrument functions against the sandbox over real HTTP.

For every function: the exact path and query sent, the shape returned as JSON
and as pandas, the arguments refused before anything is sent, batching of
many symbols, and the three ways to call it (module function with ``api=``,
``api`` method, default client from the environment). Expected values come
from the sandbox's deterministic market (:mod:`pyTD.sandbox.market`, in TD's words by :mod:`pyTD.sandbox.td`).
"""

import inspect
import logging
import random
import re
import string
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest

import pyTD
import pyTD.api as api_module
import pyTD.client
from pyTD import fetch, instruments, market
from pyTD.exceptions import ConfigurationError, ResourceNotFound, ValidationError
from pyTD.sandbox import market as universe
from pyTD.sandbox import td as td_sandbox
from pyTD.sandbox.td import PRODUCTS
from tests.conftest import CONSUMER_KEY, browser_for

QUOTE_FIELDS = {"symbol", "description", "bidPrice", "askPrice", "lastPrice", "openPrice", "highPrice", "lowPrice",
                "closePrice", "totalVolume", "52WkHigh", "52WkLow", "exchangeName", "assetType"}
CANDLE_FIELDS = {"open", "high", "low", "close", "volume", "datetime"}
MOVER_FIELDS = {"symbol", "description", "change", "direction", "last", "totalVolume"}
UNKNOWN = ["NOSUCHSYMBOL", "APPL"]  # the sandbox knows only its universe: a typo is unknown


class securities:  # noqa: N801 - the sandbox's TD answers, for expected values
    NAMES = td_sandbox.INSTRUMENTS
    INDEX_MEMBERS = {"$DJI": universe.INDEX_MEMBERS["$DJI"], "$COMPX": universe.INDEX_MEMBERS["$COMPX"],
                     "$SPX.X": universe.INDEX_MEMBERS["$SPX"]}

    @staticmethod
    def cusip(symbol):
        return td_sandbox.SYMBOLS[symbol].cusip

    @staticmethod
    def quote(symbol, stamp):
        return td_sandbox.quote(td_sandbox.SYMBOLS[symbol], stamp)

    @staticmethod
    def price_at(symbol, seconds):
        return universe.price_at(symbol, seconds)

    @staticmethod
    def description(symbol):
        return td_sandbox.SYMBOLS[symbol].description

    @staticmethod
    def instrument(symbol):
        return td_sandbox.instrument(td_sandbox.SYMBOLS[symbol])

    @staticmethod
    def fundamental(symbol):
        return td_sandbox.fundamental(td_sandbox.SYMBOLS[symbol])

# 2024-05-06 is a Monday, 2024-05-10 a Friday, 2024-05-11 a Saturday.
MON_MIDNIGHT_MS = 1714953600000  # 2024-05-06T00:00:00Z
NY_MON_MIDNIGHT_MS = 1714968000000  # 2024-05-06T00:00:00-04:00, the day's first moment in New York
NY_FRI_LAST_MS = 1715399999999  # 2024-05-10T23:59:59.999-04:00, the day's last moment in New York
MON_1330_MS = 1715002200000  # 2024-05-06T13:30:00Z
FRI_2000_MS = 1715371200000  # 2024-05-10T20:00:00Z
DAILY = {"period_type": "month", "frequency_type": "daily"}  # one candle a weekday, at 05:00 UTC
WEEK = {**DAILY, "start_date": "2024-05-06", "end_date": "2024-05-10T20:00:00Z"}  # Monday to Friday

# One cheap call of each function, for the checks they all share.
CALLS = {
    "get_quotes": (("AAPL,MSFT",), {}),
    "get_price_history": (("AAPL",), WEEK),
    "get_movers": (("$DJI",), {}),
    "get_market_hours": (("EQUITY", "2024-05-10"), {}),
    "get_option_chains": (("AAPL",), {"strike_count": 2}),
    "get_fundamentals": (("AAPL,MSFT",), {}),
    "get_instruments": (("AAPL",), {}),
    "get_instrument": ((securities.cusip("AAPL"),), {}),
}


# -- helpers ------------------------------------------------------------------------------------------


@pytest.fixture
def provider():
    """This module checks TD's wire format; tests/test_market_providers.py runs the functions on both providers."""
    return "td"


@pytest.fixture
def td(logged_in, sandbox):
    """A client logged in to the sandbox, with the login's requests forgotten."""
    sandbox.clear_requests()
    return logged_in


@pytest.fixture
def pd():
    return pytest.importorskip("pandas")


@pytest.fixture
def far_from_utc(monkeypatch):
    """Local time 12 hours ahead of UTC, so naive values read as local time would land on other days."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is needed to change the local time zone")
    with monkeypatch.context() as patch:
        patch.setenv("TZ", "XST-12")  # POSIX rule: needs no time zone database
        time.tzset()
        assert time.localtime(0).tm_gmtoff == 12 * 3600
        yield
    time.tzset()


def sent(sandbox):
    """``(decoded path, query)`` of every request the sandbox received."""
    return [(unquote(r.path), r.query) for r in sandbox.requests]


def only_request(sandbox):
    (request,) = sent(sandbox)
    return request


def without_times(value):
    """A result without the quote time stamps, which change from one request to the next."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if not k.endswith("TimeInLong")}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def expected_quote(symbol):
    return without_times(securities.quote(symbol, 0))


def distinct_symbols(count, seed=250):
    """``count`` distinct symbols: the sandbox's instruments first, then made-up ones of 1-5 letters."""
    rng = random.Random(seed)
    found = dict.fromkeys(securities.NAMES)
    while len(found) < count:
        found["".join(rng.choices(string.ascii_uppercase, k=rng.randint(1, 5)))] = None
    return list(found)


def sent_symbols(sandbox):
    return [r.query["symbol"].split(",") for r in sandbox.requests]


def contracts(chain, key):
    """Every contract of one of a chain's maps, with its expiration key."""
    return [(expiration, c) for expiration, strikes in chain[key].items() for group in strikes.values() for c in group]


def call(name, td=None, **overrides):
    """Call module function ``name`` with its arguments from :data:`CALLS`."""
    args, kwargs = CALLS[name]
    return getattr(pyTD, name)(*args, **{**kwargs, "api": td, **overrides})


def assert_nothing_sent(sandbox, func, *args, match, **kwargs):
    """``func(*args, **kwargs)`` raises ValueError matching ``match`` before any request."""
    sandbox.clear_requests()
    with pytest.raises(ValueError, match=match):
        func(*args, **kwargs)
    assert sandbox.requests == []


# -- quotes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("symbols", [
    "AAPL,MSFT",
    " aapl , msft ",
    ["AAPL", "MSFT"],
    ("AAPL", "msft", "AAPL"),
    (s for s in ["AAPL", "MSFT"]),
], ids=["comma-string", "spaces-lowercase", "list", "tuple-duplicate", "generator"])
def test_quotes_send_one_request_and_return_td_fields(td, sandbox, symbols):
    result = market.get_quotes(symbols, api=td)
    assert only_request(sandbox) == ("/v1/marketdata/quotes", {"symbol": "AAPL,MSFT"})
    assert list(result) == ["AAPL", "MSFT"]
    for symbol, quote in result.items():
        assert QUOTE_FIELDS <= set(quote)
        assert without_times(quote) == expected_quote(symbol)


def test_quote_of_a_single_symbol_string(td, sandbox):
    result = market.get_quotes("AAPL", api=td)
    assert only_request(sandbox) == ("/v1/marketdata/quotes", {"symbol": "AAPL"})
    assert without_times(result) == {"AAPL": expected_quote("AAPL")}


def test_unknown_symbols_are_left_out_with_one_warning(td, sandbox, caplog):
    caplog.set_level(logging.INFO, logger="pyTD")
    result = market.get_quotes(["AAPL"] + UNKNOWN, api=td)
    assert only_request(sandbox)[1] == {"symbol": "AAPL," + ",".join(UNKNOWN)}
    assert list(result) == ["AAPL"]
    (record,) = [r for r in caplog.records if "unknown" in r.getMessage()]
    assert record.levelno == logging.WARNING and record.name == "pyTD"
    assert all(s in record.getMessage() for s in UNKNOWN) and "AAPL" not in record.getMessage()


def test_unknown_symbols_raise_resource_not_found_when_asked(td, sandbox):
    with pytest.raises(ResourceNotFound, match="NOSUCHSYMBOL") as info:
        market.get_quotes(["AAPL"] + UNKNOWN, api=td, errors="raise")
    assert info.value.status == 404
    assert len(sandbox.requests) == 1
    assert market.get_quotes(UNKNOWN, api=td) == {}  # warned, not raised


@pytest.mark.parametrize("bad", ["", [], ["AAPL", ""], ["AAPL", 3], "AAPL,,MSFT"])
def test_empty_or_non_string_symbols_are_refused(td, sandbox, bad):
    assert_nothing_sent(sandbox, market.get_quotes, bad, api=td, match="symbol")


@pytest.mark.parametrize("func, extra", [(market.get_quotes, {}),
                                         (market.get_fundamentals, {"projection": "fundamental"})],
                         ids=["quotes", "fundamentals"])
def test_250_symbols_go_in_three_batches_and_merge(td, sandbox, func, extra):
    symbols = distinct_symbols(250)
    path = "/instruments" if extra else "/marketdata/quotes"
    result = func(symbols, api=td)
    requests = sandbox.requests
    assert len(requests) == 3
    for request in requests:
        assert unquote(request.path) == "/v1" + path
        assert {k: v for k, v in request.query.items() if k != "symbol"} == extra
        assert len(request.query["symbol"].split(",")) <= fetch.BATCH_SIZE
        assert len(request.query["symbol"]) <= fetch.BATCH_CHARS
        assert len(f"{sandbox.api_url}{path}?{urlencode(request.query)}") < 2048
    assert [s for batch in sent_symbols(sandbox) for s in batch] == symbols
    assert set(result) == set(symbols) & set(securities.NAMES)


def test_long_symbols_are_split_by_url_length_before_100(td, sandbox):
    long_symbols = [f"LONGSYMBOL{i:020d}" for i in range(60)]  # 30 characters each: unknown to the sandbox
    result = market.get_quotes(long_symbols + ["AAPL"], api=td)
    batches = sent_symbols(sandbox)
    assert len(batches) > 1
    assert all(len(",".join(batch)) <= fetch.BATCH_CHARS for batch in batches)
    assert [s for batch in batches for s in batch] == long_symbols + ["AAPL"]
    assert list(result) == ["AAPL"]


def test_quotes_as_pandas_one_row_per_symbol(td, pd):
    frame = market.get_quotes(["AAPL", "MSFT", "IBM"], api=td, output_format="pandas")
    assert list(frame.index) == ["AAPL", "MSFT", "IBM"] and frame.index.name == "symbol"
    assert {"lastPrice", "52WkHigh"} | QUOTE_FIELDS - {"symbol"} <= set(frame.columns)
    for symbol in frame.index:
        expected = expected_quote(symbol)
        assert frame.loc[symbol, "lastPrice"] == expected["lastPrice"]
        assert frame.loc[symbol, "52WkHigh"] == expected["52WkHigh"]


# -- price history ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, query", [
    ({}, {}),
    ({"period_type": "month", "period": 2, "frequency_type": "weekly", "frequency": 1},
     {"periodType": "month", "period": "2", "frequencyType": "weekly", "frequency": "1"}),
    ({"period_type": "DAY", "period": 5, "frequency_type": "Minute", "frequency": 15},
     {"periodType": "day", "period": "5", "frequencyType": "minute", "frequency": "15"}),
    ({"period_type": "ytd", "frequency_type": "daily"}, {"periodType": "ytd", "frequencyType": "daily"}),
    ({"period_type": "year", "period": 20, "frequency_type": "monthly"},
     {"periodType": "year", "period": "20", "frequencyType": "monthly"}),
    ({"extended_hours": False}, {"needExtendedHoursData": "false"}),
    ({"extended_hours": True}, {"needExtendedHoursData": "true"}),
    ({"start_date": datetime(2024, 5, 6, tzinfo=timezone.utc),
      "end_date": datetime(2024, 5, 10, 20, tzinfo=timezone.utc)},
     {"startDate": str(MON_MIDNIGHT_MS), "endDate": str(FRI_2000_MS)}),
    ({"start_date": date(2024, 5, 6)}, {"startDate": str(NY_MON_MIDNIGHT_MS)}),
    ({"start_date": "2024-05-06", "end_date": "2024-05-10T20:00:00Z"},
     {"startDate": str(NY_MON_MIDNIGHT_MS), "endDate": str(FRI_2000_MS)}),
    ({"start_date": "2024-05-06", "end_date": date(2024, 5, 10)},  # a day alone as the end: that whole day
     {"startDate": str(NY_MON_MIDNIGHT_MS), "endDate": str(NY_FRI_LAST_MS)}),
    ({"start_date": "2024-05-06T09:30:00-04:00"}, {"startDate": str(MON_1330_MS)}),
    ({"start_date": datetime(2024, 5, 6, 9, 30, tzinfo=timezone(timedelta(hours=-4)))},
     {"startDate": str(MON_1330_MS)}),
    ({"start_date": MON_MIDNIGHT_MS, "end_date": float(FRI_2000_MS)},
     {"startDate": str(MON_MIDNIGHT_MS), "endDate": str(FRI_2000_MS)}),
], ids=["nothing", "month-weekly", "case-insensitive", "ytd", "year-monthly", "regular-hours", "extended-hours",
        "aware-datetimes", "date", "iso-strings", "end-day", "iso-offset", "other-zone", "epoch-ms"])
def test_price_history_sends_exactly_the_given_parameters(td, sandbox, kwargs, query):
    market.get_price_history("aapl", **kwargs, api=td)
    assert only_request(sandbox) == ("/v1/marketdata/AAPL/pricehistory", query)


def test_naive_dates_are_new_york_time_not_local_time(td, sandbox, far_from_utc):
    market.get_price_history("AAPL", start_date=datetime(2024, 5, 6, 9, 30), end_date="2024-05-10T16:00:00",
                             api=td)
    assert only_request(sandbox)[1] == {"startDate": str(MON_1330_MS), "endDate": str(FRI_2000_MS)}


def test_tz_utc_reads_naive_dates_as_utc(make_client, sandbox, far_from_utc):
    client = make_client(tz="UTC")
    client.login(open_browser=browser_for(client), timeout=10)
    sandbox.clear_requests()
    market.get_price_history("AAPL", start_date=datetime(2024, 5, 6, 13, 30), end_date="2024-05-10", api=client)
    assert only_request(sandbox)[1] == {"startDate": str(MON_1330_MS), "endDate": str(1715385599999)}


def test_price_history_of_one_symbol_is_its_candles(td, sandbox):
    candles = market.get_price_history("AAPL", **WEEK, api=td)
    assert isinstance(candles, list) and candles
    for candle in candles:
        assert set(candle) == CANDLE_FIELDS
        moment = datetime.fromtimestamp(candle["datetime"] / 1000, timezone.utc)
        assert MON_MIDNIGHT_MS <= candle["datetime"] <= FRI_2000_MS and moment.weekday() < 5
        assert candle["open"] == round(securities.price_at("AAPL", candle["datetime"] / 1000), 2)
        assert candle["low"] <= min(candle["open"], candle["close"]) <= candle["high"]
    days = [c["datetime"] for c in candles]
    assert days == sorted(days) and len(days) == 5  # one daily candle a weekday, Monday to Friday


def test_price_history_of_several_symbols_is_one_request_each(td, sandbox):
    result = market.get_price_history(["AAPL", "MSFT"], **WEEK, api=td)
    query = {"periodType": "month", "frequencyType": "daily", "startDate": str(NY_MON_MIDNIGHT_MS),
             "endDate": str(FRI_2000_MS)}
    assert sent(sandbox) == [("/v1/marketdata/AAPL/pricehistory", query), ("/v1/marketdata/MSFT/pricehistory", query)]
    assert list(result) == ["AAPL", "MSFT"]
    for symbol, candles in result.items():
        assert candles and all(set(c) == CANDLE_FIELDS for c in candles)
        assert [c["open"] for c in candles] == [round(securities.price_at(symbol, c["datetime"] / 1000), 2)
                                                for c in candles]


def test_price_history_of_an_unknown_symbol_is_empty_and_warned(td, sandbox, caplog):
    assert market.get_price_history("NOSUCHSYMBOL", **WEEK, api=td) == []
    history, check = sent(sandbox)  # empty candles: a quote tells a typo from a quiet day
    assert history[0] == "/v1/marketdata/NOSUCHSYMBOL/pricehistory" and check == (
        "/v1/marketdata/quotes", {"symbol": "NOSUCHSYMBOL"})
    assert "NOSUCHSYMBOL" in caplog.text and "unknown" in caplog.text
    with pytest.raises(ResourceNotFound, match="NOSUCHSYMBOL"):
        market.get_price_history("NOSUCHSYMBOL", **WEEK, api=td, errors="raise")


def test_price_history_as_pandas_for_one_symbol(td, pd):
    candles = market.get_price_history("AAPL", **WEEK, api=td)
    frame = market.get_price_history("AAPL", **WEEK, api=td, output_format="pandas")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert isinstance(frame.index, pd.DatetimeIndex) and str(frame.index.tz) == "America/New_York"
    # daily candles are labelled by their trading day (midnight in New York), whatever hour the provider stamps
    assert list(frame.index) == [pd.Timestamp(c["datetime"], unit="ms", tz="UTC").tz_convert("America/New_York")
                                 .normalize() for c in candles]
    assert [t.day for t in frame.index] == [6, 7, 8, 9, 10]
    assert frame["close"].tolist() == [c["close"] for c in candles]
    assert frame["volume"].tolist() == [c["volume"] for c in candles]


def test_price_history_as_pandas_for_several_symbols(td, pd):
    frame = market.get_price_history(["AAPL", "MSFT"], **DAILY, start_date="2024-05-06", end_date="2024-05-10",
                                     api=td, output_format="pandas")
    assert isinstance(frame.columns, pd.MultiIndex)
    assert list(frame.columns.names) == ["symbol", "field"]
    assert list(frame.columns) == [(s, f) for s in ("AAPL", "MSFT") for f in ("open", "high", "low", "close", "volume")]
    assert str(frame.index.tz) == "America/New_York" and len(frame) == 5  # Monday to Friday: the end day included
    assert [t.day for t in frame.index] == [6, 7, 8, 9, 10]


@pytest.mark.parametrize("kwargs, match", [
    ({"period_type": "decade"}, "period_type"),
    ({"frequency_type": "hourly"}, "frequency_type"),
    ({"period_type": "day", "frequency_type": "daily"}, "frequency_type"),
    ({"period_type": "year", "frequency_type": "minute"}, "frequency_type"),
    ({"period_type": "month", "period": 5}, "period"),
    ({"period_type": "day", "frequency": 2}, "frequency"),
    ({"period_type": "month", "frequency_type": "weekly", "frequency": 5}, "frequency"),
    ({"start_date": "2024-05-10", "end_date": "2024-05-06"}, "start_date"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2024-13-01"}, "end_date"),
    ({"start_date": True}, "start_date"),
    ({"start_date": [2024, 5, 6]}, "start_date"),
    ({"extended_hours": "no"}, "extended_hours"),
])
def test_price_history_refuses_bad_arguments_before_sending(td, sandbox, kwargs, match):
    assert_nothing_sent(sandbox, market.get_price_history, "AAPL", **kwargs, api=td, match=match)


def test_sandbox_rejects_a_bad_period_type_with_a_validation_error(td):
    with pytest.raises(ValidationError, match="periodType") as info:
        td.request("GET", "/marketdata/AAPL/pricehistory", params={"periodType": "decade"})
    assert info.value.status == 400


# -- movers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index, name", [("DJI", "$DJI"), ("$DJI", "$DJI"), (" dji ", "$DJI"), ("$COMPX", "$COMPX"),
                                         ("SPX.X", "$SPX.X"), ("$spx.x", "$SPX.X")])
def test_movers_path_names_the_index_with_its_dollar(td, sandbox, index, name):
    movers = market.get_movers(index, api=td)
    assert only_request(sandbox) == (f"/v1/marketdata/{name}/movers", {"direction": "up", "change": "percent"})
    assert movers and all(m["symbol"] in securities.INDEX_MEMBERS[name] for m in movers)


@pytest.mark.parametrize("direction, change", [("up", "value"), ("down", "percent"), ("DOWN", "Value")])
def test_movers_direction_and_change(td, sandbox, direction, change):
    movers = market.get_movers("$DJI", direction, change, api=td)
    query = {"direction": direction.lower(), "change": change.lower()}
    assert only_request(sandbox) == ("/v1/marketdata/$DJI/movers", query)
    assert 0 < len(movers) <= 10
    changes = [abs(m["change"]) for m in movers]
    assert changes == sorted(changes, reverse=True)
    for mover in movers:
        assert set(mover) == MOVER_FIELDS
        quote = securities.quote(mover["symbol"], 0)
        assert (mover["last"], mover["totalVolume"], mover["description"]) == (
            quote["lastPrice"], quote["totalVolume"], quote["description"])
        moved = quote["lastPrice"] - quote["closePrice"]
        assert mover["direction"] == query["direction"] == ("up" if moved >= 0 else "down")
        expected = moved / quote["closePrice"] if query["change"] == "percent" else moved
        assert mover["change"] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("args, match", [(("NOPE",), "index"), (("$NDX",), "index"), ((None,), "index"),
                                         (("DJI", "sideways"), "direction"), (("DJI", "up", "ratio"), "change")])
def test_movers_refuse_bad_arguments_before_sending(td, sandbox, args, match):
    assert_nothing_sent(sandbox, market.get_movers, *args, api=td, match=match)


def test_movers_as_pandas_one_row_per_mover(td, pd):
    movers = market.get_movers("$COMPX", "down", api=td)
    frame = market.get_movers("$COMPX", "down", api=td, output_format="pandas")
    assert len(frame) == len(movers) > 0
    assert MOVER_FIELDS <= set(frame.columns)
    assert frame["symbol"].tolist() == [m["symbol"] for m in movers]
    assert set(frame["direction"]) == {"down"}


# -- market hours -------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2024, 5, 10), datetime(2024, 5, 10, 15, 30), "2024-05-10",
                                 "2024-05-10T15:30:00Z", datetime(2024, 5, 10, 23, 30, tzinfo=timezone.utc)],
                         ids=["date", "naive-datetime", "iso-date", "iso-datetime", "aware-datetime"])
def test_hours_of_one_market(td, sandbox, day):
    hours = market.get_market_hours("equity", day, api=td)
    assert only_request(sandbox) == ("/v1/marketdata/EQUITY/hours", {"date": "2024-05-10"})
    assert list(hours) == ["equity"] and list(hours["equity"]) == list(PRODUCTS["EQUITY"])
    info = hours["equity"]["EQ"]
    assert (info["date"], info["marketType"], info["isOpen"]) == ("2024-05-10", "EQUITY", True)
    assert info["sessionHours"]["regularMarket"] == [{"start": "2024-05-10T09:30:00-04:00",
                                                      "end": "2024-05-10T16:00:00-04:00"}]


def test_hours_date_of_a_naive_datetime_is_utc_not_local(td, sandbox, far_from_utc):
    market.get_market_hours("EQUITY", datetime(2024, 5, 10, 6, 0), api=td)
    assert only_request(sandbox)[1] == {"date": "2024-05-10"}


def test_hours_without_a_date_send_none(td, sandbox):
    market.get_market_hours(api=td)
    assert only_request(sandbox) == ("/v1/marketdata/EQUITY/hours", {})


@pytest.mark.parametrize("markets", ["EQUITY,OPTION", ["equity", "Option"], ("EQUITY", "OPTION", "EQUITY")])
def test_hours_of_several_markets(td, sandbox, markets):
    hours = market.get_market_hours(markets, "2024-05-10", api=td)
    assert only_request(sandbox) == ("/v1/marketdata/hours", {"markets": "EQUITY,OPTION", "date": "2024-05-10"})
    assert list(hours) == ["equity", "option"]
    assert list(hours["option"]) == list(PRODUCTS["OPTION"])


@pytest.mark.parametrize("markets", ["STOCKS", ["EQUITY", "CRYPTO"], "", []])
def test_hours_of_an_unknown_market_name_the_choices(td, sandbox, markets):
    assert_nothing_sent(sandbox, market.get_market_hours, markets, api=td, match="EQUITY, OPTION, FUTURE, BOND, FOREX")


def test_hours_refuse_a_bad_date(td, sandbox):
    assert_nothing_sent(sandbox, market.get_market_hours, "EQUITY", "10/05/2024", api=td, match="date")


@pytest.mark.parametrize("name", list(PRODUCTS))
@pytest.mark.parametrize("day, is_open", [("2024-05-10", True), ("2024-05-11", False)], ids=["friday", "saturday"])
def test_hours_as_pandas_one_row_per_product(td, pd, name, day, is_open):
    frame = market.get_market_hours(name, day, api=td, output_format="pandas")
    assert frame["market"].tolist() == [name.lower()] * len(PRODUCTS[name])
    assert frame["product"].tolist() == list(PRODUCTS[name])
    assert frame["date"].tolist() == [pd.Timestamp(day)] * len(frame)
    assert frame["isOpen"].tolist() == [is_open] * len(frame)
    assert frame["regularMarketStart"].notna().tolist() == [is_open] * len(frame)  # no session when closed
    if is_open:
        assert str(frame["regularMarketStart"].dt.tz) == "America/New_York"


def test_hours_of_several_markets_as_pandas(td, pd):
    frame = market.get_market_hours(list(PRODUCTS), "2024-05-11", api=td, output_format="pandas")
    expected = [(m.lower(), p) for m, products in PRODUCTS.items() for p in products]
    assert list(zip(frame["market"], frame["product"])) == expected


# -- option chains ------------------------------------------------------------------------------------


def test_chain_sends_only_symbol_and_contract_type_by_default(td, sandbox):
    chain = market.get_option_chains("aapl", api=td)
    assert only_request(sandbox) == ("/v1/marketdata/chains", {"symbol": "AAPL", "contractType": "ALL"})
    assert chain["symbol"] == "AAPL" and chain["status"] == "SUCCESS"
    for key, put_call in (("callExpDateMap", "CALL"), ("putExpDateMap", "PUT")):
        assert len(chain[key]) > 1
        for expiration, strikes in chain[key].items():
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}:\d+", expiration) and len(strikes) > 1
        for expiration, contract in contracts(chain, key):
            assert contract["putCall"] == put_call
            assert contract["daysToExpiration"] == int(expiration.split(":")[1])


@pytest.mark.parametrize("kwargs, query", [
    ({"strike_count": 4, "include_quotes": True}, {"strikeCount": "4", "includeQuotes": "TRUE"}),
    ({"include_quotes": False}, {"includeQuotes": "FALSE"}),
    ({"contract_type": "put", "strategy": "analytical", "range": "otm", "exp_month": "all", "option_type": "s"},
     {"contractType": "PUT", "strategy": "ANALYTICAL", "range": "OTM", "expMonth": "ALL", "optionType": "S"}),
    ({"interval": 2.5, "strike": 150, "volatility": 30.5, "underlying_price": 151.25, "interest_rate": 4,
      "days_to_expiration": 30},
     {"interval": "2.5", "strike": "150", "volatility": "30.5", "underlyingPrice": "151.25", "interestRate": "4",
      "daysToExpiration": "30"}),
    ({"from_date": date(2024, 5, 6), "to_date": "2024-06-21T15:00:00Z"},
     {"fromDate": "2024-05-06", "toDate": "2024-06-21"}),
    ({"from_date": datetime(2024, 5, 6, 12), "to_date": datetime(2024, 6, 21, 12, tzinfo=timezone.utc)},
     {"fromDate": "2024-05-06", "toDate": "2024-06-21"}),
], ids=["strikes-quotes", "no-quotes", "choices", "numbers", "dates", "datetimes"])
def test_chain_sends_exactly_the_given_parameters(td, sandbox, kwargs, query):
    market.get_option_chains("AAPL", **kwargs, api=td)
    assert only_request(sandbox) == ("/v1/marketdata/chains", {"symbol": "AAPL", "contractType": "ALL", **query})


def test_chain_with_quotes_and_dates(td, sandbox):
    today = datetime.now(timezone.utc).date()
    first, last = today + timedelta(days=8), today + timedelta(days=60)
    chain = market.get_option_chains("MSFT", strike_count=4, include_quotes=True, from_date=first, to_date=last,
                                     api=td)
    assert only_request(sandbox)[1]["fromDate"] == first.isoformat()
    assert chain["underlying"]["symbol"] == "MSFT"
    assert chain["underlying"]["last"] == securities.quote("MSFT", 0)["lastPrice"]
    for key in ("callExpDateMap", "putExpDateMap"):
        days = [date.fromisoformat(expiration.split(":")[0]) for expiration in chain[key]]
        assert days and all(first <= d <= last for d in days)
        assert all(len(strikes) == 4 for strikes in chain[key].values())


def test_chain_as_pandas_keeps_every_contract(td, pd):
    chain = market.get_option_chains("AAPL", api=td)
    frame = market.get_option_chains("AAPL", api=td, output_format="pandas")
    everything = contracts(chain, "callExpDateMap") + contracts(chain, "putExpDateMap")
    assert len(frame) == len(everything) == chain["numberOfContracts"]
    assert {"expirationDate", "expiration", "underlying", "daysToExpiration", "putCall", "strikePrice",
            "symbol"} <= set(frame.columns)
    assert set(frame["underlying"]) == {"AAPL"}
    assert sorted(frame["symbol"]) == sorted(c["symbol"] for _, c in everything)
    rows = set(zip(frame["putCall"], frame["strikePrice"], frame["daysToExpiration"]))
    assert rows == {(c["putCall"], c["strikePrice"], c["daysToExpiration"]) for _, c in everything}


def test_chain_of_calls_only(td, sandbox, pd):
    frame = market.get_option_chains("AAPL", contract_type="CALL", api=td, output_format="pandas")
    assert only_request(sandbox)[1] == {"symbol": "AAPL", "contractType": "CALL"}
    assert len(frame) > 0 and set(frame["putCall"]) == {"CALL"}


def test_chain_of_an_unknown_symbol_is_not_found(td, sandbox, caplog):
    with pytest.raises(ResourceNotFound, match="NOSUCHSYMBOL"):
        market.get_option_chains("NOSUCHSYMBOL", api=td, errors="raise")
    assert only_request(sandbox) == ("/v1/marketdata/chains", {"symbol": "NOSUCHSYMBOL", "contractType": "ALL"})
    assert market.get_option_chains("NOSUCHSYMBOL", api=td)["status"] == "FAILED"
    assert "NOSUCHSYMBOL" in caplog.text


@pytest.mark.parametrize("kwargs, match", [
    ({"strategy": "IRON_FLY"}, "strategy"),
    ({"contract_type": "BOTH"}, "contract_type"),
    ({"range": "FAR"}, "range"),
    ({"exp_month": "JANUARY"}, "exp_month"),
    ({"option_type": "X"}, "option_type"),
    ({"strike_count": -1}, "strike_count"),
    ({"strike_count": "4"}, "strike_count"),
    ({"days_to_expiration": 1.5}, "days_to_expiration"),
    ({"interval": "wide"}, "interval"),
    ({"include_quotes": "yes"}, "include_quotes"),
    ({"from_date": "2024-06-21", "to_date": "2024-05-06"}, "from_date"),
    ({"to_date": "someday"}, "to_date"),
])
def test_chain_refuses_bad_arguments_before_sending(td, sandbox, kwargs, match):
    assert_nothing_sent(sandbox, market.get_option_chains, "AAPL", **kwargs, api=td, match=match)


@pytest.mark.parametrize("symbol", ["", "  ", None])
def test_chain_needs_a_symbol(td, sandbox, symbol):
    assert_nothing_sent(sandbox, market.get_option_chains, symbol, api=td, match="symbol")


# -- instruments and fundamentals ---------------------------------------------------------------------


def matching(predicate):
    return {s for s in securities.NAMES if predicate(s)}


@pytest.mark.parametrize("text, projection, expected", [
    ("AAPL", "symbol-search", {"AAPL"}),
    ("AAPL,MSFT,NOSUCHSYMBOL", "symbol-search", {"AAPL", "MSFT"}),
    ("A.*", "symbol-regex", matching(lambda s: s.startswith("A"))),
    ("Corp", "desc-search", matching(lambda s: "corp" in securities.description(s).lower())),
    ("^(Apple|Intel)", "desc-regex", {"AAPL", "INTC"}),
], ids=["symbol", "symbols", "symbol-regex", "desc-search", "desc-regex"])
def test_instrument_search(td, sandbox, text, projection, expected):
    found = instruments.get_instruments(text, projection, api=td)
    assert only_request(sandbox) == ("/v1/instruments", {"symbol": text, "projection": projection})
    assert set(found) == expected and expected
    assert found == {s: securities.instrument(s) for s in expected}


@pytest.mark.parametrize("text, projection", [("Inc. ", "desc-search"), ("Inc. ", "desc-regex"),
                                              (r"Inc\.\s", "desc-regex")])
def test_search_text_is_sent_verbatim(td, sandbox, text, projection):
    """Spaces are part of a description search or a regular expression ("Inc. " leaves out "Inc.")."""
    found = instruments.get_instruments(text, projection, api=td)
    assert only_request(sandbox)[1] == {"symbol": text, "projection": projection}
    assert set(found) == matching(lambda s: "inc. " in securities.description(s).lower()) != set()


def test_instrument_search_with_fundamentals(td, sandbox):
    found = instruments.get_instruments("AAPL", projection="FUNDAMENTAL", api=td)
    assert only_request(sandbox)[1] == {"symbol": "AAPL", "projection": "fundamental"}
    assert found == {"AAPL": {**securities.instrument("AAPL"), "fundamental": securities.fundamental("AAPL")}}


def test_instrument_search_as_pandas(td, pd):
    frame = instruments.get_instruments("A.*", "symbol-regex", api=td, output_format="pandas")
    assert set(frame.index) == matching(lambda s: s.startswith("A")) and frame.index.name == "symbol"
    assert {"cusip", "description", "exchange", "assetType"} <= set(frame.columns)
    assert frame.loc["AAPL", "cusip"] == securities.cusip("AAPL")


@pytest.mark.parametrize("args, match", [(("AAPL", "isin"), "projection"), (("A(", "symbol-regex"), "regular"),
                                         (("", "symbol-search"), "symbol"), ((None,), "symbol")])
def test_instrument_search_refuses_bad_arguments_before_sending(td, sandbox, args, match):
    assert_nothing_sent(sandbox, instruments.get_instruments, *args, api=td, match=match)


@pytest.mark.parametrize("cusip", [securities.cusip("AAPL"), securities.cusip("AAPL").lower()], ids=["upper", "lower"])
def test_instrument_by_cusip(td, sandbox, cusip):
    found = instruments.get_instrument(cusip, api=td)
    assert only_request(sandbox) == (f"/v1/instruments/{securities.cusip('AAPL')}", {})
    assert found == [securities.instrument("AAPL")]


def test_instrument_by_cusip_as_pandas(td, pd):
    frame = instruments.get_instrument(securities.cusip("MSFT"), api=td, output_format="pandas")
    expected = securities.instrument("MSFT")
    assert list(frame.index) == ["MSFT"] and frame.index.name == "symbol"  # as get_instruments
    assert frame.iloc[0].to_dict() == {k: v for k, v in expected.items() if k != "symbol"}


@pytest.mark.parametrize("cusip", ["12345", "AAPL0-123", "", None, "0378331005"])
def test_instrument_refuses_a_malformed_cusip(td, sandbox, cusip):
    assert_nothing_sent(sandbox, instruments.get_instrument, cusip, api=td, match="cusip")


def test_instrument_of_an_unknown_cusip_is_not_found(td, sandbox):
    real = securities.cusip("AAPL")
    unknown = real[:-1] + str((int(real[-1]) + 1) % 10)
    assert unknown not in universe.BY_CUSIP
    with pytest.raises(ResourceNotFound, match=unknown):
        instruments.get_instrument(unknown, api=td, errors="raise")
    assert only_request(sandbox)[0] == f"/v1/instruments/{unknown}"
    assert instruments.get_instrument(unknown, api=td) == []


def test_fundamentals(td, sandbox):
    found = instruments.get_fundamentals(["aapl", "MSFT", "NOSUCHSYMBOL"], api=td)
    assert only_request(sandbox) == ("/v1/instruments", {"symbol": "AAPL,MSFT,NOSUCHSYMBOL",
                                                         "projection": "fundamental"})
    assert found == {s: {**securities.instrument(s), "fundamental": securities.fundamental(s)}
                     for s in ("AAPL", "MSFT")}


def test_fundamentals_of_unknown_symbols_are_not_found(td, caplog):
    with pytest.raises(ResourceNotFound):
        instruments.get_fundamentals(UNKNOWN, api=td, errors="raise")
    assert instruments.get_fundamentals(UNKNOWN, api=td) == {} and UNKNOWN[0] in caplog.text


def test_fundamentals_as_pandas_one_row_per_symbol(td, pd):
    frame = instruments.get_fundamentals("AAPL,MSFT,IBM", api=td, output_format="pandas")
    assert list(frame.index) == ["AAPL", "MSFT", "IBM"]
    assert {"peRatio", "dividendYield", "marketCap", "cusip", "description"} <= set(frame.columns)
    assert "fundamental" not in frame.columns
    for symbol in frame.index:
        assert frame.loc[symbol, "peRatio"] == securities.quote(symbol, 0)["peRatio"]
        assert frame.loc[symbol, "marketCap"] == securities.fundamental(symbol)["marketCap"]
        assert frame.loc[symbol, "cusip"] == securities.cusip(symbol)


# -- the same functions everywhere, and what they share -----------------------------------------------


@pytest.mark.parametrize("name", list(CALLS))
def test_functions_are_exported_and_are_api_methods(name):
    function = getattr(pyTD, name)
    homes = {"get_instrument": [instruments], "get_instruments": [instruments],
             "get_fundamentals": [instruments, market]}.get(name, [market])
    assert all(getattr(home, name) is function for home in homes) and name in pyTD.__all__
    method = getattr(api_module.api, name)
    # the method is the function, with the client as self: the same parameters but api=, and its documentation
    expected = [p for p in inspect.signature(function).parameters.values() if p.name != "api"]
    assert list(inspect.signature(method).parameters.values())[1:] == expected
    assert method.__doc__.split("Parameters")[0] == function.__doc__.split("Parameters")[0]
    assert "api : " not in method.__doc__ and "api : " in function.__doc__


@pytest.mark.parametrize("name", list(CALLS))
def test_api_method_sends_and_returns_the_same(td, sandbox, name):
    args, kwargs = CALLS[name]
    by_method = getattr(td, name)(*args, **kwargs)
    via_method = sent(sandbox)
    sandbox.clear_requests()
    by_function = call(name, td)
    assert via_method == sent(sandbox) and via_method
    assert without_times(by_method) == without_times(by_function)


@pytest.fixture
def environment(monkeypatch, logged_in, sandbox, callback_url, config_dir):
    """``TD_*`` variables pointing at the sandbox and at the logged-in client's token cache; no default client yet."""
    for name, value in (("TD_CONSUMER_KEY", CONSUMER_KEY), ("TD_CALLBACK_URL", callback_url),
                        ("TD_CONFIG_DIR", config_dir), ("TD_AUTH_URL", sandbox.auth_url),
                        ("TD_API_URL", sandbox.api_url)):
        monkeypatch.setenv(name, value)
    sandbox.clear_requests()
    return logged_in


@pytest.mark.parametrize("name", list(CALLS))
def test_functions_without_api_use_the_default_client(environment, sandbox, name):
    result = call(name)
    assert result
    requests = sandbox.requests
    assert requests and all(r.headers["Authorization"] == f"Bearer {environment.access_token}" for r in requests)
    default = pyTD.client.default_client()
    assert default is pyTD.client.default_client() and default is not environment
    assert default.api_url == sandbox.api_url


def test_the_default_client_follows_the_environment(environment, monkeypatch, tmp_path):
    first = pyTD.client.default_client()
    monkeypatch.setenv("TD_CONFIG_DIR", str(tmp_path / "elsewhere"))
    second = pyTD.client.default_client()
    assert second is not first and second.config_dir == str(tmp_path / "elsewhere")
    assert pyTD.client.default_client() is second


def test_symbol_search_is_sent_in_batches(td, sandbox):
    symbols = list(securities.NAMES) + [f"Q{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(150)][:150 - len(
        securities.NAMES)]  # the sandbox's instruments, then unknown symbols
    sandbox.clear_requests()
    found = td.get_instruments(",".join(symbols))
    assert sorted(found) == sorted(securities.NAMES)
    assert [len(r.query["symbol"].split(",")) for r in sandbox.requests] == [100, 50]


def test_without_api_or_environment_there_is_no_client():
    with pytest.raises(ConfigurationError, match="TD_CONSUMER_KEY"):
        pyTD.get_quotes("AAPL")


@pytest.mark.parametrize("name", list(CALLS))
def test_unknown_output_format_names_the_choices(td, sandbox, name):
    with pytest.raises(ValueError, match="'json', 'pandas'") as info:
        call(name, td, output_format="xml")
    assert "xml" in str(info.value)
    assert sandbox.requests == []


@pytest.mark.parametrize("name", list(CALLS))
def test_pandas_output_without_pandas_names_the_extra(td, monkeypatch, name):
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(ImportError, match=re.escape("pip install 'pytd-client[pandas]'")):
        call(name, td, output_format="pandas")


def test_the_pandas_extra_exists():
    tomllib = pytest.importorskip("tomllib")
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"].get("optional-dependencies", {})
    assert any(re.match(r"pandas\b", requirement) for requirement in extras.get("pandas", []))


@pytest.mark.parametrize("name", ["get_quotes", "get_fundamentals"])
def test_json_output_works_without_pandas(td, monkeypatch, name):
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert set(call(name, td)) == {"AAPL", "MSFT"}
