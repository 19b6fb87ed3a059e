"""What the data functions share: the client, batching, unknown symbols, output formats.

The argument checks they share are in :mod:`pyTD.checks`; DataFrames are made by :mod:`pyTD.frames`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Literal, Optional, Sequence

from pyTD.client import Client, default_client
from pyTD.exceptions import ResourceNotFound
from pyTD.frames import Table, pandas

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.providers.base import Request

log = logging.getLogger("pyTD")

OUTPUT_FORMATS = ("json", "pandas")
ERRORS = ("warn", "raise", "ignore")
JSONFormat = Literal["json"]
PandasFormat = Literal["pandas"]
Errors = Literal["warn", "raise", "ignore"]


def client(api: Optional[Client]) -> Client:
    """The given client, or the default one built from the environment."""
    return api if api is not None else default_client()


def check_output_format(output_format: str) -> str:
    """Raise ValueError unless ``output_format`` is one of :data:`OUTPUT_FORMATS`."""
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"output_format must be one of {', '.join(map(repr, OUTPUT_FORMATS))}, "
                         f"not {output_format!r}")
    if output_format == "pandas":
        pandas()  # fail before any request is sent
    return output_format


def check_errors(errors: str) -> str:
    """Raise ValueError unless ``errors`` is one of :data:`ERRORS`."""
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {', '.join(map(repr, ERRORS))}, not {errors!r}")
    return errors


def method_doc(function: Callable[..., Any]) -> str:
    """A function's docstring without its ``api`` parameter, for the ``api`` method that is the function."""
    kept: List[str] = []
    skipping = False
    for line in (function.__doc__ or "").splitlines():
        if line.strip().startswith("api : "):
            skipping = True
            continue
        if skipping and line.startswith(" " * 8):  # the parameter's description
            continue
        skipping = False
        kept.append(line)
    return "\n".join(kept)


def delegate(function: Callable[..., Any], client: Client, *args: Any, **kwargs: Any) -> Any:
    """Call a data function with ``api=client`` (its overloads are for the users' type checkers)."""
    return function(*args, api=client, **kwargs)


def to_frame(table: Table, rows: Iterable[Dict[str, Any]], td: Client) -> pd.DataFrame:
    """``rows`` as the table's DataFrame, with the provider's own columns, times in the client's time zone."""
    return table.frame(rows, td.tz, td.profile.tables.get(table.name))


def send(td: Client, request: Request) -> Any:
    """GET a provider's request with the client; return the JSON."""
    return td.request("GET", request.path, params=request.params)


def params(**values: Any) -> Dict[str, Any]:
    """Only the parameters that were given; booleans as the providers spell them."""
    return {key: _wire(value) for key, value in values.items() if value is not None}


def _wire(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def progress_bar(iterable: Iterable[Any], total: int, enabled: bool, what: str) -> Iterable[Any]:
    """Wrap a batch loop in a tqdm bar on a terminal, when tqdm is installed and enabled."""
    if not enabled or total < 2:
        return iterable
    import sys

    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=what, unit="request", leave=False)


BATCH_SIZE = 100  # symbols per request the providers accept
BATCH_CHARS = 1500  # keeps the URL well under common 2 KB limits


def batches(symbols: List[str], size: int = BATCH_SIZE, max_chars: int = BATCH_CHARS) -> List[str]:
    """Split symbols into comma-joined batches of at most ``size`` symbols and ``max_chars`` characters."""
    result: List[str] = []
    current: List[str] = []
    length = 0
    for symbol in symbols:
        if current and (len(current) >= size or length + 1 + len(symbol) > max_chars):
            result.append(",".join(current))
            current, length = [], 0
        current.append(symbol)
        length += len(symbol) + (1 if length else 0)
    if current:
        result.append(",".join(current))
    return result


def unknown_symbols(unknown: Sequence[str], errors: str, what: str) -> None:
    """Tell the user about symbols the provider does not know, as ``errors`` says.

    ``"warn"`` logs one WARNING naming them, ``"raise"`` raises
    ResourceNotFound naming them, ``"ignore"`` does nothing.
    """
    if not unknown or errors == "ignore":
        return
    names = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
    message = f"No {what} for {len(unknown)} unknown symbol{'s' if len(unknown) > 1 else ''}: {names}"
    if errors == "raise":
        raise ResourceNotFound(message, status=404)
    log.warning("%s", message)
