"""Instruments: ``/instruments`` (search, fundamentals) and ``/instruments/{cusip}``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Optional

from pyTD.fetch import (
    Symbols,
    batches,
    check_output_format,
    choice,
    client,
    fetch_batched,
    pandas,
    symbol_list,
    table,
)

if TYPE_CHECKING:
    from pyTD.api import api as API

PROJECTIONS = ("symbol-search", "symbol-regex", "desc-search", "desc-regex", "fundamental")


def get_instruments(symbol: str, projection: str = "symbol-search", *, api: Optional[API] = None,
                    output_format: str = "json") -> Any:
    """Search instruments by symbol or description.

    Parameters
    ----------
    symbol : str
        A symbol (or comma-separated symbols), a regular expression, or
        description text, depending on ``projection``.
    projection : {"symbol-search", "symbol-regex", "desc-search", "desc-regex", "fundamental"}
    output_format : {"json", "pandas"}
        ``{SYMBOL: {"cusip", "symbol", "description", "exchange", "assetType"}}``,
        or a DataFrame with one row per instrument.
    """
    check_output_format(output_format)
    projection = choice(projection, "projection", PROJECTIONS)
    if not isinstance(symbol, str) or not symbol.strip():
        raise ValueError(f"symbol must be a non-empty string, got {symbol!r}")
    if projection.endswith("regex"):
        try:
            re.compile(symbol)
        except re.error as exc:
            raise ValueError(f"symbol is not a valid regular expression: {exc}") from None
    if projection in ("symbol-search", "fundamental"):
        searches = batches(symbol_list(symbol))  # at most 100 symbols a request
    else:
        searches = [symbol]  # sent verbatim: a space can matter in a description or a regular expression
    td = client(api)
    found: dict = {}
    for text in searches:
        found.update(td.request("GET", "/instruments", params={"symbol": text, "projection": projection}))
    return table(found) if output_format == "pandas" else found


def get_instrument(cusip: str, *, api: Optional[API] = None, output_format: str = "json") -> Any:
    """The instrument with a CUSIP, as TD's one-element list (or a one-row DataFrame)."""
    check_output_format(output_format)
    if not isinstance(cusip, str) or not re.fullmatch(r"[0-9A-Za-z]{9}", cusip.strip()):
        raise ValueError(f"cusip must be 9 letters or digits, got {cusip!r}")
    found = client(api).request("GET", f"/instruments/{cusip.strip().upper()}")
    return pandas().DataFrame(found) if output_format == "pandas" else found


def get_fundamentals(symbols: Symbols, *, api: Optional[API] = None, output_format: str = "json",
                     progress: bool = True) -> Any:
    """Fundamental data (P/E, dividend yield, market cap, ...) for any number of symbols.

    Returns
    -------
    dict or DataFrame
        TD's ``{SYMBOL: {..., "fundamental": {...}}}``, or a DataFrame with
        one row per symbol: the instrument's fields and the fundamental ones.
    """
    check_output_format(output_format)
    found = fetch_batched(api, "/instruments", symbols, "fundamentals", progress, projection="fundamental")
    if output_format == "json":
        return found
    rows = {}
    for symbol, info in found.items():
        rows[symbol] = {key: value for key, value in info.items() if key != "fundamental"}
        rows[symbol].update(info.get("fundamental") or {})
    return table(rows)
