"""The stream without async code: its event loop runs in a background thread.

``for message in a.stream("quotes", ["AAPL"]):`` and :meth:`Stream.run` use it. It works where an event
loop already runs in the calling thread (Jupyter), because the stream never uses that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any, Awaitable, Deque, Iterator, List, Optional, Protocol, Sequence, Tuple

from pyTD.checks import Symbols
from pyTD.stream.services import Message

Wanted = Tuple[str, Optional[Symbols], Optional[Sequence[Any]], Optional[str]]  # service, symbols, fields, venue
BATCH = 1000  # messages fetched from the loop's thread at once


class Source(Protocol):
    """What a feed needs of a :class:`~pyTD.stream.Stream` (which imports this module, not the reverse)."""

    def open(self) -> Awaitable[Any]: ...
    def subscribe(self, service: str, symbols: Optional[Symbols] = None, fields: Optional[Sequence[Any]] = None, *,
                  venue: Optional[str] = None) -> Awaitable[Any]: ...
    def next_batch(self, most: int = ...) -> Awaitable[List[Message]]: ...
    def state(self, service: str, output_format: str = "json", *, venue: Optional[str] = None) -> Any: ...
    def close(self) -> Awaitable[Any]: ...


class Feed(Iterator[Message]):
    """Messages of a :class:`~pyTD.stream.Stream`, one by one, for a ``for`` loop.

    The stream opens (in a thread of its own) on the first ``next()``. Breaking out of the loop, Ctrl-C,
    an error or :meth:`close` logs out and ends the thread; so does leaving a ``with`` block.
    """

    def __init__(self, stream: Source, wanted: Sequence[Wanted]) -> None:
        self.stream = stream
        self._wanted = list(wanted)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._waiting: Deque[Message] = deque()
        self._done = False

    def __iter__(self) -> Feed:
        return self

    def __next__(self) -> Message:
        if not self._waiting:
            if self._done:
                raise StopIteration
            try:
                if self._loop is None:
                    self._start()
                batch: List[Message] = self._call(self.stream.next_batch(BATCH))
            except BaseException:  # Ctrl-C included: never leave the thread and the socket behind
                self.close()
                raise
            if not batch:
                self.close()
                raise StopIteration
            self._waiting.extend(batch)
        return self._waiting.popleft()

    def state(self, service: str, output_format: str = "json", *, venue: Optional[str] = None) -> Any:
        """The stream's merged state: see :meth:`Stream.state`."""
        return self.stream.state(service, output_format, venue=venue)

    def close(self) -> None:
        """Log out, close the connection and end the background thread. Safe to call twice."""
        if self._done:
            return
        self._done = True
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            self._call(self.stream.close(), 10)
            self._call(loop.shutdown_default_executor(), 10)  # the threads that fetched tokens
        except BaseException:  # noqa: S110 - stopping the loop below ends everything anyway
            pass
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        thread = self._thread
        if not self._done and thread is not None and thread.is_alive() and thread is not threading.current_thread():
            self.close()

    def _start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pyTD-stream", daemon=True)
        self._thread.start()
        self._call(self.stream.open())
        for service, symbols, fields, venue in self._wanted:
            self._call(self.stream.subscribe(service, symbols, fields, venue=venue))

    def _call(self, coroutine: Any, timeout: Optional[float] = None) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)
