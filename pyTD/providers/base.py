"""What a provider profile offers: the interface the flow and the functions ask, and its shared helpers."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union
from urllib.parse import unquote, urlsplit

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


class OptionSymbol(NamedTuple):
    """An option contract's parts: what every provider's option symbol says in its own format."""

    underlying: str
    expiration: date
    contract_type: str  # CALL or PUT
    strike: float


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

    # -- trading: accounts, orders, transactions, user info, watchlists ---------------------------------
    # ``account`` is how the provider addresses an account in paths (see account_numbers_request); dates
    # are aware datetimes or None, and the profile fills in its defaults and checks its ranges.

    account_field = "accountId"  # the name of an account's plain number in accounts and orders
    order_statuses: Sequence[str] = ()
    transaction_types: Sequence[str] = ()
    transactions_cap: Optional[int] = None  # the most transactions one answer holds, if the provider caps it
    preferences_per_account = False  # the user's preferences are kept per account (else one set per user)

    def account_numbers_request(self) -> Optional[Request]:
        """The request mapping plain account numbers to what paths use; None when paths use the numbers."""
        return None

    def account_keys(self, answer: Any) -> Dict[str, str]:
        """Account number -> path key, from the answer to :meth:`account_numbers_request`."""
        return {}

    def accounts_request(self, account: Optional[str], positions: bool) -> Request:
        """One account, or all linked accounts (``account`` None), with their positions if asked."""
        raise NotImplementedError

    def partial_accounts(self, status: int) -> bool:
        """True if an accounts answer with this status holds only the accounts that worked."""
        return False

    def linked_accounts_request(self) -> Optional[Request]:
        """A request whose answer lists every linked account (to name the ones a partial answer left out)."""
        return None

    def linked_accounts(self, answer: Any) -> List[str]:
        """The account numbers in the answer to :meth:`linked_accounts_request`."""
        return []

    def account_id(self, account: Mapping[str, Any]) -> str:
        """The plain number of an account object of an accounts answer (``""`` if it has none)."""
        inner = account.get("securitiesAccount")
        number = inner.get(self.account_field) if isinstance(inner, dict) else None
        return "" if number is None else str(number)

    def account_row(self, account: Mapping[str, Any]) -> Dict[str, Any]:
        """An account object as one flat record: ``accountId``, its own fields, and each balance block as
        ``<block>.<name>`` columns (``currentBalances.cashBalance``; Schwab's ``aggregatedBalance.<name>``)."""
        inner = account.get("securitiesAccount") or {}
        row: Dict[str, Any] = {"accountId": self.account_id(account)}
        for block, values in [*inner.items(), *account.items()]:
            if block in ("positions", "orderStrategies", "securitiesAccount", self.account_field):
                continue
            if isinstance(values, dict):
                row.update((f"{block}.{name}", value) for name, value in values.items())
            else:
                row[block] = values
        return row

    def position_rows(self, account: Mapping[str, Any]) -> Rows:
        """An account's positions as flat records: ``accountId``, the instrument's fields, the position's."""
        number = self.account_id(account)
        rows = []
        for position in (account.get("securitiesAccount") or {}).get("positions") or []:
            row: Dict[str, Any] = {"accountId": number, **(position.get("instrument") or {})}
            row.update((key, value) for key, value in position.items() if key != "instrument")
            rows.append(row)
        return rows

    def order_rows(self, orders: Sequence[Mapping[str, Any]], parent: Optional[int] = None) -> Rows:
        """Orders as flat records, each followed by its child orders (with ``parentOrderId``): the order's
        fields, ``accountId``, and the first leg's ``symbol``, ``assetType`` and ``instruction``."""
        rows: Rows = []
        for order in orders:
            if not isinstance(order, dict):
                continue
            legs = order.get("orderLegCollection") or [{}]
            first = legs[0] if isinstance(legs[0], dict) else {}
            instrument = first.get("instrument") or {}
            number = order.get(self.account_field)
            row = {key: value for key, value in order.items() if key not in ("childOrderStrategies",
                                                                          self.account_field)}
            row.update(accountId=None if number is None else str(number), parentOrderId=parent,
                       symbol=instrument.get("symbol"), assetType=instrument.get("assetType"),
                       instruction=first.get("instruction"))
            rows.append(row)
            rows += self.order_rows(order.get("childOrderStrategies") or [], order.get("orderId"))
        return rows

    def option_symbol(self, underlying: str, expiration: date, contract_type: str, strike: float) -> str:
        """An option contract's symbol in this provider's format."""
        raise NotImplementedError

    def parse_option_symbol(self, symbol: str) -> Optional[OptionSymbol]:
        """The parts of an option symbol in this provider's format, or None if it is not one."""
        raise NotImplementedError

    def check_order(self, order: Mapping[str, Any]) -> None:
        """Raise ValueError for what this provider is known to reject in an order (before it is sent)."""

    def orders_query(self, all_accounts: bool, status: Optional[str], start: Optional[datetime],
                     end: Optional[datetime], max_results: Optional[int], tz: tzinfo) -> Dict[str, Any]:
        """The query listing orders, with the provider's date format, defaults and ranges (they differ for
        all accounts)."""
        raise NotImplementedError

    def order_path(self, account: Optional[str], order_id: Optional[int] = None) -> str:
        """Where an account's orders are listed and placed (all accounts' listed when None), or where one
        order is read, replaced and canceled."""
        raise NotImplementedError

    def preview_path(self, account: str) -> str:
        """Where an order is previewed (checked and priced, not placed)."""
        raise self.unsupported("Previewing an order (preview_order)")

    def order_id(self, location: str, account: str) -> Optional[int]:
        """The order id in a ``Location`` header answering an order placed in ``account``; None if there is none."""
        raise NotImplementedError

    def transactions_query(self, types: Optional[List[str]], symbol: Optional[str], start: Optional[datetime],
                           end: Optional[datetime], tz: tzinfo) -> Dict[str, Any]:
        """The query listing transactions, with the provider's parameter names, formats, defaults and ranges."""
        raise NotImplementedError

    def transactions_path(self, account: str, transaction_id: Optional[int] = None) -> str:
        """An account's transactions, or one of them."""
        raise NotImplementedError

    def transaction_columns(self, answer: Any) -> Dict[str, List[Any]]:
        """Transactions (a list, or one object) as columns of values in pyTD's names (see
        :func:`pyTD.frames.columns_of`: accounts hold thousands of transactions)."""
        raise NotImplementedError

    def user_principals_request(self, fields: List[str]) -> Request:
        """The user's principals (accounts, streamer keys), with the optional ``fields``."""
        raise self.unsupported("User principals (get_user_principals; use get_user_preferences)")

    def user_preferences_request(self, account: Optional[str]) -> Request:
        """The user's preferences (of one account where the provider keeps them per account)."""
        raise NotImplementedError

    def watchlists_path(self, account: Optional[str], watchlist_id: Optional[str] = None) -> str:
        """An account's watchlists (all accounts' when None), or one of them."""
        raise self.unsupported("Watchlists")

    def watchlist_id(self, location: str) -> Optional[str]:
        """The watchlist id in the ``Location`` of a created watchlist, or None."""
        raise self.unsupported("Watchlists")

    def unsupported(self, what: str) -> UnsupportedError:
        """The error for a capability this provider does not have."""
        return UnsupportedError(f"{what} is not available on {self.title} (provider {self.name!r})")

    def __repr__(self) -> str:
        return f"<provider {self.name}>"


def span(start: Optional[Any], end: Optional[Any], now: Any, default: timedelta, names: Sequence[str],
         within: Optional[timedelta] = None, longest: timedelta = timedelta(days=366)) -> Tuple[Any, Any]:
    """``(start, end)`` (dates, or aware datetimes) with a missing end filled in as ``now`` and a missing start
    as ``default`` before the end (not before ``within`` of now), then checked: start not after end, at most
    ``longest`` apart (a provider's "one year", with a day to spare for a whole end day), start not more than
    ``within`` ago. ``names`` are the arguments' names for the messages. Raises ValueError.
    """
    last = end if end is not None else now
    first = start if start is not None else last - default
    if start is None and within is not None:
        first = max(first, now - within)
    if first > last:
        raise ValueError(f"{names[0]} must not be after {names[1]}")
    if last - first > longest:
        raise ValueError(f"{names[0]} and {names[1]} may be at most a year apart")
    if within is not None and first < now - within:
        raise ValueError(f"{names[0]} must be within the last {within.days} days")
    return first, last


def records(answer: Any) -> List[Dict[str, Any]]:
    """The objects of an answer that is a list of them, or one."""
    return [item for item in (answer if isinstance(answer, list) else [answer]) if isinstance(item, dict)]


def parts_of(order: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    """An order and every order below it (an OCO's or a TRIGGER's children, theirs, ...)."""
    parts = [order]
    for child in order.get("childOrderStrategies") or []:
        if isinstance(child, dict):
            parts += parts_of(child)
    return parts


def legs_of(order: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    """Every leg of an order and of the orders below it."""
    return [leg for part in parts_of(order) for leg in part.get("orderLegCollection") or [] if isinstance(leg, dict)]


def location_id(location: str, pattern: str, account: str) -> Optional[int]:
    """The id at the end of a ``Location`` matching ``pattern`` (groups: account, id), if the account is ours."""
    match = re.search(pattern, urlsplit(location or "").path)
    if match is None or unquote(match.group(1)) != account:
        return None
    return int(match.group(2))


def read_option_symbol(pattern: re.Pattern[str], symbol: str, divisor: int = 1) -> Optional[OptionSymbol]:
    """The parts of an option symbol a provider's pattern reads (groups root, year, month, day, kind, strike;
    the strike divided by ``divisor``), or None."""
    match = pattern.fullmatch(symbol.strip().upper())
    if match is None:
        return None
    parts = match.groupdict()
    try:
        expiration = date(2000 + int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None
    return OptionSymbol(parts["root"], expiration, "CALL" if parts["kind"] == "C" else "PUT",
                        float(parts["strike"]) / divisor)


def plain_strike(strike: Union[float, Decimal]) -> str:
    """A strike without trailing zeros: ``2200.0`` -> ``"2200"``, ``42.5`` -> ``"42.5"``."""
    return format(Decimal(str(strike)).normalize(), "f")


def option_parts(expiration: Any, contract_type: str, strike: Any) -> Tuple[date, str, Decimal]:
    """Checked option-symbol parts: the expiration day, ``C`` or ``P``, and the strike as a Decimal."""
    if isinstance(expiration, datetime):
        expiration = expiration.date()
    elif isinstance(expiration, str):
        try:
            expiration = date.fromisoformat(expiration.strip()[:10])
        except ValueError:
            raise ValueError(f"expiration must be a date such as 2025-12-19, got {expiration!r}") from None
    if not isinstance(expiration, date):
        raise ValueError(f"expiration must be a date, got {expiration!r}")
    kind = str(contract_type).strip().upper()
    if kind not in ("C", "P", "CALL", "PUT"):
        raise ValueError(f"contract_type must be CALL or PUT (or C, P), got {contract_type!r}")
    if isinstance(strike, bool) or not isinstance(strike, (int, float, Decimal, str)):
        raise ValueError(f"strike must be a positive number, got {strike!r}")
    try:
        value = Decimal(str(strike).strip())
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or value <= 0:
        raise ValueError(f"strike must be a positive number, got {strike!r}")
    return expiration, kind[0], value


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

