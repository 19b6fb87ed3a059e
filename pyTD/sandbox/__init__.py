"""An embedded TD API stand-in on loopback, for tests, demos and trying pyTD offline.

:class:`Sandbox` serves TD's login page, token endpoint and market data;
:class:`HeadlessBrowser` plays the user who logs in.
"""

from pyTD.sandbox.browser import HeadlessBrowser
from pyTD.sandbox.server import RecordedRequest, Sandbox

__all__ = ["HeadlessBrowser", "RecordedRequest", "Sandbox"]
