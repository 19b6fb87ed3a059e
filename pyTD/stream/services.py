"""Streamed records in pyTD's words: services by name, field numbers to names, merging per key, and the
bounded mailbox between the connection and the user.

Nothing here touches the network; :mod:`pyTD.stream.stream` feeds it decoded frames.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from pyTD.providers.base import Provider
from pyTD.providers.streaming import CHANGE, KINDS, StreamService

log = logging.getLogger("pyTD")

Message = Dict[str, Any]  # {"service": str, "timestamp": aware UTC datetime, "data": [record, ...]}
Record = Dict[str, Any]
NEW_YORK = ZoneInfo("America/New_York")
EPOCH_DAY = date(1970, 1, 1)
RECONNECTED = "reconnected"


def to_time(value: Any) -> Any:
    """Epoch milliseconds as an aware UTC datetime; 0 or less (no time) as None; anything else as sent."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, timezone.utc) if value > 0 else None
    return value


def to_day(value: Any) -> Any:
    """A day: days since 1970-01-01, or text starting ``YYYY-MM-DD``; as a date (None when empty)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return EPOCH_DAY + timedelta(days=value)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None if not value.strip() else value
    return value


def to_int(value: Any) -> Any:
    """A whole number sent as ``26.0`` as 26; anything else as sent."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def to_char(value: Any) -> Any:
    """A one-character code sent as its number (Schwab's futures options send ``63`` for ``"?"``) as text."""
    return chr(value) if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 0x110000 else value


CONVERTERS: Dict[str, Callable[[Any], Any]] = {"time": to_time, "day": to_day, "int": to_int}
CHARACTERS = ("askId", "bidId", "lastId", "bidTick")  # "(char)" in the contracts


class Parser:
    """Turns one service's items (``{"key": ..., "1": ..., "seq": ...}``) into records with field names."""

    def __init__(self, service: StreamService) -> None:
        self.service = service
        self.key_name = service.fields[0]
        names = {str(number): name for number, name in enumerate(service.fields)}
        names["key"] = self.key_name
        self.names = names
        self.converters = {number: CONVERTERS[KINDS[name]] for number, name in names.items()
                           if KINDS.get(name) in CONVERTERS}
        self.converters.update((number, to_char) for number, name in names.items() if name in CHARACTERS)
        self.converters["seq"] = to_int

    def record(self, item: Mapping[str, Any]) -> Record:
        names, converters = self.names, self.converters
        record = {}
        for number, value in item.items():
            convert = converters.get(number)
            record[names.get(number, number)] = value if convert is None else convert(value)
        if self.service.makers:
            self._book(record)
        return record

    def _book(self, record: Record) -> None:
        """Price levels as ``{"price", "size", "count", "makers": [{"id", "size", "time" | "sequence"}]}``."""
        moment = record.get("bookTime")
        midnight = None
        if isinstance(moment, datetime):  # Schwab's market-maker times count from midnight New York
            local = moment.astimezone(NEW_YORK)
            midnight = datetime(local.year, local.month, local.day, tzinfo=NEW_YORK)
        for side in ("bids", "asks"):
            levels = record.get(side)
            if isinstance(levels, list):
                record[side] = [self._level(level, midnight) for level in levels if isinstance(level, dict)]

    def _level(self, level: Mapping[str, Any], midnight: Optional[datetime]) -> Record:
        makers = []
        for maker in level.get("3") or []:
            entry = {name: maker.get(str(i)) for i, name in enumerate(self.service.makers)}
            if "time" in entry and midnight is not None and isinstance(entry["time"], (int, float)):
                entry["time"] = (midnight + timedelta(milliseconds=entry["time"])).astimezone(timezone.utc)
            makers.append(entry)
        return {"price": level.get("0"), "size": level.get("1"), "count": level.get("2"), "makers": makers}


class Catalog:
    """A provider's services: found by pyTD's or the provider's name, and their parsers."""

    def __init__(self, profile: Provider) -> None:
        self.profile = profile
        self.parsers = {name: Parser(service) for name, service in profile.stream_services.items()}

    def find(self, name: str, venue: Optional[str] = None, keys: Sequence[str] = ()) -> StreamService:
        return self.profile.stream_service(name, venue, keys)

    def message(self, entry: Mapping[str, Any]) -> Optional[Tuple[StreamService, Message]]:
        """A ``data`` (or ``snapshot``) entry as a message, with its service; None for a service pyTD lacks."""
        parser = self.parsers.get(str(entry.get("service")))
        content = entry.get("content")
        if parser is None or not isinstance(content, list):
            return None
        records = [parser.record(item) for item in content if isinstance(item, dict)]
        stamp = entry.get("timestamp")
        when = to_time(stamp) if isinstance(stamp, (int, float)) else None
        message: Message = {"service": parser.service.neutral, "timestamp": when or now(), "data": records}
        if parser.service.venue:  # books and screeners: which one (a stream may hold several)
            message["venue"] = parser.service.venue
        return parser.service, message


def now() -> datetime:
    return datetime.now(timezone.utc)


class State:
    """The latest record per key of every service: change-only updates merged into the last full record."""

    def __init__(self) -> None:
        self.by_service: Dict[str, Dict[str, Record]] = {}

    def merge(self, service: StreamService, records: List[Record]) -> None:
        held = self.by_service.get(service.name)
        if held is None:
            held = self.by_service[service.name] = {}
        key_name = service.fields[0]
        if service.delivery == CHANGE:
            for record in records:
                key = record.get(key_name)
                current = held.get(key)  # type: ignore[arg-type]
                if current is None:
                    held[key] = dict(record)  # type: ignore[index]
                else:
                    current.update(record)
        else:
            for record in records:
                held[record.get(key_name)] = dict(record)  # type: ignore[index]

    def records(self, service: StreamService) -> Dict[str, Record]:
        return {key: dict(record) for key, record in self.by_service.get(service.name, {}).items()}

    def forget(self, service: StreamService, keys: Optional[Sequence[str]] = None) -> None:
        held = self.by_service.get(service.name, {})
        for key in list(held) if keys is None else keys:
            held.pop(key, None)


class Mailbox:
    """Messages waiting for the user, at most ``limit``.

    A consumer slower than the stream never makes it grow without bound: when full, waiting market data is
    folded into one record per key (change-only updates merged, so nothing is lost but the intermediate
    values), and a WARNING counts the updates folded away. Account activity and ``reconnected`` notices are
    never folded.
    """

    WARN_EVERY = 10.0  # seconds between warnings about a slow consumer

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"max_queue must be at least 1; got {limit}")
        self.limit = limit
        self.items: Deque[Tuple[Optional[StreamService], Message]] = deque()
        self.dropped = 0
        self._fold_at = limit
        self._unreported = 0
        self._warned = 0.0

    def __len__(self) -> int:
        return len(self.items)

    def put(self, service: Optional[StreamService], message: Message) -> None:
        self.items.append((service, message))
        if len(self.items) > self._fold_at:
            self._fold()
            # What cannot be folded (account activity and notices, and the updates between them) may still
            # fill it: then fold again only once it doubled, not on every message.
            self._fold_at = self.limit if len(self.items) <= self.limit else 2 * len(self.items)

    def take(self, most: int) -> List[Message]:
        taken: List[Message] = []
        items = self.items
        while items and len(taken) < most:
            taken.append(items.popleft()[1])
        return taken

    def _fold(self) -> None:
        kept: List[Tuple[Optional[StreamService], Message]] = []
        slots: Dict[Tuple[str, Any], Record] = {}
        combined: Dict[str, Message] = {}
        before = after = 0
        for service, message in self.items:
            if service is None or not service.symbols:  # notices and account activity stay, in order
                kept.append((service, message))
                slots, combined = {}, {}
                continue
            out = combined.get(service.name)
            if out is None:
                out = combined[service.name] = dict(message, data=[])  # its service, venue and time
                kept.append((service, out))
            out["timestamp"] = message["timestamp"]
            key_name = service.fields[0]
            for record in message["data"]:
                before += 1
                slot = (service.name, record.get(key_name))
                held = slots.get(slot)
                if held is None:
                    slots[slot] = held = dict(record)
                    out["data"].append(held)
                    after += 1
                elif service.delivery == CHANGE:
                    held.update(record)
                else:
                    held.clear()
                    held.update(record)
        self.items = deque(kept)
        self.dropped += before - after
        self._unreported += before - after
        clock = time.monotonic()
        if self._unreported and clock - self._warned >= self.WARN_EVERY:
            log.warning("The stream's consumer is slower than the stream: %d updates were folded into the latest "
                        "record of their symbol (%d in all); handle messages faster or subscribe to fewer symbols",
                        self._unreported, self.dropped)
            self._warned, self._unreported = clock, 0


def reconnected(reason: str, attempts: int, gap: float) -> Message:
    """The notice that the stream reconnected: a gap in the data may exist."""
    return {"service": RECONNECTED, "timestamp": now(),
            "data": [{"reason": reason, "attempts": attempts, "gap": round(gap, 3)}]}
