"""What a provider profile says about its WebSocket streamer: services, their field tables, and a login.

The profiles (:mod:`pyTD.providers.td`, :mod:`pyTD.providers.schwab`) build these from their contracts;
:mod:`pyTD.stream` reads them and never asks which provider it talks to.

Field names are pyTD's own, one vocabulary for both providers: the same fact has the same name
(``lastPrice``, ``tradeTime``), whatever number each provider gives it. :data:`KINDS` says what each
name holds, in :mod:`pyTD.frames` kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

CHANGE, WHOLE, ALL = "change", "whole", "all"  # delivery: changed fields only; whole records; every record (seq)


@dataclass(frozen=True)
class StreamService:
    """One streaming service of a provider.

    Attributes
    ----------
    name : str
        The provider's name for it (``"LEVELONE_EQUITIES"``).
    neutral : str
        pyTD's name (``"quotes"``); the provider's name where pyTD has none.
    fields : tuple of str
        pyTD's field names by field number; number 0 is the key (``symbol``).
    delivery : str
        :data:`CHANGE` (only changed fields arrive: merge per key), :data:`WHOLE` or :data:`ALL`.
    add : bool
        The provider takes ADD; otherwise pyTD re-sends SUBS with every key.
    symbols : bool
        Keys are symbols (upper-cased, spelt as the provider does); otherwise free text.
    venue : str, optional
        The venue of a book or screener service (``"NYSE"``, ``"NASDAQ"``, ``"OPTIONS"``, ``"EQUITY"``).
    makers : tuple of str
        Books: the names of a market maker's entries in a price level.
    """

    name: str
    neutral: str
    fields: Tuple[str, ...]
    delivery: str
    add: bool = True
    symbols: bool = True
    venue: Optional[str] = None
    makers: Tuple[str, ...] = ()


@dataclass(frozen=True)
class StreamerLogin:
    """One connection's worth of what the user-info answer says.

    Attributes
    ----------
    url : str
        The WebSocket URL to open.
    identity : dict
        The fields every request carries after ``requestid`` (TD: ``account``, ``source``; Schwab:
        ``SchwabClientCustomerId``, ``SchwabClientCorrelId``), in order.
    parameters : dict
        The LOGIN request's ``parameters``, in order. Holds a secret: never logged.
    activity_key : str
        The key account activity is subscribed with.
    """

    url: str
    identity: Dict[str, str]
    parameters: Dict[str, str] = field(repr=False)
    activity_key: str = field(repr=False)


def table(names: str) -> Tuple[str, ...]:
    """Field names by number, from the names written in order, separated by white space."""
    return tuple(names.split())


def services(*found: StreamService) -> Dict[str, StreamService]:
    """Services by the provider's name."""
    return {service.name: service for service in found}


def venues(found: Mapping[str, StreamService], neutral: str) -> Dict[str, StreamService]:
    """The services of a neutral name with venues (books, screeners), by venue."""
    return {s.venue: s for s in found.values() if s.neutral == neutral and s.venue is not None}


# Tables both providers use as they are (td-trading.md §8, schwab-api.md §7).
FOREX = table("""
    symbol bidPrice askPrice lastPrice bidSize askSize totalVolume lastSize quoteTime tradeTime highPrice lowPrice
    closePrice exchange description openPrice netChange percentChange exchangeName digits securityStatus tick
    tickAmount product tradingHours isTradable marketMaker 52WkHigh 52WkLow mark""")
CHART_FUTURES = table("symbol chartTime open high low close volume")
BOOK = table("symbol bookTime bids asks")
ACCOUNT_ACTIVITY = table("key accountNumber messageType messageData")

# Services both providers stream alike. Account activity takes SUBS and UNSUBS only; its key comes from the login.
CHART_FUTURES_SERVICE = StreamService("CHART_FUTURES", "chart_futures", CHART_FUTURES, ALL)
ACCOUNT_ACTIVITY_SERVICE = StreamService("ACCT_ACTIVITY", "account_activity", ACCOUNT_ACTIVITY, ALL, add=False,
                                         symbols=False)

# What each field name holds. A name missing here is passed through as sent.
KINDS: Dict[str, str] = {
    **dict.fromkeys((
        "symbol", "key", "description", "askId", "bidId", "lastId", "exchange", "exchangeName", "securityStatus",
        "bidTick", "contractType", "underlying", "deliverables", "uvExpirationType", "askMICId", "bidMICId",
        "lastMICId", "product", "futurePriceFormat", "futureTradingHours", "futureActiveSymbol", "expirationStyle",
        "settlementType", "optionRoot", "exerciseType", "tradingHours", "marketMaker", "sortField",
        "accountNumber", "messageType", "messageData", "headline", "headlineId", "storyId", "storySource",
        "status", "keywords"), "str"),
    **dict.fromkeys((
        "bidPrice", "askPrice", "lastPrice", "highPrice", "lowPrice", "closePrice", "openPrice", "netChange",
        "volatility", "52WkHigh", "52WkLow", "peRatio", "divAmount", "divYield", "nAV", "fundPrice", "islandBid",
        "islandAsk", "regularMarketLastPrice", "regularMarketNetChange", "mark", "netPercentChange",
        "regularMarketPercentChange", "markChange", "markPercentChange", "htbRate", "postMarketNetChange",
        "postMarketPercentChange", "moneyIntrinsicValue", "multiplier", "strikePrice", "timeValue", "delta",
        "gamma", "theta", "vega", "rho", "theoreticalOptionValue", "underlyingPrice", "impliedYield",
        "indicativeAskPrice", "indicativeBidPrice", "futurePercentChange", "tick", "tickAmount",
        "futureMultiplier", "futureSettlementPrice", "percentChange", "open", "high", "low", "close", "volume"),
        "float"),
    **dict.fromkeys((
        "bidSize", "askSize", "totalVolume", "lastSize", "islandVolume", "islandBidSize", "islandAskSize",
        "digits", "regularMarketLastSize", "openInterest", "expirationYear", "expirationMonth", "expirationDay",
        "daysToExpiration", "htbQuantity", "hardToBorrow", "quoteDay", "tradeDay", "regularMarketTradeDay",
        "quoteSeconds", "tradeSeconds", "regularMarketTradeSeconds", "sequence", "lastSequence", "frequency",
        "errorCode", "keywordCount", "seq"), "int"),
    **dict.fromkeys((
        "marginable", "regularMarketQuote", "regularMarketTrade", "isPennyPilot", "futureIsTradable",
        "futureIsActive", "quotedInSession", "isTradable", "isHot", "delayed"), "bool"),
    **dict.fromkeys((
        "quoteTime", "tradeTime", "regularMarketTradeTime", "bidTime", "askTime", "lastTradingDay",
        "indicativeQuoteTime", "futureExpirationDate", "settlementDate", "chartTime", "bookTime", "snapshotTime",
        "storyTime"), "time"),
    **dict.fromkeys(("divDate", "chartDay"), "day"),
    **dict.fromkeys(("bids", "asks", "items"), "obj"),
}


def field_numbers(service: StreamService, fields: Optional[Sequence[Any]]) -> Tuple[int, ...]:
    """The field numbers to subscribe: ascending, with 0; all of them when ``fields`` is None.

    ``fields`` holds pyTD's names or the provider's numbers.

    Raises
    ------
    ValueError
        For a name or number the service does not have.
    """
    if fields is None:
        return tuple(range(len(service.fields)))
    if isinstance(fields, (str, int)):
        fields = [fields]
    numbers = {0}
    for item in fields:
        number = _number(service, item)
        if number is None:
            raise ValueError(f"{service.name} has no field {item!r}; its fields are "
                             f"{', '.join(service.fields)} (or their numbers 0-{len(service.fields) - 1})")
        numbers.add(number)
    return tuple(sorted(numbers))


def _number(service: StreamService, item: Any) -> Optional[int]:
    if isinstance(item, bool):
        return None
    if isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
        number = int(item)
        return number if 0 <= number < len(service.fields) else None
    try:
        return service.fields.index(str(item))
    except ValueError:
        return None
