"""Quotes: ``/marketdata/quotes``."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Union

from pyTD.exceptions import ResourceNotFound

BATCH_SIZE = 100  # symbols per request that TD accepts


def symbol_list(symbols: Union[str, Iterable[str]]) -> List[str]:
    """Normalise one symbol, a comma-separated string, or an iterable of symbols.

    Raises
    ------
    ValueError
        If no symbol is given, or one is not a non-empty string.
    """
    items = symbols.split(",") if isinstance(symbols, str) else list(symbols)
    result = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"symbols must be non-empty strings, got {item!r}")
        result.append(item.strip().upper())
    if not result:
        raise ValueError("no symbols given")
    return list(dict.fromkeys(result))


def get_quotes(symbols: Union[str, Iterable[str]], api: Optional[Any] = None) -> Dict[str, Any]:
    """Latest quotes for any number of symbols, as ``{SYMBOL: {field: value}}``.

    Parameters
    ----------
    symbols : str or iterable of str
        ``"AAPL"``, ``"AAPL,MSFT"`` or ``["AAPL", "MSFT"]``; sent in batches of 100.
    api : pyTD.api.api, optional
        The client to use (default: one built from the environment).

    Raises
    ------
    ResourceNotFound
        If none of the symbols is known; unknown ones are otherwise left out.
    """
    from pyTD.api import default_api

    client = api if api is not None else default_api()
    wanted = symbol_list(symbols)
    quotes: Dict[str, Any] = {}
    for start in range(0, len(wanted), BATCH_SIZE):
        batch = ",".join(wanted[start:start + BATCH_SIZE])
        quotes.update(client.request("GET", "/marketdata/quotes", params={"symbol": batch}))
    if not quotes:
        raise ResourceNotFound(f"No quotes for {', '.join(wanted[:10])}: unknown symbol(s)", status=404)
    return quotes
