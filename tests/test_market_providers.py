"""The market-data functions on both providers: the same columns and dtypes, each provider's own parameters,
unknown symbols, dates, and every request the Schwab profile sends checked against Schwab's OpenAPI spec.

tests/test_market.py checks TD's wire format call by call; this module runs each function on TD and Schwab.
"""

import inspect
import logging
from datetime import date, timedelta

import pytest

import pyTD
from pyTD import instruments, market
from pyTD.api import api
from pyTD.exceptions import ResourceNotFound, UnsupportedError

from .conftest import schwab_only, td_only
from .schwab_spec import validate_request

TOMORROW = (date.today() + timedelta(days=1)).isoformat()  # Schwab's market hours take today to a year ahead

# One call of each function, in pyTD's words: the same on both providers.
CALLS = {
    "get_quotes": (("AAPL MSFT $SPX.X SPY",), {}),
    "get_price_history": (("AAPL",), {"period_type": "month", "frequency_type": "daily"}),
    "get_movers": (("$DJI",), {}),
    "get_market_hours": (("EQUITY,OPTION", TOMORROW), {}),
    "get_option_chains": (("AAPL",), {"strike_count": 2}),
    "get_fundamentals": (("AAPL,MSFT",), {}),
    "get_instruments": (("AAPL",), {}),
    "get_instrument": (("037833100",), {}),
}
# Each symbol-taking function with a known and an unknown symbol ("APPL", a typo).
UNKNOWN = {
    "get_quotes": lambda a, **kw: a.get_quotes(["AAPL", "APPL"], **kw),
    "get_price_history": lambda a, **kw: a.get_price_history("APPL", "month", frequency_type="daily", **kw),
    "get_option_chains": lambda a, **kw: a.get_option_chains("APPL", strike_count=1, **kw),
    "get_fundamentals": lambda a, **kw: a.get_fundamentals("AAPL APPL", **kw),
    "get_instruments": lambda a, **kw: a.get_instruments("AAPL,APPL", **kw),
    "get_instrument": lambda a, **kw: a.get_instrument("037833109", **kw),
}


@pytest.fixture
def pd():
    return pytest.importorskip("pandas")


@pytest.fixture
def both(make_client, sandbox, provider, config_dir, tmp_path):
    """A logged-in client of each provider: the fixture's provider, and the other one on its own sandbox."""
    from pyTD.sandbox import Sandbox

    from .conftest import browser_for, callback_for, client_options

    clients = {}
    with Sandbox(provider="schwab" if provider == "td" else "td", auto_approve=True) as other:
        for name, sb in ((provider, sandbox), (other.provider, other)):
            client = api("BOTHKEY", callback_for(name), config_dir=str(tmp_path / name), auth_url=sb.auth_url,
                         api_url=sb.api_url, **client_options(name))
            client.login(open_browser=browser_for(client), timeout=10)
            clients[name] = client
        yield clients


@td_only
@pytest.mark.parametrize("name", list(CALLS))
def test_the_same_call_gives_the_same_columns_and_dtypes_on_both_providers(both, pd, name):
    args, kwargs = CALLS[name]
    frames = {provider: getattr(client, name)(*args, output_format="pandas", **kwargs)
              for provider, client in both.items()}
    td, schwab = frames["td"], frames["schwab"]
    assert len(td) == len(schwab) > 0 and td.index.name == schwab.index.name
    common = [c for c in td.columns if c in schwab.columns]
    assert common and common == [c for c in schwab.columns if c in td.columns]  # in the same order
    assert {c: str(td[c].dtype) for c in common} == {c: str(schwab[c].dtype) for c in common}
    assert set(td.columns) <= set(schwab.columns)  # Schwab has more fields; each of TD's facts is there too


@pytest.mark.parametrize("name", list(CALLS))
def test_an_empty_result_has_the_columns_and_dtypes_of_a_full_one(logged_in, pd, name):
    from pyTD.fetch import to_frame
    from pyTD.market.history import candles_frame
    from pyTD.market.hours import HOURS, hours_rows
    from pyTD.market.movers import MOVERS
    from pyTD.market.options import CONTRACTS, contracts
    from pyTD.market.quotes import quotes_frame

    args, kwargs = CALLS[name]
    full = getattr(logged_in, name)(*args, output_format="pandas", **kwargs)
    empty = {
        "get_quotes": lambda: quotes_frame({}, logged_in),
        "get_price_history": lambda: candles_frame([], logged_in.tz),
        "get_movers": lambda: to_frame(MOVERS, [], logged_in),
        "get_market_hours": lambda: to_frame(HOURS, hours_rows({}), logged_in),
        "get_option_chains": lambda: to_frame(CONTRACTS, contracts({}), logged_in),
        "get_fundamentals": lambda: logged_in.get_fundamentals("APPL", output_format="pandas", errors="ignore"),
        "get_instruments": lambda: logged_in.get_instruments("APPL", output_format="pandas", errors="ignore"),
        "get_instrument": lambda: logged_in.get_instrument("037833109", output_format="pandas", errors="ignore"),
    }[name]()
    assert empty.empty and empty.index.name == full.index.name
    assert dict(empty.dtypes.astype(str)) == {c: t for c, t in full.dtypes.astype(str).items() if c in empty}
    assert set(empty.columns) <= set(full.columns)
    if name not in ("get_quotes",):  # quotes of other asset types add their own columns
        assert list(empty.columns) == list(full.columns)


@pytest.mark.parametrize("name", list(UNKNOWN))
def test_unknown_symbols_warn_raise_or_are_ignored_everywhere(logged_in, caplog, name):
    call = UNKNOWN[name]
    caplog.set_level(logging.INFO, logger="pyTD")
    call(logged_in)  # default: warn
    (record,) = [r for r in caplog.records if "unknown" in r.getMessage()]
    assert record.levelno == logging.WARNING and ("APPL" in record.getMessage() or "037833109" in record.getMessage())
    caplog.clear()
    call(logged_in, errors="ignore")
    assert not [r for r in caplog.records if "unknown" in r.getMessage()]
    with pytest.raises(ResourceNotFound, match="APPL|037833109"):
        call(logged_in, errors="raise")
    with pytest.raises(ValueError, match="errors must be one of"):
        call(logged_in, errors="loud")


def test_unknown_symbols_are_the_same_whether_one_or_many_were_asked(logged_in, caplog):
    assert logged_in.get_quotes("APPL") == {}
    assert logged_in.get_quotes(["APPL", "XXQQ"]) == {}
    messages = [r.getMessage() for r in caplog.records if "unknown" in r.getMessage()]
    assert len(messages) == 2 and "APPL" in messages[0] and "XXQQ" in messages[1]


@td_only
@pytest.mark.parametrize("index", ["$SPX.X", "$SPX"])
def test_quote_rows_are_labelled_as_the_user_wrote_the_symbol_on_both_providers(both, pd, index):
    """So that ``df.loc["$SPX.X"]`` runs unchanged after switching; the JSON keeps the provider's symbol."""
    for client in both.values():
        frame = client.get_quotes(["AAPL", index], output_format="pandas")
        assert sorted(frame.index) == sorted(["AAPL", index])
        assert frame.loc[index, "lastPrice"] > 0
    assert set(both["td"].get_quotes(index)) == {"$SPX.X"} and set(both["schwab"].get_quotes(index)) == {"$SPX"}


@pytest.mark.parametrize("symbols", ["AAPL MSFT", " AAPL\tMSFT\n", "AAPL,MSFT", ["AAPL", "msft"]])
def test_whitespace_or_comma_separated_symbols(logged_in, symbols):
    assert sorted(logged_in.get_quotes(symbols)) == ["AAPL", "MSFT"]


@pytest.mark.parametrize("index", ["$SPX.X", "$SPX", "spx"])
def test_index_names_of_either_provider_work_on_both(logged_in, index):
    assert logged_in.get_movers(index)
    quoted = logged_in.get_quotes("$SPX.X $SPX")
    assert len(quoted) == 1 and list(quoted)[0] in ("$SPX", "$SPX.X")


def test_class_shares_futures_and_forex_are_quotable(logged_in):
    assert set(logged_in.get_quotes(["BRK.B", "/ES", "EUR/USD"])) == {"BRK.B", "/ES", "EUR/USD"}


@td_only
@pytest.mark.parametrize("call, option", [
    (lambda a: a.get_quotes("AAPL", fields="quote"), "fields"),
    (lambda a: a.get_quotes("AAPL", indicative=True), "indicative"),
    (lambda a: a.get_price_history("AAPL", previous_close=True), "previous_close"),
    (lambda a: a.get_option_chains("AAPL", entitlement="NP"), "entitlement"),
    (lambda a: a.get_movers("$DJI", sort="VOLUME"), "sort"),
    (lambda a: a.get_movers("$DJI", frequency=5), "frequency"),
    (lambda a: a.get_instruments("apple", "search"), "search"),
    (lambda a: a.get_movers("NYSE"), "index"),
])
def test_schwab_only_options_are_refused_on_td_before_anything_is_sent(logged_in, sandbox, call, option):
    sandbox.clear_requests()
    with pytest.raises(ValueError, match=option):
        call(logged_in)
    assert sandbox.requests == []


@schwab_only
@pytest.mark.parametrize("call, words", [
    (lambda a: a.get_movers("$DJI", change="value"), "change='value'"),
    (lambda a: a.get_movers("$DJI", direction="up", sort="VOLUME"), "direction or sort"),
    (lambda a: a.get_movers("$DJI", frequency=7), "frequency"),
    (lambda a: a.get_quotes("AAPL", fields="everything"), "fields"),
])
def test_td_only_values_are_refused_on_schwab_before_anything_is_sent(logged_in, sandbox, call, words):
    sandbox.clear_requests()
    with pytest.raises(ValueError, match=words):
        call(logged_in)
    assert sandbox.requests == []


@td_only
def test_option_expirations_are_unsupported_on_td(logged_in, sandbox):
    sandbox.clear_requests()
    with pytest.raises(UnsupportedError, match="TD Ameritrade") as info:
        logged_in.get_option_expirations("AAPL")
    assert "td" in str(info.value) and sandbox.requests == []


@schwab_only
def test_option_expirations_on_schwab(logged_in, pd):
    answer = logged_in.get_option_expirations("aapl")
    assert answer["expirationList"] and {"expirationDate", "daysToExpiration"} <= set(answer["expirationList"][0])
    frame = logged_in.get_option_expirations("AAPL", output_format="pandas")
    assert len(frame) == len(answer["expirationList"])
    assert str(frame["expirationDate"].dtype).startswith("datetime64")
    assert str(frame["daysToExpiration"].dtype) == "Int64"
    assert pyTD.get_option_expirations("AAPL", api=logged_in) == answer


# -- every request the Schwab profile sends, against Schwab's published spec ------------------------------

SCHWAB_CALLS = [
    lambda a: a.get_quotes("AAPL MSFT", fields=["quote", "reference"], indicative=False),
    lambda a: a.get_quotes("AAPL"),
    lambda a: a.get_price_history("AAPL", "day", 5, "minute", 15, extended_hours=True, previous_close=True),
    lambda a: a.get_price_history("AAPL", "year", frequency_type="monthly", start_date="2024-01-02",
                                  end_date="2024-06-28"),
    lambda a: a.get_movers("$SPX.X", direction="down", frequency=5),
    lambda a: a.get_movers("NASDAQ", sort="TRADES"),
    lambda a: a.get_market_hours("EQUITY", TOMORROW),
    lambda a: a.get_market_hours(["equity", "option", "future", "bond", "forex"]),
    lambda a: a.get_option_chains("AAPL", "PUT", 4, True, "SINGLE", range="NTM", from_date=TOMORROW,
                                  exp_month="ALL", option_type="S", entitlement="NP"),
    lambda a: a.get_option_chains("$SPX", strategy="ANALYTICAL", volatility=20.0, underlying_price=5000.0,
                                  interest_rate=4.5, days_to_expiration=30, interval=5.0, strike_count=1),
    lambda a: a.get_option_expirations("AAPL"),
    lambda a: a.get_instruments("AAPL", "fundamental"),
    lambda a: a.get_instruments("apple", "desc-search"),
    lambda a: a.get_instruments("AAPL", "search"),
    lambda a: a.get_instrument("037833100"),
    lambda a: a.get_fundamentals("AAPL,MSFT"),
]


@schwab_only
@pytest.mark.parametrize("call", SCHWAB_CALLS)
def test_every_schwab_request_matches_the_openapi_spec(logged_in, sandbox, call):
    sandbox.clear_requests()
    call(logged_in)
    sent = [r for r in sandbox.requests if r.path.startswith("/marketdata/v1/")]
    assert sent
    for request in sent:
        validate_request(request.method, request.path, request.query)


@schwab_only
def test_schwab_quotes_are_nested_in_json_and_flat_in_pandas(logged_in, pd):
    answer = logged_in.get_quotes("AAPL")
    assert {"quote", "reference", "assetMainType"} <= set(answer["AAPL"])  # as Schwab sent it
    frame = logged_in.get_quotes("AAPL", output_format="pandas")
    assert frame.loc["AAPL", "lastPrice"] == answer["AAPL"]["quote"]["lastPrice"]
    assert frame.loc["AAPL", "52WkHigh"] == answer["AAPL"]["quote"]["52WeekHigh"]
    assert frame.loc["AAPL", "assetType"] == "EQUITY" and frame.loc["AAPL", "assetSubType"] == "COE"
    assert str(frame["quoteTimeInLong"].dtype) == "datetime64[ns, America/New_York]"


# -- dates, time zones ----------------------------------------------------------------------------------


def test_a_period_with_a_start_and_an_end_is_refused_before_sending(logged_in, sandbox):
    sandbox.clear_requests()
    with pytest.raises(ValueError, match="period or start_date and end_date"):
        logged_in.get_price_history("AAPL", "month", 1, "daily", start_date="2024-05-01", end_date="2024-05-10")
    assert sandbox.requests == []


def test_pandas_times_are_in_the_api_time_zone(make_client, pd):
    client = make_client(tz="Europe/Berlin")
    from .conftest import browser_for

    client.login(open_browser=browser_for(client), timeout=10)
    frame = client.get_price_history("AAPL", "month", frequency_type="daily", output_format="pandas")
    assert str(frame.index.tz) == "Europe/Berlin"
    assert all(t.hour == 0 for t in frame.index)  # labelled by trading day, at midnight
    assert str(client.get_quotes("AAPL", output_format="pandas")["quoteTimeInLong"].dt.tz) == "Europe/Berlin"


@pytest.mark.parametrize("value", ["Mars/Olympus", "", "../etc"])
def test_a_bad_time_zone_is_a_configuration_error(make_client, monkeypatch, value):
    from pyTD.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="time zone"):
        make_client(tz=value or "  ")
    monkeypatch.setenv("TD_TIMEZONE", value or "Nowhere/Land")
    with pytest.raises(ConfigurationError, match="TD_TIMEZONE"):
        make_client()


# -- the functions as api methods ------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CALLS) + ["get_option_expirations"])
def test_methods_have_the_functions_signatures_without_api(name):
    function, method = getattr(pyTD, name), getattr(api, name)
    expected = [p for p in inspect.signature(function).parameters.values() if p.name != "api"]
    assert list(inspect.signature(method).parameters.values())[1:] == expected
    assert "symbols" in str(inspect.signature(api.get_quotes))


def test_every_re_exported_function_is_its_modules():
    import importlib

    assert set(market.__all__) | set(instruments.__all__) >= set(CALLS) | {"get_option_expirations"}
    for name, module in pyTD.FUNCTIONS.items():
        assert getattr(pyTD, name) is getattr(importlib.import_module(module), name)


def test_futures_quotes_are_typed_on_both_providers(logged_in, pd):
    frame = logged_in.get_quotes("/ES", output_format="pandas")
    assert str(frame["futureExpirationDate"].dtype) == f"datetime64[ns, {logged_in.tz.key}]"
    assert frame.loc["/ES", "futureExpirationDate"].year >= 2024
    assert str(frame["futureIsActive"].dtype) == "boolean" and str(frame["futureMultiplier"].dtype) == "float64"
    assert frame["futureActiveSymbol"].dtype == object
