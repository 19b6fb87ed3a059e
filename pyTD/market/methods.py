"""The market-data and instrument functions as methods of :class:`pyTD.api.api`.

Each method is the module function with the client as ``self``: the same
parameters (without ``api=``), the same docstring, and overloads so that a
type checker knows ``output_format="pandas"`` returns a DataFrame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union, overload

from pyTD.checks import DateLike, Symbols
from pyTD.client import Client
from pyTD.fetch import Errors, JSONFormat, PandasFormat, delegate, method_doc
from pyTD.instruments import instruments
from pyTD.market import history, hours, movers, options, quotes

if TYPE_CHECKING:
    import pandas as pd


class MarketData(Client):
    """The data methods of :class:`pyTD.api.api`."""

    @overload
    def get_quotes(self, symbols: Symbols, *, output_format: JSONFormat = ..., errors: Errors = ...,
                   progress: bool = ..., fields: Optional[Symbols] = ...,
                   indicative: Optional[bool] = ...) -> Dict[str, Dict[str, Any]]: ...
    @overload
    def get_quotes(self, symbols: Symbols, *, output_format: PandasFormat, errors: Errors = ...,
                   progress: bool = ..., fields: Optional[Symbols] = ...,
                   indicative: Optional[bool] = ...) -> pd.DataFrame: ...
    def get_quotes(self, symbols: Symbols, *, output_format: str = "json", errors: Errors = "warn",
                   progress: bool = True, fields: Optional[Symbols] = None,
                   indicative: Optional[bool] = None) -> Any:
        return delegate(quotes.get_quotes, self, symbols, output_format=output_format, errors=errors,
                     progress=progress, fields=fields, indicative=indicative)
    get_quotes.__doc__ = method_doc(quotes.get_quotes)

    @overload
    def get_price_history(self, symbols: Symbols, period_type: Optional[str] = ..., period: Optional[int] = ...,
                          frequency_type: Optional[str] = ..., frequency: Optional[int] = ...,
                          start_date: Optional[DateLike] = ..., end_date: Optional[DateLike] = ...,
                          extended_hours: Optional[bool] = ..., *, output_format: JSONFormat = ...,
                          errors: Errors = ..., progress: bool = ...,
                          previous_close: Optional[bool] = ...) -> Union[history.Candles,
                                                                         Dict[str, history.Candles]]: ...
    @overload
    def get_price_history(self, symbols: Symbols, period_type: Optional[str] = ..., period: Optional[int] = ...,
                          frequency_type: Optional[str] = ..., frequency: Optional[int] = ...,
                          start_date: Optional[DateLike] = ..., end_date: Optional[DateLike] = ...,
                          extended_hours: Optional[bool] = ..., *, output_format: PandasFormat,
                          errors: Errors = ..., progress: bool = ...,
                          previous_close: Optional[bool] = ...) -> pd.DataFrame: ...
    def get_price_history(self, symbols: Symbols, period_type: Optional[str] = None, period: Optional[int] = None,
                          frequency_type: Optional[str] = None, frequency: Optional[int] = None,
                          start_date: Optional[DateLike] = None, end_date: Optional[DateLike] = None,
                          extended_hours: Optional[bool] = None, *, output_format: str = "json",
                          errors: Errors = "warn", progress: bool = True,
                          previous_close: Optional[bool] = None) -> Any:
        return delegate(history.get_price_history, self, symbols, period_type, period, frequency_type, frequency,
                     start_date, end_date, extended_hours, output_format=output_format, errors=errors,
                     progress=progress, previous_close=previous_close)
    get_price_history.__doc__ = method_doc(history.get_price_history)

    @overload
    def get_movers(self, index: str, direction: Optional[str] = ..., change: Optional[str] = ..., *,
                   sort: Optional[str] = ..., frequency: Optional[int] = ...,
                   output_format: JSONFormat = ...) -> Union[List[Dict[str, Any]], Dict[str, Any]]: ...
    @overload
    def get_movers(self, index: str, direction: Optional[str] = ..., change: Optional[str] = ..., *,
                   sort: Optional[str] = ..., frequency: Optional[int] = ...,
                   output_format: PandasFormat) -> pd.DataFrame: ...
    def get_movers(self, index: str, direction: Optional[str] = None, change: Optional[str] = None, *,
                   sort: Optional[str] = None, frequency: Optional[int] = None,
                   output_format: str = "json") -> Any:
        return delegate(movers.get_movers, self, index, direction, change, sort=sort, frequency=frequency,
                     output_format=output_format)
    get_movers.__doc__ = method_doc(movers.get_movers)

    @overload
    def get_market_hours(self, markets: Union[str, Iterable[str]] = ..., date: Optional[DateLike] = ..., *,
                         output_format: JSONFormat = ...) -> hours.Hours: ...
    @overload
    def get_market_hours(self, markets: Union[str, Iterable[str]] = ..., date: Optional[DateLike] = ..., *,
                         output_format: PandasFormat) -> pd.DataFrame: ...
    def get_market_hours(self, markets: Union[str, Iterable[str]] = "EQUITY", date: Optional[DateLike] = None, *,
                         output_format: str = "json") -> Any:
        return delegate(hours.get_market_hours, self, markets, date, output_format=output_format)
    get_market_hours.__doc__ = method_doc(hours.get_market_hours)

    @overload
    def get_option_chains(self, symbol: str, contract_type: str = ..., strike_count: Optional[int] = ...,
                          include_quotes: Optional[bool] = ..., strategy: Optional[str] = ...,
                          interval: Optional[float] = ..., strike: Optional[float] = ...,
                          range: Optional[str] = ..., from_date: Optional[DateLike] = ...,  # noqa: A002
                          to_date: Optional[DateLike] = ..., volatility: Optional[float] = ...,
                          underlying_price: Optional[float] = ..., interest_rate: Optional[float] = ...,
                          days_to_expiration: Optional[int] = ..., exp_month: Optional[str] = ...,
                          option_type: Optional[str] = ..., *, entitlement: Optional[str] = ...,
                          output_format: JSONFormat = ..., errors: Errors = ...) -> options.Chain: ...
    @overload
    def get_option_chains(self, symbol: str, contract_type: str = ..., strike_count: Optional[int] = ...,
                          include_quotes: Optional[bool] = ..., strategy: Optional[str] = ...,
                          interval: Optional[float] = ..., strike: Optional[float] = ...,
                          range: Optional[str] = ..., from_date: Optional[DateLike] = ...,  # noqa: A002
                          to_date: Optional[DateLike] = ..., volatility: Optional[float] = ...,
                          underlying_price: Optional[float] = ..., interest_rate: Optional[float] = ...,
                          days_to_expiration: Optional[int] = ..., exp_month: Optional[str] = ...,
                          option_type: Optional[str] = ..., *, entitlement: Optional[str] = ...,
                          output_format: PandasFormat, errors: Errors = ...) -> pd.DataFrame: ...
    def get_option_chains(self, symbol: str, contract_type: str = "ALL", strike_count: Optional[int] = None,
                          include_quotes: Optional[bool] = None, strategy: Optional[str] = None,
                          interval: Optional[float] = None, strike: Optional[float] = None,
                          range: Optional[str] = None, from_date: Optional[DateLike] = None,  # noqa: A002
                          to_date: Optional[DateLike] = None, volatility: Optional[float] = None,
                          underlying_price: Optional[float] = None, interest_rate: Optional[float] = None,
                          days_to_expiration: Optional[int] = None, exp_month: Optional[str] = None,
                          option_type: Optional[str] = None, *, entitlement: Optional[str] = None,
                          output_format: str = "json", errors: Errors = "warn") -> Any:
        return delegate(options.get_option_chains, self, symbol, contract_type, strike_count, include_quotes,
                     strategy, interval, strike, range, from_date, to_date, volatility, underlying_price,
                     interest_rate, days_to_expiration, exp_month, option_type, entitlement=entitlement,
                     output_format=output_format, errors=errors)
    get_option_chains.__doc__ = method_doc(options.get_option_chains)

    @overload
    def get_option_expirations(self, symbol: str, *, output_format: JSONFormat = ...,
                               errors: Errors = ...) -> Dict[str, Any]: ...
    @overload
    def get_option_expirations(self, symbol: str, *, output_format: PandasFormat,
                               errors: Errors = ...) -> pd.DataFrame: ...
    def get_option_expirations(self, symbol: str, *, output_format: str = "json", errors: Errors = "warn") -> Any:
        return delegate(options.get_option_expirations, self, symbol, output_format=output_format, errors=errors)
    get_option_expirations.__doc__ = method_doc(options.get_option_expirations)

    @overload
    def get_instruments(self, symbol: str, projection: str = ..., *, output_format: JSONFormat = ...,
                        errors: Errors = ...) -> Dict[str, Any]: ...
    @overload
    def get_instruments(self, symbol: str, projection: str = ..., *, output_format: PandasFormat,
                        errors: Errors = ...) -> pd.DataFrame: ...
    def get_instruments(self, symbol: str, projection: str = "symbol-search", *, output_format: str = "json",
                        errors: Errors = "warn") -> Any:
        return delegate(instruments.get_instruments, self, symbol, projection, output_format=output_format,
                     errors=errors)
    get_instruments.__doc__ = method_doc(instruments.get_instruments)

    @overload
    def get_instrument(self, cusip: str, *, output_format: JSONFormat = ..., errors: Errors = ...) -> Any: ...
    @overload
    def get_instrument(self, cusip: str, *, output_format: PandasFormat, errors: Errors = ...) -> pd.DataFrame: ...
    def get_instrument(self, cusip: str, *, output_format: str = "json", errors: Errors = "warn") -> Any:
        return delegate(instruments.get_instrument, self, cusip, output_format=output_format, errors=errors)
    get_instrument.__doc__ = method_doc(instruments.get_instrument)

    @overload
    def get_fundamentals(self, symbols: Symbols, *, output_format: JSONFormat = ..., errors: Errors = ...,
                         progress: bool = ...) -> Dict[str, Any]: ...
    @overload
    def get_fundamentals(self, symbols: Symbols, *, output_format: PandasFormat, errors: Errors = ...,
                         progress: bool = ...) -> pd.DataFrame: ...
    def get_fundamentals(self, symbols: Symbols, *, output_format: str = "json", errors: Errors = "warn",
                         progress: bool = True) -> Any:
        return delegate(instruments.get_fundamentals, self, symbols, output_format=output_format, errors=errors,
                     progress=progress)
    get_fundamentals.__doc__ = method_doc(instruments.get_fundamentals)
