"""Quotes: the latest prices of any number of symbols."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union, overload

from pyTD.checks import Symbols, symbol_list
from pyTD.fetch import (
    Errors,
    JSONFormat,
    PandasFormat,
    batches,
    check_errors,
    check_output_format,
    client,
    progress_bar,
    send,
    to_frame,
    unknown_symbols,
)
from pyTD.frames import Table

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

# pyTD's quote columns: TD's field names, which Schwab's nested quotes are mapped to.
QUOTES = Table(
    "quotes",
    {
        "symbol": "str", "description": "str", "assetType": "str", "bidPrice": "float", "bidSize": "int",
        "bidId": "str", "askPrice": "float", "askSize": "int", "askId": "str", "lastPrice": "float",
        "lastSize": "int", "lastId": "str", "openPrice": "float", "highPrice": "float", "lowPrice": "float",
        "bidTick": "str", "closePrice": "float", "netChange": "float", "totalVolume": "int",
        "quoteTimeInLong": "time", "tradeTimeInLong": "time", "mark": "float", "exchange": "str",
        "exchangeName": "str", "marginable": "bool", "shortable": "bool", "volatility": "float", "digits": "int",
        "52WkHigh": "float", "52WkLow": "float", "nAV": "float", "peRatio": "float", "divAmount": "float",
        "divYield": "float", "divDate": "day", "securityStatus": "str", "regularMarketLastPrice": "float",
        "regularMarketLastSize": "int", "regularMarketNetChange": "float", "regularMarketTradeTimeInLong": "time",
        "netPercentChangeInDouble": "float", "markChangeInDouble": "float", "markPercentChangeInDouble": "float",
        "regularMarketPercentChangeInDouble": "float", "delayed": "bool",
    },
    optional={
        # options
        "openInterest": "int", "moneyIntrinsicValue": "float", "multiplier": "float", "strikePrice": "float",
        "contractType": "str", "underlying": "str", "expirationDay": "int", "expirationMonth": "int",
        "expirationYear": "int", "daysToExpiration": "int", "timeValue": "float", "deliverables": "str",
        "delta": "float", "gamma": "float", "theta": "float", "vega": "float", "rho": "float",
        "theoreticalOptionValue": "float", "underlyingPrice": "float", "uvExpirationType": "str",
        "lastTradingDay": "time", "settlementType": "str",
        # TD's forex quotes
        "bidPriceInDouble": "float", "askPriceInDouble": "float", "lastPriceInDouble": "float",
        "bidSizeInLong": "int", "askSizeInLong": "int", "lastSizeInLong": "int", "highPriceInDouble": "float",
        "lowPriceInDouble": "float", "closePriceInDouble": "float", "openPriceInDouble": "float",
        "changeInDouble": "float", "percentChange": "float", "tick": "float", "tickAmount": "float",
        "product": "str", "tradingHours": "str", "isTradable": "bool", "marketMaker": "str",
        "52WkHighInDouble": "float", "52WkLowInDouble": "float", "cusip": "str",
        # futures, on both providers
        "futurePercentChange": "float", "futurePriceFormat": "str", "futureTradingHours": "str",
        "futureIsTradable": "bool", "futureMultiplier": "float", "futureIsActive": "bool",
        "futureSettlementPrice": "float", "futureActiveSymbol": "str", "futureExpirationDate": "time",
    },
    index="symbol",
)


@overload
def get_quotes(symbols: Symbols, *, api: Optional[Client] = ..., output_format: JSONFormat = ...,
               errors: Errors = ..., progress: bool = ..., fields: Optional[Symbols] = ...,
               indicative: Optional[bool] = ...) -> Dict[str, Dict[str, Any]]: ...
@overload
def get_quotes(symbols: Symbols, *, api: Optional[Client] = ..., output_format: PandasFormat,
               errors: Errors = ..., progress: bool = ..., fields: Optional[Symbols] = ...,
               indicative: Optional[bool] = ...) -> pd.DataFrame: ...
def get_quotes(symbols: Symbols, *, api: Optional[Client] = None, output_format: str = "json", errors: Errors = "warn",
               progress: bool = True, fields: Optional[Symbols] = None,
               indicative: Optional[bool] = None) -> Union[Dict[str, Dict[str, Any]], pd.DataFrame]:
    """Latest quotes for any number of symbols.

    Parameters
    ----------
    symbols : str or iterable of str
        ``"AAPL"``, ``"AAPL,MSFT"``, ``"AAPL MSFT"`` or ``["AAPL", "MSFT"]``;
        any number, sent in batches of at most 100. Index names work on both
        providers (``$SPX.X`` and ``$SPX``).
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON: ``{SYMBOL: {...}}`` exactly as the provider sent each quote (TD:
        flat; Schwab: nested ``quote``, ``reference``, ...). pandas: one row
        per symbol with the same columns on both providers (TD's field names;
        Schwab-only fields as extra columns), times in the api's time zone.
    errors : {"warn", "raise", "ignore"}
        What to do about unknown symbols: log one WARNING naming them, raise
        :class:`~pyTD.exceptions.ResourceNotFound`, or leave them out silently.
    progress : bool
        Show a progress bar for many batches on a terminal (needs tqdm).
    fields : str or iterable of str, optional
        Schwab only: the blocks to return (``quote``, ``fundamental``,
        ``extended``, ``reference``, ``regular``; default all).
    indicative : bool, optional
        Schwab only: also return ``$ABC.IV`` indicative quotes for ETFs.

    Raises
    ------
    ResourceNotFound
        With ``errors="raise"``, if any symbol is unknown.
    ValueError
        For an option the provider does not have, before anything is sent.

    Examples
    --------
    >>> get_quotes(["AAPL", "MSFT"], api=a)["AAPL"]  # doctest: +SKIP
    """
    check_output_format(output_format)
    check_errors(errors)
    wanted = symbol_list(symbols)
    blocks = None if fields is None else symbol_list(fields)
    td = client(api)
    profile = td.profile
    asked = {profile.symbol(s): s for s in wanted}
    requests = [profile.quotes_request(group, blocks, indicative) for group in batches(list(asked))]
    found: Dict[str, Dict[str, Any]] = {}
    for request in progress_bar(requests, len(requests), progress, "quotes"):
        found.update(profile.quotes_found(send(td, request)))
    unknown_symbols([asked[s] for s in asked if s not in found], errors, "quotes")
    if output_format == "json":
        return found
    return quotes_frame(found, td, asked)


def quotes_frame(found: Dict[str, Dict[str, Any]], td: Client,
                 names: Optional[Dict[str, str]] = None) -> pd.DataFrame:
    """One row per quote, indexed by symbol: as the user wrote it (``names``: the provider's symbol -> the
    user's), so ``$SPX.X`` labels the same row on both providers."""
    rows: List[Dict[str, Any]] = []
    for symbol, quote in found.items():
        row = td.profile.quote_row(symbol, quote)
        row["symbol"] = (names or {}).get(symbol, row.get("symbol", symbol))
        rows.append(row)
    return to_frame(QUOTES, rows, td)
