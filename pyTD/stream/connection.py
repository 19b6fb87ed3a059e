"""One WebSocket connection to a provider's streamer: open it, log in, send requests, read decoded frames.

A connection never reconnects; :class:`pyTD.stream.Stream` loops around it. Any way it can end is one
exception, :class:`Dropped`, carrying the close code.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from pyTD.exceptions import StreamError
from pyTD.providers.base import Provider
from pyTD.providers.streaming import StreamerLogin
from pyTD.redact import printable

try:
    from websockets.asyncio.client import ClientConnection, connect
    from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException
except ImportError:  # pragma: no cover - the message says what to do
    raise ImportError("Streaming needs websockets: pip install 'pytd-client[stream]'") from None

log = logging.getLogger("pyTD")

Decoder = Callable[[str], Any]
ABNORMAL = 1006  # the connection ended without a close frame
MAX_FRAME = 16 * 2**20  # books and screeners can be large; the library's default is 1 MiB
DENIED = 3  # LOGIN_DENIED: the token is invalid or expired (both providers)
ONE_STREAM = 12  # Schwab's CLOSE_CONNECTION: one streamer connection per user
STOPPED = 30  # STOP_STREAMING


class Dropped(Exception):
    """The connection could not be opened, or ended: ``code`` is its close code (1006 when there was none)."""

    def __init__(self, why: str, code: int = ABNORMAL, reason: str = "") -> None:
        super().__init__(why)
        self.code = code
        self.reason = reason


class LoginRefused(Exception):
    """The streamer answered LOGIN with code 3 (denied)."""


class Connection:
    """A logged-in WebSocket session with a streamer.

    Attributes
    ----------
    login : StreamerLogin
        What it logged in with.
    early : list
        Frames that arrived before the LOGIN answer, for the caller to handle.
    established : bool
        True once anything arrived after the LOGIN answer.
    silent : bool
        True once :meth:`watch` gave up on it.
    """

    def __init__(self, ws: ClientConnection, login: StreamerLogin, profile: Provider, decoder: Decoder) -> None:
        self.ws = ws
        self.login = login
        self.profile = profile
        self.decoder = decoder
        self.early: List[Any] = []
        self.established = False
        self.silent = False
        self.last_seen = asyncio.get_running_loop().time()
        self.beat_gap: Optional[float] = None  # the longest time between two heartbeats so far
        self._last_beat: Optional[float] = None
        self._gaps = 0
        self._ids = 0

    @classmethod
    async def open(cls, login: StreamerLogin, profile: Provider, decoder: Decoder, timeout: float) -> Connection:
        """Connect and log in; return once the streamer accepted the LOGIN.

        Raises
        ------
        Dropped
            If the connection failed or closed before the LOGIN's answer.
        LoginRefused
            If the streamer denied the login (code 3).
        StreamError
            If it refused for a reason reconnecting cannot fix (one stream per user, code 12).
        """
        try:
            ws = await connect(login.url, open_timeout=timeout, max_size=MAX_FRAME, close_timeout=2)
        except (OSError, asyncio.TimeoutError, WebSocketException) as exc:
            if isinstance(exc, InvalidURI):
                raise StreamError(f"The streamer's URL is not a WebSocket URL: {exc}") from None
            raise Dropped(f"cannot connect to the streamer: {printable(exc)}") from None
        self = cls(ws, login, profile, decoder)
        try:
            await self.send("ADMIN", "LOGIN", login.parameters)
            await asyncio.wait_for(self._logged_in(), timeout)
        except asyncio.TimeoutError:
            await self.abort()
            raise Dropped(f"no answer to LOGIN within {timeout:g} s") from None
        except BaseException:
            await self.abort()
            raise
        return self

    async def _logged_in(self) -> None:
        while True:
            frame = await self.recv()
            answer = _login_answer(frame)
            if answer is None:
                self.early.append(frame)
                continue
            code, message = answer
            if code == 0:
                return
            if code == DENIED:
                raise LoginRefused(message)
            if code == ONE_STREAM:
                raise StreamError(one_stream(self.profile, message))
            raise StreamError(f"{self.profile.title}'s streamer refused the login: {message} (code {code})")

    def next_id(self) -> str:
        """The next ``requestid``: ``"0"`` (the LOGIN), ``"1"``, ... on each connection."""
        value = str(self._ids)
        self._ids += 1
        return value

    async def send(self, service: str, command: str, parameters: Mapping[str, str]) -> str:
        """Send one request; return its ``requestid``."""
        requestid = self.next_id()
        await self.send_requests([self.profile.stream_request(self.login, service, command, requestid, parameters)])
        return requestid

    async def send_requests(self, requests: List[Dict[str, Any]]) -> None:
        """Send requests in one frame, ``{"requests": [...]}``."""
        try:
            await self.ws.send(json.dumps({"requests": requests}))
        except ConnectionClosed as exc:
            raise _dropped(exc) from None

    async def recv(self) -> Any:
        """The next decoded frame; frames the decoder rejects are logged and skipped.

        Raises
        ------
        Dropped
            When the connection ends.
        """
        while True:
            try:
                text = await self.ws.recv()
            except ConnectionClosed as exc:
                raise _dropped(exc) from None
            self.last_seen = asyncio.get_running_loop().time()
            try:
                frame = self.decoder(text)  # type: ignore[arg-type]
            except (ValueError, StreamError) as exc:
                log.warning("Skipped a stream frame that cannot be decoded (%s): %.200s", printable(exc),
                            printable(text))
                continue
            if type(frame) is dict and "notify" in frame:
                self._beat(frame["notify"])
            return frame

    def _beat(self, notices: Any) -> None:
        if not isinstance(notices, list) or not any(isinstance(n, dict) and "heartbeat" in n for n in notices):
            return
        if self._last_beat is not None:
            self.beat_gap = max(self.beat_gap or 0.0, self.last_seen - self._last_beat)
            self._gaps += 1
        self._last_beat = self.last_seen

    def window(self, longest: float) -> float:
        """How long a silence ends the connection: three heartbeats' time once three were seen (the first two may
        come together, after a stall), at least a second and at most ``longest``."""
        if self.beat_gap is None or self._gaps < 2:
            return longest
        return min(longest, max(1.0, 3 * self.beat_gap))

    async def watch(self, longest: float) -> None:
        """End the connection when nothing (not even a heartbeat) arrived for :meth:`window` seconds."""
        loop = asyncio.get_running_loop()
        while True:
            window = self.window(longest)
            quiet = loop.time() - self.last_seen
            if quiet >= window:
                self.silent = True
                await self.abort()
                return
            await asyncio.sleep(min(window - quiet, window / 4, 1.0) + 0.001)  # the window may shrink meanwhile

    async def logout(self, timeout: float) -> None:
        """Send LOGOUT, then close (the streamer closes too)."""
        try:
            await self.send("ADMIN", "LOGOUT", {})
            await asyncio.wait_for(self.ws.close(), timeout)
        except (Dropped, asyncio.TimeoutError, OSError):
            pass
        finally:
            await self.abort()

    async def abort(self) -> None:
        """Drop the connection at once, without a closing handshake."""
        transport = self.ws.transport
        if transport is not None and not transport.is_closing():
            transport.abort()
        try:
            await asyncio.wait_for(self.ws.wait_closed(), 1)
        except (asyncio.TimeoutError, OSError):
            pass


def _dropped(exc: ConnectionClosed) -> Dropped:
    code = exc.rcvd.code if exc.rcvd is not None else ABNORMAL
    reason = exc.rcvd.reason if exc.rcvd is not None else ""
    return Dropped(f"the streamer closed the connection (code {code}{', ' + printable(reason) if reason else ''})",
                   code, reason)


def _login_answer(frame: Any) -> Optional[Tuple[Any, str]]:
    """``(code, message)`` of the LOGIN answer in a frame, or None."""
    if not isinstance(frame, dict):
        return None
    for entry in frame.get("response") or ():
        if isinstance(entry, dict) and str(entry.get("command", "")).upper() == "LOGIN":
            content = entry.get("content") or {}
            return content.get("code"), printable(str(content.get("msg", "")))
    return None


def one_stream(profile: Provider, message: str) -> str:
    """What to do when the provider allows no second stream."""
    return (f"{profile.title} allows one streamer connection per user and one is already open ({message}): close "
            "the other stream (another program, notebook or pyTD process logged in as this user), then open this "
            "one again")


def stopped(profile: Provider, message: str) -> str:
    """What to do when the provider stopped the stream (code 30)."""
    return (f"{profile.title} stopped the stream ({message}, code 30). It does so when a stream has had no "
            "subscriptions for about 30 seconds, or its reader is too slow, or by an administrator's action: keep "
            "at least one subscription, handle messages quickly, and open a new Stream")
