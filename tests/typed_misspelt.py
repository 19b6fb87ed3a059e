"""A user's script with a misspelt keyword: tests/test_typing.py asserts that ``mypy --strict`` rejects it, by name.

Never collected by pytest and never run.
"""

import pyTD.market
from pyTD.api import api

a = api("CONSUMERKEY", "https://127.0.0.1:8182")
a.get_quotes("AAPL", outptu_format="pandas")
pyTD.market.get_quotes("AAPL", api=a, outptu_format="pandas")
