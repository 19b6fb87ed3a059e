"""The sandbox's streamer: a WebSocket server on loopback, started with the :class:`~pyTD.sandbox.Sandbox`.

It checks the LOGIN, keeps each connection's subscriptions, sends heartbeats and deterministic ticks for the
universe's symbols (change-only level one, chart bars, books, screeners, ...) and account activity that
:meth:`Streamer.publish_activity` hands it; and it misbehaves on request (:meth:`Streamer.close`,
:meth:`Streamer.stop_heartbeats`, :meth:`Streamer.refuse_login`, a second connection of the same user).

What each provider says on the wire (LOGIN, field numbers, errors) is in :mod:`pyTD.sandbox.td_stream` and
:mod:`pyTD.sandbox.schwab_stream`; this module is the plumbing both share. It needs websockets (the
``stream`` extra); without it, the sandbox serves everything but the streamer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

from pyTD.sandbox import market
from pyTD.sandbox.market import NEW_YORK, Option, Security

log = logging.getLogger("pyTD.sandbox")

Item = Dict[str, Any]  # one content item: {"key": ..., "1": ..., "seq": ...}
Facts = Dict[str, Any]  # what is true of a symbol now, in pyTD's field names

# Field numbers both providers use alike (td-trading.md §8, schwab-api.md §7).
FOREX = {"bidPrice": 1, "askPrice": 2, "lastPrice": 3, "bidSize": 4, "askSize": 5, "totalVolume": 6, "lastSize": 7,
         "quoteTime": 8, "tradeTime": 9, "highPrice": 10, "lowPrice": 11, "closePrice": 12, "exchange": 13,
         "description": 14, "openPrice": 15, "netChange": 16, "exchangeName": 18, "digits": 19,
         "securityStatus": 20, "mark": 29}
CHART_FUTURES = {"chartTime": 1, "open": 2, "high": 3, "low": 4, "close": 5, "volume": 6}
BOOK = {"bookTime": 1, "bids": 2, "asks": 3}


@dataclass
class StreamUser:
    """The sandbox's one user of an app, as the user-info answers show it."""

    client: str
    account: str
    customer_id: str
    correl_id: str
    cd_domain: str
    activity_key: str
    url: str


@dataclass
class StreamerToken:
    """TD: a streamer token, good while the access token it was issued with is."""

    name: str
    user: StreamUser
    access_token: str
    issued: int  # epoch seconds, as tokenTimestamp says


@dataclass
class StreamRequest:
    """A frame the streamer received: the connection's number, the text as sent, and its requests."""

    connection: int
    text: str = field(repr=False)
    requests: List[Dict[str, Any]]


@dataclass
class Session:
    """One WebSocket connection."""

    number: int
    ws: Any
    user: Optional[StreamUser] = None
    identity: Dict[str, Any] = field(default_factory=dict)
    subs: Dict[str, Tuple[List[str], Set[int]]] = field(default_factory=dict)  # service -> (keys, fields)
    sent: Dict[Tuple[str, str], Item] = field(default_factory=dict)  # last full level-one item per key
    ticks: int = 0
    seq: int = 0
    silent: bool = False
    idle_since: float = 0.0
    tasks: List[asyncio.Task[None]] = field(default_factory=list)


class Wire:
    """What one provider's streamer says; :mod:`pyTD.sandbox.td_stream` and ``schwab_stream`` fill it in.

    ``services`` maps the provider's service names to ``(kind, numbers)``: the kind of record it streams
    (``level1``, ``chart``, ``book``, ``screener``, ``timesale``, ``news``, ``activity``) and the field number
    of each fact it sends.
    """

    services: Dict[str, Tuple[str, Dict[str, int]]] = {}
    key_limit: Optional[int] = None
    book_maker_time = False  # a maker's third entry: a time (Schwab) or a sequence (TD)

    def login(self, request: Dict[str, Any], streamer: Streamer) -> Union[StreamUser, str]:
        """The user a LOGIN request logs in, or why it is denied."""
        raise NotImplementedError

    def identity(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """The identity fields of a request, compared with the LOGIN's."""
        raise NotImplementedError

    def response(self, request: Dict[str, Any], code: int, message: str) -> Dict[str, Any]:
        raise NotImplementedError

    def find(self, symbol: str) -> Union[Security, Option, None]:
        """The security or option a key names."""
        raise NotImplementedError

    async def second_stream(self, session: Session, request: Dict[str, Any], streamer: Streamer) -> None:
        """Refuse a second connection of a user who has one open."""
        raise NotImplementedError

    def activity(self, event: str, order: Any) -> Optional[Tuple[str, str]]:
        """The account-activity message (type, payload) of a paper order's event, or None if none is sent."""
        return None


class StreamUsers:
    """The users the user-info endpoints describe, and (TD) the streamer tokens they issue. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: Dict[str, StreamerToken] = {}
        self.url = ""
        self.accounts: Callable[[], List[str]] = list  # the paper broker's account numbers, the first primary

    def user(self, client: str) -> StreamUser:
        digest = hashlib.sha256(f"pyTD-sandbox:{client}".encode()).hexdigest()
        accounts = self.accounts()
        account = accounts[0] if accounts else str(10**8 + int(digest[:8], 16) % (9 * 10**8))
        return StreamUser(client=client, account=account,
                          customer_id=digest, correl_id=str(uuid.uuid5(uuid.NAMESPACE_URL, digest)),
                          cd_domain=f"A000000{int(digest[8:16], 16) % 10**8:08d}", activity_key=digest[16:48],
                          url=self.url)

    def issue(self, client: str, access_token: str) -> StreamerToken:
        """A new TD streamer token for the user of ``client``."""
        name = hashlib.sha256(f"{access_token}:{time.time_ns()}".encode()).hexdigest()[:40]
        token = StreamerToken(name, self.user(client), access_token, int(time.time()))
        with self._lock:
            self._tokens[name] = token
        return token

    def token_named(self, name: str) -> Optional[StreamerToken]:
        with self._lock:
            return self._tokens.get(name)


class Streamer(StreamUsers):
    """The streamer of a sandbox.

    Parameters
    ----------
    wire : Wire
        The provider's words.
    authority : pyTD.sandbox.oauth.Authority
        Whose access tokens the LOGIN must carry (or be issued for).
    tick_interval : float
        Seconds between ticks of each connection (each tick updates every subscribed key).
    heartbeat_interval : float
        Seconds between heartbeats.
    idle_stop : float
        A connection without subscriptions for this long is stopped (code 30), as the providers do.

    Attributes
    ----------
    requests : list of StreamRequest
        Every frame received, in order.
    exact_timestamps : bool
        Send the data's ``timestamp`` with microseconds (a float of milliseconds), to measure latency.
    """

    def __init__(self, wire: Wire, authority: Any, host: str = "127.0.0.1", *, tick_interval: float = 1.0,
                 heartbeat_interval: float = 10.0, idle_stop: float = 30.0) -> None:
        super().__init__()
        self.wire = wire
        self.authority = authority
        self.host = host
        self.tick_interval = tick_interval
        self.heartbeat_interval = heartbeat_interval
        self.idle_stop = idle_stop
        self.exact_timestamps = False
        self.requests: List[StreamRequest] = []
        self.opened = 0
        self._sessions: Dict[int, Session] = {}
        self._refusals = 0
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._server: Any = None

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on a free loopback port in a thread of its own."""
        try:
            from websockets.asyncio.server import serve
        except ImportError:
            log.info("The sandbox serves no streamer: websockets is not installed (pip install 'pytd-client[stream]')")
            return
        ready = threading.Event()
        self._loop = loop = asyncio.new_event_loop()

        async def listen() -> None:
            self._server = await serve(self._serve, self.host, 0, process_request=_only_ws, compression=None,
                                       max_size=2**20, ping_interval=None, logger=log)
            port = self._server.sockets[0].getsockname()[1]
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.url = f"ws://{host}:{port}/ws"
            ready.set()

        self._thread = threading.Thread(target=loop.run_forever, name="pyTD-sandbox-streamer", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(listen(), loop).result(10)
        ready.wait(10)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shut() -> None:
            self._server.close()
            for session in list(self._sessions.values()):
                session.ws.transport.abort()
            await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(shut(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
            self._loop = self._thread = None

    # -- what it saw ----------------------------------------------------------------------------------

    @property
    def connections(self) -> int:
        """Connections open now."""
        return len(self._sessions)

    def commands(self, command: Optional[str] = None, service: Optional[str] = None) -> List[Dict[str, Any]]:
        """The requests received (all, or of one command and service), in order."""
        return [r for frame in list(self.requests) for r in frame.requests if command in (None, r.get("command"))
                and service in (None, r.get("service"))]

    def subscriptions(self) -> List[Dict[str, List[str]]]:
        """Each open connection's subscriptions: ``{service: keys}``."""
        return [{name: list(keys) for name, (keys, _) in s.subs.items()} for s in list(self._sessions.values())]

    def last_sent(self, service: str, key: str) -> Item:
        """The full level-one item (field numbers) last streamed for a key, changes applied."""
        for session in list(self._sessions.values()):
            if (service, key) in session.sent:
                return dict(session.sent[(service, key)])
        raise KeyError((service, key))

    # -- how it misbehaves ----------------------------------------------------------------------------

    def close(self, code: int = 1006, reason: str = "") -> int:
        """Close every open connection with ``code`` (1006: drop it without a close frame); returns how many.

        Returns at once: the closing handshake goes on in the streamer's thread.
        """
        async def close_all() -> int:
            sessions = list(self._sessions.values())
            for session in sessions:
                if code == 1006:
                    session.ws.transport.abort()
                else:
                    asyncio.get_running_loop().create_task(session.ws.close(code, reason))
            return len(sessions)

        closed: int = self._run(close_all())
        return closed

    def send_raw(self, text: str) -> None:
        """Send ``text`` as a frame to every open connection (e.g. something that is not JSON)."""
        async def send_all() -> None:
            for session in list(self._sessions.values()):
                await session.ws.send(text)

        self._run(send_all())

    def stop_heartbeats(self) -> None:
        """Make the open connections go silent (no heartbeats, no data), as a half-open connection does."""
        for session in list(self._sessions.values()):
            session.silent = True

    def refuse_login(self, count: int = 1) -> None:
        """Deny the next ``count`` logins (code 3, "token is invalid or has expired"), then close."""
        self._refusals += count

    @property
    def running(self) -> bool:
        """Whether the streamer serves (it does once the sandbox starts, when websockets is installed)."""
        return self._loop is not None

    def publish_order_event(self, event: str, order: Any) -> None:
        """Publish a paper order's event as its provider's account activity (the broker's listener)."""
        message = self.wire.activity(event, order)
        if message is not None and self.running:
            self.publish_activity(*message, account=order.account)

    def publish_activity(self, message_type: str, message_data: str, account: Optional[str] = None) -> int:
        """Stream an account-activity message to every connection subscribed to it (of ``account``'s user).

        The paper broker calls this for each order event: ``message_type`` such as ``"OrderFill"`` (TD) or
        ``"OrderFillCompleted"`` (Schwab), ``message_data`` the provider's payload (TD: XML; Schwab: a JSON
        string). Returns the number of connections it went to.
        """
        async def publish() -> int:
            sent = 0
            for session in list(self._sessions.values()):
                sub = session.subs.get("ACCT_ACTIVITY")
                user = session.user
                if sub is None or user is None or (account is not None and account != user.account):
                    continue
                session.seq += 1
                item = {"seq": session.seq, "key": sub[0][0] if sub[0] else user.activity_key, "1": user.account,
                        "2": message_type, "3": message_data}
                await self._send(session, {"data": [self._entry("ACCT_ACTIVITY", [item])]})
                sent += 1
            return sent

        result: int = self._run(publish())
        return result

    def _run(self, coroutine: Any) -> Any:
        if self._loop is None:
            raise RuntimeError("The sandbox's streamer is not running (is websockets installed?)")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # -- serving --------------------------------------------------------------------------------------

    async def _serve(self, ws: Any) -> None:
        self.opened += 1
        session = Session(self.opened, ws)
        self._sessions[session.number] = session
        try:
            async for text in ws:
                frame = _decode(text)
                requests = frame.get("requests", [frame]) if isinstance(frame, dict) else []
                self.requests.append(StreamRequest(session.number, text, [r for r in requests if isinstance(r, dict)]))
                for request in requests:
                    if isinstance(request, dict):
                        await self._command(session, request)
        except Exception:  # noqa: BLE001 - a dropped client is normal here
            log.debug("Sandbox stream %d ended", session.number, exc_info=True)
        finally:
            for task in session.tasks:
                task.cancel()
            self._sessions.pop(session.number, None)

    async def _command(self, session: Session, request: Dict[str, Any]) -> None:
        command = str(request.get("command", "")).upper()
        service = str(request.get("service", "")).upper()
        if command == "LOGIN" and service == "ADMIN":
            await self._login(session, request)
            return
        if session.user is None or self.wire.identity(request) != session.identity:
            await self.answer(session, request, 20, "STREAM CONNECTION NOT FOUND - Please login again.")
            return
        if command == "LOGOUT":
            await self.answer(session, request, 0, "SUCCESS")
            await session.ws.close(1000, "logged out")
            return
        if service not in self.wire.services:
            await self.answer(session, request, 11, f"SERVICE_NOT_AVAILABLE: {service}")
            return
        parameters = request.get("parameters") or {}
        keys = [k for k in str(parameters.get("keys", "")).split(",") if k]
        fields = {int(f) for f in str(parameters.get("fields", "")).split(",") if f.strip().isdigit()}
        held, held_fields = session.subs.get(service, ([], set()))
        if command == "SUBS":
            new_keys, new_fields = keys, fields
        elif command == "ADD":
            new_keys, new_fields = held + [k for k in keys if k not in held], fields or held_fields
        elif command == "UNSUBS":
            new_keys, new_fields = [k for k in held if k not in keys], held_fields
        elif command == "VIEW":
            new_keys, new_fields = held, fields
        else:
            await self.answer(session, request, 21, f"BAD_COMMAND_FORMAT: {command}")
            return
        if self.wire.key_limit is not None and len(new_keys) > self.wire.key_limit:
            await self.answer(session, request, 19, f"REACHED_SYMBOL_LIMIT: {len(new_keys)} keys")
            return
        if new_keys:
            session.subs[service] = (new_keys, new_fields)
        else:
            session.subs.pop(service, None)
            session.idle_since = time.monotonic()
        for key in [k for (s, k) in session.sent if s == service and k not in new_keys or command == "SUBS"]:
            session.sent.pop((service, key), None)  # a new SUBS starts with whole records again
        await self.answer(session, request, 0, f"{command} command succeeded")

    async def _login(self, session: Session, request: Dict[str, Any]) -> None:
        user = self.wire.login(request, self)
        if isinstance(user, StreamUser) and self._refusals > 0:
            self._refusals -= 1
            user = "Login Denied.: token is invalid or has expired."
        if not isinstance(user, StreamUser):
            await self.answer(session, request, 3, user)
            await session.ws.close(1000, "login denied")
            return
        if any(s.user == user for s in self._sessions.values() if s is not session):
            await self.wire.second_stream(session, request, self)
            return
        session.user, session.identity = user, self.wire.identity(request)
        session.idle_since = time.monotonic()
        await self.answer(session, request, 0, "server=pyTD-sandbox;status=NP")
        loop = asyncio.get_running_loop()
        session.tasks += [loop.create_task(self._heartbeats(session)), loop.create_task(self._ticks(session))]

    async def answer(self, session: Session, request: Dict[str, Any], code: int, message: str) -> None:
        await self._send(session, {"response": [self.wire.response(request, code, message)]})

    async def _send(self, session: Session, frame: Dict[str, Any]) -> None:
        try:
            await session.ws.send(json.dumps(frame))
        except Exception:  # noqa: BLE001 - the client went away; its handler cleans up
            log.debug("Sandbox stream %d: send failed", session.number, exc_info=True)

    async def _heartbeats(self, session: Session) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            if not session.silent:
                await self._send(session, {"notify": [{"heartbeat": str(int(time.time() * 1000))}]})

    async def _ticks(self, session: Session) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due += self.tick_interval
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                due = loop.time() if wait < -1 else due  # far behind: do not burst to catch up
                await asyncio.sleep(0)
            if session.silent:
                continue
            if not session.subs:
                if time.monotonic() - session.idle_since >= self.idle_stop:
                    await self._send(session, {"notify": [{"service": "ADMIN", "timestamp": _ms(),
                                                           "content": {"code": 30, "msg": "Stop streaming due to "
                                                                                          "empty subscription"}}]})
                    session.ws.transport.abort()
                    return
                continue
            session.ticks += 1
            entries = [self._entry(service, items) for service, items in self._tick(session) if items]
            if entries:
                await self._send(session, {"data": entries})

    def _entry(self, service: str, items: List[Item]) -> Dict[str, Any]:
        stamp: Union[int, float] = round(time.time() * 1000, 3) if self.exact_timestamps else _ms()
        return {"service": service, "timestamp": stamp, "command": "SUBS", "content": items}

    # -- what the ticks say ---------------------------------------------------------------------------

    def _tick(self, session: Session) -> List[Tuple[str, List[Item]]]:
        stamp = _ms()
        out = []
        for service, (keys, fields) in list(session.subs.items()):
            kind, numbers = self.wire.services[service]
            make = KINDS.get(kind)
            if make is None:
                continue
            items = []
            for key in keys:
                item = make(self, session, service, key, numbers, fields, stamp)
                if item is not None:
                    items.append(item)
            out.append((service, items))
        return out

    def _quote(self, session: Session, key: str, stamp: int) -> Optional[Facts]:
        found = self.wire.find(key)
        if found is None:
            return None
        return option_facts(found, session.ticks, stamp) if isinstance(found, Option) else \
            quote_facts(found, session.ticks, stamp)

    def level_one(self, session: Session, service: str, key: str, numbers: Dict[str, int], fields: Set[int],
                  stamp: int) -> Optional[Item]:
        facts = self._quote(session, key, stamp)
        if facts is None:
            return None
        whole = numbered(facts, numbers, fields)
        before = session.sent.get((service, key))
        session.sent[(service, key)] = whole
        if before is None:  # the first record of a key is whole
            return {"key": key, **whole, "delayed": False}
        changed = {number: value for number, value in whole.items() if before.get(number) != value}
        return {"key": key, **changed} if changed else None

    def chart(self, session: Session, service: str, key: str, numbers: Dict[str, int], fields: Set[int],
              stamp: int) -> Optional[Item]:
        found = self.wire.find(key)
        if not isinstance(found, Security):
            return None
        minute = stamp // 60000 * 60 + 60 * session.ticks  # one bar a tick, one simulated minute apart
        bar = market.candle(found.symbol, minute, 60)
        facts = {"open": bar["open"], "high": bar["high"], "low": bar["low"], "close": bar["close"],
                 "volume": float(bar["volume"]), "sequence": session.ticks, "chartTime": minute * 1000,
                 "chartDay": minute // 86400}
        return {"seq": session.ticks, "key": key, **numbered(facts, numbers, fields)}

    def book(self, session: Session, service: str, key: str, numbers: Dict[str, int], fields: Set[int],
             stamp: int) -> Optional[Item]:
        facts = self._quote(session, key, stamp)
        if facts is None:
            return None
        moment = datetime.fromtimestamp(stamp / 1000, NEW_YORK)  # the makers' times count from New York's midnight
        since_midnight = ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1000 + moment.microsecond // 1000
        tick = 0.01

        def levels(start: float, step: float) -> List[Dict[str, Any]]:
            return [{"0": round(start + i * step, 2), "1": 100 * (i + 1), "2": 1,
                     "3": [{"0": "NSDQ", "1": 100 * (i + 1), "2": since_midnight if self.wire.book_maker_time
                            else session.ticks * 10 + i}]} for i in range(3)]

        book = {"bookTime": stamp, "bids": levels(facts["bidPrice"], -tick), "asks": levels(facts["askPrice"], tick)}
        return {"key": key, **numbered(book, numbers, fields)}

    def screener(self, session: Session, service: str, key: str, numbers: Dict[str, int], fields: Set[int],
                 stamp: int) -> Optional[Item]:
        """Key ``(PREFIX)_(SORTFIELD)_(FREQUENCY)``, e.g. ``NYSE_VOLUME_5``; the universe's most active stocks."""
        head, _, frequency = key.rpartition("_")
        sort = next((name for name in SORTS if head.endswith("_" + name)), "VOLUME")
        prefix = head[:-len(sort) - 1]
        members = market.INDEX_MEMBERS.get(prefix) or tuple(
            s for s in market.EQUITIES if market.UNIVERSE[s].exchange == prefix) or market.EQUITIES
        quotes = market.movers(members, stamp)[:10]
        total = sum(q.volume for q in quotes) or 1
        rows = [{"symbol": q.symbol, "description": q.security.description, "lastPrice": q.last,
                 "netChange": q.change, "netPercentChange": round(q.percent_change / 100, 8),
                 "marketShare": round(q.volume / total * 100, 8), "totalVolume": q.volume, "volume": q.volume // 50,
                 "trades": q.volume // 500} for q in quotes]
        facts = {"snapshotTime": stamp, "sortField": sort, "frequency": int(frequency) if frequency.isdigit() else 0,
                 "items": rows}
        return {"key": key, **numbered(facts, numbers, fields)}

    def timesale(self, session: Session, service: str, key: str, numbers: Dict[str, int], fields: Set[int],
                 stamp: int) -> Optional[Item]:
        found = self.wire.find(key)
        if not isinstance(found, Security):
            return None
        facts = quote_facts(found, session.ticks, stamp)
        sale = {"tradeTime": stamp, "lastPrice": facts["lastPrice"], "lastSize": facts["lastSize"],
                "lastSequence": session.ticks}
        return {"seq": session.ticks, "key": key, **numbered(sale, numbers, fields)}

    def news(self, session: Session, service: str, key: str, numbers: Dict[str, int], fields: Set[int],
             stamp: int) -> Optional[Item]:
        found = self.wire.find(key)
        if not isinstance(found, Security):
            return None
        story = f"{key}-{session.ticks}"
        facts = {"errorCode": 0, "storyTime": stamp, "headlineId": story, "status": "U",
                 "headline": f"{found.description}: pyTD sandbox headline {session.ticks}", "storyId": story,
                 "keywordCount": 1, "keywords": key, "isHot": False, "storySource": "pyTD"}
        return {"seq": session.ticks, "key": key, **numbered(facts, numbers, fields)}


SORTS = ("PERCENT_CHANGE_DOWN", "PERCENT_CHANGE_UP", "AVERAGE_PERCENT_VOLUME", "VOLUME", "TRADES")
Maker = Callable[[Streamer, Session, str, str, Dict[str, int], Set[int], int], Optional[Item]]
KINDS: Dict[str, Maker] = {"level1": Streamer.level_one, "chart": Streamer.chart, "book": Streamer.book,
                           "screener": Streamer.screener, "timesale": Streamer.timesale, "news": Streamer.news}


def numbered(facts: Facts, numbers: Dict[str, int], fields: Set[int]) -> Item:
    """The facts the provider numbers and the client asked for, as ``{"number": value}``."""
    return {str(number): facts[name] for name, number in numbers.items() if number in fields and name in facts}


def quote_facts(security: Security, tick: int, stamp: int) -> Facts:
    """A security's level-one quote at a tick: the price moves a few ticks around the day's last price."""
    q = market.quote(security, stamp)
    places = market.digits(security)
    step = 10 ** -places
    salt = int(market.number(security.symbol, "tick", 0, 1000))
    last = round(q.last + step * ((tick * 7919 + salt) % 21 - 10), places)
    spread = step if q.bid else 0.0
    return {"symbol": security.symbol, "bidPrice": round(last - spread, places),
            "askPrice": round(last + spread, places),
            "lastPrice": last, "bidSize": 100 * (1 + tick % 7), "askSize": 100 * (1 + tick * 3 % 5),
            "askId": "Q", "bidId": "Q", "totalVolume": q.volume + 100 * tick, "lastSize": 100,
            "highPrice": max(q.high, last), "lowPrice": min(q.low, last), "closePrice": q.close,
            "openPrice": q.open, "netChange": round(last - q.close, places), "exchange": "Q",
            "description": security.description, "exchangeName": security.exchange, "securityStatus": "Normal",
            "mark": last, "quoteTime": stamp, "tradeTime": stamp, "digits": places,
            "netPercentChange": round((last - q.close) / q.close, 8),
            "futureActiveSymbol": market.front_month(security.symbol, market.utc_today())[0]
            if security.asset_type == "FUTURE" else ""}


def option_facts(contract: Option, tick: int, stamp: int) -> Facts:
    """An option's level-one quote at a tick."""
    last = round(max(0.01, contract.value + 0.01 * ((tick * 7919) % 11 - 5)), 2)
    half = contract.spread / 2
    day = contract.expiration
    return {"description": contract.description, "bidPrice": max(0.0, round(last - half, 2)),
            "askPrice": round(last + half, 2), "lastPrice": last,
            "highPrice": round(max(last, contract.value * 1.05), 2),
            "lowPrice": round(min(last, contract.value * 0.95), 2), "closePrice": contract.close,
            "totalVolume": contract.volume + tick, "openInterest": contract.open_interest,
            "volatility": round(contract.sigma * 100, 3), "moneyIntrinsicValue": contract.intrinsic,
            "expirationYear": day.year, "multiplier": 100.0, "openPrice": contract.close, "bidSize": 10 + tick % 5,
            "askSize": 12, "lastSize": 1, "netChange": round(last - contract.close, 2),
            "strikePrice": contract.strike, "contractType": contract.put_call[0],
            "underlying": contract.underlying.symbol, "expirationMonth": day.month,
            "timeValue": round(max(0.0, last - contract.intrinsic), 2), "expirationDay": day.day,
            "daysToExpiration": contract.days, "delta": round(contract.delta, 4), "gamma": round(contract.gamma, 4),
            "theta": round(contract.theta, 4), "vega": round(contract.vega, 4), "rho": round(contract.rho, 4),
            "securityStatus": "Normal", "underlyingPrice": contract.underlying_price, "mark": last,
            "quoteTime": stamp, "tradeTime": stamp}


def _ms() -> int:
    return int(time.time() * 1000)


def _decode(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _only_ws(connection: Any, request: Any) -> Any:
    """Serve the streamer at ``/ws`` only, as the providers do."""
    if request.path != "/ws":
        return connection.respond(404, "Not Found\n")
    return None


def timestamp_text(seconds: int) -> str:
    """TD's ``tokenTimestamp``: ``2020-05-22T02:12:48+0000``."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")

