"""Stand-ins for TD Ameritrade's and Charles Schwab's APIs on loopback, for tests, demos and trying pyTD offline.

:class:`Sandbox` serves a provider's login page, token endpoint, market data and
trader endpoints on a paper broker (``Sandbox(provider="td")`` or
``Sandbox(provider="schwab")``); :class:`HeadlessBrowser` plays the user who logs in. The sandbox stands in for
the server: it uses nothing of the client but :mod:`pyTD.exceptions`.
"""

from typing import Any

__all__ = ["HeadlessBrowser", "RecordedRequest", "Sandbox"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so `python -m pyTD.sandbox.browser` runs its module only once.
    if name == "HeadlessBrowser":
        from pyTD.sandbox.browser import HeadlessBrowser

        return HeadlessBrowser
    if name in ("Sandbox", "RecordedRequest"):
        from pyTD.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module 'pyTD.sandbox' has no attribute {name!r}")
