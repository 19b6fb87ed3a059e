"""What the market-data and instrument functions share: the client, argument checks, batching, output formats."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, List, Optional, Sequence, Union

if TYPE_CHECKING:
    from pyTD.api import api as API

log = logging.getLogger("pyTD")

OUTPUT_FORMATS = ("json", "pandas")
Symbols = Union[str, Iterable[str]]
DateLike = Union[datetime, date, str, int, float]


def client(api: Optional[API]) -> API:
    """The given client, or the default one built from the environment."""
    if api is not None:
        return api
    from pyTD.api import default_api

    return default_api()


def check_output_format(output_format: str) -> str:
    """Raise ValueError unless ``output_format`` is one of :data:`OUTPUT_FORMATS`."""
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"output_format must be one of {', '.join(map(repr, OUTPUT_FORMATS))}, "
                         f"not {output_format!r}")
    if output_format == "pandas":
        pandas()  # fail before any request is sent
    return output_format


def pandas() -> Any:
    """Import pandas, or explain how to install it."""
    try:
        import pandas
    except ImportError:
        raise ImportError("output_format='pandas' needs pandas: pip install 'pyTD[pandas]'") from None
    return pandas


def symbol_list(symbols: Symbols) -> List[str]:
    """Normalise one symbol, a comma-separated string, or an iterable of symbols (upper-cased, unique).

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


def choice(value: Optional[str], name: str, accepted: Sequence[str]) -> Optional[str]:
    """Check a value against TD's accepted values (case-insensitive); None passes."""
    if value is None:
        return None
    for option in accepted:
        if str(value).lower() == option.lower():
            return option
    raise ValueError(f"{name} must be one of {', '.join(accepted)}; got {value!r}")


def epoch_ms(value: Optional[DateLike], name: str) -> Optional[int]:
    """Convert a datetime, date, ISO string or epoch milliseconds to epoch milliseconds (UTC).

    Naive datetimes and dates are taken as UTC, never local time.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a date, not {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not an ISO date such as 2024-05-10 or "
                             "2024-05-10T14:30:00Z") from None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    else:
        raise ValueError(f"{name} must be a datetime, date, ISO string or epoch milliseconds, "
                         f"not {type(value).__name__}")
    return int(moment.timestamp() * 1000)


def iso_date(value: Optional[DateLike], name: str) -> Optional[str]:
    """Convert a date-like value to ``YYYY-MM-DD`` (UTC)."""
    ms = epoch_ms(value, name)
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d")


def params(**values: Any) -> dict:
    """Only the parameters that were given; booleans as TD spells them."""
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


BATCH_SIZE = 100  # symbols per request TD accepts
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


def fetch_batched(api: Optional[API], path: str, symbols: Symbols, what: str, show_progress: bool,
                  **extra: Any) -> dict:
    """GET ``path`` for all symbols in batches and merge the ``{SYMBOL: ...}`` answers.

    Unknown symbols are left out and logged at INFO.

    Raises
    ------
    ResourceNotFound
        If none of the symbols was found.
    """
    from pyTD.exceptions import ResourceNotFound

    wanted = symbol_list(symbols)
    td = client(api)
    merged: dict = {}
    groups = batches(wanted)
    for group in progress_bar(groups, len(groups), show_progress, what):
        merged.update(td.request("GET", path, params={"symbol": group, **extra}))
    missing = [s for s in wanted if s not in merged]
    if missing:
        log.info("No %s for %d unknown symbol(s): %s", what, len(missing), ", ".join(missing[:20]))
    if not merged:
        raise ResourceNotFound(f"No {what} for {', '.join(wanted[:10])}: unknown symbol(s)", status=404)
    return merged


def table(rows: dict) -> Any:
    """``{key: {field: value}}`` as a DataFrame, one row per key."""
    pd = pandas()
    return pd.DataFrame.from_dict(rows, orient="index")
