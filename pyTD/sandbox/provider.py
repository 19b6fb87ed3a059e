"""What each provider's stand-in tells the shared server: paths, lifetimes, OAuth rules and resource answers."""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Protocol, Sequence, Tuple, Type
from urllib.parse import unquote

from pyTD.sandbox.oauth import Authority
from pyTD.sandbox.replies import Reply

if TYPE_CHECKING:
    from pyTD.sandbox.broker import Broker
    from pyTD.sandbox.streamer import Streamer


class Host(Protocol):
    """What a provider's stand-in uses of the sandbox that serves it (:class:`~pyTD.sandbox.Host`)."""

    seed: int
    broker: Broker
    streamer: Streamer

    @property
    def url(self) -> str: ...
    @property
    def api_url(self) -> str: ...

Routes = Sequence[Tuple["re.Pattern[str]", Callable[..., Tuple[int, Any]]]]


def route(routes: Routes, relative: str, query: Mapping[str, str]) -> Optional[Tuple[int, Any]]:
    """The ``(status, payload)`` of the endpoint whose pattern matches ``relative``, or None.

    The path's variable parts are percent-decoded once; an endpoint's
    :class:`~pyTD.sandbox.params.BadRequest` passes through.
    """
    for pattern, endpoint in routes:
        match = pattern.fullmatch(relative)
        if match:
            return endpoint(query, *map(unquote, match.groups()))
    return None


class Provider:
    """One provider's contract; :mod:`pyTD.sandbox.td` and :mod:`pyTD.sandbox.schwab` fill it in."""

    name = ""
    title = ""
    auth_path = ""  # the login page
    api_path = ""  # what the client's api_url adds to the root
    token_path = ""
    resource_prefixes: Tuple[str, ...] = ()  # paths that need a Bearer token
    access_expires_in = 1800
    refresh_expires_in = 0
    code_expires_in = 0
    authority: Type[Authority] = Authority

    def is_resource(self, path: str) -> bool:
        return path.startswith(self.resource_prefixes)

    def answer(self, method: str, path: str, query: Mapping[str, str], body: bytes, sandbox: Host) -> Reply:
        """Serve a resource request that passed the token and rate checks: market data (GET only) or the
        trader endpoints on ``sandbox.broker``."""
        raise NotImplementedError

    _trader: Any = None
    _trader_lock = threading.Lock()

    def trader(self, sandbox: Host) -> Any:
        """The provider's trader endpoints on the sandbox's broker (made on first use)."""
        with self._trader_lock:
            if self._trader is None:
                self._trader = self.make_trader(sandbox)
            return self._trader

    def make_trader(self, sandbox: Host) -> Any:
        """The provider's trader endpoints on ``sandbox.broker``."""
        raise NotImplementedError

    def unauthorized(self) -> Reply:
        raise NotImplementedError

    def rate_limited(self) -> Reply:
        raise NotImplementedError

    def not_allowed(self, method: str) -> Reply:
        raise NotImplementedError

    def not_found(self, path: str) -> Reply:
        raise NotImplementedError

    def headers(self) -> Dict[str, str]:
        """Headers added to every answer."""
        return {}

    # -- the streamer -------------------------------------------------------------------------------

    user_info_path = ""  # the user-info endpoint that says where the streamer is

    def user_info(self, query: Mapping[str, str], sandbox: Any, client: str, access_token: str) -> Reply:
        """The user-info answer: the paper broker's accounts, and the streamer's URL and login details."""
        raise NotImplementedError
