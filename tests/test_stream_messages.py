"""Streamed messages in pyTD's words, offline: the captured Schwab frames, field tables, merging, folding."""

import glob
import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from pyTD.exceptions import StreamError, UnsupportedError
from pyTD.providers import get
from pyTD.providers.streaming import KINDS, field_numbers
from pyTD.stream.services import Catalog, Mailbox, State
from pyTD.stream.stream import check_streamer_url

from .schwab_spec import SHARED

FIXTURES = str(SHARED / "fixtures" / "schwab")
NEW_YORK = ZoneInfo("America/New_York")
SCHWAB = Catalog(get("schwab"))
TD = Catalog(get("td"))
TYPES = {"float": (int, float), "int": int, "str": str, "bool": bool, "time": datetime, "day": date,
         "obj": (list, dict)}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def parsed(name):
    """The messages of a captured frame, parsed as the stream parses them."""
    return [SCHWAB.message(entry)[1] for entry in fixture(name)["data"]]


def ms(value):
    return datetime.fromtimestamp(value / 1000, timezone.utc)


CAPTURES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIXTURES, "stream-*.json")))


def test_every_capture_is_found():
    assert len(CAPTURES) == 20


@pytest.mark.parametrize("name", CAPTURES)
def test_captured_frames_parse_to_names_of_the_documented_types(name):
    for message in parsed(name):
        assert message["timestamp"].tzinfo is timezone.utc
        assert message["data"]
        for record in message["data"]:
            assert not [key for key in record if key.isdigit()], "every field number is named"
            for key, value in record.items():
                kind = KINDS.get(key)
                if kind is None or value is None:
                    continue
                assert isinstance(value, TYPES[kind]), (key, value)
                assert not (kind in ("int", "float") and isinstance(value, bool)), key
                if kind == "time":
                    assert value.tzinfo is timezone.utc


def test_level_one_equities_capture():
    (message,) = parsed("stream-levelone-equities-1.json")
    assert message["service"] == "quotes"
    assert message["timestamp"] == ms(1715777956144)
    msft = message["data"][0]
    assert (msft["symbol"], msft["bidPrice"], msft["askPrice"], msft["lastPrice"]) == ("MSFT", 417.01, 417.08, 417.09)
    assert (msft["bidSize"], msft["askSize"], msft["askId"], msft["bidId"], msft["totalVolume"]) == (1, 0, "Z", "Z",
                                                                                                      162750)
    assert (msft["highPrice"], msft["lowPrice"], msft["closePrice"], msft["exchange"]) == (0, 0, 415.81, "Q")
    assert (msft["description"], msft["openPrice"], msft["netChange"]) == ("Microsoft Corp", 0, 1.28)
    assert (msft["52WkHigh"], msft["52WkLow"], msft["exchangeName"]) == (430.82, 307.59, "NASDAQ")
    assert msft["divDate"] == date(2024, 5, 15)
    assert msft["securityStatus"] == "Unknown" and msft["mark"] == 417.01
    assert msft["quoteTime"] == ms(1715777955574) and msft["tradeTime"] == ms(1715777953982)
    assert msft["regularMarketTradeTime"] == ms(1715716801392)
    assert (msft["askMICId"], msft["bidMICId"], msft["lastMICId"]) == ("BATS", "BATS", "XBOS")
    assert (msft["netPercentChange"], msft["shortable"], msft["postMarketPercentChange"]) == (0.3078329, 1, 0.3078329)
    assert (msft["delayed"], msft["assetMainType"], msft["cusip"]) == (True, "EQUITY", "594918104")


def test_chart_equity_uses_the_wire_order_not_the_guide():
    for name, symbol, sequence, ohlcv, minute, day in [
            ("stream-chart-equity-1.json", "MSFT", 779, (421.65, 421.79, 421.65, 421.755, 26), 1715903940000,
             date(2024, 5, 16)),
            ("stream-chart-equity-2.json", "AMD", 425, (221.133, 221.18, 221.02, 221.02, 11730), 1765307100000,
             date(2025, 12, 9))]:
        bar = parsed(name)[0]["data"][0]
        assert bar["symbol"] == symbol and bar["sequence"] == sequence
        assert (bar["open"], bar["high"], bar["low"], bar["close"], bar["volume"]) == ohlcv
        assert bar["chartTime"] == ms(minute) and bar["chartDay"] == day
        assert bar["chartTime"].astimezone(NEW_YORK).hour == (19 if sequence == 779 else 14)


def test_chart_futures_and_futures_and_forex_captures():
    bar = parsed("stream-chart-futures-1.json")[0]["data"][0]
    assert (bar["symbol"], bar["chartTime"], bar["open"], bar["close"], bar["volume"], bar["seq"]) == (
        "/ES", ms(1765307160000), 6858.25, 6858.5, 897, 2224)
    es = parsed("stream-levelone-futures-2.json")[0]["data"][0]
    assert (es["symbol"], es["bidPrice"], es["askPrice"], es["bidId"]) == ("/ES", 6879.25, 6879.75, "?")
    cl = parsed("stream-levelone-futures-1.json")[0]["data"][0]
    assert cl["futureActiveSymbol"].startswith("/CL") and isinstance(cl["futureIsTradable"], bool)
    assert isinstance(cl["futureExpirationDate"], datetime) and isinstance(cl["settlementDate"], datetime)
    fx = parsed("stream-levelone-forex-1.json")[0]["data"][0]
    assert (fx["symbol"], fx["bidPrice"], fx["askPrice"], fx["lastPrice"], fx["quoteTime"]) == (
        "EUR/USD", 1.1643, 1.16443, 1.164365, ms(1764971942013))


def test_futures_options_send_id_characters_as_numbers():
    record = parsed("stream-levelone-futures-options-1.json")[0]["data"][0]
    raw = fixture("stream-levelone-futures-options-1.json")["data"][0]["content"][0]
    assert raw["6"] == 63 and record["bidId"] == "?"
    assert record["underlying"] == raw["24"] and record["strikePrice"] == raw["25"]
    assert record["contractType"] == raw["28"] and record["exchangeName"] == raw["31"]


def test_options_capture():
    record = parsed("stream-levelone-options-1.json")[0]["data"][0]
    raw = fixture("stream-levelone-options-1.json")["data"][0]["content"][0]
    assert record["symbol"] == raw["key"] and record["description"] == raw["1"]
    assert (record["bidPrice"], record["strikePrice"], record["contractType"], record["underlying"]) == (
        raw["2"], raw["20"], raw["21"], raw["22"])
    assert record["quoteTime"] == ms(raw["38"]) and record["lastTradingDay"] == ms(raw["42"])
    assert (record["isPennyPilot"], record["optionRoot"], record["exerciseType"]) == (raw["48"], raw["49"], raw["55"])


@pytest.mark.parametrize("name,venue", [("stream-nyse-book-1.json", "NYSE"), ("stream-nasdaq-book-1.json", "NASDAQ"),
                                        ("stream-options-book-1.json", "OPTIONS")])
def test_book_captures(name, venue):
    raw = fixture(name)["data"][0]
    assert SCHWAB.find("book", venue).name == raw["service"]
    book = parsed(name)[0]["data"][0]
    assert book["bookTime"] == ms(raw["content"][0]["1"])
    level = book["bids"][0]
    first = raw["content"][0]["2"][0]
    assert (level["price"], level["size"], level["count"]) == (first["0"], first["1"], first["2"])
    maker = level["makers"][0]
    assert maker["id"] == first["3"][0]["0"] and maker["size"] == first["3"][0]["1"]
    # Quote times count milliseconds from midnight New York on the book's day.
    local = maker["time"].astimezone(NEW_YORK)
    assert (local.hour * 3600 + local.minute * 60 + local.second) * 1000 + local.microsecond // 1000 == \
        first["3"][0]["2"]
    assert local.date() == book["bookTime"].astimezone(local.tzinfo).date()


def test_screener_and_account_activity_captures():
    screen = parsed("stream-screener-equity-1.json")[0]["data"][0]
    assert (screen["symbol"], screen["sortField"], screen["frequency"]) == ("NYSE_VOLUME_5", "VOLUME", 5)
    assert screen["items"][0]["symbol"] == "XLF" and screen["snapshotTime"] == ms(1718996308700)
    assert SCHWAB.find("screener", keys=["OPTION_PUT_VOLUME_5"]).name == "SCREENER_OPTION"
    assert parsed("stream-screener-option-2.json")[0]["service"] == "screener"
    (message,) = parsed("stream-acct-activity-1.json")
    assert message["service"] == "account_activity"
    first = message["data"][0]
    assert (first["key"], first["messageType"], first["seq"]) == ("Account Activity", "ExecutionRequested", 7)
    assert json.loads(first["messageData"])["BaseEvent"]["EventType"] == "ExecutionRequested"
    assert [r["messageType"] for r in message["data"]] == ["ExecutionRequested", "ExecutionRequestCompleted",
                                                           "ExecutionCreated", "OrderUROutCompleted"]


# -- names and services --------------------------------------------------------------------------------------


def test_the_same_fact_has_the_same_name_on_both_providers():
    td, schwab = get("td").stream_services, get("schwab").stream_services
    assert td["QUOTE"].fields.index("lastPrice") == 3 and schwab["LEVELONE_EQUITIES"].fields.index("lastPrice") == 3
    assert td["QUOTE"].fields.index("highPrice") == 12 and schwab["LEVELONE_EQUITIES"].fields.index("highPrice") == 10
    assert td["QUOTE"].fields.index("tradeTime") == 51 and schwab["LEVELONE_EQUITIES"].fields.index("tradeTime") == 35
    assert td["CHART_EQUITY"].fields.index("open") == 1 and schwab["CHART_EQUITY"].fields.index("open") == 2
    assert td["LEVELONE_FUTURES"].fields.index("bidId") == 7 and schwab["LEVELONE_FUTURES"].fields.index("bidId") == 6
    common = set(td["QUOTE"].fields) & set(schwab["LEVELONE_EQUITIES"].fields)
    assert {"bidPrice", "askPrice", "lastPrice", "totalVolume", "quoteTime", "tradeTime", "mark", "divDate"} <= common
    for profile in (td, schwab):
        for service in profile.values():
            assert len(set(service.fields)) == len(service.fields), service.name
            assert all(name in KINDS or name == "shortable" for name in service.fields), service.name


@pytest.mark.parametrize("name,td,schwab", [
    ("quotes", "QUOTE", "LEVELONE_EQUITIES"), ("options", "OPTION", "LEVELONE_OPTIONS"),
    ("futures", "LEVELONE_FUTURES", "LEVELONE_FUTURES"), ("forex", "LEVELONE_FOREX", "LEVELONE_FOREX"),
    ("chart_equity", "CHART_EQUITY", "CHART_EQUITY"), ("chart_futures", "CHART_FUTURES", "CHART_FUTURES"),
    ("account_activity", "ACCT_ACTIVITY", "ACCT_ACTIVITY")])
def test_neutral_and_raw_service_names(name, td, schwab):
    assert TD.find(name).name == td and SCHWAB.find(name).name == schwab
    assert TD.find(td).neutral == name and SCHWAB.find(schwab.lower()).neutral == name


def test_books_need_a_venue_and_provider_only_services_are_refused_by_name():
    assert TD.find("book", "nyse").name == "LISTED_BOOK" and SCHWAB.find("book", "NYSE").name == "NYSE_BOOK"
    assert TD.find("book", "OPTIONS").name == "OPTIONS_BOOK"
    with pytest.raises(ValueError, match="venue= one of NYSE, NASDAQ, OPTIONS"):
        TD.find("book")
    assert TD.find("timesale_equity").name == "TIMESALE_EQUITY" and TD.find("news").name == "NEWS_HEADLINE"
    for catalog, name, who in [(SCHWAB, "news", "Charles Schwab"), (SCHWAB, "timesale_equity", "Charles Schwab"),
                               (SCHWAB, "QUOTE", "Charles Schwab"), (TD, "screener", "TD Ameritrade"),
                               (TD, "LEVELONE_EQUITIES", "TD Ameritrade"), (TD, "nonsense", "TD Ameritrade")]:
        with pytest.raises(UnsupportedError, match=who):
            catalog.find(name)


def test_fields_are_sorted_with_zero():
    quote = SCHWAB.find("quotes")
    assert field_numbers(quote, ["lastPrice", "bidPrice", 2, "33"]) == (0, 1, 2, 3, 33)
    assert field_numbers(quote, "lastPrice") == (0, 3)
    assert field_numbers(quote, None) == tuple(range(52))
    for bad in (["nonsense"], [52], [-1], [True]):
        with pytest.raises(ValueError, match="has no field"):
            field_numbers(quote, bad)


# -- merging and folding -----------------------------------------------------------------------------------------


def test_change_only_updates_merge_per_key_and_whole_records_replace():
    quote, book = SCHWAB.find("quotes"), SCHWAB.find("book", "NYSE")
    state = State()
    state.merge(quote, [{"symbol": "AAPL", "bidPrice": 1.0, "askPrice": 2.0}, {"symbol": "MSFT", "bidPrice": 5.0}])
    state.merge(quote, [{"symbol": "AAPL", "askPrice": 2.5}])
    assert state.records(quote) == {"AAPL": {"symbol": "AAPL", "bidPrice": 1.0, "askPrice": 2.5},
                                    "MSFT": {"symbol": "MSFT", "bidPrice": 5.0}}
    state.merge(book, [{"symbol": "F", "bids": [1]}])
    state.merge(book, [{"symbol": "F", "asks": [2]}])
    assert state.records(book) == {"F": {"symbol": "F", "asks": [2]}}
    state.forget(quote, ["AAPL"])
    assert list(state.records(quote)) == ["MSFT"]


def test_a_full_mailbox_folds_updates_per_key_and_warns_once(caplog):
    quote, activity = SCHWAB.find("quotes"), SCHWAB.find("account_activity")
    box = Mailbox(4)
    now = datetime.now(timezone.utc)
    for i in range(10):
        box.put(quote, {"service": "quotes", "timestamp": now, "data": [{"symbol": "AAPL", "lastPrice": i},
                                                                        {"symbol": "MSFT", "bidPrice": i}]})
        if i == 3:
            box.put(activity, {"service": "account_activity", "timestamp": now, "data": [{"key": "k", "seq": 1}]})
    assert len(box) <= 4
    messages = box.take(100)
    records = [r for m in messages for r in m["data"]]
    assert {"key": "k", "seq": 1} in records  # account activity is never folded away
    assert [r for r in records if r.get("symbol") == "AAPL"][-1]["lastPrice"] == 9
    assert box.dropped > 0
    warnings = [r for r in caplog.records if "slower than the stream" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
    with pytest.raises(ValueError):
        Mailbox(0)


def test_folding_merges_change_only_updates_so_no_field_is_lost():
    quote = SCHWAB.find("quotes")
    box = Mailbox(2)
    now = datetime.now(timezone.utc)
    for update in ({"symbol": "AAPL", "bidPrice": 1.0}, {"symbol": "AAPL", "askPrice": 2.0},
                   {"symbol": "AAPL", "lastPrice": 3.0}):
        box.put(quote, {"service": "quotes", "timestamp": now, "data": [update]})
    (message,) = box.take(10)
    assert message["data"] == [{"symbol": "AAPL", "bidPrice": 1.0, "askPrice": 2.0, "lastPrice": 3.0}]


def test_account_activity_that_cannot_fold_is_kept_without_refolding_on_every_message(monkeypatch):
    quote, activity, book = SCHWAB.find("quotes"), SCHWAB.find("account_activity"), SCHWAB.find("book", "NASDAQ")
    box = Mailbox(10)
    folds = []
    fold = Mailbox._fold
    monkeypatch.setattr(Mailbox, "_fold", lambda self: (folds.append(len(self.items)), fold(self)))
    now = datetime.now(timezone.utc)
    box.put(book, {"service": "book", "venue": "NASDAQ", "timestamp": now, "data": [{"symbol": "F"}]})
    box.put(book, {"service": "book", "venue": "NASDAQ", "timestamp": now, "data": [{"symbol": "F", "bids": []}]})
    for i in range(1000):
        box.put(activity, {"service": "account_activity", "timestamp": now, "data": [{"key": "k", "seq": i}]})
        box.put(quote, {"service": "quotes", "timestamp": now, "data": [{"symbol": "AAPL", "lastPrice": i}]})
    messages = box.take(10_000)
    assert [r["seq"] for m in messages if m["service"] == "account_activity" for r in m["data"]] == list(range(1000))
    assert len(folds) < 20  # folded as the queue doubled, not once per message
    assert [m.get("venue") for m in messages if m["service"] == "book"] == ["NASDAQ"]  # folded, venue kept


def test_streamer_urls_must_be_tls_except_on_loopback():
    check_streamer_url("wss://streamer-api.schwab.com/ws", "https://api.schwabapi.com")
    check_streamer_url("ws://127.0.0.1:5000/ws", "http://127.0.0.1:5001")
    check_streamer_url("ws://10.0.0.5:5000/ws", "http://10.0.0.5:5001")  # the user allowed plain http
    for url in ("ws://streamer-api.schwab.com/ws", "https://streamer-api.schwab.com/ws", "wss:///ws"):
        with pytest.raises(StreamError, match="wss://"):
            check_streamer_url(url, "https://api.schwabapi.com")


def test_importing_pytd_does_not_import_websockets_or_asyncio():
    code = ("import sys, pyTD, pyTD.api; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('websockets', 'asyncio') or m in ('pyTD.stream.stream', 'pyTD.stream.connection')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
