"""Reading a sandbox request's query parameters and refusing the ones a provider would reject."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import List, Mapping, Optional, Sequence

MAX_SYMBOLS = 100  # per quotes or instruments request (TD; Schwab allows 500)

Query = Mapping[str, str]


class BadRequest(Exception):
    """A parameter the provider would reject; becomes a 400 naming ``parameter``."""

    def __init__(self, message: str, parameter: Optional[str] = None) -> None:
        super().__init__(message)
        self.parameter = parameter


def symbols_param(query: Query, name: str = "symbol", limit: int = MAX_SYMBOLS) -> List[str]:
    symbols = [s.strip().upper() for s in query.get(name, "").split(",") if s.strip()]
    if not symbols:
        raise BadRequest(f"{name} is required", name)
    if len(symbols) > limit:
        raise BadRequest(f"{name}: at most {limit} symbols per request, got {len(symbols)}", name)
    return symbols


def required(query: Query, name: str) -> str:
    value = query.get(name, "").strip()
    if not value:
        raise BadRequest(f"{name} is required", name)
    return value


def one_of(query: Query, name: str, accepted: Sequence[str], default: Optional[str] = None) -> Optional[str]:
    value = query.get(name, default)
    if value is not None and value not in accepted:
        raise BadRequest(f"{name} must be one of {', '.join(accepted)}; got {value!r}", name)
    return value


def boolean(query: Query, name: str, default: bool) -> bool:
    """``true``/``false`` in any case."""
    value = one_of({name: query[name].lower()} if name in query else {}, name, ("true", "false"))
    return default if value is None else value == "true"


def whole(query: Query, name: str) -> Optional[int]:
    value = query.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"\d+", value):
        raise BadRequest(f"{name} must be a whole number; got {value!r}", name)
    return int(value)


def day_param(query: Query, name: str) -> Optional[date]:
    value = query.get(name)
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise BadRequest(f"{name} must be a date as yyyy-MM-dd; got {value!r}", name) from None


def decimal(query: Query, name: str) -> Optional[float]:
    value = query.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"{name} must be a number; got {value!r}", name) from None
