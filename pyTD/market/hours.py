"""Market hours: ``/marketdata/{market}/hours`` and ``/marketdata/hours``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from pyTD.fetch import DateLike, check_output_format, choice, client, iso_date, pandas, params

if TYPE_CHECKING:
    from pyTD.api import api as API

MARKETS = ("EQUITY", "OPTION", "FUTURE", "BOND", "FOREX")


def get_market_hours(markets: Union[str, Iterable[str]] = "EQUITY", date: Optional[DateLike] = None, *,
                     api: Optional[API] = None, output_format: str = "json") -> Any:
    """Opening hours of one or several markets on a day.

    Parameters
    ----------
    markets : str or iterable of str
        Any of EQUITY, OPTION, FUTURE, BOND, FOREX (or a comma-separated string).
    date : datetime, date or ISO string, optional
        The day (default: TD's today).
    output_format : {"json", "pandas"}
        TD's ``{market: {product: {...}}}``, or a DataFrame with one row per
        product and ``market`` and ``product`` columns.
    """
    check_output_format(output_format)
    names = markets.split(",") if isinstance(markets, str) else list(markets)
    wanted = list(dict.fromkeys(choice(str(m).strip(), "market", MARKETS) for m in names))
    if not wanted:
        raise ValueError(f"no market given; choose from {', '.join(MARKETS)}")
    day = iso_date(date, "date")
    td = client(api)
    if len(wanted) == 1:
        hours = td.request("GET", f"/marketdata/{wanted[0]}/hours", params=params(date=day))
    else:
        hours = td.request("GET", "/marketdata/hours", params=params(markets=",".join(wanted), date=day))
    if output_format == "json":
        return hours
    rows = [{"market": market, "product": product, **info}
            for market, products in hours.items() for product, info in (products or {}).items()]
    return pandas().DataFrame(rows)
