"""Streaming over each provider's WebSocket streamer: :class:`Stream` (asyncio) and ``api.stream`` (a loop).

Needs the ``stream`` extra (``pip install 'pytd-client[stream]'``, which installs websockets). Importing pyTD
or pyTD.api does not import this package's connection code, nor websockets.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyTD.stream.stream import Stream

__all__ = ["Stream"]


def __getattr__(name: str) -> Any:
    if name == "Stream":
        from pyTD.stream.stream import Stream

        return Stream
    raise AttributeError(f"module 'pyTD.stream' has no attribute {name!r}")
