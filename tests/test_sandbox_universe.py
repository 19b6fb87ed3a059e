"""The sandbox's universe, the same for both providers: real symbols and CUSIPs, typos unknown everywhere."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from pyTD.sandbox import Sandbox, market, schwab, td

TYPOS = ["APPL", "MSFTT", "BRKB", "XYZ"]


def login(provider):
    sb = Sandbox(provider=provider, auto_approve=True).start()
    key = "UKEY@AMER.OAUTHAP" if provider == "td" else "UKEY"
    callback = "https://127.0.0.1:8182"
    location = requests.get(sb.auth_url, params={"response_type": "code", "client_id": key, "redirect_uri": callback},
                            allow_redirects=False, timeout=5).headers["Location"]
    form = {"grant_type": "authorization_code", "code": parse_qs(urlsplit(location).query)["code"][0],
            "redirect_uri": callback, "client_id": key}
    token = requests.post(sb.token_url, data=form, auth=("UKEY", "s") if provider == "schwab" else None,
                          timeout=5).json()["access_token"]
    sb.bearer = {"Authorization": "Bearer " + token}
    return sb


@pytest.fixture(scope="module")
def both():
    servers = {name: login(name) for name in ("td", "schwab")}
    yield servers
    for sb in servers.values():
        sb.stop()


def get(sb, path, **query):
    return requests.get(sb.api_url + path, params=query, headers=sb.bearer, timeout=5).json()


def test_real_cusips_and_descriptions():
    assert market.UNIVERSE["AAPL"].cusip == "037833100" and market.UNIVERSE["BRK.B"].cusip == "084670702"
    assert market.BY_CUSIP["594918104"].symbol == "MSFT" and market.BY_CUSIP["02079K305"].symbol == "GOOGL"
    assert all(len(s.cusip) == 9 for s in market.UNIVERSE.values() if s.cusip)
    assert not [s for s in market.UNIVERSE.values() if "Holdings Corp" in s.description]
    assert len(market.BY_CUSIP) == len([s for s in market.UNIVERSE.values() if s.cusip])  # no CUSIP twice


def test_td_knows_its_symbols_and_not_typos(both):
    sb = both["td"]
    found = get(sb, "/marketdata/quotes", symbol=",".join(["BRK.B", "$SPX.X", "$DJI", "$COMPX", "/ES", "EUR/USD",
                                                         "VTSAX", "SPY", "$SPX"] + TYPOS))
    assert set(found) == {"BRK.B", "$SPX.X", "$DJI", "$COMPX", "/ES", "EUR/USD", "VTSAX", "SPY"}  # $SPX is Schwab's
    assert get(sb, "/marketdata/APPL/pricehistory", periodType="month") == {"candles": [], "symbol": "APPL",
                                                                          "empty": True}
    assert get(sb, "/marketdata/chains", symbol="APPL")["status"] == "FAILED"
    assert get(sb, "/instruments", symbol="APPL,AAPL", projection="symbol-search").keys() == {"AAPL"}


def test_schwab_knows_its_symbols_and_not_typos(both):
    sb = both["schwab"]
    found = get(sb, "/marketdata/v1/quotes", symbols=",".join(["BRK.B", "$SPX", "/ES", "EUR/USD", "$SPX.X"] + TYPOS))
    assert list(found) == ["BRK.B", "$SPX", "/ES", "EUR/USD", "errors"]
    assert found["errors"] == {"invalidSymbols": ["$SPX.X"] + TYPOS}
    assert get(sb, "/marketdata/v1/pricehistory", symbol="APPL")["empty"] is True
    assert get(sb, "/marketdata/v1/chains", symbol="APPL")["status"] == "FAILED"
    assert get(sb, "/marketdata/v1/instruments", symbol="APPL", projection="symbol-search") == {"instruments": []}


@pytest.mark.parametrize("provider, prefix", [("td", "/marketdata/"), ("schwab", "/marketdata/v1/")])
@pytest.mark.parametrize("symbol", ["/ES", "EUR/USD", "BRK.B", "$DJI"])
def test_symbols_with_slashes_work_in_paths(both, provider, prefix, symbol):
    key = "symbol" if provider == "td" else "symbols"
    answer = requests.get(both[provider].api_url + prefix + quote(symbol, safe="") + "/quotes",
                          headers=both[provider].bearer, timeout=5).json()
    assert list(answer) == [symbol] and key


def test_futures_front_month(both):
    active, expires = market.front_month("/ES", market.utc_today())
    assert active[:3] == "/ES" and active[3] in "HMUZ" and expires >= market.utc_today()
    reference = get(both["schwab"], "/marketdata/v1/" + quote(active, safe="") + "/quotes")[active]["reference"]
    assert reference["futureActiveSymbol"] == active
    assert get(both["td"], "/marketdata/quotes", symbol=active)[active]["futureActiveSymbol"] == active


def test_option_symbols_in_each_providers_format(both):
    chain = get(both["td"], "/marketdata/chains", symbol="MSFT", strikeCount="2")
    symbol = next(iter(next(iter(chain["putExpDateMap"].values())).values()))[0]["symbol"]
    assert td.OPTION_SYMBOL.fullmatch(symbol) and "_" in symbol
    assert get(both["td"], "/marketdata/quotes", symbol=symbol)[symbol]["assetType"] == "OPTION"
    chain = get(both["schwab"], "/marketdata/v1/chains", symbol="MSFT", strikeCount="2")
    symbol = next(iter(next(iter(chain["putExpDateMap"].values())).values()))[0]["symbol"]
    assert schwab.OPTION_SYMBOL.fullmatch(symbol) and symbol.startswith("MSFT  ") and len(symbol) == 21
    unlisted = symbol[:-8] + "00000123"  # a strike off the grid
    assert get(both["schwab"], "/marketdata/v1/quotes", symbols=f"{symbol},{unlisted}")["errors"] == {
        "invalidSymbols": [unlisted]}


@pytest.mark.parametrize("symbol", ["AAPL", "F", "$SPX", "BRK.B"])
def test_chains_pick_the_strikes_nearest_the_price(both, symbol):
    chain = get(both["schwab"], "/marketdata/v1/chains", symbol=symbol, strikeCount="4", contractType="CALL")
    price = chain["underlyingPrice"]
    strikes = sorted(float(k) for k in next(iter(chain["callExpDateMap"].values())))
    step = market.strike_interval(price)
    assert len(strikes) == 4 and all(abs(k - price) <= 2 * step for k in strikes)
    assert strikes == [strikes[0] + i * step for i in range(4)]


@pytest.mark.parametrize("index, td_index", [("$DJI", "$DJI"), ("$COMPX", "$COMPX"), ("$SPX", "$SPX.X")])
def test_movers_are_index_members_from_the_universe(both, index, td_index):
    members = set(market.INDEX_MEMBERS[index])
    assert {m["symbol"] for m in get(both["td"], f"/marketdata/{td_index}/movers")} <= members
    screeners = get(both["schwab"], "/marketdata/v1/movers/" + index)["screeners"]
    assert screeners and {m["symbol"] for m in screeners} <= members


def test_prices_are_deterministic_and_realistic(both):
    first = get(both["schwab"], "/marketdata/v1/quotes", symbols="AAPL,BRK.A,EUR/USD", fields="quote")
    second = get(both["schwab"], "/marketdata/v1/quotes", symbols="AAPL,BRK.A,EUR/USD", fields="quote")
    for symbol in first:
        assert first[symbol]["quote"]["lastPrice"] == second[symbol]["quote"]["lastPrice"]
        assert abs(first[symbol]["quote"]["lastPrice"] / market.UNIVERSE[symbol].price - 1) < 0.05
    assert set(first["AAPL"]) == {"assetMainType", "assetSubType", "quoteType", "realtime", "ssid", "symbol", "quote"}
