"""Market hours: when each market and product opens and closes on a day."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union, overload

from pyTD.checks import DateLike, choice, iso_date
from pyTD.fetch import JSONFormat, PandasFormat, check_output_format, client, send, to_frame
from pyTD.frames import Table

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

MARKETS = ("EQUITY", "OPTION", "FUTURE", "BOND", "FOREX")
SESSIONS = ("preMarket", "regularMarket", "postMarket")

HOURS = Table("hours", {
    "market": "str", "product": "str", "date": "day", "marketType": "str", "productName": "str", "isOpen": "bool",
    "exchange": "str", "category": "str",
    **{f"{session}{edge}": "time" for session in SESSIONS for edge in ("Start", "End")},
}, optional={"outcryMarketStart": "time", "outcryMarketEnd": "time"})  # some futures' floor sessions (TD)

Hours = Dict[str, Dict[str, Dict[str, Any]]]


@overload
def get_market_hours(markets: Union[str, Iterable[str]] = ..., date: Optional[DateLike] = ..., *,
                     api: Optional[Client] = ..., output_format: JSONFormat = ...) -> Hours: ...
@overload
def get_market_hours(markets: Union[str, Iterable[str]] = ..., date: Optional[DateLike] = ..., *,
                     api: Optional[Client] = ..., output_format: PandasFormat) -> pd.DataFrame: ...
def get_market_hours(markets: Union[str, Iterable[str]] = "EQUITY", date: Optional[DateLike] = None, *,
                     api: Optional[Client] = None, output_format: str = "json") -> Union[Hours, pd.DataFrame]:
    """Opening hours of one or several markets on a day.

    Parameters
    ----------
    markets : str or iterable of str
        Any of EQUITY, OPTION, FUTURE, BOND, FOREX (any case; or a comma-separated string).
    date : datetime, date or ISO string, optional
        The day (default: the provider's today).
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        The provider's ``{market: {product: {...}}}`` as sent, or a DataFrame
        with one row per product: ``market``, ``product``, ``date``,
        ``isOpen``, and the start and end of each session
        (``regularMarketStart``, ``regularMarketEnd``, ``preMarketStart``,
        ...) as datetimes in the api's time zone.
    """
    check_output_format(output_format)
    names = markets.split(",") if isinstance(markets, str) else list(markets)
    wanted = list(dict.fromkeys(choice(str(m).strip(), "market", MARKETS) or "" for m in names))
    if not wanted:
        raise ValueError(f"no market given; choose from {', '.join(MARKETS)}")
    td = client(api)
    hours: Hours = send(td, td.profile.hours_request(wanted, iso_date(date, "date", td.tz)))
    if output_format == "json":
        return hours
    return to_frame(HOURS, hours_rows(hours), td)


def hours_rows(hours: Hours) -> List[Dict[str, Any]]:
    """One record per product; each session's first start and last end."""
    rows = []
    for market, products in hours.items():
        for product, info in (products or {}).items():
            # TD keys a few futures products differently from their name (_1NA for 1NA): the name wins.
            row: Dict[str, Any] = {"market": market, "product": info.get("product") or product}
            row.update((key, value) for key, value in info.items() if key not in ("sessionHours", "product"))
            for session, spans in (info.get("sessionHours") or {}).items():
                spans = [span for span in spans or [] if isinstance(span, dict)]
                if spans:
                    row[f"{session}Start"] = min(span.get("start") or "" for span in spans) or None
                    row[f"{session}End"] = max(span.get("end") or "" for span in spans) or None
            rows.append(row)
    return rows
