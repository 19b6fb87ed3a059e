"""Reading a sandbox request's query parameters the way TD checks them."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import List, Mapping, Optional, Tuple

MAX_SYMBOLS = 100  # per quotes or instruments request

Query = Mapping[str, str]


class BadRequest(Exception):
    """A parameter TD would reject; becomes a 400 with this message."""


def symbols_param(query: Query) -> List[str]:
    raw = query.get("symbol", "")
    symbols = [s.strip().upper() for s in raw.split(",") if s.strip()]
    if not symbols:
        raise BadRequest("symbol is required")
    if len(symbols) > MAX_SYMBOLS:
        raise BadRequest(f"symbol: at most {MAX_SYMBOLS} symbols per request, got {len(symbols)}")
    return symbols


def one_of(query: Query, name: str, accepted: Tuple[str, ...], default: Optional[str] = None) -> Optional[str]:
    value = query.get(name, default)
    if value is not None and value not in accepted:
        raise BadRequest(f"{name} must be one of {', '.join(accepted)}; got {value!r}")
    return value


def whole(query: Query, name: str) -> Optional[int]:
    value = query.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"\d+", value):
        raise BadRequest(f"{name} must be a whole number; got {value!r}")
    return int(value)


def day_param(query: Query, name: str) -> Optional[date]:
    value = query.get(name)
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise BadRequest(f"{name} must be a date as yyyy-MM-dd; got {value!r}") from None


def decimal(query: Query, name: str) -> Optional[float]:
    value = query.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"{name} must be a number; got {value!r}") from None
