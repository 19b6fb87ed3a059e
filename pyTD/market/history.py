"""Price history: ``/marketdata/{symbol}/pricehistory``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional
from urllib.parse import quote

from pyTD.fetch import (
    DateLike,
    Symbols,
    check_output_format,
    choice,
    client,
    epoch_ms,
    pandas,
    params,
    progress_bar,
    symbol_list,
)

if TYPE_CHECKING:
    from pyTD.api import api as API

PERIOD_TYPES = ("day", "month", "year", "ytd")
FREQUENCY_TYPES = ("minute", "daily", "weekly", "monthly")
# TD's accepted combinations: periods and frequency types for each period type.
PERIODS = {"day": (1, 2, 3, 4, 5, 10), "month": (1, 2, 3, 6), "year": (1, 2, 3, 5, 10, 15, 20), "ytd": (1,)}
FREQUENCY_TYPES_BY_PERIOD = {"day": ("minute",), "month": ("daily", "weekly"),
                             "year": ("daily", "weekly", "monthly"), "ytd": ("daily", "weekly")}
FREQUENCIES = {"minute": (1, 5, 10, 15, 30), "daily": (1,), "weekly": (1,), "monthly": (1,)}
FIELDS = ["open", "high", "low", "close", "volume"]


def get_price_history(
    symbols: Symbols,
    period_type: Optional[str] = None,
    period: Optional[int] = None,
    frequency_type: Optional[str] = None,
    frequency: Optional[int] = None,
    start_date: Optional[DateLike] = None,
    end_date: Optional[DateLike] = None,
    extended_hours: Optional[bool] = None,
    *,
    api: Optional[API] = None,
    output_format: str = "json",
    progress: bool = True,
) -> Any:
    """Candles (open, high, low, close, volume) for one or several symbols.

    Parameters
    ----------
    symbols : str or iterable of str
        One request is sent per symbol.
    period_type : {"day", "month", "year", "ytd"}, optional
    period : int, optional
        How many periods: day 1-5 or 10; month 1, 2, 3, 6; year 1, 2, 3, 5,
        10, 15, 20; ytd 1.
    frequency_type : {"minute", "daily", "weekly", "monthly"}, optional
        Must suit the period type (day: minute; month and ytd: daily, weekly;
        year: daily, weekly, monthly).
    frequency : int, optional
        minute: 1, 5, 10, 15, 30; otherwise 1.
    start_date, end_date : datetime, date, ISO string or epoch ms, optional
        Converted in UTC (naive values are taken as UTC, never local time).
    extended_hours : bool, optional
        Include pre- and post-market candles.
    output_format : {"json", "pandas"}
        JSON: the list of candles for one symbol, ``{SYMBOL: [...]}`` for
        several. pandas: OHLCV columns on a UTC DatetimeIndex for one symbol;
        columns ``(symbol, field)`` for several.

    Raises
    ------
    ValueError
        For arguments TD would reject, before anything is sent.
    """
    check_output_format(output_format)
    wanted = symbol_list(symbols)
    query = history_params(period_type, period, frequency_type, frequency, start_date, end_date,
                           extended_hours)
    td = client(api)
    candles: Dict[str, List[dict]] = {}
    for symbol in progress_bar(wanted, len(wanted), progress, "price history"):
        answer = td.request("GET", f"/marketdata/{quote(symbol, safe='')}/pricehistory", params=query)
        candles[symbol] = answer.get("candles", [])
    if output_format == "pandas":
        frames = {symbol: _frame(rows) for symbol, rows in candles.items()}
        if len(wanted) == 1:
            return frames[wanted[0]]
        return pandas().concat(frames, axis=1, names=["symbol", "field"])
    return candles[wanted[0]] if len(wanted) == 1 else candles


def history_params(period_type: Optional[str], period: Optional[int], frequency_type: Optional[str],
                   frequency: Optional[int], start_date: Optional[DateLike], end_date: Optional[DateLike],
                   extended_hours: Optional[bool]) -> dict:
    """Check the arguments against TD's rules and return the query parameters."""
    period_type = choice(period_type, "period_type", PERIOD_TYPES)
    frequency_type = choice(frequency_type, "frequency_type", FREQUENCY_TYPES)
    kind = period_type or "day"
    if period is not None and period not in PERIODS[kind]:
        raise ValueError(f"period for period_type {kind!r} must be one of "
                         f"{', '.join(map(str, PERIODS[kind]))}; got {period!r}")
    if frequency_type is not None and frequency_type not in FREQUENCY_TYPES_BY_PERIOD[kind]:
        raise ValueError(f"frequency_type for period_type {kind!r} must be one of "
                         f"{', '.join(FREQUENCY_TYPES_BY_PERIOD[kind])}; got {frequency_type!r}")
    if frequency is not None:
        allowed = FREQUENCIES[frequency_type or FREQUENCY_TYPES_BY_PERIOD[kind][0]]
        if frequency not in allowed:
            raise ValueError(f"frequency must be one of {', '.join(map(str, allowed))}; got {frequency!r}")
    start, end = epoch_ms(start_date, "start_date"), epoch_ms(end_date, "end_date")
    if start is not None and end is not None and start > end:
        raise ValueError("start_date must not be after end_date")
    if extended_hours is not None and not isinstance(extended_hours, bool):
        raise ValueError(f"extended_hours must be True or False, not {extended_hours!r}")
    return params(periodType=period_type, period=period, frequencyType=frequency_type, frequency=frequency,
                  startDate=start, endDate=end, needExtendedHoursData=extended_hours)


def _frame(candles: List[dict]) -> Any:
    pd = pandas()
    frame = pd.DataFrame(candles, columns=FIELDS + ["datetime"])
    index = pd.to_datetime(frame.pop("datetime"), unit="ms", utc=True)
    frame.index = pd.DatetimeIndex(index, name="datetime")
    return frame
