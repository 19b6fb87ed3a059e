"""Price history: candles (open, high, low, close, volume) of one or several symbols."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union, overload

from pyTD.checks import DateLike, Symbols, choice, epoch_ms, flag, symbol_list
from pyTD.fetch import (
    Errors,
    JSONFormat,
    PandasFormat,
    check_errors,
    check_output_format,
    client,
    params,
    progress_bar,
    send,
    unknown_symbols,
)
from pyTD.frames import Table

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

PERIOD_TYPES = ("day", "month", "year", "ytd")
FREQUENCY_TYPES = ("minute", "daily", "weekly", "monthly")
# The accepted combinations (the same on TD and Schwab): periods and frequency types for each period type.
PERIODS = {"day": (1, 2, 3, 4, 5, 10), "month": (1, 2, 3, 6), "year": (1, 2, 3, 5, 10, 15, 20), "ytd": (1,)}
FREQUENCY_TYPES_BY_PERIOD = {"day": ("minute",), "month": ("daily", "weekly"),
                             "year": ("daily", "weekly", "monthly"), "ytd": ("daily", "weekly")}
FREQUENCIES = {"minute": (1, 5, 10, 15, 30), "daily": (1,), "weekly": (1,), "monthly": (1,)}
MARKET_ZONE = "America/New_York"  # a daily candle belongs to the exchange's trading day

CANDLES = Table("candles", {"open": "float", "high": "float", "low": "float", "close": "float", "volume": "int",
                            "datetime": "time"}, index="datetime")

Candles = List[Dict[str, Any]]


@overload
def get_price_history(symbols: Symbols, period_type: Optional[str] = ..., period: Optional[int] = ...,
                      frequency_type: Optional[str] = ..., frequency: Optional[int] = ...,
                      start_date: Optional[DateLike] = ..., end_date: Optional[DateLike] = ...,
                      extended_hours: Optional[bool] = ..., *, api: Optional[Client] = ...,
                      output_format: JSONFormat = ..., errors: Errors = ..., progress: bool = ...,
                      previous_close: Optional[bool] = ...) -> Union[Candles, Dict[str, Candles]]: ...
@overload
def get_price_history(symbols: Symbols, period_type: Optional[str] = ..., period: Optional[int] = ...,
                      frequency_type: Optional[str] = ..., frequency: Optional[int] = ...,
                      start_date: Optional[DateLike] = ..., end_date: Optional[DateLike] = ...,
                      extended_hours: Optional[bool] = ..., *, api: Optional[Client] = ...,
                      output_format: PandasFormat, errors: Errors = ..., progress: bool = ...,
                      previous_close: Optional[bool] = ...) -> pd.DataFrame: ...
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
    api: Optional[Client] = None,
    output_format: str = "json",
    errors: Errors = "warn",
    progress: bool = True,
    previous_close: Optional[bool] = None,
) -> Union[Candles, Dict[str, Candles], pd.DataFrame]:
    """Candles (open, high, low, close, volume) for one or several symbols.

    Parameters
    ----------
    symbols : str or iterable of str
        One request is sent per symbol.
    period_type : {"day", "month", "year", "ytd"}, optional
        The provider's default is ``"day"``.
    period : int, optional
        How many periods: day 1-5 or 10; month 1, 2, 3, 6; year 1, 2, 3, 5,
        10, 15, 20; ytd 1.
    frequency_type : {"minute", "daily", "weekly", "monthly"}, optional
        Must suit the period type (day: minute; month and ytd: daily, weekly;
        year: daily, weekly, monthly).
    frequency : int, optional
        minute: 1, 5, 10, 15, 30; otherwise 1.
    start_date, end_date : datetime, date, ISO string or epoch ms, optional
        Naive datetimes and days are read in the api's time zone (New York
        by default). A day alone as ``end_date`` includes that whole day. Not
        together with ``period``.
    extended_hours : bool, optional
        Include pre- and post-market candles.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON: the list of candles for one symbol, ``{SYMBOL: [...]}`` for
        several. pandas: OHLCV columns on a DatetimeIndex in the api's time
        zone (daily and longer candles labelled by their trading day) for
        one symbol; columns ``(symbol, field)`` for several.
    errors : {"warn", "raise", "ignore"}
        What to do about unknown symbols (see :func:`~pyTD.market.get_quotes`).
    previous_close : bool, optional
        Schwab only: ask for the previous close too (in the JSON answer).

    Raises
    ------
    ValueError
        For arguments the provider would reject, before anything is sent.
    """
    check_output_format(output_format)
    check_errors(errors)
    wanted = symbol_list(symbols)
    td = client(api)
    query = history_params(period_type, period, frequency_type, frequency, start_date, end_date, extended_hours,
                           td.tz)
    requests = {s: td.profile.history_request(td.profile.symbol(s), query, flag(previous_close, "previous_close"))
                for s in wanted}
    candles: Dict[str, Candles] = {}
    unknown = []
    for symbol in progress_bar(wanted, len(wanted), progress, "price history"):
        candles[symbol] = send(td, requests[symbol]).get("candles") or []
        if not candles[symbol] and not _exists(td, symbol):
            unknown.append(symbol)
    unknown_symbols(unknown, errors, "price history")
    if output_format == "pandas":
        daily = query.get("periodType", "day") != "day"  # every other period type has daily or longer candles
        frames = {symbol: candles_frame(rows, td.tz, daily) for symbol, rows in candles.items()}
        if len(wanted) == 1:
            return frames[wanted[0]]
        import pandas as pd

        return pd.concat(frames, axis=1, names=["symbol", "field"])
    return candles[wanted[0]] if len(wanted) == 1 else candles


def history_params(period_type: Optional[str], period: Optional[int], frequency_type: Optional[str],
                   frequency: Optional[int], start_date: Optional[DateLike], end_date: Optional[DateLike],
                   extended_hours: Optional[bool], tz: tzinfo) -> Dict[str, Any]:
    """Check the arguments against the providers' rules and return the query parameters."""
    period_type = choice(period_type, "period_type", PERIOD_TYPES)
    frequency_type = choice(frequency_type, "frequency_type", FREQUENCY_TYPES)
    kind = period_type or "day"
    if period is not None and period not in PERIODS[kind]:
        raise ValueError(f"period for period_type {kind!r} must be one of "
                         f"{', '.join(map(str, PERIODS[kind]))}; got {period!r}")
    if frequency_type is not None and frequency_type not in FREQUENCY_TYPES_BY_PERIOD[kind]:
        hint = " (period_type defaults to 'day', which has minute candles only; for daily candles pass " \
               "period_type='month', 'year' or 'ytd')" if period_type is None else ""
        raise ValueError(f"frequency_type for period_type {kind!r} must be one of "
                         f"{', '.join(FREQUENCY_TYPES_BY_PERIOD[kind])}; got {frequency_type!r}{hint}")
    if frequency is not None:
        allowed = FREQUENCIES[frequency_type or FREQUENCY_TYPES_BY_PERIOD[kind][0]]
        if frequency not in allowed:
            raise ValueError(f"frequency must be one of {', '.join(map(str, allowed))}; got {frequency!r}")
    start, end = epoch_ms(start_date, "start_date", tz), epoch_ms(end_date, "end_date", tz, end=True)
    if start is not None and end is not None and start > end:
        raise ValueError("start_date must not be after end_date")
    if period is not None and start is not None and end is not None:
        raise ValueError("give either period or start_date and end_date, not all three: the providers refuse it")
    return params(periodType=period_type, period=period, frequencyType=frequency_type, frequency=frequency,
                  startDate=start, endDate=end, needExtendedHoursData=flag(extended_hours, "extended_hours"))


def candles_frame(candles: Candles, tz: tzinfo, daily: bool = False) -> pd.DataFrame:
    """OHLCV columns on a DatetimeIndex in ``tz``; with ``daily``, each candle labelled by its trading day."""
    frame = CANDLES.frame(candles, tz)
    if daily:
        from zoneinfo import ZoneInfo

        import pandas as pd

        days = pd.DatetimeIndex(frame.index).tz_convert(ZoneInfo(MARKET_ZONE)).normalize().tz_localize(None)
        frame.index = days.tz_localize(tz).rename("datetime")
    return frame


def _exists(td: Client, symbol: str) -> bool:
    """Whether the provider knows a symbol whose history came back empty (a holiday, or a typo)."""
    request = td.profile.quotes_request(td.profile.symbol(symbol), None, None)
    return bool(td.profile.quotes_found(send(td, request)))
