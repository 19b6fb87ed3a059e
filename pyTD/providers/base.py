"""What a provider profile offers: the interface the flow and the functions ask, and its shared helpers."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from pyTD.exceptions import ConfigurationError, UnsupportedError
from pyTD.providers.streaming import StreamerLogin, StreamService, venues
from pyTD.tokens import Token, TokenPair


@dataclass(frozen=True)
class App:
    """The app pyTD logs in as: its OAuth client id, its secret (or None) and its callback URL."""

    client_id: str
    secret: Optional[str] = field(repr=False)
    callback_url: str


@dataclass(frozen=True)
class TokenRequest:
    """A request to the token endpoint: the form body and any headers (HTTP Basic auth)."""

    data: Dict[str, str] = field(repr=False)
    headers: Dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Request:
    """A data request in the provider's words: a path relative to ``api_url``, and query parameters."""

    path: str
    params: Dict[str, Any] = field(default_factory=dict)


Rows = List[Dict[str, Any]]


class Provider:
    """A provider profile. Subclasses fill in the class attributes and override the methods.

    Attributes
    ----------
    name : str
        What users pass as ``provider=`` (``"td"``, ``"schwab"``).
    title : str
        The provider's name in messages.
    auth_url, api_url : str
        The default authorization page and API base URL.
    token_path : str
        The token endpoint, relative to ``api_url``.
    needs_secret : bool
        The app authenticates with a client secret (HTTP Basic).
    renew_refresh_within : float or None
        Ask for a new refresh token when the current one expires within this
        many seconds; None where refreshing never renews it.
    """

    name = ""
    title = ""
    auth_url = ""
    api_url = ""
    token_path = ""
    needs_secret = False
    renew_refresh_within: Optional[float] = None
    example_callback = "https://127.0.0.1:8182"
    index_aliases: Mapping[str, str] = {}  # other providers' index names -> this provider's

    # -- the login ------------------------------------------------------------------------------

    def client_id(self, key: str) -> str:
        """The OAuth client id for an app key."""
        return key

    def check_callback_url(self, url: str) -> None:
        """Raise ConfigurationError if the provider would never redirect to ``url``."""

    def authorization_params(self, app: App, state: Optional[str]) -> Dict[str, str]:
        """The query of the authorization page's URL."""
        params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.callback_url}
        if state is not None:
            params["state"] = state
        return params

    def exchange_request(self, app: App, code: str) -> TokenRequest:
        """The token request that trades an authorization code for tokens."""
        raise NotImplementedError

    def refresh_request(self, app: App, refresh_token: str, renew: bool) -> TokenRequest:
        """The token request that trades a refresh token for a new access token."""
        raise NotImplementedError

    def read_tokens(self, payload: Any, now: float, previous: Optional[Token] = None) -> TokenPair:
        """The tokens of a successful token-endpoint answer; ``previous`` is the refresh token refreshed."""
        raise NotImplementedError

    def refresh_token_dead(self, status: int, error: str, description: str) -> bool:
        """True if the token endpoint's answer to a refresh says the refresh token can never work again.

        Only then are the stored tokens deleted. RFC 6749 section 5.2 says so with ``invalid_grant``;
        anything else (a proxy's HTML, ``invalid_request``, a plain ``invalid_client``) leaves the token as
        good as it was.
        """
        return status in (400, 401) and error == "invalid_grant"

    def relogin_advice(self) -> str:
        """What to tell a user whose refresh token was rejected."""
        return f"log in again with `python -m pyTD login --provider {self.name}`"

    # -- symbols and options ----------------------------------------------------------------------

    def symbol(self, symbol: str) -> str:
        """A symbol as this provider spells it (index names of other providers translated)."""
        return self.index_aliases.get(symbol, symbol)

    def refuse(self, **options: Any) -> None:
        """Raise ValueError for any given (not None) option this provider does not have."""
        given = [name for name, value in options.items() if value is not None]
        if given:
            raise ValueError(f"{', '.join(name + '=' for name in given)} "
                             f"{'is' if len(given) == 1 else 'are'} not available on {self.title}")

    # -- market data: each method returns the provider's request, or reads its answer ---------------------
    # Arguments are already checked and in pyTD's words; a method raises ValueError for an option its
    # provider does not have.

    def quotes_request(self, symbols: str, fields: Optional[List[str]], indicative: Optional[bool]) -> Request:
        """Quotes of comma-joined symbols."""
        raise NotImplementedError

    def quotes_found(self, answer: Any) -> Dict[str, Dict[str, Any]]:
        """The quotes in an answer, by symbol (never anything that is not a quote)."""
        return {symbol: quote for symbol, quote in (answer or {}).items() if isinstance(quote, dict)}

    def quote_row(self, symbol: str, quote: Dict[str, Any]) -> Dict[str, Any]:
        """A quote as one flat record in pyTD's column names."""
        return quote

    # The provider's own columns of pyTD's tables (pyTD.frames), by table name: (always present, kept when sent).
    tables: Mapping[str, Tuple[Mapping[str, str], Mapping[str, str]]] = {}

    def history_request(self, symbol: str, query: Dict[str, Any], previous_close: Optional[bool]) -> Request:
        """Candles of one symbol; ``query`` holds the checked parameters (the same names on every provider)."""
        raise NotImplementedError

    def movers_request(self, index: str, direction: Optional[str], change: Optional[str], sort: Optional[str],
                       frequency: Optional[int]) -> Request:
        """The movers of an index."""
        raise NotImplementedError

    def mover_rows(self, answer: Any) -> Rows:
        """The movers in an answer, in pyTD's column names."""
        return list(answer or [])

    def hours_request(self, markets: List[str], day: Optional[str]) -> Request:
        """Market hours of markets (pyTD's upper-case names) on a day (``YYYY-MM-DD``)."""
        raise NotImplementedError

    def chains_request(self, query: Dict[str, Any], include_quotes: Optional[bool],
                       entitlement: Optional[str]) -> Request:
        """An option chain; ``query`` holds the parameters both providers name alike."""
        raise NotImplementedError

    def expirations_request(self, symbol: str) -> Request:
        """The expiration days of a symbol's options."""
        raise self.unsupported("The option expiration chain (get_option_expirations)")

    def expiration_row(self, row: Dict[str, Any]) -> Dict[str, Any]:
        return row

    def instruments_request(self, symbol: str, projection: str) -> Request:
        """An instrument search."""
        raise NotImplementedError

    def instruments_found(self, answer: Any) -> Dict[str, Dict[str, Any]]:
        """The instruments of a search answer, by symbol."""
        raise NotImplementedError

    def merge_instruments(self, answers: List[Any]) -> Dict[str, Any]:
        """Several search answers as one, in the provider's shape."""
        raise NotImplementedError

    def instrument_request(self, cusip: str) -> Request:
        """The instrument with a CUSIP."""
        raise NotImplementedError

    def instrument_found(self, answer: Any) -> Dict[str, Dict[str, Any]]:
        """The instrument(s) of a CUSIP lookup, by symbol."""
        items = answer if isinstance(answer, list) else [answer]
        found = {}
        for item in items:
            key = item.get("symbol") or item.get("cusip") if isinstance(item, dict) else None
            if key:
                found[str(key)] = item
        return found

    def index_name(self, index: str, accepted: Sequence[str]) -> str:
        """An index name as this provider spells it: other providers' names and a missing ``$`` are fine."""
        name = str(index).strip().upper()
        for candidate in (self.symbol(name), self.symbol(f"${name}")):
            if candidate in accepted:
                return candidate
        raise ValueError(f"index must be one of {', '.join(accepted)} on {self.title}; got {index!r}")

    # -- streaming: what pyTD.stream asks --------------------------------------------------------------

    stream_services: Mapping[str, StreamService] = {}  # by the provider's name
    stream_key_limit: Optional[int] = None  # keys one service may hold; None: no known limit

    def streamer_request(self) -> Request:
        """The user-info request whose answer says where the streamer is and how to log in."""
        raise self.unsupported("Streaming")

    def streamer_login(self, answer: Any, access_token: str, account: Optional[str], api_url: str) -> StreamerLogin:
        """What one connection needs, from the answer to :meth:`streamer_request`.

        ``account`` picks the account where the provider streams per account; ``api_url`` is the client's
        (an ``http://`` API, the sandbox on loopback, is streamed over ``ws://``).

        Raises
        ------
        StreamError
            If the answer lacks the streamer's details.
        """
        raise self.unsupported("Streaming")

    def stream_request(self, login: StreamerLogin, service: str, command: str, requestid: str,
                       parameters: Mapping[str, str]) -> Dict[str, Any]:
        """One request to the streamer, its keys in the order the contracts show them."""
        return {"service": service, "command": command, "requestid": requestid, **login.identity,
                "parameters": dict(parameters)}

    def stream_service(self, name: str, venue: Optional[str] = None, keys: Sequence[str] = ()) -> StreamService:
        """The service pyTD's ``name`` (``"quotes"``) or the provider's own (``"QUOTE"``) stands for.

        Books need ``venue`` (NYSE, NASDAQ or OPTIONS); screeners take it from their keys when not given.

        Raises
        ------
        UnsupportedError
            If this provider has no such service.
        ValueError
            For a venue the service does not have.
        """
        wanted = str(name).strip()
        found = self.stream_services.get(wanted.upper())
        if found is not None:
            return found
        by_venue = venues(self.stream_services, wanted.lower())
        if by_venue:
            options = bool(keys) and all(str(key).upper().startswith("OPTION") for key in keys)
            if venue is None and "EQUITY" in by_venue and options:
                venue = "OPTIONS"
            chosen = str(venue or ("EQUITY" if "EQUITY" in by_venue else "")).upper()
            if chosen not in by_venue:
                raise ValueError(f"{wanted} needs venue= one of {', '.join(by_venue)} on {self.title}; got {venue!r}")
            return by_venue[chosen]
        for service in self.stream_services.values():
            if service.neutral == wanted.lower():
                return service
        raise self.unsupported(f"The stream service {name!r}")

    def stream_closed(self, code: int, reason: str, established: bool) -> Optional[str]:
        """What to tell the user when the streamer closed the connection in a way reconnecting cannot fix, or
        None (reconnect). ``established`` says whether anything arrived after the LOGIN's answer."""
        return None

    def unsupported(self, what: str) -> UnsupportedError:
        """The error for a capability this provider does not have."""
        return UnsupportedError(f"{what} is not available on {self.title} (provider {self.name!r})")

    def __repr__(self) -> str:
        return f"<provider {self.name}>"


def basic_auth(user: str, password: str) -> Dict[str, str]:
    """An HTTP Basic ``Authorization`` header."""
    raw = f"{user}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def require(value: Optional[str], message: str) -> str:
    """``value``, or a ConfigurationError with ``message`` when it is missing."""
    if not value:
        raise ConfigurationError(message)
    return value


def rename(record: Mapping[str, Any], names: Mapping[str, str]) -> Dict[str, Any]:
    """A copy of ``record`` with keys renamed by ``names`` (others kept); a renamed key never overwrites one
    the record already has under the new name."""
    result: Dict[str, Any] = {}
    for key, value in record.items():
        new = names.get(key, key)
        if new != key and new in record:
            new = key
        result[new] = value
    return result

