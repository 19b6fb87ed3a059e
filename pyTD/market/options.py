"""Option chains and expirations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union, overload

from pyTD.checks import DateLike, choice, flag, iso_date, number, whole
from pyTD.exceptions import ResourceNotFound
from pyTD.fetch import (
    Errors,
    JSONFormat,
    PandasFormat,
    check_errors,
    check_output_format,
    client,
    params,
    send,
    to_frame,
    unknown_symbols,
)
from pyTD.frames import Table

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

CONTRACT_TYPES = ("CALL", "PUT", "ALL")
STRATEGIES = ("SINGLE", "ANALYTICAL", "COVERED", "VERTICAL", "CALENDAR", "STRANGLE", "STRADDLE", "BUTTERFLY",
              "CONDOR", "DIAGONAL", "COLLAR", "ROLL")
RANGES = ("ITM", "NTM", "OTM", "SAK", "SBK", "SNK", "ALL")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "ALL")
OPTION_TYPES = ("S", "NS", "ALL")
ENTITLEMENTS = ("PN", "NP", "PP")

# One row per contract: the contract's own fields (the same keys on TD and Schwab), plus the chain's
# underlying symbol and the expiration day.
CONTRACTS = Table(
    "contracts",
    {
        "underlying": "str", "expiration": "day", "putCall": "str", "symbol": "str", "description": "str",
        "exchangeName": "str", "bid": "float", "ask": "float", "last": "float", "mark": "float",
        "bidSize": "int", "askSize": "int", "bidAskSize": "str", "lastSize": "int", "highPrice": "float",
        "lowPrice": "float", "openPrice": "float", "closePrice": "float", "totalVolume": "int",
        "tradeTimeInLong": "time", "quoteTimeInLong": "time", "netChange": "float", "volatility": "float",
        "delta": "float", "gamma": "float", "theta": "float", "vega": "float", "rho": "float",
        "openInterest": "int", "timeValue": "float", "theoreticalOptionValue": "float",
        "theoreticalVolatility": "float", "optionDeliverablesList": "obj", "strikePrice": "float",
        "expirationDate": "time", "daysToExpiration": "int", "expirationType": "str", "lastTradingDay": "time",
        "multiplier": "float", "settlementType": "str", "deliverableNote": "str", "percentChange": "float",
        "markChange": "float", "markPercentChange": "float", "inTheMoney": "bool", "nonStandard": "bool",
        "mini": "bool", "isIndexOption": "bool", "tradeDate": "day",
    },
)
EXPIRATIONS = Table("expirations", {"expirationDate": "day", "daysToExpiration": "int", "expirationType": "str",
                                    "settlementType": "str", "optionRoots": "str", "standard": "bool"})

Chain = Dict[str, Any]


@overload
def get_option_chains(symbol: str, contract_type: str = ..., strike_count: Optional[int] = ...,
                      include_quotes: Optional[bool] = ..., strategy: Optional[str] = ...,
                      interval: Optional[float] = ..., strike: Optional[float] = ..., range: Optional[str] = ...,
                      from_date: Optional[DateLike] = ..., to_date: Optional[DateLike] = ...,
                      volatility: Optional[float] = ..., underlying_price: Optional[float] = ...,
                      interest_rate: Optional[float] = ..., days_to_expiration: Optional[int] = ...,
                      exp_month: Optional[str] = ..., option_type: Optional[str] = ..., *,
                      entitlement: Optional[str] = ..., api: Optional[Client] = ..., output_format: JSONFormat = ...,
                      errors: Errors = ...) -> Chain: ...
@overload
def get_option_chains(symbol: str, contract_type: str = ..., strike_count: Optional[int] = ...,
                      include_quotes: Optional[bool] = ..., strategy: Optional[str] = ...,
                      interval: Optional[float] = ..., strike: Optional[float] = ..., range: Optional[str] = ...,
                      from_date: Optional[DateLike] = ..., to_date: Optional[DateLike] = ...,
                      volatility: Optional[float] = ..., underlying_price: Optional[float] = ...,
                      interest_rate: Optional[float] = ..., days_to_expiration: Optional[int] = ...,
                      exp_month: Optional[str] = ..., option_type: Optional[str] = ..., *,
                      entitlement: Optional[str] = ..., api: Optional[Client] = ..., output_format: PandasFormat,
                      errors: Errors = ...) -> pd.DataFrame: ...
def get_option_chains(
    symbol: str,
    contract_type: str = "ALL",
    strike_count: Optional[int] = None,
    include_quotes: Optional[bool] = None,
    strategy: Optional[str] = None,
    interval: Optional[float] = None,
    strike: Optional[float] = None,
    range: Optional[str] = None,  # noqa: A002 - the providers' parameter name
    from_date: Optional[DateLike] = None,
    to_date: Optional[DateLike] = None,
    volatility: Optional[float] = None,
    underlying_price: Optional[float] = None,
    interest_rate: Optional[float] = None,
    days_to_expiration: Optional[int] = None,
    exp_month: Optional[str] = None,
    option_type: Optional[str] = None,
    *,
    entitlement: Optional[str] = None,
    api: Optional[Client] = None,
    output_format: str = "json",
    errors: Errors = "warn",
) -> Union[Chain, pd.DataFrame]:
    """The option chain of a symbol; only the parameters given are sent.

    Parameters
    ----------
    symbol : str
    contract_type : {"ALL", "CALL", "PUT"}
    strike_count : int, optional
        Strikes above and below the at-the-money price.
    include_quotes : bool, optional
        Include the underlying's quote.
    strategy : str, optional
        SINGLE, ANALYTICAL, COVERED, VERTICAL, CALENDAR, STRANGLE, STRADDLE,
        BUTTERFLY, CONDOR, DIAGONAL, COLLAR or ROLL.
    interval, strike, volatility, underlying_price, interest_rate : float, optional
    range : {"ITM", "NTM", "OTM", "SAK", "SBK", "SNK", "ALL"}, optional
    from_date, to_date : datetime, date or ISO string, optional
        Expirations between these days.
    days_to_expiration : int, optional
    exp_month : str, optional
        JAN ... DEC, or ALL.
    option_type : {"S", "NS", "ALL"}, optional
        Standard, non-standard or all contracts.
    entitlement : {"PN", "NP", "PP"}, optional
        Schwab only: the quotes' entitlement.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        The provider's chain as sent, or a DataFrame with one row per
        contract (every expiration and strike): the contract's fields with
        ``expirationDate`` as a datetime, plus ``underlying`` (the symbol)
        and ``expiration`` (the day).
    errors : {"warn", "raise", "ignore"}
        What to do about an unknown symbol (see :func:`~pyTD.market.get_quotes`):
        the result is then an empty chain.
    """
    check_output_format(output_format)
    check_errors(errors)
    name = _symbol(symbol)
    whole(strike_count, "strike_count")
    whole(days_to_expiration, "days_to_expiration")
    for label, value in (("interval", interval), ("strike", strike), ("volatility", volatility),
                         ("underlying_price", underlying_price), ("interest_rate", interest_rate)):
        number(value, label)
    flag(include_quotes, "include_quotes")
    td = client(api)
    start, end = iso_date(from_date, "from_date", td.tz), iso_date(to_date, "to_date", td.tz)
    if start and end and start > end:
        raise ValueError("from_date must not be after to_date")
    wire = td.profile.symbol(name)
    query = params(
        symbol=wire,
        contractType=choice(contract_type, "contract_type", CONTRACT_TYPES),
        strikeCount=strike_count,
        strategy=choice(strategy, "strategy", STRATEGIES),
        interval=interval,
        strike=strike,
        range=choice(range, "range", RANGES),
        fromDate=start,
        toDate=end,
        volatility=volatility,
        underlyingPrice=underlying_price,
        interestRate=interest_rate,
        daysToExpiration=days_to_expiration,
        expMonth=choice(exp_month, "exp_month", MONTHS),
        optionType=choice(option_type, "option_type", OPTION_TYPES),
    )
    request = td.profile.chains_request(query, include_quotes, choice(entitlement, "entitlement", ENTITLEMENTS))
    try:
        chain: Chain = send(td, request)
    except ResourceNotFound:
        chain = {"symbol": wire, "status": "FAILED"}
    if chain.get("status") == "FAILED":
        unknown_symbols([name], errors, "option chain")
    return contracts_frame(chain, td) if output_format == "pandas" else chain


def contracts(chain: Chain) -> List[Dict[str, Any]]:
    """Every contract of both maps, one dict each, with the chain's ``underlying`` symbol and the
    ``expiration`` day (from the map key); fields a contract lacks come from the map keys."""
    rows = []
    for put_call, key in (("CALL", "callExpDateMap"), ("PUT", "putExpDateMap")):
        for expiration, strikes in (chain.get(key) or {}).items():
            day, _, dte = expiration.partition(":")
            for strike, group in strikes.items():
                for contract in group:
                    row: Dict[str, Any] = {"underlying": chain.get("symbol"), "expiration": day,
                                           "putCall": put_call, "strikePrice": float(strike)}
                    if dte:
                        row["daysToExpiration"] = int(dte)
                    row.update((k, v) for k, v in contract.items() if v is not None or k not in row)
                    rows.append(row)
    return rows


def contracts_frame(chain: Chain, td: Client) -> pd.DataFrame:
    """One row per contract of both maps (see :func:`contracts`), times in the api's time zone."""
    return to_frame(CONTRACTS, contracts(chain), td)


@overload
def get_option_expirations(symbol: str, *, api: Optional[Client] = ..., output_format: JSONFormat = ...,
                           errors: Errors = ...) -> Dict[str, Any]: ...
@overload
def get_option_expirations(symbol: str, *, api: Optional[Client] = ..., output_format: PandasFormat,
                           errors: Errors = ...) -> pd.DataFrame: ...
def get_option_expirations(symbol: str, *, api: Optional[Client] = None, output_format: str = "json",
                           errors: Errors = "warn") -> Union[Dict[str, Any], pd.DataFrame]:
    """The expiration days of a symbol's options (Schwab's expiration chain).

    Parameters
    ----------
    symbol : str
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        ``{"expirationList": [...]}`` as sent, or a DataFrame with one row per
        expiration (``expirationDate`` as a day, ``daysToExpiration``,
        ``expirationType``, ...).
    errors : {"warn", "raise", "ignore"}
        What to do about an unknown symbol (an empty list).

    Raises
    ------
    UnsupportedError
        On TD, which has no expiration chain.
    """
    check_output_format(output_format)
    check_errors(errors)
    name = _symbol(symbol)
    td = client(api)
    try:
        answer: Dict[str, Any] = send(td, td.profile.expirations_request(td.profile.symbol(name)))
    except ResourceNotFound:
        answer = {"expirationList": []}
    rows = answer.get("expirationList") or []
    if not rows:
        unknown_symbols([name], errors, "option expirations")
    if output_format == "json":
        return answer
    return to_frame(EXPIRATIONS, [td.profile.expiration_row(row) for row in rows], td)


def _symbol(symbol: str) -> str:
    if not isinstance(symbol, str) or not symbol.strip():
        raise ValueError(f"symbol must be a non-empty string, got {symbol!r}")
    return symbol.strip().upper()
