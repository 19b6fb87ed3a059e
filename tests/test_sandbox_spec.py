"""Every Schwab answer of the sandbox against Schwab's OpenAPI spec, and both providers' answers against the
real recordings (tests/shared/fixtures): the same keys and value types for the same endpoint.

Where the spec and the recordings disagree, the recordings win; :data:`EXCEPTIONS` lists each case, and a
test proves each one is needed (the recording or the sandbox fails the spec without it).
"""

import json
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from pyTD.sandbox import Sandbox
from pyTD.sandbox import market as universe
from tests.conftest import bearer_headers
from tests.schwab_spec import SHARED, SpecError, validate_request, validate_response, validate_with

FIXTURES = SHARED / "fixtures"
KEY, SECRET, CALLBACK = "SPECKEY", "spec-secret", "https://127.0.0.1:8182"
CHAIN_CONTRACT_KEYS = {  # schwab-api.md section 3, from a real (truncated) chain
    "putCall", "symbol", "description", "exchangeName", "bid", "ask", "last", "mark", "bidSize", "askSize",
    "bidAskSize", "lastSize", "highPrice", "lowPrice", "openPrice", "closePrice", "totalVolume", "tradeTimeInLong",
    "quoteTimeInLong", "netChange", "volatility", "delta", "gamma", "theta", "vega", "rho", "openInterest",
    "timeValue", "theoreticalOptionValue", "theoreticalVolatility", "optionDeliverablesList", "strikePrice",
    "expirationDate", "daysToExpiration", "expirationType", "lastTradingDay", "multiplier", "settlementType",
    "deliverableNote", "percentChange", "markChange", "markPercentChange", "intrinsicValue", "extrinsicValue",
    "optionRoot", "exerciseType", "high52Week", "low52Week", "nonStandard", "pennyPilot", "inTheMoney", "mini"}


# -- where the recordings win -------------------------------------------------------------------------


def unwrap_instrument(template, body):
    if not isinstance(body, dict):
        return body
    return body["instruments"][0] if template == "/instruments/{cusip_id}" and "instruments" in body else body


def without_contracts(template, body):
    if template == "/chains" and isinstance(body, dict):
        for side in ("callExpDateMap", "putExpDateMap"):
            body[side] = {}
    return body


def string_status(template, body):
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors if isinstance(errors, list) else []:
        error["status"] = str(error["status"])
    return body


def null_div_freq(template, body):
    blocks = body.values() if template.endswith("quotes") and isinstance(body, dict) else []
    for item in blocks:
        fundamental = item.get("fundamental", {}) if isinstance(item, dict) else {}
        if fundamental.get("divFreq") == 0:
            fundamental["divFreq"] = None
    return body


# name: (why, extra keys allowed per schema, body patch)
EXCEPTIONS = {
    "movers items": ("recorded movers items carry other keys than the spec's Screener (fixtures/schwab/movers-1)",
                     {"Screener": {"volume", "lastPrice", "netChange", "marketShare", "trades", "netPercentChange"}},
                     None),
    "expirationDate": ("/expirationchain items say expirationDate, the spec expiration (schwab-api.md)",
                       {"Expiration": {"expirationDate"}}, None),
    "instrument wrapped": ("/instruments/{cusip} was recorded as {\"instruments\": [...]} "
                           "(fixtures/schwab/instrument-cusip-1)", {}, unwrap_instrument),
    "chain contracts": ("chain contracts use TD's keys in lists per strike, not the spec's OptionContract "
                        "(schwab-api.md); checked against the recorded key list instead", {}, without_contracts),
    "chain keys": ("real chains also carry numberOfContracts, assetMainType, assetSubType, isChainTruncated",
                   {"OptionChain": {"numberOfContracts", "assetMainType", "assetSubType", "isChainTruncated"}},
                   None),
    "post-market": ("recorded equity quotes carry postMarketChange and postMarketPercentChange "
                    "(fixtures/schwab/quotes-1)", {"QuoteEquity": {"postMarketChange", "postMarketPercentChange"}},
                    None),
    "lastEarningsDate": ("recorded fundamentals carry lastEarningsDate (fixtures/schwab/quotes-1)",
                         {"Fundamental": {"lastEarningsDate"}}, None),
    "divFreq 0": ("a stock without dividends was recorded with divFreq 0, not in the spec's enum (AMD in "
                  "fixtures/schwab/quotes-1)", {}, null_div_freq),
    "401 status int": ("the recorded 401 has \"status\": 401, an int (fixtures/schwab/error-401-1)", {}, string_status),
}
EXTRA_KEYS = {}
for _, extra, _ in EXCEPTIONS.values():
    for name, keys in extra.items():
        EXTRA_KEYS.setdefault(name, set()).update(keys)
NOT_IN_SPEC = {429: "the spec documents no 429 (rate limit) response: its body is checked by hand below"}


def check(path, status, body, skip=()):
    """Validate strictly, with every exception but those named in ``skip``."""
    validate_with(EXCEPTIONS, "GET", path, status, body, skip)


# -- a logged-in Schwab sandbox -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def schwab():
    with Sandbox(provider="schwab", auto_approve=True) as sb:
        sb.bearer = bearer_headers(sb, KEY, SECRET)
        yield sb


def get(sb, path, **query):
    answer = requests.get(sb.url + path, params=query, headers=sb.bearer, timeout=5)
    return answer.status_code, answer.json()


def a_contract(sb, symbol="AAPL"):
    chain = get(sb, "/marketdata/v1/chains", symbol=symbol, strikeCount="2")[1]
    return next(iter(next(iter(chain["callExpDateMap"].values())).values()))[0]


CALLS = [
    ("/marketdata/v1/quotes", {"symbols": "AAPL,SPY,VTSAX,$SPX,/ES,EUR/USD,AMD,BRK.B,APPL"}),
    ("/marketdata/v1/quotes", {"symbols": "AAPL,MSFT", "fields": "quote,reference"}),
    ("/marketdata/v1/INTC/quotes", {}),
    ("/marketdata/v1/%2FCL/quotes", {"fields": "quote"}),
    ("/marketdata/v1/pricehistory", {"symbol": "AAPL", "periodType": "year", "frequencyType": "monthly"}),
    ("/marketdata/v1/pricehistory", {"symbol": "MSFT", "periodType": "day", "period": "1", "frequency": "5",
                                     "needPreviousClose": "true", "needExtendedHoursData": "false"}),
    ("/marketdata/v1/pricehistory", {"symbol": "APPL"}),
    ("/marketdata/v1/movers/$DJI", {"sort": "VOLUME", "frequency": "5"}),
    ("/marketdata/v1/movers/OPTION_PUT", {"sort": "PERCENT_CHANGE_DOWN"}),
    ("/marketdata/v1/movers/OTCBB", {}),
    ("/marketdata/v1/markets", {"markets": "equity,option,bond,future,forex"}),
    ("/marketdata/v1/markets/equity", {}),
    ("/marketdata/v1/chains", {"symbol": "AAPL", "strikeCount": "4", "includeUnderlyingQuote": "true",
                               "entitlement": "NP"}),
    ("/marketdata/v1/chains", {"symbol": "$SPX", "contractType": "PUT", "range": "OTM", "strikeCount": "2"}),
    ("/marketdata/v1/chains", {"symbol": "APPL"}),
    ("/marketdata/v1/expirationchain", {"symbol": "AAPL"}),
    ("/marketdata/v1/instruments", {"symbol": "AAPL", "projection": "fundamental"}),
    ("/marketdata/v1/instruments", {"symbol": "Berkshire", "projection": "search"}),
    ("/marketdata/v1/instruments/037833100", {}),
    ("/marketdata/v1/instruments/000000000", {}),
    ("/marketdata/v1/pricehistory", {"symbol": "AAPL", "periodType": "day", "frequencyType": "daily"}),
    ("/marketdata/v1/pricehistory", {"symbol": "AAPL", "startDate": "2024-05-01"}),
    ("/marketdata/v1/quotes", {"symbols": "AAPL", "fields": "everything"}),
    ("/marketdata/v1/movers/$SPX.X", {}),
    ("/marketdata/v1/markets", {"markets": "EQUITY"}),
]


@pytest.mark.parametrize("path, query", CALLS, ids=[f"{p.rsplit('/v1', 1)[1]}?{q}" for p, q in CALLS])
def test_every_schwab_answer_fits_the_spec(schwab, path, query):
    status, body = get(schwab, path, **query)
    check(path, status, body)


def test_an_option_quote_fits_the_spec(schwab):
    contract = a_contract(schwab)
    path = "/marketdata/v1/" + quote(contract["symbol"], safe="") + "/quotes"
    status, body = get(schwab, path)
    assert status == 200 and list(body) == [contract["symbol"]]
    check(path, status, body)


def test_401_fits_the_spec_and_429_is_schwabs_error_shape():
    with Sandbox(provider="schwab", auto_approve=True, rate_limit=1) as sb:
        answer = requests.get(sb.url + "/marketdata/v1/quotes?symbols=AAPL", timeout=5)
        check("/marketdata/v1/quotes", answer.status_code, answer.json())
        location = requests.get(sb.auth_url, params={"client_id": KEY, "redirect_uri": CALLBACK},
                                allow_redirects=False, timeout=5).headers["Location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        access = requests.post(sb.token_url, data={"grant_type": "authorization_code", "code": code,
                                                   "redirect_uri": CALLBACK}, auth=(KEY, SECRET),
                               timeout=5).json()["access_token"]
        headers = {"Authorization": "Bearer " + access}
        statuses = [requests.get(sb.url + "/marketdata/v1/quotes?symbols=AAPL", headers=headers, timeout=5)
                    for _ in range(2)]
    assert [a.status_code for a in statuses] == [200, 429]
    (error,) = statuses[1].json()["errors"]
    assert set(error) == {"id", "status", "title", "detail"} and error["status"] == "429"
    with pytest.raises(SpecError, match="no 429"):
        validate_response("GET", "/marketdata/v1/quotes", 429, statuses[1].json())


def test_chain_contracts_have_the_recorded_keys(schwab):
    for symbol in ("AAPL", "$SPX", "SPY"):
        contract = a_contract(schwab, symbol)
        assert set(contract) == CHAIN_CONTRACT_KEYS
        assert contract["expirationDate"].endswith(":00.000+00:00") and len(contract["symbol"]) == 21


# -- each exception is needed -------------------------------------------------------------------------

RECORDED = {  # fixture -> the request it answers
    "quotes-1.json": ("/marketdata/v1/quotes", 200), "quote-1.json": ("/marketdata/v1/INTC/quotes", 200),
    "pricehistory-1.json": ("/marketdata/v1/pricehistory", 200), "movers-1.json": ("/marketdata/v1/movers/$DJI", 200),
    "markets-1.json": ("/marketdata/v1/markets", 200), "markets-2.json": ("/marketdata/v1/markets/equity", 200),
    "instruments-1.json": ("/marketdata/v1/instruments", 200),
    "instrument-cusip-1.json": ("/marketdata/v1/instruments/037833100", 200),
    "error-401-1.json": ("/marketdata/v1/quotes", 401), "error-404-1.json": ("/marketdata/v1/instruments/1", 404),
}


def recorded(name):
    return json.loads((FIXTURES / "schwab" / name).read_text())


@pytest.mark.parametrize("name", RECORDED)
def test_the_recordings_fit_the_spec_with_the_exceptions(name):
    path, status = RECORDED[name]
    check(path, status, recorded(name))


@pytest.mark.parametrize("exception, path, query, fixture", [
    ("movers items", "/marketdata/v1/movers/$DJI", {}, "movers-1.json"),
    ("expirationDate", "/marketdata/v1/expirationchain", {"symbol": "AAPL"}, None),
    ("instrument wrapped", "/marketdata/v1/instruments/037833100", {}, "instrument-cusip-1.json"),
    ("chain contracts", "/marketdata/v1/chains", {"symbol": "AAPL", "strikeCount": "2"}, None),
    ("chain keys", "/marketdata/v1/chains", {"symbol": "AAPL", "strikeCount": "2"}, None),
    ("post-market", "/marketdata/v1/quotes", {"symbols": "AAPL"}, "quotes-1.json"),
    ("lastEarningsDate", "/marketdata/v1/quotes", {"symbols": "AAPL"}, "quotes-1.json"),
    ("divFreq 0", "/marketdata/v1/quotes", {"symbols": "AMD"}, "quotes-1.json"),
    ("401 status int", "/marketdata/v1/quotes", None, "error-401-1.json"),
])
def test_each_exception_is_needed(schwab, exception, path, query, fixture):
    if query is None:
        answer = requests.get(schwab.url + path, timeout=5)
        status, body = answer.status_code, answer.json()
    else:
        status, body = get(schwab, path, **query)
    with pytest.raises(SpecError):
        check(path, status, body, skip=(exception,))
    if fixture:
        with pytest.raises(SpecError):
            check(RECORDED[fixture][0], RECORDED[fixture][1], recorded(fixture), skip=(exception,))


# -- requests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, query", [(p, q) for p, q in CALLS[:20]])
def test_the_requests_above_fit_the_spec(path, query):
    validate_request("GET", path, query)


@pytest.mark.parametrize("path, query, problem", [
    ("/marketdata/v1/quotes", {"symbol": "AAPL"}, "unknown parameter 'symbol'"),
    ("/marketdata/v1/pricehistory", {}, "missing required query parameter 'symbol'"),
    ("/marketdata/v1/pricehistory", {"symbol": "A", "periodType": "decade"}, "periodType='decade'"),
    ("/marketdata/v1/pricehistory", {"symbol": "A", "startDate": "2024-05-01"}, "not an integer"),
    ("/marketdata/v1/movers/$SPX.X", {}, "symbol_id='$SPX.X'"),
    ("/marketdata/v1/markets", {"markets": "equity,EQUITY"}, "markets='EQUITY'"),
    ("/marketdata/v1/chains", {"symbol": "A", "includeUnderlyingQuote": "TRUE"}, "not true or false"),
    ("/marketdata/v1/chains", {"symbol": "A", "fromDate": "2024-5-1"}, "does not match"),
    ("/marketdata/v1/instruments", {"symbol": "A", "projection": "everything"}, "projection"),
    ("/marketdata/v1/nothing", {}, "no such operation"),
    ("/v1/marketdata/quotes", {}, "no such operation"),
])
def test_bad_requests_are_named(path, query, problem):
    with pytest.raises(SpecError) as info:
        validate_request("GET", path, query)
    assert problem in str(info.value)


def test_templates_validate_too():
    validate_response("GET", "/marketdata/v1/movers/{symbol_id}", 200, {"screeners": []})
    with pytest.raises(SpecError, match="no 201"):
        validate_response("GET", "/quotes", 201, {})
    assert validate_request("GET", "/marketdata/v1/EUR%2FUSD/quotes")["operationId"]
    assert universe.lookup("EUR/USD") is not None
