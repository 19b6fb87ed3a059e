"""The stream: subscriptions that survive reconnects, parsed messages, merged state.

::

    async with Stream(a) as s:
        await s.subscribe("quotes", ["AAPL", "MSFT"])
        async for message in s:
            print(message["data"])

One task reads the connection; when it ends, the same task reconnects (backoff with jitter, a fresh
token, LOGIN, every subscription once) and goes on reading.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pyTD.checks import Symbols, symbol_list
from pyTD.config import is_loopback
from pyTD.exceptions import RateLimitError, ServerError, StreamError, TDConnectionError
from pyTD.fetch import check_output_format
from pyTD.frames import Table
from pyTD.providers.streaming import KINDS, StreamService, field_numbers
from pyTD.redact import printable
from pyTD.stream.connection import ONE_STREAM, STOPPED, Connection, Decoder, Dropped, LoginRefused, one_stream, stopped
from pyTD.stream.services import Catalog, Mailbox, Message, Record, State, reconnected
from pyTD.stream.sync import Feed

if TYPE_CHECKING:
    from pyTD.client import Client

log = logging.getLogger("pyTD")

SUCCEEDED = (0, 26, 27, 28, 29)  # SUCCESS and Schwab's SUCCEEDED_COMMAND_*
RETRYABLE = (Dropped, TDConnectionError, ServerError, RateLimitError)
Handler = Callable[[Message], Any]


@dataclass
class Subscription:
    """What one service is subscribed to: its keys (in order, once each) and field numbers."""

    service: StreamService
    keys: Dict[str, None]
    fields: Tuple[int, ...]


class _Refused(Exception):
    """LOGIN denied; ``token`` is the access token that was used."""

    def __init__(self, token: str, message: str) -> None:
        super().__init__(message)
        self.token = token


class _Renew(Exception):
    """End this connection and reconnect (TD's account-activity key expired)."""


class Stream:
    """A live stream from the provider's WebSocket streamer.

    Parameters
    ----------
    api : pyTD.api.api
        The logged-in client: its provider, tokens and time zone.
    account : str, optional
        TD: the account to stream (default: the only or the primary one). Schwab streams per user.
    heartbeat_timeout : float
        Reconnect when nothing, not even a heartbeat, arrived for three heartbeats' time (at least a
        second), or for this many seconds at most (and until two heartbeats were seen).
    reconnect_delay, max_reconnect_delay : float
        The first delay before reconnecting, doubling up to the maximum, each with random jitter.
    max_queue : int
        Messages held for a slow consumer; beyond it, waiting updates are folded into the latest record
        per symbol, with a WARNING counting them.
    timeout : float
        Seconds to wait for the connection, the LOGIN's answer or a request's answer.
    decoder : callable
        Turns a frame's text into JSON values (default :func:`json.loads`); may raise ValueError to skip one.

    Examples
    --------
    >>> async with Stream(a) as s:  # doctest: +SKIP
    ...     await s.subscribe("quotes", ["AAPL", "MSFT"], fields=["bidPrice", "askPrice", "lastPrice"])
    ...     async for message in s:
    ...         print(message["service"], message["data"])
    """

    def __init__(self, api: Client, *, account: Optional[str] = None, heartbeat_timeout: float = 60.0,
                 reconnect_delay: float = 0.5, max_reconnect_delay: float = 60.0, max_queue: int = 1000,
                 timeout: float = 10.0, decoder: Decoder = json.loads) -> None:
        for name, value in (("heartbeat_timeout", heartbeat_timeout), ("reconnect_delay", reconnect_delay),
                            ("max_reconnect_delay", max_reconnect_delay), ("timeout", timeout)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds; got {value!r}")
        self.api = api
        self.profile = api.profile
        self.catalog = Catalog(api.profile)
        self.account = account
        self.heartbeat_timeout = float(heartbeat_timeout)
        self.reconnect_delay = float(reconnect_delay)
        self.max_reconnect_delay = float(max_reconnect_delay)
        self.timeout = float(timeout)
        self.decoder = decoder
        self.reconnects = 0
        self._mailbox = Mailbox(max_queue)
        self._state = State()
        self._subs: Dict[str, Subscription] = {}
        self._conn: Optional[Connection] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._lock: Optional[asyncio.Lock] = None
        self._ready: Optional[asyncio.Event] = None
        self._pump: Optional[asyncio.Task[None]] = None
        self._pending: Dict[str, asyncio.Future[Optional[Dict[str, Any]]]] = {}
        self._failure: Optional[BaseException] = None
        self._closed = False
        self._closed_early = False  # the last connection closed before anything arrived

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._loop else "new"
        return f"<Stream {self.profile.name} {state}, {len(self._subs)} services>"

    # -- opening and closing ----------------------------------------------------------------------------

    async def __aenter__(self) -> Stream:
        await self.open()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def open(self) -> None:
        """Fetch the streamer's details, connect and log in (``async with`` does this).

        Raises
        ------
        StreamError
            If the streamer refuses for a reason reconnecting cannot fix (another stream is open).
        TDConnectionError
            If the streamer cannot be reached.
        AuthorizationError
            If there is no usable login.
        """
        if self._closed:
            raise StreamError("This Stream was closed: make a new one")
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._lock, self._ready = asyncio.Lock(), asyncio.Event()
        try:
            conn = await self._first_connection()
        except BaseException:
            self._loop = self._lock = self._ready = None
            raise
        self._conn = conn
        self._pump = self._loop.create_task(self._run(conn), name="pyTD-stream")

    async def _first_connection(self) -> Connection:
        try:
            try:
                return await self._connect(None)
            except _Refused as exc:  # the token may have expired on the server first: one fresh try
                return await self._connect(exc.token)
        except _Refused as exc:
            raise StreamError(f"{self.profile.title}'s streamer refused the login with a fresh access token: "
                              f"{exc}. Log in again (python -m pyTD login --provider {self.profile.name})") from None
        except Dropped as exc:
            raise TDConnectionError(f"Cannot stream from {self.profile.title}: {exc}") from None

    async def close(self) -> None:
        """Log out, close the connection and end the iteration. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.logout(min(self.timeout, 2.0))
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            try:
                await self._pump
            except (asyncio.CancelledError, Exception):  # noqa: S110 - the stream is over either way
                pass
        self._settle_pending()
        self._wake()

    # -- subscriptions ----------------------------------------------------------------------------------

    @property
    def subscriptions(self) -> Dict[str, Dict[str, Any]]:
        """What is subscribed: ``{service: {"keys": [...], "fields": [...]}}`` by pyTD's field names."""
        return {sub.service.neutral if sub.service.venue is None else f"{sub.service.neutral}:{sub.service.venue}":
                {"keys": list(sub.keys), "fields": [sub.service.fields[n] for n in sub.fields]}
                for sub in self._subs.values()}

    async def subscribe(self, service: str, symbols: Optional[Symbols] = None, fields: Optional[Sequence[Any]] = None,
                        *, venue: Optional[str] = None) -> None:
        """Subscribe a service to exactly these symbols (SUBS: replaces the service's earlier subscription).

        Parameters
        ----------
        service : str
            ``"quotes"``, ``"options"``, ``"futures"``, ``"forex"``, ``"chart_equity"``, ``"chart_futures"``,
            ``"book"`` (with ``venue``), ``"account_activity"``, TD's ``"timesale_equity"`` and ``"news"``,
            Schwab's ``"screener"``, or the provider's own name (``"LEVELONE_EQUITIES"``).
        symbols : str or list of str
            Symbols (upper-cased); screener keys such as ``"NYSE_VOLUME_5"``. None for account activity.
        fields : list of str or int, optional
            pyTD's field names (or the provider's numbers); default all. They are sent sorted, with 0.
        venue : str, optional
            Books: ``"NYSE"``, ``"NASDAQ"`` or ``"OPTIONS"``; screeners: ``"EQUITY"`` or ``"OPTIONS"``.

        Raises
        ------
        UnsupportedError
            If the provider has no such service.
        ValueError
            For an unknown field, no symbols, or more symbols than the provider allows per service.
        StreamError
            If the streamer refused the subscription.
        """
        sub = self._subscription(service, symbols, fields, venue)
        async with self._guard():
            previous = self._subs.get(sub.service.name)
            self._subs[sub.service.name] = sub
            if previous is not None:
                self._state.forget(sub.service, [key for key in previous.keys if key not in sub.keys])
            await self._send(sub, "SUBS", list(sub.keys), previous)

    async def add(self, service: str, symbols: Optional[Symbols] = None, fields: Optional[Sequence[Any]] = None, *,
                  venue: Optional[str] = None) -> None:
        """Add symbols (and fields) to a service's subscription, keeping what it had.

        Takes the parameters of :meth:`subscribe`. Where the provider has no ADD for the service (TD's
        level-one services), or the fields change, the whole subscription is sent again with SUBS.
        """
        wanted = self._subscription(service, symbols, fields, venue)
        async with self._guard():
            previous = self._subs.get(wanted.service.name)
            if previous is None:
                self._subs[wanted.service.name] = wanted
                await self._send(wanted, "SUBS", list(wanted.keys), None)
                return
            numbers = previous.fields if fields is None else tuple(sorted(set(previous.fields) | set(wanted.fields)))
            new = [key for key in wanted.keys if key not in previous.keys]
            if not new and numbers == previous.fields:
                return
            merged = Subscription(wanted.service, {**previous.keys, **dict.fromkeys(new)}, numbers)
            self._check_limit(merged.service, list(merged.keys))
            self._subs[wanted.service.name] = merged
            if wanted.service.add and numbers == previous.fields:
                await self._send(merged, "ADD", new, previous)
            else:
                await self._send(merged, "SUBS", list(merged.keys), previous)

    async def unsubscribe(self, service: str, symbols: Optional[Symbols] = None, *,
                          venue: Optional[str] = None) -> None:
        """Stop symbols of a service (UNSUBS); all of them when ``symbols`` is None.

        A provider stops a stream that has had no subscriptions for about 30 seconds (code 30).
        """
        found = self.catalog.find(service, venue, self._keys_given(symbols))
        async with self._guard():
            previous = self._subs.get(found.name)
            if previous is None:
                return
            if symbols is None or not found.symbols:
                removed = list(previous.keys)
                del self._subs[found.name]
            else:
                removed = [key for key in self._keys(found, symbols) if key in previous.keys]
                left = {key: None for key in previous.keys if key not in removed}
                if left:
                    self._subs[found.name] = Subscription(found, left, previous.fields)
                else:
                    del self._subs[found.name]
            if not removed:
                return
            self._state.forget(found, removed)
            await self._send(Subscription(found, dict.fromkeys(removed), ()), "UNSUBS", removed, previous)

    def _subscription(self, service: str, symbols: Optional[Symbols], fields: Optional[Sequence[Any]],
                      venue: Optional[str]) -> Subscription:
        found = self.catalog.find(service, venue, self._keys_given(symbols))
        keys = self._keys(found, symbols)
        self._check_limit(found, keys)
        return Subscription(found, dict.fromkeys(keys), field_numbers(found, fields))

    @staticmethod
    def _keys_given(symbols: Optional[Symbols]) -> List[str]:
        try:
            return symbol_list(symbols) if symbols is not None else []
        except ValueError:
            return []

    def _keys(self, service: StreamService, symbols: Optional[Symbols]) -> List[str]:
        if not service.symbols:
            return [""]  # the login says the key (TD's subscription key, or Schwab's free text)
        if symbols is None:
            raise ValueError(f"{service.neutral} needs symbols")
        return [self.profile.symbol(symbol) for symbol in symbol_list(symbols)]

    def _check_limit(self, service: StreamService, keys: Sequence[str]) -> None:
        limit = self.profile.stream_key_limit
        if limit is not None and len(keys) > limit:
            raise ValueError(f"{self.profile.title} streams at most {limit} keys per service; {service.neutral} "
                             f"would have {len(keys)}: open a second Stream in another login, or subscribe to fewer")

    async def _send(self, sub: Subscription, command: str, keys: List[str], previous: Optional[Subscription]) -> None:
        """Send a subscription command if connected (otherwise the reconnect sends it); undo it if refused."""
        conn = self._conn
        if conn is None:
            return
        requestid = conn.next_id()
        future = asyncio.get_running_loop().create_future()
        self._pending[requestid] = future
        try:
            await conn.send_requests([self._request(conn, sub, command, keys, requestid)])
        except Dropped:  # the reconnect sends every subscription again, this one included
            self._pending.pop(requestid, None)
            return
        try:
            content = await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:
            log.warning("No answer to %s %s within %g s", command, sub.service.name, self.timeout)
            return
        finally:
            self._pending.pop(requestid, None)
        if content is None or content.get("code") in SUCCEEDED:
            return
        if previous is None:
            self._subs.pop(sub.service.name, None)
        elif command != "UNSUBS":
            self._subs[sub.service.name] = previous
        raise StreamError(f"{self.profile.title} refused {command} {sub.service.name}: "
                          f"{printable(str(content.get('msg', '')))} (code {content.get('code')})")

    def _request(self, conn: Connection, sub: Subscription, command: str, keys: List[str],
                 requestid: str) -> Dict[str, Any]:
        if not sub.service.symbols:
            keys = [conn.login.activity_key]
        parameters = {"keys": ",".join(keys)}
        if command != "UNSUBS":
            parameters["fields"] = ",".join(map(str, sub.fields))
        return self.profile.stream_request(conn.login, sub.service.name, command, requestid, parameters)

    def _guard(self) -> asyncio.Lock:
        if self._closed:
            raise StreamError("This Stream was closed: make a new one")
        if self._lock is None:
            raise StreamError("The stream is not open: use `async with Stream(api) as s:` (or `await s.open()`)")
        return self._lock

    # -- reading ----------------------------------------------------------------------------------------

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> Message:
        batch = await self.next_batch(1)
        if not batch:
            raise StopAsyncIteration
        return batch[0]

    async def next_batch(self, most: int = 1000) -> List[Message]:
        """Up to ``most`` waiting messages, waiting for one; ``[]`` once the stream is closed.

        Raises
        ------
        StreamError
            If the stream ended for a reason reconnecting cannot fix.
        """
        while True:
            if self._mailbox:
                return self._mailbox.take(most)
            if self._failure is not None:
                raise self._failure
            if self._closed:
                return []
            if self._ready is None:
                raise StreamError("The stream is not open: use `async with Stream(api) as s:` (or `await s.open()`)")
            self._ready.clear()
            await self._ready.wait()

    def _wake(self) -> None:
        if self._ready is not None:
            self._ready.set()

    async def _run(self, conn: Connection) -> None:
        """Read the connection; when it drops, reconnect and read the new one, until closed or a fatal error."""
        try:
            while True:
                reason = await self._read(conn)
                if self._closed:
                    return
                conn = await self._reconnect(reason)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._failure = exc
            await conn.abort()  # the streamer may have left it open
            self._conn = None
            self._wake()

    async def _read(self, conn: Connection) -> str:
        """Handle the connection's frames until it ends; return why it ended."""
        watchdog = asyncio.get_running_loop().create_task(conn.watch(self.heartbeat_timeout))
        try:
            for frame in conn.early:
                self._handle(frame)
            while True:
                frame = await conn.recv()
                if not conn.established:
                    conn.established, self._closed_early = True, False
                self._handle(frame)
                if self._mailbox:
                    await asyncio.sleep(0)  # let the consumer run between frames
        except Dropped as exc:
            if self._closed:
                return ""
            if conn.silent:
                return f"nothing arrived for {conn.window(self.heartbeat_timeout):g} s (missed heartbeats)"
            fatal = self.profile.stream_closed(exc.code, exc.reason, conn.established)
            if fatal and not conn.established and not self._closed_early:
                # Once may be the server's hiccup; closed again as soon as open, it is the provider's rule.
                self._closed_early = True
                return str(exc)
            if fatal:
                raise StreamError(fatal) from None
            return str(exc)
        except _Renew as exc:
            await conn.abort()
            return str(exc)
        finally:
            watchdog.cancel()
            if self._conn is conn:
                self._conn = None
            self._settle_pending()

    def _handle(self, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        for entry in frame.get("notify") or ():
            if isinstance(entry, dict) and "heartbeat" not in entry:
                self._notice(entry)
        for entry in frame.get("response") or ():
            if isinstance(entry, dict):
                self._answer(entry)
        for kind in ("data", "snapshot"):
            for entry in frame.get(kind) or ():
                if isinstance(entry, dict):
                    self._deliver(entry)

    def _deliver(self, entry: Dict[str, Any]) -> None:
        found = self.catalog.message(entry)
        if found is None:
            log.debug("Ignored stream data of service %.40s", printable(str(entry.get("service"))))
            return
        service, message = found
        self._state.merge(service, message["data"])
        self._mailbox.put(service, message)
        self._wake()
        if not service.symbols and any(r.get("messageType") == "ERROR" and "EXPIRED_KEY" in str(r.get("messageData"))
                                       for r in message["data"]):
            raise _Renew("the account-activity subscription key expired")

    def _answer(self, entry: Dict[str, Any]) -> None:
        content = entry.get("content") or {}
        future = self._pending.get(str(entry.get("requestid")))
        if future is not None and not future.done():
            future.set_result(content)
            return
        code = content.get("code")
        if code in (ONE_STREAM, STOPPED):
            self._notice(entry)
        elif code not in SUCCEEDED:
            log.warning("%s answered %s %s with code %s: %s", self.profile.title, entry.get("command"),
                        entry.get("service"), code, printable(str(content.get("msg", ""))))

    def _notice(self, entry: Dict[str, Any]) -> None:
        content = entry.get("content") or {}
        code, message = content.get("code"), printable(str(content.get("msg", "")))
        if code == STOPPED:
            raise StreamError(stopped(self.profile, message))
        if code == ONE_STREAM:
            raise StreamError(one_stream(self.profile, message))
        log.info("%s stream notice (%s): %s (code %s)", self.profile.title, entry.get("service"), message, code)

    def _settle_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_result(None)  # the reconnect sends the subscription again
        self._pending.clear()

    # -- reconnecting -----------------------------------------------------------------------------------

    async def _connect(self, rejected: Optional[str]) -> Connection:
        """Fetch the streamer's details with a fresh token, connect and log in."""
        request = self.profile.streamer_request()
        answer = await asyncio.to_thread(self.api.request, "GET", request.path, params=request.params)
        token = await asyncio.to_thread(self.api.fresh_access_token, rejected)
        login = self.profile.streamer_login(answer, token, self.account, self.api.api_url)
        check_streamer_url(login.url, self.api.api_url)
        try:
            return await Connection.open(login, self.profile, self.decoder, self.timeout)
        except LoginRefused as exc:
            raise _Refused(token, str(exc)) from None
        except Dropped as exc:
            fatal = self.profile.stream_closed(exc.code, exc.reason, False)
            if fatal:
                raise StreamError(fatal) from None
            raise

    async def _reconnect(self, reason: str) -> Connection:
        loop = asyncio.get_running_loop()
        started, attempts, refused = loop.time(), 0, 0
        rejected: Optional[str] = None
        log.warning("The %s stream dropped (%s); reconnecting", self.profile.title, reason)
        while True:
            await asyncio.sleep(self._delay(attempts))
            attempts += 1
            try:
                conn = await self._connect(rejected)
            except _Refused as exc:
                refused += 1
                rejected = exc.token  # refresh it: the server says it expired
                if refused >= 3:
                    raise StreamError(f"{self.profile.title}'s streamer refused {refused} logins in a row, with "
                                      f"fresh access tokens: {exc}. Log in again "
                                      f"(python -m pyTD login --provider {self.profile.name})") from None
                log.info("The streamer refused the login (%s); refreshing the access token", exc)
                continue
            except RETRYABLE as exc:
                log.warning("Reconnecting the stream failed (attempt %d): %s", attempts, printable(exc))
                continue
            assert self._lock is not None
            try:
                async with self._lock:  # subscribe() waits: every subscription goes out once, in one frame
                    subs = list(self._subs.values())
                    ids = [conn.next_id() for _ in subs]
                    requests = [self._request(conn, sub, "SUBS", list(sub.keys), requestid)
                                for sub, requestid in zip(subs, ids)]
                    if requests:
                        await conn.send_requests(requests)
                        await self._answered(conn, dict(zip(ids, subs)))
                    self._conn = conn
            except Dropped as exc:
                log.warning("The stream dropped again while subscribing: %s", exc)
                await conn.abort()
                continue
            except BaseException:  # closed meanwhile: never leave the new socket open
                await conn.abort()
                raise
            self.reconnects += 1
            self._mailbox.put(None, reconnected(reason, attempts, loop.time() - started))
            self._wake()
            log.warning("The %s stream reconnected after %.1f s (%d attempts); %d services subscribed again",
                        self.profile.title, loop.time() - started, attempts, len(requests))
            return conn

    async def _answered(self, conn: Connection, sent: Dict[str, Subscription]) -> None:
        """Wait (at most ``timeout``) for the answers to the subscriptions sent again, so that the "reconnected"
        message means they are in place; other frames wait in ``conn.early`` until it is delivered."""
        loop = asyncio.get_running_loop()
        futures = {requestid: loop.create_future() for requestid in sent}
        self._pending.update(futures)
        until = loop.time() + self.timeout
        try:
            while not all(future.done() for future in futures.values()):
                frame = await asyncio.wait_for(conn.recv(), max(until - loop.time(), 0))
                conn.established = True  # as _read would have it: something arrived after the LOGIN's answer
                if isinstance(frame, dict) and "response" in frame:
                    self._handle({"response": frame.pop("response")})
                conn.early.append(frame)
        except asyncio.TimeoutError:
            log.warning("No answer to the subscriptions sent again within %g s", self.timeout)
        finally:
            for requestid in futures:
                self._pending.pop(requestid, None)
        for requestid, future in futures.items():
            content = future.result() if future.done() else None
            if content is not None and content.get("code") not in SUCCEEDED:
                log.warning("%s refused the subscription to %s sent again: %s (code %s)", self.profile.title,
                            sent[requestid].service.name, printable(str(content.get("msg", ""))),
                            content.get("code"))

    def _delay(self, attempts: int) -> float:
        """Exponential backoff with jitter: half to all of ``reconnect_delay * 2**attempts``, capped."""
        ceiling = min(self.max_reconnect_delay, self.reconnect_delay * 2 ** min(attempts, 30))
        return float(ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not a secret

    # -- state --------------------------------------------------------------------------------------------

    def state(self, service: str, output_format: str = "json", *, venue: Optional[str] = None) -> Any:
        """The latest full record of each symbol of a service (change-only updates merged).

        Parameters
        ----------
        service : str
            As for :meth:`subscribe`.
        output_format : {"json", "pandas"}
            A dict ``{symbol: record}``, or a DataFrame indexed by symbol with typed columns.
        venue : str, optional
            Books and screeners: which venue.
        """
        check_output_format(output_format)
        found = self.catalog.find(service, venue)
        loop = self._loop
        records: Dict[str, Record]
        if loop is not None and loop.is_running() and not _in_loop(loop):
            records = asyncio.run_coroutine_threadsafe(self._records(found), loop).result(self.timeout)
        else:
            records = self._state.records(found)
        if output_format == "json":
            return records
        columns = {name: KINDS.get(name, "auto") for name in found.fields}
        return Table(found.name, columns, index=found.fields[0]).frame(records.values(), self.api.tz)

    async def _records(self, service: StreamService) -> Dict[str, Record]:
        return self._state.records(service)

    @property
    def dropped(self) -> int:
        """Updates folded away because the consumer was slower than the stream."""
        return self._mailbox.dropped

    # -- callback style -------------------------------------------------------------------------------------

    def run(self, handler: Handler, service: Optional[str] = None, symbols: Optional[Symbols] = None,
            fields: Optional[Sequence[Any]] = None, *, venue: Optional[str] = None) -> Optional[Awaitable[None]]:
        """Call ``handler(message)`` for each message until it returns False, the stream is closed, or Ctrl-C.

        Outside async code (a script, a notebook cell) it blocks, running the stream in a background thread,
        after subscribing to ``service`` and ``symbols`` when given. On the stream's own event loop (inside
        ``async with Stream(api) as s:``) it returns a coroutine to await; the handler may be async there.
        """
        if self._loop is not None and _in_loop(self._loop):
            return self._dispatch(handler)
        wanted = [] if service is None else [(service, symbols, fields, venue)]
        with Feed(self, wanted) as feed:
            for message in feed:
                if handler(message) is False:
                    break
        return None

    async def _dispatch(self, handler: Handler) -> None:
        async for message in self:
            result = handler(message)
            if inspect.isawaitable(result):
                result = await result
            if result is False:
                return


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def check_streamer_url(url: str, api_url: str) -> None:
    """Refuse a streamer URL that is not ``wss://``, unless it is on loopback or the API itself is plain http
    (which the user allowed): the login travels over it."""
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    plain_ok = parts.scheme == "ws" and (is_loopback(parts.hostname or "") or api_url.startswith("http:"))
    if not parts.hostname or not (secure or plain_ok):
        raise StreamError(f"The streamer's URL {url!r} is not a wss:// URL: pyTD sends the login only over TLS "
                          "(plain ws:// only to loopback, such as the sandbox)")

