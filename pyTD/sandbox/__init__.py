"""An embedded TD API stand-in on loopback, for tests, demos and trying pyTD offline.

:class:`Sandbox` serves TD's login page, token endpoint and market data;
:class:`HeadlessBrowser` plays the user who logs in.
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
