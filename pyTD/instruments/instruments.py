"""Instruments: symbol search, CUSIP lookup and fundamentals."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union, overload

from pyTD.checks import Symbols, choice, symbol_list
from pyTD.exceptions import ResourceNotFound
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

PROJECTIONS = ("symbol-search", "symbol-regex", "desc-search", "desc-regex", "search", "fundamental")

# One row per instrument, indexed by symbol, for a search and a CUSIP lookup alike.
INSTRUMENTS = Table("instruments",
                    {"symbol": "str", "cusip": "str", "description": "str", "exchange": "str", "assetType": "str"},
                    optional={"bondPrice": "float", "type": "str"}, index="symbol")
# Fundamentals: the instrument's fields, then the fundamental ones.
FUNDAMENTALS = Table(
    "fundamentals",
    {
        **INSTRUMENTS.columns, "high52": "float", "low52": "float", "dividendAmount": "float",
        "dividendYield": "float", "dividendDate": "day", "peRatio": "float", "pegRatio": "float",
        "pbRatio": "float", "prRatio": "float", "pcfRatio": "float", "grossMarginTTM": "float",
        "grossMarginMRQ": "float", "netProfitMarginTTM": "float", "netProfitMarginMRQ": "float",
        "operatingMarginTTM": "float", "operatingMarginMRQ": "float", "returnOnEquity": "float",
        "returnOnAssets": "float", "returnOnInvestment": "float", "quickRatio": "float", "currentRatio": "float",
        "interestCoverage": "float", "totalDebtToCapital": "float", "ltDebtToEquity": "float",
        "totalDebtToEquity": "float", "epsTTM": "float", "epsChangePercentTTM": "float", "epsChangeYear": "float",
        "epsChange": "float", "revChangeYear": "float", "revChangeTTM": "float", "revChangeIn": "float",
        "sharesOutstanding": "float", "marketCapFloat": "float", "marketCap": "float",
        "bookValuePerShare": "float", "shortIntToFloat": "float", "shortIntDayToCover": "float",
        "divGrowthRate3Year": "float", "dividendPayAmount": "float", "dividendPayDate": "day", "beta": "float",
        "vol1DayAvg": "float", "vol10DayAvg": "float", "vol3MonthAvg": "float",
    },
    index="symbol",
)

Found = Dict[str, Any]


@overload
def get_instruments(symbol: str, projection: str = ..., *, api: Optional[Client] = ...,
                    output_format: JSONFormat = ..., errors: Errors = ...) -> Found: ...
@overload
def get_instruments(symbol: str, projection: str = ..., *, api: Optional[Client] = ...,
                    output_format: PandasFormat, errors: Errors = ...) -> pd.DataFrame: ...
def get_instruments(symbol: str, projection: str = "symbol-search", *, api: Optional[Client] = None,
                    output_format: str = "json", errors: Errors = "warn") -> Union[Found, pd.DataFrame]:
    """Search instruments by symbol or description.

    Parameters
    ----------
    symbol : str
        Symbols (comma- or space-separated), a regular expression, or
        description text, depending on ``projection``.
    projection : {"symbol-search", "symbol-regex", "desc-search", "desc-regex", "search", "fundamental"}
        ``search`` is Schwab only.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON as the provider sent it (TD: ``{SYMBOL: {...}}``; Schwab:
        ``{"instruments": [...]}``), or a DataFrame with one row per
        instrument indexed by symbol.
    errors : {"warn", "raise", "ignore"}
        What to do about unknown symbols in a ``symbol-search`` or
        ``fundamental`` search (see :func:`~pyTD.market.get_quotes`).
    """
    check_output_format(output_format)
    check_errors(errors)
    projection = choice(projection, "projection", PROJECTIONS) or ""
    if not isinstance(symbol, str) or not symbol.strip():
        raise ValueError(f"symbol must be a non-empty string, got {symbol!r}")
    if projection.endswith("regex"):
        try:
            re.compile(symbol)
        except re.error as exc:
            raise ValueError(f"symbol is not a valid regular expression: {exc}") from None
    if projection in ("symbol-search", "fundamental"):
        return _by_symbol(symbol, projection, api, output_format, errors, True)
    td = client(api)
    # sent verbatim: a space can matter in a description or a regular expression
    answer = send(td, td.profile.instruments_request(symbol, projection))
    return answer if output_format == "json" else _frame(td.profile.instruments_found(answer), td, INSTRUMENTS)


@overload
def get_instrument(cusip: str, *, api: Optional[Client] = ..., output_format: JSONFormat = ...,
                   errors: Errors = ...) -> Any: ...
@overload
def get_instrument(cusip: str, *, api: Optional[Client] = ..., output_format: PandasFormat,
                   errors: Errors = ...) -> pd.DataFrame: ...
def get_instrument(cusip: str, *, api: Optional[Client] = None, output_format: str = "json",
                   errors: Errors = "warn") -> Any:
    """The instrument with a CUSIP.

    Parameters
    ----------
    cusip : str
        Nine letters or digits (leading zeros kept).
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON as the provider sent it (TD: a one-element list; Schwab:
        ``{"instruments": [...]}``), or a one-row DataFrame indexed by
        symbol, like :func:`get_instruments`.
    errors : {"warn", "raise", "ignore"}
        What to do about an unknown CUSIP: the result is then empty (JSON
        ``[]``, or an empty DataFrame).
    """
    check_output_format(output_format)
    check_errors(errors)
    if not isinstance(cusip, str) or not re.fullmatch(r"[0-9A-Za-z]{9}", cusip.strip()):
        raise ValueError(f"cusip must be 9 letters or digits, got {cusip!r}")
    td = client(api)
    try:
        answer = send(td, td.profile.instrument_request(cusip.strip().upper()))
    except ResourceNotFound:
        answer = []
    found = td.profile.instrument_found(answer)
    if not found:
        unknown_symbols([cusip.strip().upper()], errors, "instrument")
    if output_format == "json":
        return answer
    return _frame(found, td, INSTRUMENTS)


@overload
def get_fundamentals(symbols: Symbols, *, api: Optional[Client] = ..., output_format: JSONFormat = ...,
                     errors: Errors = ..., progress: bool = ...) -> Found: ...
@overload
def get_fundamentals(symbols: Symbols, *, api: Optional[Client] = ..., output_format: PandasFormat,
                     errors: Errors = ..., progress: bool = ...) -> pd.DataFrame: ...
def get_fundamentals(symbols: Symbols, *, api: Optional[Client] = None, output_format: str = "json",
                     errors: Errors = "warn", progress: bool = True) -> Union[Found, pd.DataFrame]:
    """Fundamental data (P/E, dividend yield, market cap, ...) for any number of symbols.

    Parameters
    ----------
    symbols : str or iterable of str
        Any number, sent in batches of at most 100.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON as the provider sent it (TD: ``{SYMBOL: {..., "fundamental":
        {...}}}``; Schwab: ``{"instruments": [...]}``), or a DataFrame with one
        row per symbol: the instrument's fields and the fundamental ones, the
        dates as days.
    errors : {"warn", "raise", "ignore"}
        What to do about unknown symbols (see :func:`~pyTD.market.get_quotes`).
    """
    check_output_format(output_format)
    check_errors(errors)
    return _by_symbol(symbols, "fundamental", api, output_format, errors, progress)


def _by_symbol(symbols: Symbols, projection: str, api: Optional[Client], output_format: str, errors: Errors,
               progress: bool) -> Union[Found, pd.DataFrame]:
    """Look symbols up in batches of at most 100; unknown ones are reported as ``errors`` says."""
    wanted = symbol_list(symbols)
    td = client(api)
    asked = {td.profile.symbol(s): s for s in wanted}
    requests = [td.profile.instruments_request(group, projection) for group in batches(list(asked))]
    answers: List[Any] = [send(td, request) for request in progress_bar(requests, len(requests), progress,
                                                                        projection)]
    found = {symbol: info for answer in answers for symbol, info in td.profile.instruments_found(answer).items()}
    what = "fundamentals" if projection == "fundamental" else "instruments"
    unknown_symbols([asked[s] for s in asked if s not in found], errors, what)
    if output_format == "json":
        return td.profile.merge_instruments(answers)
    return _frame(found, td, FUNDAMENTALS if projection == "fundamental" else INSTRUMENTS)


def _frame(found: Found, td: Client, table: Table) -> pd.DataFrame:
    rows = []
    for symbol, info in found.items():
        row = {key: value for key, value in info.items() if key != "fundamental"}
        row.setdefault("symbol", symbol)
        row.update(info.get("fundamental") or {})
        rows.append(row)
    return to_frame(table, rows, td)
