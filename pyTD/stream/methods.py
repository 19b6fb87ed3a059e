"""Streaming as a method of :class:`pyTD.api.api`: ``for message in a.stream("quotes", ["AAPL"]):``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence

from pyTD.checks import Symbols
from pyTD.client import Client

if TYPE_CHECKING:
    from pyTD.stream.sync import Feed


class Streaming(Client):
    """The streaming method of :class:`pyTD.api.api`."""

    def stream(self, service: str, symbols: Optional[Symbols] = None, fields: Optional[Sequence[Any]] = None, *,
               venue: Optional[str] = None, **options: Any) -> Feed:
        """Stream one service's messages, for a plain ``for`` loop (scripts, notebooks).

        The stream runs in a background thread (so it also works in Jupyter, whose event loop is busy);
        it connects on the first message asked for, reconnects by itself, and ends when the loop ends
        (``break``, Ctrl-C, an error) or on ``close()``. Needs the ``stream`` extra.

        Parameters
        ----------
        service, symbols, fields, venue
            As for :meth:`pyTD.stream.Stream.subscribe`.
        **options
            Passed to :class:`pyTD.stream.Stream` (``heartbeat_timeout``, ``max_queue``, ...).

        Returns
        -------
        Feed
            An iterator of messages ``{"service", "timestamp", "data": [record, ...]}``; its
            ``state(service)`` is the latest full record per symbol.

        Examples
        --------
        >>> for message in a.stream("quotes", ["AAPL", "MSFT"]):  # doctest: +SKIP
        ...     print(message["data"])
        """
        from pyTD.stream.stream import Stream
        from pyTD.stream.sync import Feed

        return Feed(Stream(self, **options), [(service, symbols, fields, venue)])
