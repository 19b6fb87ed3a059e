"""Real responses recorded from TD's and Schwab's servers (``tests/shared/fixtures``), served over a real socket.

Each file goes through the function that asks for it: the JSON output must be the file unchanged, and every
pandas column must have the dtype its table (pyTD.frames) declares. The files are checked against the blob ids
in their SOURCES.md first, so an edited recording cannot pass for a real one.
"""

import hashlib
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from pyTD.api import api
from pyTD.cache import MemCache
from pyTD.exceptions import ForbiddenAccess, ResourceNotFound, ServerError
from pyTD.instruments.instruments import FUNDAMENTALS, INSTRUMENTS
from pyTD.market.history import CANDLES
from pyTD.market.hours import HOURS
from pyTD.market.movers import MOVERS
from pyTD.market.options import CONTRACTS
from pyTD.market.quotes import QUOTES
from pyTD.tokens import Token

from .schwab_spec import SHARED

FIXTURES = os.path.join(SHARED, "fixtures")
DTYPES = {"float": "float64", "int": "Int64", "bool": "boolean", "day": "datetime64[ns]", "str": "object",
          "obj": "object"}


def recording(provider, name):
    """The bytes of a recorded file, after checking its git blob id against SOURCES.md."""
    folder = os.path.join(FIXTURES, provider)
    with open(os.path.join(folder, name), "rb") as f:
        data = f.read()
    with open(os.path.join(folder, "SOURCES.md")) as f:
        sources = f.read()
    row = next((line for line in sources.splitlines() if line.startswith(f"| {name} ")), "")
    blobs = re.findall(r"\b[0-9a-f]{40}\b", row)
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id
    if provider == "td":  # TD's SOURCES.md lists each file's blob
        assert blob in blobs, f"{name} is not the recorded file"
    return data


class Replay:
    """A server on loopback that answers every request with one recorded body, and remembers what it was asked."""

    def __init__(self, body, status=200, content_type="application/json"):
        replay = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                replay.requests.append((parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replay(tmp_path):
    """``replay(provider, file)``: a client of that provider whose server answers with the recorded file."""
    servers = []

    def make(provider, name, status=200):
        body = recording(provider, name)
        server = Replay(body, status)
        servers.append(server)
        client = api("RECORDKEY", "https://127.0.0.1:8182", provider=provider, client_secret="S3CRET",
                     cache=MemCache(), api_url=server.url + ("/v1" if provider == "td" else ""), retry_count=0)
        now = time.time()
        client.cache.refresh_token = Token("REFRESH", now, 86400)
        client.cache.access_token = Token("ACCESS", now, 1800)
        return client, server, json.loads(body)

    yield make
    for server in servers:
        server.close()


def assert_typed(frame, table, client):
    """Every column the table (and the provider) declares has its dtype; times are in the client's zone."""
    always, sometimes = client.profile.tables.get(table.name, ({}, {}))
    kinds = {**sometimes, **table.optional, **always, **table.columns}
    checked = 0
    for column in [frame.index.name, *frame.columns]:
        kind = kinds.get(column)
        if kind is None and isinstance(column, str):  # an undeclared column must not be a time left as data
            assert not column.endswith(("Start", "End", "Date", "Time", "InLong", "Day")), column
        if kind is None or column is None:
            continue
        values = frame.index if column == frame.index.name else frame[column]
        expected = f"datetime64[ns, {client.tz.key}]" if kind == "time" else DTYPES[kind]
        assert str(values.dtype) == expected, (column, str(values.dtype), expected)
        checked += 1
    assert checked >= 3
    return kinds


# -- TD ----------------------------------------------------------------------------------------------------


def test_td_quotes_of_every_asset_type(replay):
    client, server, recorded = replay("td", "quotes-1.json")
    symbols = list(recorded)
    assert client.get_quotes(symbols) == recorded
    assert server.requests[-1] == ("/v1/marketdata/quotes", {"symbol": ",".join(symbols)})
    frame = client.get_quotes(symbols, output_format="pandas")
    assert_typed(frame, QUOTES, client)
    assert list(frame.index) == symbols
    msft = recorded["MSFT"]
    assert frame.loc["MSFT", "tradeTimeInLong"] == _moment(msft["tradeTimeInLong"], client)
    assert frame.loc["MSFT", "regularMarketTradeTimeInLong"] == _moment(msft["regularMarketTradeTimeInLong"], client)
    assert frame.loc["MSFT_061821P65", "lastTradingDay"] == _moment(recorded["MSFT_061821P65"]["lastTradingDay"],
                                                                    client)
    assert str(frame.loc["MSFT", "divDate"].date()) == msft["divDate"][:10]
    assert frame["lastPrice"].notna().sum() >= 4 and frame["lastPriceInDouble"].notna().sum() == 1  # forex


def test_td_price_history_of_5418_minute_candles(replay):
    client, server, recorded = replay("td", "pricehistory-1.json")
    assert client.get_price_history("MSFT") == recorded["candles"]
    frame = client.get_price_history("MSFT", output_format="pandas")
    assert_typed(frame, CANDLES, client)
    assert len(frame) == 5418 and frame.index.is_monotonic_increasing
    assert frame.index[0] == _moment(recorded["candles"][0]["datetime"], client)


def test_td_movers(replay):
    client, server, recorded = replay("td", "movers-1.json")
    assert client.get_movers("$DJI") == recorded
    frame = client.get_movers("DJI", output_format="pandas")
    assert_typed(frame, MOVERS, client)
    assert frame["symbol"].tolist() == [m["symbol"] for m in recorded]


@pytest.mark.parametrize("name, markets, day", [
    ("hours-1.json", "EQUITY", "2021-06-14"), ("hours-2.json", "OPTION", "2020-12-31"),
    ("hours-3.json", "FOREX", "2020-12-31"), ("hours-4.json", "BOND", "2020-12-31"),
    ("hours-5.json", "EQUITY,BOND", "2021-06-14"),
    ("hours-6.json", "EQUITY,OPTION,FUTURE,BOND,FOREX", "2020-12-31"),
])
def test_td_market_hours_one_row_per_product(replay, name, markets, day):
    client, server, recorded = replay("td", name)
    assert client.get_market_hours(markets, day) == recorded
    frame = client.get_market_hours(markets, day, output_format="pandas")
    assert_typed(frame, HOURS, client)
    assert len(frame) == sum(len(products) for products in recorded.values())
    assert set(frame["date"].dt.strftime("%Y-%m-%d")) == {day}
    open_rows = frame[frame["isOpen"]]
    assert open_rows["regularMarketStart"].notna().all() or name == "hours-6.json"
    if name == "hours-1.json":
        row = frame.iloc[0]
        assert (row["regularMarketStart"].hour, row["regularMarketEnd"].hour) == (9, 16)  # New York time
    if name == "hours-6.json":  # 44 map keys differ from their product (_1NA for 1NA): the product wins
        assert "1NA" in set(frame["product"]) and "_1NA" not in set(frame["product"])


@pytest.mark.parametrize("name, symbol", [("chains-1.json", "MSFT"), ("chains-2.json", "DIS"),
                                          ("chains-3.json", "MSFT")])
def test_td_option_chains(replay, name, symbol):
    client, server, recorded = replay("td", name)
    assert client.get_option_chains(symbol) == recorded
    frame = client.get_option_chains(symbol, output_format="pandas")
    assert_typed(frame, CONTRACTS, client)
    contracts = [c for side in ("callExpDateMap", "putExpDateMap") for strikes in recorded[side].values()
                 for group in strikes.values() for c in group]
    assert len(frame) == len(contracts) and set(frame["underlying"]) == {symbol}
    # each contract keeps its own expiration instant, and the day of its map key beside it
    first_key = next(iter(recorded["callExpDateMap"]))
    first = next(iter(recorded["callExpDateMap"][first_key].values()))[0]
    row = frame[frame["symbol"] == first["symbol"]].iloc[0]
    assert row["expirationDate"] == _moment(first["expirationDate"], client)
    assert row["expiration"].strftime("%Y-%m-%d") == first_key.split(":")[0]
    assert row["expiration"].date() == row["expirationDate"].date()  # New York's day, not UTC's (chains-3)
    if name == "chains-1.json":  # TD sent the string "NaN" in 15 contracts
        nan = [c for c in contracts if c["delta"] == "NaN"]
        assert len(nan) == 15 and frame["delta"].isna().sum() == 15
        assert frame["delta"].mean() == pytest.approx(sum(c["delta"] for c in contracts if c["delta"] != "NaN")
                                                      / (len(contracts) - 15))


def test_td_fundamentals(replay):
    client, server, recorded = replay("td", "fundamentals-1.json")
    assert client.get_fundamentals("MSFT") == recorded
    frame = client.get_fundamentals("MSFT", output_format="pandas")
    assert_typed(frame, FUNDAMENTALS, client)
    assert str(frame.loc["MSFT", "dividendDate"].date()) == "2019-11-20"
    assert frame.loc["MSFT", "marketCap"] == recorded["MSFT"]["fundamental"]["marketCap"]


def test_td_instrument_search_and_cusip_share_one_index(replay):
    client, server, recorded = replay("td", "instruments-1.json")
    assert client.get_instruments("MB.*", "symbol-regex") == recorded
    frame = client.get_instruments("MB.*", "symbol-regex", output_format="pandas")
    assert_typed(frame, INSTRUMENTS, client)
    assert frame.index.name == "symbol" and list(frame.index) == list(recorded)
    assert all(len(cusip) == 9 for cusip in frame["cusip"])  # leading zeros kept
    client, server, recorded = replay("td", "instrument-1.json")
    assert client.get_instrument("7954505R2") == recorded
    one = client.get_instrument("7954505R2", output_format="pandas")
    assert one.index.name == frame.index.name == "symbol" and one.loc["7954505R2", "bondPrice"] == 99.86


# -- Schwab ------------------------------------------------------------------------------------------------


def test_schwab_quotes_nested_in_json_flat_in_pandas(replay):
    client, server, recorded = replay("schwab", "quotes-1.json")
    assert client.get_quotes(list(recorded)) == recorded
    assert server.requests[-1] == ("/marketdata/v1/quotes", {"symbols": ",".join(recorded)})
    frame = client.get_quotes(list(recorded), output_format="pandas")
    assert_typed(frame, QUOTES, client)
    aapl = recorded["AAPL"]
    assert frame.loc["AAPL", "lastPrice"] == aapl["quote"]["lastPrice"]
    assert frame.loc["AAPL", "52WkHigh"] == aapl["quote"]["52WeekHigh"]
    assert frame.loc["AAPL", "quoteTimeInLong"] == _moment(aapl["quote"]["quoteTime"], client)
    assert frame.loc["AAPL", "description"] == aapl["reference"]["description"]
    assert frame.loc["AAPL", "delayed"] == (not aapl["realtime"])
    assert str(frame.loc["AAPL", "divDate"].date()) == aapl["fundamental"]["divExDate"][:10]


def test_schwab_one_quote(replay):
    client, server, recorded = replay("schwab", "quote-1.json")
    assert client.get_quotes("INTC") == recorded
    assert client.get_quotes("INTC", output_format="pandas").loc["INTC", "cusip"] == \
        recorded["INTC"]["reference"]["cusip"]


def test_schwab_price_history(replay):
    client, server, recorded = replay("schwab", "pricehistory-1.json")
    assert client.get_price_history("AAPL", "year", frequency_type="monthly") == recorded["candles"]
    assert server.requests[-1][0] == "/marketdata/v1/pricehistory"
    frame = client.get_price_history("AAPL", "year", frequency_type="monthly", output_format="pandas")
    assert_typed(frame, CANDLES, client)
    assert [t.day for t in frame.index] == [1] * len(frame)  # monthly candles labelled by their first day


def test_schwab_movers(replay):
    client, server, recorded = replay("schwab", "movers-1.json")
    assert client.get_movers("$DJI", sort="VOLUME") == recorded
    frame = client.get_movers("$DJI", sort="VOLUME", output_format="pandas")
    assert_typed(frame, MOVERS, client)
    assert frame["last"].tolist() == [m["lastPrice"] for m in recorded["screeners"]]


@pytest.mark.parametrize("name, markets", [("markets-1.json", ["EQUITY", "OPTION"]), ("markets-2.json", "EQUITY")])
def test_schwab_market_hours(replay, name, markets):
    client, server, recorded = replay("schwab", name)
    assert client.get_market_hours(markets) == recorded
    frame = client.get_market_hours(markets, output_format="pandas")
    assert_typed(frame, HOURS, client)
    equity = frame[frame["product"] == "EQ"].iloc[0]
    assert (equity["preMarketStart"].hour, equity["regularMarketStart"].minute, equity["postMarketEnd"].hour) == \
        (7, 30, 20)


def test_schwab_fundamentals_and_cusip(replay):
    client, server, recorded = replay("schwab", "instruments-1.json")
    assert client.get_fundamentals("AAPL") == recorded
    frame = client.get_fundamentals("AAPL", output_format="pandas")
    assert_typed(frame, FUNDAMENTALS, client)
    assert str(frame.loc["AAPL", "dividendDate"].date()) == "2024-08-12"
    client, server, recorded = replay("schwab", "instrument-cusip-1.json")
    assert client.get_instrument("037833100") == recorded
    assert list(client.get_instrument("037833100", output_format="pandas").index) == ["AAPL"]


@pytest.mark.parametrize("name, status, error, words", [
    ("error-404-1.json", 404, ResourceNotFound, "Not Found"),
    ("error-toobigbody-1.json", 500, ServerError, "Body buffer overflow"),
    ("error-401-1.json", 403, ForbiddenAccess, "Client not authorized"),
])
def test_schwab_error_bodies_become_typed_errors_with_the_servers_words(replay, name, status, error, words):
    client, server, recorded = replay("schwab", name, status=status)
    with pytest.raises(error, match=words) as info:
        client.request("GET", "/marketdata/v1/chains", params={"symbol": "$SPX"})
    assert info.value.status == status and json.loads(info.value.body) == recorded


def test_schwab_401_body_names_the_reason():
    # a 401 makes the client refresh and retry, so its body is checked where it is read
    from pyTD.exceptions import error_message

    body = json.loads(recording("schwab", "error-401-1.json"))
    assert error_message(body) == "Unauthorized: Client not authorized"  # status is an int here, a string in 404s


def _moment(ms, client):
    import pandas as pd

    return pd.Timestamp(ms, unit="ms", tz="UTC").tz_convert(client.tz)
