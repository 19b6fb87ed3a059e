"""Option chains: ``/marketdata/chains``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional

from pyTD.exceptions import ResourceNotFound
from pyTD.fetch import DateLike, check_output_format, choice, client, iso_date, pandas, params

if TYPE_CHECKING:
    from pyTD.api import api as API

CONTRACT_TYPES = ("CALL", "PUT", "ALL")
STRATEGIES = ("SINGLE", "ANALYTICAL", "COVERED", "VERTICAL", "CALENDAR", "STRANGLE", "STRADDLE", "BUTTERFLY",
              "CONDOR", "DIAGONAL", "COLLAR", "ROLL")
RANGES = ("ITM", "NTM", "OTM", "SAK", "SBK", "SNK", "ALL")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "ALL")
OPTION_TYPES = ("S", "NS", "ALL")


def get_option_chains(
    symbol: str,
    contract_type: str = "ALL",
    strike_count: Optional[int] = None,
    include_quotes: Optional[bool] = None,
    strategy: Optional[str] = None,
    interval: Optional[float] = None,
    strike: Optional[float] = None,
    range: Optional[str] = None,  # noqa: A002 - TD's parameter name
    from_date: Optional[DateLike] = None,
    to_date: Optional[DateLike] = None,
    volatility: Optional[float] = None,
    underlying_price: Optional[float] = None,
    interest_rate: Optional[float] = None,
    days_to_expiration: Optional[int] = None,
    exp_month: Optional[str] = None,
    option_type: Optional[str] = None,
    *,
    api: Optional[API] = None,
    output_format: str = "json",
) -> Any:
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
    output_format : {"json", "pandas"}
        TD's chain, or a DataFrame with one row per contract (every
        expiration and strike) including ``expirationDate``,
        ``daysToExpiration``, ``putCall`` and ``strikePrice``.

    Raises
    ------
    ResourceNotFound
        If TD answers ``status: FAILED`` (e.g. an unknown symbol).
    """
    check_output_format(output_format)
    if not isinstance(symbol, str) or not symbol.strip():
        raise ValueError(f"symbol must be a non-empty string, got {symbol!r}")
    for name, value in (("strike_count", strike_count), ("days_to_expiration", days_to_expiration)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    for name, value in (("interval", interval), ("strike", strike), ("volatility", volatility),
                        ("underlying_price", underlying_price), ("interest_rate", interest_rate)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{name} must be a number, got {value!r}")
    if include_quotes is not None and not isinstance(include_quotes, bool):
        raise ValueError(f"include_quotes must be True or False, not {include_quotes!r}")
    start, end = iso_date(from_date, "from_date"), iso_date(to_date, "to_date")
    if start and end and start > end:
        raise ValueError("from_date must not be after to_date")
    query = params(
        symbol=symbol.strip().upper(),
        contractType=choice(contract_type, "contract_type", CONTRACT_TYPES),
        strikeCount=strike_count,
        includeQuotes=None if include_quotes is None else ("TRUE" if include_quotes else "FALSE"),
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
    chain = client(api).request("GET", "/marketdata/chains", params=query)
    if chain.get("status") == "FAILED":
        raise ResourceNotFound(f"No option chain for {query['symbol']}", status=404)
    return contracts_frame(chain) if output_format == "pandas" else chain


def contracts(chain: dict) -> List[dict]:
    """Every contract of both maps, one dict each; fields missing from a contract come from the map keys.

    ``expirationDate`` is the expiration day as ``YYYY-MM-DD`` (from the map
    key), whatever form the contract itself gives it in.
    """
    rows = []
    for put_call, key in (("CALL", "callExpDateMap"), ("PUT", "putExpDateMap")):
        for expiration, strikes in (chain.get(key) or {}).items():
            day, _, dte = expiration.partition(":")
            for strike, group in strikes.items():
                for contract in group:
                    row = {"putCall": put_call, "strikePrice": float(strike)}
                    if dte:
                        row["daysToExpiration"] = int(dte)
                    row.update(contract)
                    row["expirationDate"] = day
                    rows.append(row)
    return rows


def contracts_frame(chain: dict) -> Any:
    """One row per contract of both maps (see :func:`contracts`)."""
    return pandas().DataFrame(contracts(chain))
