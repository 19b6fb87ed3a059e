"""Real account, order, transaction and user JSON, served over a socket, parses in both output formats.

Schwab's come from ../shared/fixtures/schwab (accounts-1, previeworder-1, userpreference-1). fixtures/td holds no
trading recordings; td-trading.md quotes TD's live captures ([CAP], [areed]) verbatim, and those are used here.
"""

import json

import pytest

from tests.schwab_spec import SHARED

from .conftest import schwab_only, td_only

SCHWAB = SHARED / "fixtures" / "schwab"

# td-trading.md section 3, "Live GET [CAP]" (accountId anonymised there as 000123456789, a JSON number)
TD_ORDER = ('{"session":"NORMAL","duration":"DAY","orderType":"MARKET","complexOrderStrategyType":"NONE",'
            '"quantity":15,"filledQuantity":0,"remainingQuantity":15,"requestedDestination":"AUTO",'
            '"destinationLinkName":"AutoRoute","orderLegCollection":[{"orderLegType":"EQUITY","legId":1,'
            '"instrument":{"assetType":"EQUITY","cusip":"345370860","symbol":"F"},"instruction":"BUY",'
            '"positionEffect":"OPENING","quantity":15}],"orderStrategyType":"SINGLE","orderId":54321,'
            '"cancelable":true,"editable":false,"status":"QUEUED","enteredTime":"2021-12-10T04:45:05+0000",'
            '"accountId":123456789}')
# td-trading.md section 5, "Live [CAP]" (the item's accountId elided there)
TD_TRANSACTION = ('{"type":"TRADE","subAccount":"1","settlementDate":"2021-06-04","orderId":"T44444444",'
                  '"netAmount":4050.97,"transactionDate":"2021-06-02T11:00:48+0000","orderDate":'
                  '"2021-06-02T08:56:59+0000","transactionSubType":"SL","transactionId":123456789,'
                  '"cashBalanceEffectFlag":true,"description":"SELL TRADE","fees":{"rFee":0,"additionalFee":0,'
                  '"cdscFee":0,"regFee":0.03,"otherCharges":0,"commission":0,"optRegFee":0,"secFee":0.02},'
                  '"transactionItem":{"accountId":123456789,"amount":100,"price":40.51,"cost":4051,'
                  '"instruction":"SELL","instrument":{"symbol":"AMC","cusip":"00165C104","assetType":"EQUITY"}}}')
# td-trading.md section 2, a position [areed]
TD_POSITION = ('{"shortQuantity": 0.0, "averagePrice": 146.52, "currentDayProfitLoss": 125.5, '
               '"currentDayProfitLossPercentage": 0.43, "longQuantity": 2.0, "settledLongQuantity": 2.0, '
               '"settledShortQuantity": 0.0, "instrument": {"assetType": "EQUITY", "cusip": "594918104", '
               '"symbol": "MSFT"}, "marketValue": 418.54}')
# td-trading.md section 6, "Live GET"
TD_WATCHLIST = ('{"name":"test20211211","watchlistId":"123456","accountId":"000123456789","watchlistItems":'
                '[{"sequenceId":1,"quantity":0,"averagePrice":0,"commission":0,"instrument":{"symbol":"SPY",'
                '"assetType":"EQUITY"}}]}')


@pytest.fixture
def number(sandbox):
    return list(sandbox.broker.accounts)[0]


def serve(sandbox, path, body, status=200):
    """The next request under ``path`` gets the recording as its answer."""
    sandbox.fail_next(status=status, body=body if isinstance(body, str) else json.dumps(body), path=path)


@schwab_only
def test_schwab_accounts_recording(logged_in, sandbox):
    text = (SCHWAB / "accounts-1.json").read_text()
    serve(sandbox, "/trader/v1/accounts", text)
    assert logged_in.get_accounts() == json.loads(text)
    serve(sandbox, "/trader/v1/accounts", text)
    frame = logged_in.get_accounts(output_format="pandas")
    assert (len(frame), frame.loc[0, "accountId"], frame.loc[0, "type"]) == (1, "XXXXXXXX", "MARGIN")
    assert frame.loc[0, "currentBalances.liquidationValue"] == 0.0
    assert frame["initialBalances.accountValue"].dtype == "float64"
    assert frame["projectedBalances.isInCall"].dtype == "boolean"  # sent as false, not as the spec's number
    assert frame.loc[0, "aggregatedBalance.currentLiquidationValue"] == 0.0
    assert frame["pfcbFlag"].dtype == "boolean" and not frame.loc[0, "pfcbFlag"]
    serve(sandbox, "/trader/v1/accounts", text)
    positions = logged_in.get_positions(output_format="pandas")
    assert positions.empty and "marketValue" in positions and positions["longQuantity"].dtype == "float64"


@schwab_only
def test_schwab_preview_recording(logged_in, sandbox, number):
    text = (SCHWAB / "previeworder-1.json").read_text()
    logged_in.get_account(number)
    key = sandbox.profile.trader(sandbox).hash_of(number)
    serve(sandbox, f"/trader/v1/accounts/{key}/previewOrder", text)
    from pyTD.orders import equity_buy_limit

    assert logged_in.preview_order(number, equity_buy_limit("AMD", 1, 10)) == json.loads(text)


@schwab_only
def test_schwab_user_preference_recording(logged_in, sandbox):
    text = (SCHWAB / "userpreference-1.json").read_text()
    serve(sandbox, "/trader/v1/userPreference", text)
    found = logged_in.get_user_preferences()
    assert found == json.loads(text) and found["streamerInfo"][0]["schwabClientChannel"] == "N9"


@schwab_only
def test_schwab_recorded_error_shape(logged_in, sandbox, number):
    logged_in.get_account(number)
    key = sandbox.profile.trader(sandbox).hash_of(number)
    serve(sandbox, f"/trader/v1/accounts/{key}/orders", {"message": "Order rejected: not enough funds",
                                                         "errors": ["Order rejected: not enough funds"]}, 400)
    from pyTD.exceptions import ValidationError
    from pyTD.orders import equity_buy_market

    with pytest.raises(ValidationError, match="Order rejected: not enough funds"):
        logged_in.place_order(number, equity_buy_market("AAPL", 1))


@td_only
def test_td_order_capture(logged_in, sandbox, number):
    serve(sandbox, f"/v1/accounts/{number}/orders/54321", TD_ORDER)
    assert logged_in.get_order(number, 54321) == json.loads(TD_ORDER)
    serve(sandbox, f"/v1/accounts/{number}/orders", f"[{TD_ORDER}]")
    frame = logged_in.get_orders(number, output_format="pandas")
    row = frame.iloc[0]
    assert (row.orderId, row.accountId, row.symbol, row.instruction, row.status) == \
        (54321, "123456789", "F", "BUY", "QUEUED")
    assert row.quantity == 15.0 and row.enteredTime.isoformat() == "2021-12-09T23:45:05-05:00"  # New York
    assert frame["price"].isna().all() and frame["parentOrderId"].isna().all()


@td_only
def test_td_transaction_capture(logged_in, sandbox, number):
    serve(sandbox, f"/v1/accounts/{number}/transactions/123456789", TD_TRANSACTION)
    assert logged_in.get_transaction(number, 123456789) == json.loads(TD_TRANSACTION)
    serve(sandbox, f"/v1/accounts/{number}/transactions", f"[{TD_TRANSACTION}]")
    row = logged_in.get_transactions(number, output_format="pandas").iloc[0]
    assert (row.transactionId, row.orderId, row.symbol, row.amount, row.price, row.cost) == \
        (123456789, "T44444444", "AMC", 100.0, 40.51, 4051.0)
    assert row.fees == pytest.approx(0.05) and row.description == "SELL TRADE" and row.accountId == "123456789"
    assert str(row.settlementDate.date()) == "2021-06-04" and row.netAmount == 4050.97


@td_only
def test_td_position_sample(logged_in, sandbox, number):
    account = {"securitiesAccount": {"type": "CASH", "accountId": number, "positions": [json.loads(TD_POSITION)]}}
    serve(sandbox, f"/v1/accounts/{number}", account)
    row = logged_in.get_positions(number, output_format="pandas").iloc[0]
    assert (row.accountId, row.symbol, row.longQuantity, row.averagePrice, row.marketValue) == \
        (number, "MSFT", 2.0, 146.52, 418.54)


@td_only
def test_td_watchlist_capture(logged_in, sandbox, number):
    serve(sandbox, f"/v1/accounts/{number}/watchlists/123456", TD_WATCHLIST)
    assert logged_in.get_watchlist(number, "123456") == json.loads(TD_WATCHLIST)
    serve(sandbox, f"/v1/accounts/{number}/watchlists/123456", TD_WATCHLIST)
    row = logged_in.get_watchlist(number, "123456", output_format="pandas").iloc[0]
    assert (row.watchlistId, row["name"], row.symbol, row.sequenceId) == ("123456", "test20211211", "SPY", 1)
