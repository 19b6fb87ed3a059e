"""A deadline for a whole HTTP request: connecting, the headers and the whole body within ``timeout`` seconds.

requests and urllib3 time out each socket operation only, so a server that sends a byte every
half second holds a request forever. Here the connections of a session hand their socket to
the deadline of the request they serve, and one watchdog thread shuts that socket down when
the deadline passes: the thread reading from it fails at once.
"""

from __future__ import annotations

import heapq
import os
import socket
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager, ProxyManager


class DeadlineExceeded(requests.Timeout):
    """The whole request took longer than its timeout."""


class Deadline:
    """When one request must be over, and the socket it is using."""

    __slots__ = ("at", "expired", "done", "sock")

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.expired = False
        self.done = False
        self.sock: Optional[socket.socket] = None

    def __lt__(self, other: Deadline) -> bool:  # the watchdog's heap
        return self.at < other.at


class _Watchdog:
    """One daemon thread that shuts down the socket of every request still running at its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: List[Deadline] = []
        self._thread: Optional[threading.Thread] = None

    def add(self, deadline: Deadline) -> None:
        with self._cond:
            heapq.heappush(self._heap, deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pyTD-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0] is deadline:
                self._cond.notify()

    def attach(self, deadline: Deadline, sock: socket.socket) -> None:
        with self._cond:
            if deadline.expired:
                _shut(sock)
            else:
                deadline.sock = sock

    def finish(self, deadline: Deadline) -> None:
        with self._cond:
            deadline.done, deadline.sock = True, None

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0].at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                deadline = heapq.heappop(self._heap)
                deadline.expired = True
                if deadline.sock is not None:
                    _shut(deadline.sock)


def _shut(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's method: under TLS too
    except OSError:
        pass  # already closed


_watchdog = _Watchdog()
_current = threading.local()


def _new_watchdog() -> None:
    global _watchdog
    _watchdog = _Watchdog()  # a forked child has no watchdog thread, and maybe a held lock


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_watchdog)


@contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Bound the requests this thread sends inside the block to ``seconds`` in all.

    Only sessions passed to :func:`watch` are bounded this way; check
    ``expired`` afterwards, since a shut-down socket may look like a short answer.
    """
    limit = Deadline(seconds)
    _watchdog.add(limit)
    _current.deadline = limit
    try:
        yield limit
    finally:
        _current.deadline = None
        _watchdog.finish(limit)


def watch(session: requests.Session) -> None:
    """Let the connections of the session's standard adapters hand their sockets to :func:`deadline`.

    Cheap and idempotent; other adapters (and SOCKS proxies) keep their per-read timeouts only.
    """
    for adapter in session.adapters.values():
        if not isinstance(adapter, HTTPAdapter):
            continue
        for manager in (adapter.poolmanager, *adapter.proxy_manager.values()):
            if type(manager) in (PoolManager, ProxyManager) and manager.pool_classes_by_scheme is not _POOLS:
                manager.pool_classes_by_scheme = _POOLS


class _Watched:
    """Mixed into urllib3's connections: the socket of each request goes to the current deadline."""

    sock: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._watch()

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._watch()  # a kept-alive connection; a new one connects inside the request
        super().request(*args, **kwargs)  # type: ignore[misc]

    def _watch(self) -> None:
        limit = getattr(_current, "deadline", None)
        if limit is not None and self.sock is not None:
            _watchdog.attach(limit, self.sock)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}
