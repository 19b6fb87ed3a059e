"""A user's script as a type checker sees it: tests/test_typing.py runs ``mypy --strict`` on this file.

It is never collected by pytest and never run; ``assert_type`` fails mypy's check when a call's type is not
exactly the one written, so every line below is a claim about pyTD's signatures.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Union

import pandas as pd
from typing_extensions import assert_type

import pyTD
import pyTD.instruments
import pyTD.market
from pyTD.api import api
from pyTD.exceptions import ResourceNotFound, TDError


def notebook(a: api) -> None:
    # The methods: JSON by default, a DataFrame with output_format="pandas".
    assert_type(a.get_quotes("AAPL"), Dict[str, Dict[str, Any]])
    assert_type(a.get_quotes(["AAPL", "MSFT"], output_format="json", errors="raise"), Dict[str, Dict[str, Any]])
    assert_type(a.get_quotes("AAPL", output_format="pandas"), pd.DataFrame)
    assert_type(a.get_price_history("AAPL", "month", 1, "daily", output_format="pandas"), pd.DataFrame)
    assert_type(a.get_price_history("AAPL", start_date=date(2024, 5, 1), end_date="2024-05-10"),
                Union[List[Dict[str, Any]], Dict[str, List[Dict[str, Any]]]])
    assert_type(a.get_movers("$DJI", output_format="pandas"), pd.DataFrame)
    assert_type(a.get_market_hours(["EQUITY", "OPTION"], output_format="pandas"), pd.DataFrame)
    assert_type(a.get_option_chains("AAPL", strike_count=2, output_format="pandas"), pd.DataFrame)
    assert_type(a.get_option_chains("AAPL"), Dict[str, Any])
    assert_type(a.get_option_expirations("AAPL", output_format="pandas"), pd.DataFrame)
    assert_type(a.get_instruments("AAPL", output_format="pandas"), pd.DataFrame)
    assert_type(a.get_instrument("037833100", output_format="pandas"), pd.DataFrame)
    assert_type(a.get_fundamentals("AAPL MSFT", output_format="pandas"), pd.DataFrame)

    # The module functions, with api=, and their re-exports from pyTD.
    assert_type(pyTD.market.get_quotes("AAPL", api=a, output_format="pandas"), pd.DataFrame)
    assert_type(pyTD.get_quotes("AAPL", api=a), Dict[str, Dict[str, Any]])
    assert_type(pyTD.get_option_chains("AAPL", api=a, output_format="pandas"), pd.DataFrame)
    assert_type(pyTD.instruments.get_fundamentals(["AAPL"], api=a, output_format="pandas"), pd.DataFrame)

    # What a user does with the results type-checks too.
    frame = a.get_quotes(["AAPL", "MSFT"], output_format="pandas")
    last: pd.Series = frame["lastPrice"]
    print(last.mean())
    quote = a.get_quotes("AAPL")["AAPL"]
    print(quote["symbol"])
    try:
        a.get_quotes("APPL", errors="raise")
    except ResourceNotFound as exc:
        print(exc.status)
    except TDError:
        raise


def login() -> api:
    a = api("CONSUMERKEY", "https://127.0.0.1:8182", provider="schwab", client_secret="SECRET", tz="UTC")
    a.login(timeout=60)
    assert_type(a.provider, str)
    return a
