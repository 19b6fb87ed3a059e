"""Streaming over real WebSockets against the sandbox's streamer, on both providers: the login, subscriptions,
field names, merging, every fault recovered, and nothing left behind."""

import asyncio
import json
import logging
import os
import signal
import threading
import time
from urllib.parse import urlencode

import pytest

from pyTD.exceptions import StreamError, UnsupportedError
from pyTD.sandbox import schwab_stream, td_stream
from pyTD.stream import Stream

from .conftest import schwab_only, td_only

FAST = dict(heartbeat_timeout=2, reconnect_delay=0.01, max_reconnect_delay=0.05, timeout=5)
WIRE = {"td": td_stream, "schwab": schwab_stream}
QUOTES = {"td": "QUOTE", "schwab": "LEVELONE_EQUITIES"}


@pytest.fixture
def sb(sandbox):
    """The sandbox with a fast streamer: a tick every 20 ms, a heartbeat every 50 ms."""
    sandbox.streamer.tick_interval = 0.02
    sandbox.streamer.heartbeat_interval = 0.05
    return sandbox


def run(coroutine, seconds=30):
    return asyncio.run(asyncio.wait_for(coroutine, seconds))


async def collect(stream, count, service=None):
    """The next ``count`` messages (of ``service`` only, when given)."""
    found = []
    async for message in stream:
        if service is None or message["service"] == service:
            found.append(message)
            if len(found) == count:
                return found
    return found


async def until(stream, predicate, limit=500):
    """Messages up to and including the first one ``predicate`` accepts."""
    seen = []
    async for message in stream:
        seen.append(message)
        if predicate(message) or len(seen) >= limit:
            return seen
    return seen


def subs_of(sb, connection=None):
    """The SUBS requests the streamer received, as (connection, service, keys, fields)."""
    return [(frame.connection, r["service"], r["parameters"]["keys"], r["parameters"].get("fields"))
            for frame in sb.streamer.requests for r in frame.requests
            if r.get("command") == "SUBS" and (connection is None or frame.connection == connection)]


# -- logging in ----------------------------------------------------------------------------------------------


@td_only
def test_td_login_is_the_credential_object_byte_for_byte(sb, logged_in, provider):
    principals = logged_in.request("GET", "/userprincipals",
                                   params={"fields": "streamerSubscriptionKeys,streamerConnectionInfo"})
    info, account = principals["streamerInfo"], principals["accounts"][0]

    async def main():
        async with Stream(logged_in, **FAST):
            pass

    run(main())
    login = sb.streamer.requests[0].text
    stamp = int(__import__("datetime").datetime.strptime(info["tokenTimestamp"], "%Y-%m-%dT%H:%M:%S%z")
                .timestamp() * 1000)
    credential = (f"userid={account['accountId']}&token={info['token']}&company={account['company']}"
                  f"&segment={account['segment']}&cddomain={account['accountCdDomainId']}"
                  f"&usergroup={info['userGroup']}&accesslevel={info['accessLevel']}&authorized=Y"
                  f"&timestamp={stamp}&appid={info['appId']}&acl={info['acl']}")
    assert login != principals  # a new streamer token is issued per user-info request
    tokens = json.loads(login)["requests"][0]["parameters"]["token"]
    credential = credential.replace(info["token"], tokens)
    assert login == (
        '{"requests": [{"service": "ADMIN", "command": "LOGIN", "requestid": "0", '
        f'"account": "{account["accountId"]}", "source": "{info["appId"]}", "parameters": '
        f'{{"credential": "{credential}", "token": "{tokens}", "version": "1.0"}}}}]}}')
    assert urlencode(dict(p.split("=") for p in credential.split("&"))) == credential
    assert sb.streamer.requests[-1].requests[0]["command"] == "LOGOUT"


@td_only
@pytest.mark.parametrize("as_sent", [str, int])
def test_the_td_sandbox_takes_the_account_as_text_or_number(sb, logged_in, provider, as_sent):
    """tda-api sends the account_id it was given, an int; TD's own samples, text."""
    from websockets.asyncio.client import connect

    principals = logged_in.request("GET", "/userprincipals",
                                   params={"fields": "streamerSubscriptionKeys,streamerConnectionInfo"})
    info, account = principals["streamerInfo"], principals["accounts"][0]
    stamp = int(__import__("datetime").datetime.strptime(info["tokenTimestamp"], "%Y-%m-%dT%H:%M:%S%z")
                .timestamp() * 1000)
    credential = urlencode({"userid": account["accountId"], "token": info["token"], "company": account["company"],
                            "segment": account["segment"], "cddomain": account["accountCdDomainId"],
                            "usergroup": info["userGroup"], "accesslevel": info["accessLevel"], "authorized": "Y",
                            "timestamp": stamp, "appid": info["appId"], "acl": info["acl"]})
    login = {"service": "ADMIN", "command": "LOGIN", "requestid": "0", "account": as_sent(account["accountId"]),
             "source": info["appId"], "parameters": {"credential": credential, "token": info["token"],
                                                     "version": "1.0"}}

    async def main():
        async with connect(f"ws://{info['streamerSocketUrl']}/ws") as ws:
            await ws.send(json.dumps({"requests": [login]}))
            return json.loads(await ws.recv())

    answer = run(main())
    assert answer["response"][0]["content"]["code"] == 0, answer


@schwab_only
def test_schwab_login_carries_the_access_token_and_the_user_preference_ids(sb, logged_in, provider):
    preference = logged_in.request("GET", "/trader/v1/userPreference")
    info = preference["streamerInfo"][0]
    assert info["streamerSocketUrl"] == sb.streamer.url

    async def main():
        async with Stream(logged_in, **FAST):
            pass

    run(main())
    assert sb.streamer.requests[0].text == (
        '{"requests": [{"service": "ADMIN", "command": "LOGIN", "requestid": "0", '
        f'"SchwabClientCustomerId": "{info["schwabClientCustomerId"]}", '
        f'"SchwabClientCorrelId": "{info["schwabClientCorrelId"]}", '
        f'"parameters": {{"Authorization": "{logged_in.access_token}", "SchwabClientChannel": "N9", '
        '"SchwabClientFunctionId": "APIAPP"}}]}')
    logout = sb.streamer.requests[-1].requests[0]
    assert (logout["command"], logout["parameters"], logout["SchwabClientCorrelId"]) == (
        "LOGOUT", {}, info["schwabClientCorrelId"])


def test_subscribe_sends_sorted_fields_with_zero_and_upper_case_keys(sb, logged_in, provider):
    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("quotes", "aapl msft", fields=["lastPrice", "bidPrice", "askPrice"])
            message = (await collect(s, 1, "quotes"))[0]
            return s.subscriptions, message

    subscriptions, message = run(main())
    assert subs_of(sb) == [(1, QUOTES[provider], "AAPL,MSFT", "0,1,2,3")]
    assert subscriptions == {"quotes": {"keys": ["AAPL", "MSFT"], "fields": ["symbol", "bidPrice", "askPrice",
                                                                           "lastPrice"]}}
    assert message["timestamp"].tzinfo is not None
    assert {r["symbol"] for r in message["data"]} == {"AAPL", "MSFT"}
    assert set(message["data"][0]) == {"symbol", "bidPrice", "askPrice", "lastPrice", "delayed"}


# -- field names and merging -------------------------------------------------------------------------------------


SERVICES = {  # service, symbol, the sandbox's numbers table
    "td": [("quotes", "AAPL", "LEVEL_ONE", None), ("options", "MSFT_{option}", "OPTION", None),
           ("futures", "/ES", "FUTURES", None), ("forex", "EUR/USD", "FOREX", None)],
    "schwab": [("quotes", "AAPL", "LEVEL_ONE", None), ("options", "MSFT  {option}", "OPTION", None),
               ("futures", "/ES", "FUTURES", None), ("forex", "EUR/USD", "FOREX", None)],
}


def option_symbol(provider):
    from datetime import date

    from pyTD.sandbox import market
    from pyTD.sandbox import schwab as schwab_sandbox
    from pyTD.sandbox import td as td_sandbox

    security = market.UNIVERSE["MSFT"]
    day = market.expirations(date.today())[0]
    contract = market.option(security, "CALL", day, 420.0, date.today())
    return td_sandbox.option_symbol(contract) if provider == "td" else schwab_sandbox.option_symbol(contract)


@pytest.mark.parametrize("service,table", [("quotes", "LEVEL_ONE"), ("options", "OPTION"), ("futures", "FUTURES"),
                                           ("forex", "FOREX")])
def test_level_one_fields_are_named_and_change_only_updates_are_merged(sb, logged_in, provider, service, table):
    symbol = {"quotes": "AAPL", "options": option_symbol(provider), "futures": "/ES", "forex": "EUR/USD"}[service]
    numbers = getattr(WIRE[provider], table)

    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe(service, [symbol])
            messages = await collect(s, 8, service)
            wire_name = s.catalog.find(service).name
            return messages, s.state(service), sb.streamer.last_sent(wire_name, symbol), \
                s.state(service, output_format="pandas")

    messages, state, sent, frame = run(main())
    first, later = messages[0]["data"][0], [m["data"][0] for m in messages[1:]]
    assert first["symbol"] == symbol and len(first) > 10
    assert any(len(record) < len(first) for record in later), "later updates carry changed fields only"
    record = state[symbol]
    for name, number in numbers.items():  # every fact the sandbox sent, under its name
        if str(number) in sent:
            value = record[name]
            if name in ("quoteTime", "tradeTime"):
                value = int(value.timestamp() * 1000 + 0.5)
            elif name in ("askId", "bidId"):
                pass
            assert value == sent[str(number)], name
    assert frame.index.tolist() == [symbol]
    assert str(frame["lastPrice"].dtype) == "float64"
    if "quoteTime" in numbers:
        assert str(frame["quoteTime"].dtype).startswith("datetime64[ns, America/New_York")


def test_charts_books_and_provider_services(sb, logged_in, provider):
    wanted = [("chart_equity", ["AAPL"], {}), ("chart_futures", ["/ES"], {}), ("book", ["MSFT"], {"venue": "NASDAQ"})]
    wanted += [("timesale_equity", ["AAPL"], {}), ("news", ["AAPL"], {})] if provider == "td" else \
        [("screener", ["NYSE_VOLUME_5"], {})]

    async def main():
        async with Stream(logged_in, **FAST) as s:
            for service, symbols, options in wanted:
                await s.subscribe(service, symbols, **options)
            seen, venues = {}, {}
            async for message in s:
                seen.setdefault(message["service"], message["data"][0])
                venues[message["service"]] = message.get("venue")
                if len(seen) == len(wanted):
                    return seen, venues

    seen, venues = run(main())
    assert venues["book"] == "NASDAQ" and venues["chart_equity"] is None
    bar = seen["chart_equity"]
    assert bar["symbol"] == "AAPL" and bar["low"] <= bar["open"] <= bar["high"]
    assert bar["chartTime"].second == 0 and isinstance(bar["sequence"], int) and bar["chartDay"].year > 2000
    assert seen["chart_futures"]["symbol"] == "/ES" and seen["chart_futures"]["chartTime"].tzinfo is not None
    book = seen["book"]
    assert book["bids"][0]["price"] < book["asks"][0]["price"] and book["bids"][0]["makers"][0]["id"] == "NSDQ"
    if provider == "schwab":  # a maker's time counts from New York's midnight, summer and winter
        assert abs((book["bids"][0]["makers"][0]["time"] - book["bookTime"]).total_seconds()) < 1
    if provider == "td":
        assert seen["timesale_equity"]["lastPrice"] > 0 and "AAPL" in seen["news"]["keywords"]
    else:
        assert seen["screener"]["sortField"] == "VOLUME" and seen["screener"]["frequency"] == 5
        assert seen["screener"]["items"][0]["symbol"]


def test_add_and_unsubscribe(sb, logged_in, provider):
    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("quotes", ["AAPL"], fields=["lastPrice"])
            await s.add("quotes", ["MSFT", "AAPL"])
            await until(s, lambda m: any(r["symbol"] == "MSFT" for r in m["data"]))
            await s.unsubscribe("quotes", ["AAPL"])
            await collect(s, 3, "quotes")
            after = await collect(s, 5, "quotes")
            return s.subscriptions, s.state("quotes"), after

    subscriptions, state, after = run(main())
    commands = [(r["command"], r["parameters"].get("keys"), r["parameters"].get("fields"))
                for r in sb.streamer.commands(service=QUOTES[provider])]
    added = ("SUBS", "AAPL,MSFT", "0,3") if provider == "td" else ("ADD", "MSFT", "0,3")  # TD: QUOTE is SUBS-only
    assert commands == [("SUBS", "AAPL", "0,3"), added, ("UNSUBS", "AAPL", None)]
    assert subscriptions == {"quotes": {"keys": ["MSFT"], "fields": ["symbol", "lastPrice"]}}
    assert list(state) == ["MSFT"]
    assert {r["symbol"] for m in after for r in m["data"]} == {"MSFT"}


def test_account_activity_is_published_and_parsed(sb, logged_in, provider):
    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("account_activity")
            await asyncio.sleep(0.05)
            assert sb.streamer.publish_activity("OrderFill", "<OrderFillMessage/>") == 1
            return (await collect(s, 1, "account_activity"))[0]

    message = run(main())
    (request,) = sb.streamer.commands("SUBS", "ACCT_ACTIVITY")
    user = sb.streamer.user(logged_in.client_id)
    key = user.activity_key if provider == "td" else "Account Activity"
    assert request["parameters"] == {"keys": key, "fields": "0,1,2,3"}
    assert message["data"] == [{"seq": 1, "key": key, "accountNumber": user.account, "messageType": "OrderFill",
                                "messageData": "<OrderFillMessage/>"}]


def test_the_paper_brokers_fills_stream_as_account_activity(sb, logged_in, provider):
    from pyTD.orders import equity_buy_limit, equity_buy_market

    account = logged_in.profile.account_id(logged_in.get_accounts()[0])
    below = round(float(logged_in.get_quotes("AAPL", output_format="pandas").loc["AAPL", "lastPrice"]) * 0.95, 2)

    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("account_activity")
            await asyncio.sleep(0.05)
            filled = await asyncio.to_thread(logged_in.place_order, account, equity_buy_market("AAPL", 2))
            working = await asyncio.to_thread(logged_in.place_order, account, equity_buy_limit("AAPL", 1, below))
            await asyncio.to_thread(logged_in.cancel_order, account, working)
            return filled, working, await collect(s, 4, "account_activity")

    filled, working, messages = run(main())
    events = [(item["messageType"], str(item["accountNumber"])) for m in messages for item in m["data"]]
    kinds = {"td": ["OrderEntryRequest", "OrderFill", "OrderEntryRequest", "UROUT"],
             "schwab": ["OrderCreated", "OrderFillCompleted", "OrderCreated", "OrderUROutCompleted"]}[provider]
    assert events == [(kind, account) for kind in kinds]
    payloads = [item["messageData"] for m in messages for item in m["data"]]
    assert str(filled) in payloads[1] and "AAPL" in payloads[1] and str(working) in payloads[3]


# -- faults ------------------------------------------------------------------------------------------------------


FAULTS = {
    "close 1000": lambda sb: sb.streamer.close(1000),
    "close 1001": lambda sb: sb.streamer.close(1001, "Idle Timeout"),
    "close 1006": lambda sb: sb.streamer.close(1006),
    "close 1011": lambda sb: sb.streamer.close(1011),
    "close 4000": lambda sb: sb.streamer.close(4000),
    "heartbeats stop": lambda sb: sb.streamer.stop_heartbeats(),
    "login refused once": lambda sb: (sb.streamer.refuse_login(1), sb.streamer.close(1001)),
    "token expired": lambda sb: (sb.expire_access_tokens(), sb.streamer.close(1001)),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_recovered_with_every_subscription_once(sb, logged_in, provider, fault):
    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("quotes", ["AAPL", "MSFT"], fields=["bidPrice", "lastPrice"])
            await s.subscribe("chart_equity", ["AAPL"])
            await s.add("chart_equity", ["MSFT"])
            await collect(s, 2, "quotes")
            refreshes = len(sb.token_requests)
            FAULTS[fault](sb)
            seen = await until(s, lambda m: m["service"] == "reconnected")
            after = await collect(s, 4)
            return seen[-1], after, refreshes, s.reconnects

    notice, after, refreshes, reconnects = run(main())
    assert notice["service"] == "reconnected" and notice["timestamp"].tzinfo is not None
    assert notice["data"][0]["attempts"] >= 1 and notice["data"][0]["reason"]
    assert reconnects == 1
    assert {m["service"] for m in after} <= {"quotes", "chart_equity"} and after
    second = max(frame.connection for frame in sb.streamer.requests)
    assert sorted(subs_of(sb, second)) == sorted([
        (second, QUOTES[provider], "AAPL,MSFT", "0,1,3"), (second, "CHART_EQUITY", "AAPL,MSFT", "0,1,2,3,4,5,6,7,8")])
    assert len(sb.streamer.commands("LOGIN")) == (3 if fault == "login refused once" else 2)
    if fault in ("login refused once", "token expired"):
        assert len(sb.token_requests) == refreshes + 1  # one refresh, through the client's cache
    else:
        assert len(sb.token_requests) == refreshes
    assert sb.streamer.connections == 0


def test_reconnected_means_the_subscriptions_are_in_place(sb, logged_in, provider, monkeypatch):
    """The notice comes once the streamer answered the subscriptions sent again, not merely once they were sent
    (here the streamer takes 0.3 s over each SUBS)."""
    from pyTD.sandbox.streamer import Streamer

    command = Streamer._command

    async def slowly(self, session, request):
        if request.get("command") == "SUBS":
            await asyncio.sleep(0.3)
        await command(self, session, request)

    monkeypatch.setattr(Streamer, "_command", slowly)

    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("quotes", ["AAPL", "MSFT"])
            await s.subscribe("chart_equity", ["AAPL"])
            await collect(s, 1, "quotes")
            sb.streamer.close(1011)
            await until(s, lambda m: m["service"] == "reconnected")
            return sb.streamer.subscriptions()

    subscribed = run(main())
    assert {QUOTES[provider]: ["AAPL", "MSFT"], "CHART_EQUITY": ["AAPL"]} in [
        {service: sorted(keys) for service, keys in subs.items()} for subs in subscribed]


def test_a_close_as_soon_as_the_stream_opened_is_recovered(sb, logged_in, provider):
    """Before any data arrived: on TD a close 1000 then may be its one-stream rule, but once is retried."""
    async def main():
        async with Stream(logged_in, **FAST) as s:
            sb.streamer.close(1000)
            await s.subscribe("quotes", ["AAPL"])
            seen = await until(s, lambda m: m["service"] == "reconnected")
            return seen[-1], await collect(s, 1, "quotes")

    notice, quotes = run(main())
    assert notice["service"] == "reconnected" and quotes[0]["data"][0]["symbol"] == "AAPL"


def test_missed_heartbeats_are_noticed_after_three_heartbeats_time(sb, logged_in, provider):
    """With the default heartbeat_timeout (60 s): the streamer beats every 50 ms, so a second's silence is enough."""
    async def main():
        async with Stream(logged_in, reconnect_delay=0.01, max_reconnect_delay=0.05, timeout=5) as s:
            await s.subscribe("quotes", ["AAPL"])
            await asyncio.sleep(0.3)  # a few heartbeats
            await collect(s, 1, "quotes")
            sb.streamer.stop_heartbeats()
            started = time.monotonic()
            seen = await until(s, lambda m: m["service"] == "reconnected")
            return seen[-1], time.monotonic() - started

    notice, waited = run(main(), 20)
    assert "missed heartbeats" in notice["data"][0]["reason"] and waited < 10


def test_a_subscription_made_while_reconnecting_is_sent_once(sb, logged_in, provider):
    async def main():
        async with Stream(logged_in, heartbeat_timeout=5, reconnect_delay=0.3, max_reconnect_delay=0.3) as s:
            await s.subscribe("quotes", ["AAPL"])
            await collect(s, 1)
            sb.streamer.close(1011)
            await asyncio.sleep(0.1)  # dropped, not yet back
            await s.subscribe("chart_equity", ["MSFT"])
            await until(s, lambda m: m["service"] == "reconnected")
            await collect(s, 2, "chart_equity")

    run(main())
    assert sorted((svc, keys) for _, svc, keys, _ in subs_of(sb, 2)) == [("CHART_EQUITY", "MSFT"),
                                                                        (QUOTES[provider], "AAPL")]


def test_a_second_stream_of_the_same_user_is_a_stream_error(sb, logged_in, provider):
    async def main():
        async with Stream(logged_in, **FAST) as first:
            await first.subscribe("quotes", ["AAPL"])
            with pytest.raises(StreamError, match="one .*stream") as caught:
                async with Stream(logged_in, **FAST):
                    pass
            await collect(first, 2)  # the first stream is unharmed
            return str(caught.value)

    message = run(main())
    assert "close the other" in message and logged_in.access_token not in message


def test_stop_streaming_code_30_is_a_stream_error_saying_what_to_do(sb, logged_in, provider):
    sb.streamer.idle_stop = 0.2

    async def main():
        async with Stream(logged_in, **FAST) as s:
            with pytest.raises(StreamError, match="code 30.*keep at least one subscription"):
                await collect(s, 1)

    run(main())


def test_undecodable_frames_are_skipped_and_the_decoder_is_pluggable(sb, logged_in, provider, caplog):
    decoded = []

    def decoder(text):
        decoded.append(text)
        return json.loads(text)

    async def main():
        async with Stream(logged_in, decoder=decoder, **FAST) as s:
            await s.subscribe("quotes", ["AAPL"])
            await collect(s, 1)
            sb.streamer.send_raw('{"data": [{"service": "NEWS_HEADLINE", "content": [{"5": "He said "hi""}]}]}')
            await collect(s, 2)

    with caplog.at_level(logging.WARNING, "pyTD"):
        run(main())
    assert decoded and any("cannot be decoded" in r.getMessage() for r in caplog.records)


def test_a_slow_consumer_gets_the_latest_state_and_a_warning(sb, logged_in, provider, caplog):
    sb.streamer.tick_interval = 0.005

    async def main():
        async with Stream(logged_in, max_queue=3, **FAST) as s:
            await s.subscribe("quotes", ["AAPL", "MSFT", "IBM"], fields=["lastPrice", "totalVolume"])
            await collect(s, 1)
            await asyncio.sleep(0.5)  # a handler that takes its time: the stream keeps reading
            waiting = len(s._mailbox)
            dropped = s.dropped
            state = s.state("quotes")
            return waiting, dropped, state, s.catalog.find("quotes").name

    with caplog.at_level(logging.WARNING, "pyTD"):
        waiting, dropped, state, name = run(main())
    assert waiting <= 4 and dropped > 0
    assert any("slower than the stream" in r.getMessage() for r in caplog.records)
    assert set(state) == {"AAPL", "MSFT", "IBM"}


# -- the sync facade, Ctrl-C and close() ---------------------------------------------------------------------------


def stream_threads():
    return [t for t in threading.enumerate() if t.name == "pyTD-stream" or t.name.startswith("asyncio_")]


def sockets():
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def settle(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_sync_loop_and_break_leave_nothing_behind(sb, logged_in, provider):
    logged_in.request("GET", "/trader/v1/userPreference" if provider == "schwab" else "/userprincipals")
    before = sockets()
    messages = []
    feed = logged_in.stream("quotes", ["AAPL", "MSFT"], fields=["lastPrice"], **FAST)
    for message in feed:
        messages.append(message)
        if len(messages) == 5:
            break
    assert feed.state("quotes")["AAPL"]["lastPrice"] > 0
    feed.close()
    assert {m["service"] for m in messages} == {"quotes"}
    assert not stream_threads()
    assert settle(lambda: sb.streamer.connections == 0)
    assert settle(lambda: sockets() <= before)
    assert sb.streamer.commands("LOGOUT")


@pytest.fixture
def ctrl_c():
    """Ctrl-C raises KeyboardInterrupt, even where the suite was started with SIGINT ignored (in the background)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_while_waiting_leaves_no_thread_or_socket(sb, logged_in, provider, ctrl_c):
    logged_in.request("GET", "/trader/v1/userPreference" if provider == "schwab" else "/userprincipals")
    before = sockets()
    feed = logged_in.stream("quotes", ["AAPL"], **FAST)
    next(feed)
    sb.streamer.tick_interval = 60  # nothing more arrives: the loop waits in next()
    timer = threading.Timer(0.3, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        while True:
            next(feed)
    timer.join()
    assert not stream_threads()
    assert settle(lambda: sb.streamer.connections == 0)
    assert settle(lambda: sockets() <= before)
    with pytest.raises(StopIteration):
        next(feed)


def test_close_leaves_no_task_thread_or_socket(sb, logged_in, provider):
    logged_in.request("GET", "/trader/v1/userPreference" if provider == "schwab" else "/userprincipals")
    before = sockets()

    async def main():
        s = Stream(logged_in, **FAST)
        await s.open()
        await s.subscribe("quotes", ["AAPL"])
        await collect(s, 2)
        await s.close()
        await s.close()  # twice is fine
        assert [m async for m in s] == []
        others = [t for t in asyncio.all_tasks() if not t.done()
                  and t.get_coro().__qualname__.startswith(("Stream.", "Connection."))]
        with pytest.raises(StreamError, match="closed"):
            await s.subscribe("quotes", ["MSFT"])
        return others

    assert run(main()) == []
    assert not stream_threads()
    assert settle(lambda: sb.streamer.connections == 0)
    assert settle(lambda: sockets() <= before)


def test_the_sync_loop_works_inside_a_running_event_loop_like_jupyter(sb, logged_in, provider):
    async def cell():
        assert asyncio.get_running_loop().is_running()
        for message in logged_in.stream("quotes", "AAPL", **FAST):
            return message

    message = run(cell())
    assert message["service"] == "quotes" and message["data"][0]["symbol"] == "AAPL"
    assert not stream_threads()


def test_run_calls_the_handler_until_it_returns_false(sb, logged_in, provider):
    seen = []

    def handler(message):
        seen.append(message)
        return len(seen) < 3

    Stream(logged_in, **FAST).run(handler, "quotes", ["AAPL"])
    assert len(seen) == 3 and not stream_threads()

    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("quotes", ["MSFT"])
            got = []

            async def handle(message):
                got.append(message)
                return len(got) < 2

            await s.run(handle)
            return got

    assert len(run(main())) == 2


def test_ctrl_c_in_a_run_handler_closes_the_stream(sb, logged_in, provider):
    def handler(message):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Stream(logged_in, **FAST).run(handler, "quotes", ["AAPL"])
    assert not stream_threads()
    assert settle(lambda: sb.streamer.connections == 0)


# -- bad input ---------------------------------------------------------------------------------------------------


def test_bad_arguments_are_refused_before_anything_is_sent(sb, logged_in, provider):
    for options in ({"heartbeat_timeout": 0}, {"reconnect_delay": -1}, {"timeout": "10"}, {"max_queue": 0}):
        with pytest.raises(ValueError):
            Stream(logged_in, **options)

    async def main():
        s = Stream(logged_in, **FAST)
        with pytest.raises(StreamError, match="not open"):
            await s.subscribe("quotes", ["AAPL"])
        async with s:
            with pytest.raises(ValueError, match="has no field"):
                await s.subscribe("quotes", ["AAPL"], fields=["nonsense"])
            with pytest.raises(ValueError, match="needs symbols"):
                await s.subscribe("quotes")
            with pytest.raises(ValueError, match="venue"):
                await s.subscribe("book", ["AAPL"])
            other = "screener" if provider == "td" else "news"
            with pytest.raises(UnsupportedError, match="TD Ameritrade" if provider == "td" else "Charles Schwab"):
                await s.subscribe(other, ["AAPL"])
            with pytest.raises(ValueError, match="output_format"):
                s.state("quotes", output_format="csv")

    run(main())
    assert sb.streamer.commands("SUBS") == []


@schwab_only
def test_more_keys_than_schwab_allows_are_refused_clearly(sb, logged_in, provider):
    async def main():
        async with Stream(logged_in, **FAST) as s:
            with pytest.raises(ValueError, match="at most 500 keys"):
                await s.subscribe("quotes", [f"S{i}" for i in range(501)])
            await s.subscribe("quotes", [f"S{i}" for i in range(300)])
            with pytest.raises(ValueError, match="at most 500 keys"):
                await s.add("quotes", [f"T{i}" for i in range(201)])
            return s.subscriptions

    assert len(run(main())["quotes"]["keys"]) == 300
    assert len(sb.streamer.commands("SUBS")) == 1 and not sb.streamer.commands("ADD")


@td_only
def test_td_expired_account_activity_key_reconnects_for_a_new_one(sb, logged_in, provider):
    async def main():
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("account_activity")
            await asyncio.sleep(0.05)
            sb.streamer.publish_activity("ERROR", "EXPIRED_KEY")
            seen = await until(s, lambda m: m["service"] == "reconnected")
            return [m["service"] for m in seen]

    assert run(main())[-2:] == ["account_activity", "reconnected"]
    assert len(sb.streamer.commands("SUBS", "ACCT_ACTIVITY")) == 2


def test_cli_stream_prints_one_line_per_update_until_the_count(sb, monkeypatch, capsys, provider, config_dir):
    import webbrowser

    from pyTD.cli import main

    from .conftest import CLIENT_SECRET, CONSUMER_KEY, callback_for
    from .test_cli import stand_in_browser

    settings = {"TD_PROVIDER": provider, "TD_CONSUMER_KEY": CONSUMER_KEY, "TD_CALLBACK_URL": callback_for(provider),
                "TD_CONFIG_DIR": config_dir, "TD_AUTH_URL": sb.auth_url, "TD_API_URL": sb.api_url,
                "TD_CLIENT_SECRET": CLIENT_SECRET}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(webbrowser, "open", stand_in_browser(config_dir))
    assert main(["login"]) == 0
    capsys.readouterr()
    assert main(["stream", "aapl,MSFT", "--count", "4"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) >= 4 and {line.split()[1] for line in lines} == {"AAPL", "MSFT"}
    assert all(" last " in line and " bid " in line and " volume " in line for line in lines)
    assert not stream_threads() and err == ""


def test_a_login_refused_as_the_stream_opens_is_retried_once_with_a_fresh_token(sb, logged_in, provider):
    async def main(refusals):
        sb.streamer.refuse_login(refusals)
        async with Stream(logged_in, **FAST) as s:
            await s.subscribe("quotes", ["AAPL"])
            return (await collect(s, 1))[0]

    refreshes = len(sb.token_requests)
    assert run(main(1))["service"] == "quotes"
    assert len(sb.token_requests) == refreshes + 1
    with pytest.raises(StreamError, match="refused the login with a fresh access token") as caught:
        run(main(2))
    assert logged_in.access_token not in str(caught.value)
