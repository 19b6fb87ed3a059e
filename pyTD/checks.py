"""Argument checks and conversions shared by every data function and provider profile.

Each raises ValueError naming the argument, before anything is sent.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Iterable, List, Optional, Sequence, Union

Symbols = Union[str, Iterable[str]]
DateLike = Union[datetime, date, str, int, float]


def symbol_list(symbols: Symbols) -> List[str]:
    """Normalise one symbol, a comma- or whitespace-separated string, or an iterable of symbols.

    Symbols are upper-cased and kept once each, in order. A string keeps
    spaces only where they are part of a symbol: Schwab's option symbols pad
    the root with spaces (``"AAPL  251219C00200000"``), so a string with a
    comma is split at commas only.

    Raises
    ------
    ValueError
        If no symbol is given, or one is not a non-empty string.
    """
    if isinstance(symbols, str):
        items: List[Any] = symbols.split(",") if "," in symbols else _split_words(symbols)
    else:
        items = list(symbols)
    result = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"symbols must be non-empty strings, got {item!r}")
        result.append(item.strip().upper())
    if not result:
        raise ValueError("no symbols given")
    return list(dict.fromkeys(result))


_OPTION_SYMBOL = re.compile(r"[A-Za-z.]{1,6} +\d{6}[CPcp]\d{8}")


def _split_words(text: str) -> List[str]:
    """Split at whitespace, except inside a space-padded option symbol."""
    stripped = text.strip()
    if _OPTION_SYMBOL.fullmatch(stripped):
        return [stripped]
    return stripped.split() or [text]


def choice(value: Optional[str], name: str, accepted: Sequence[str]) -> Optional[str]:
    """Check a value against the accepted values (case-insensitive); None passes."""
    if value is None:
        return None
    for option in accepted:
        if str(value).lower() == option.lower():
            return option
    raise ValueError(f"{name} must be one of {', '.join(accepted)}; got {value!r}")


def whole(value: Optional[int], name: str) -> Optional[int]:
    """Check a whole number >= 0; None passes."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return value


def number(value: Optional[float], name: str) -> Optional[float]:
    """Check a number; None passes."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return value


def flag(value: Optional[bool], name: str) -> Optional[bool]:
    """Check True or False; None passes."""
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, not {value!r}")
    return value


# -- dates ----------------------------------------------------------------------------------------------


def moment(value: Optional[DateLike], name: str, tz: tzinfo, *, end: bool = False) -> Optional[datetime]:
    """Read a date-like value as an aware datetime.

    Naive datetimes and day-only values are in ``tz`` (the market's zone by
    default, never the computer's). A day alone means its first moment, or
    with ``end`` its last (the whole day is included). Numbers are epoch
    milliseconds.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a date, not {value!r}")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz)
    if isinstance(value, str):
        value = _parse(value, name)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        day = datetime.combine(value, time(), tz)
        return day + timedelta(days=1, milliseconds=-1) if end else day
    raise ValueError(f"{name} must be a datetime, date, ISO string or epoch milliseconds, "
                     f"not {type(value).__name__}")


def _parse(text: str, name: str) -> Union[date, datetime]:
    text = text.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not an ISO date such as 2024-05-10 or "
                         "2024-05-10T09:30:00") from None


def epoch_ms(value: Optional[DateLike], name: str, tz: tzinfo, *, end: bool = False) -> Optional[int]:
    """:func:`moment` as epoch milliseconds."""
    when = moment(value, name, tz, end=end)
    return None if when is None else int(when.timestamp() * 1000)


def iso_date(value: Optional[DateLike], name: str, tz: tzinfo) -> Optional[str]:
    """The day of a date-like value in ``tz``, as ``YYYY-MM-DD``."""
    when = moment(value, name, tz)
    return None if when is None else when.astimezone(tz).strftime("%Y-%m-%d")
