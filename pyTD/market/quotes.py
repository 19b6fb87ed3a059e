"""Quotes: ``/marketdata/quotes``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from pyTD.fetch import Symbols, check_output_format, fetch_batched, table

if TYPE_CHECKING:
    from pyTD.api import api as API


def get_quotes(symbols: Symbols, *, api: Optional[API] = None, output_format: str = "json",
               progress: bool = True) -> Any:
    """Latest quotes for any number of symbols.

    Parameters
    ----------
    symbols : str or iterable of str
        ``"AAPL"``, ``"AAPL,MSFT"`` or ``["AAPL", "MSFT"]``; any number, sent
        in batches of at most 100.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        ``{SYMBOL: {field: value}}``, or a DataFrame with one row per symbol
        and TD's field names as columns.
    progress : bool
        Show a progress bar for many batches on a terminal (needs tqdm).

    Raises
    ------
    ResourceNotFound
        If none of the symbols is known; unknown ones are otherwise left out.

    Examples
    --------
    >>> get_quotes(["AAPL", "MSFT"], api=a)["AAPL"]["lastPrice"]  # doctest: +SKIP
    """
    check_output_format(output_format)
    quotes = fetch_batched(api, "/marketdata/quotes", symbols, "quotes", progress)
    return table(quotes) if output_format == "pandas" else quotes
