"""Accounts, orders, transactions, user info and watchlists on both providers, over real sockets against the
paper-trading sandbox."""

import json
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest

import pyTD
from pyTD.exceptions import (
    ConfigurationError,
    OrderStatusUnknown,
    ResourceNotFound,
    TDError,
    UnsupportedError,
    ValidationError,
)
from pyTD.orders import (
    equity_buy_limit,
    equity_buy_market,
    equity_sell_limit,
    equity_sell_market,
    equity_sell_stop,
    equity_sell_trailing_stop,
    first_triggers_second,
    one_cancels_other,
    option_buy_to_open_market,
    option_symbol,
)
from pyTD.sandbox import market

from .conftest import schwab_only, td_only

ORDERS = {"td": "/v1/accounts/{}/orders", "schwab": "/trader/v1/accounts/{}/orders"}


@pytest.fixture
def accounts(sandbox):
    """The sandbox's margin and cash account numbers."""
    margin, cash = list(sandbox.broker.accounts)
    return margin, cash


def orders_path(sandbox, number):
    """Where the client posts an account's orders (Schwab: the account's hash)."""
    key = sandbox.profile.trader(sandbox).hash_of(number) if sandbox.provider == "schwab" else number
    return ORDERS[sandbox.provider].format(key)


def writes(sandbox, method="POST"):
    return [r for r in sandbox.requests if r.method == method and "/orders" in r.path]


def ask(symbol):
    return market.quote(market.UNIVERSE[symbol], 0).ask


# -- accounts and positions -------------------------------------------------------------------------------


def test_accounts_in_both_formats(logged_in, sandbox, accounts):
    found = logged_in.get_accounts()
    assert [logged_in.profile.account_id(a) for a in found] == list(accounts)
    assert all("positions" not in a["securitiesAccount"] for a in found)
    assert all("positions" in a["securitiesAccount"] for a in logged_in.get_accounts(positions=True))
    frame = logged_in.get_accounts(output_format="pandas")
    assert list(frame["accountId"]) == list(accounts) and list(frame["type"]) == ["MARGIN", "CASH"]
    assert frame["currentBalances.cashAvailableForWithdrawal"].dtype == "float64"
    assert frame.loc[0, "initialBalances.cashBalance"] == 100_000.0
    assert frame["initialBalances.isInCall"].dtype == "boolean"
    assert frame["isDayTrader"].dtype == "boolean" and frame["roundTrips"].dtype == "Int64"


def test_one_account(logged_in, accounts):
    margin, cash = accounts
    account = logged_in.get_account(int(cash))  # a number works too
    assert logged_in.profile.account_id(account) == cash and account["securitiesAccount"]["type"] == "CASH"
    with_positions = pyTD.get_account(cash, positions=True, api=logged_in)
    assert {p["instrument"]["symbol"] for p in with_positions["securitiesAccount"]["positions"]} == {"F", "SPY"}
    frame = logged_in.get_account(margin, output_format="pandas")
    assert len(frame) == 1 and frame.loc[0, "accountId"] == margin


def test_positions_one_row_each_with_numbers(logged_in, accounts):
    margin, cash = accounts
    every = logged_in.get_positions(output_format="pandas")
    assert list(zip(every["accountId"], every["symbol"])) == [(margin, "AAPL"), (margin, "MSFT"), (cash, "F"),
                                                                (cash, "SPY")]
    for column in ("longQuantity", "shortQuantity", "averagePrice", "marketValue", "currentDayProfitLoss"):
        assert every[column].dtype == "float64", column
    assert every.loc[0, "longQuantity"] == 100 and every.loc[0, "averagePrice"] == 180.0
    assert every.loc[0, "marketValue"] > 0 and every.loc[0, "assetType"] == "EQUITY"
    assert every.loc[0, "cusip"] == "037833100"
    one = logged_in.get_positions(cash)
    assert list(one) == [cash] and [p["instrument"]["symbol"] for p in one[cash]] == ["F", "SPY"]


@pytest.mark.parametrize("bad", ["12 34", "", None, 1.5, True, "../accounts"])
def test_account_numbers_are_checked_before_anything_is_sent(logged_in, sandbox, bad):
    sandbox.clear_requests()
    with pytest.raises(ValueError, match="account_id"):
        logged_in.get_account(bad)
    assert sandbox.requests == []


def test_an_unknown_account_is_not_found(logged_in):
    with pytest.raises(ResourceNotFound):
        logged_in.get_account("11111111")


@td_only
def test_td_207_returns_the_accounts_that_worked_and_names_the_rest(logged_in, sandbox, accounts, caplog):
    margin, cash = accounts
    sandbox.broker.unavailable.add(cash)
    with caplog.at_level(logging.WARNING, logger="pyTD"):
        found = logged_in.get_accounts()
    assert [a["securitiesAccount"]["accountId"] for a in found] == [margin]
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert cash in warning.getMessage() and margin not in warning.getMessage()
    assert [r.query for r in sandbox.requests if r.path == "/v1/userprincipals"]  # how it knew the other's number
    assert list(logged_in.get_positions(output_format="pandas")["accountId"].unique()) == [margin]


@td_only
def test_td_207_without_a_list_of_accounts_still_warns(logged_in, sandbox, accounts, caplog):
    sandbox.broker.unavailable.add(accounts[1])
    sandbox.fail_next(4, status=500, path="/v1/userprincipals")  # the first try and 3 retries
    with caplog.at_level(logging.WARNING, logger="pyTD"):
        assert len(logged_in.get_accounts()) == 1
    assert "one or more linked accounts" in caplog.text


# -- Schwab's account hashes -----------------------------------------------------------------------------------


@schwab_only
def test_schwab_paths_use_hashes_fetched_once(logged_in, sandbox, accounts):
    margin, cash = accounts
    sandbox.clear_requests()
    logged_in.get_account(margin)
    logged_in.get_account(cash)
    logged_in.get_orders(margin)
    paths = [r.path for r in sandbox.requests]
    assert paths.count("/trader/v1/accounts/accountNumbers") == 1
    trader = sandbox.profile.trader(sandbox)
    assert f"/trader/v1/accounts/{trader.hash_of(margin)}" in paths
    assert not any(margin in p or cash in p for p in paths)  # the plain numbers never appear in a path


@schwab_only
def test_schwab_stale_map_is_fetched_again_once(logged_in, sandbox, accounts):
    margin, _ = accounts
    logged_in.get_account(margin)
    sandbox.rotate_account_hashes()
    sandbox.clear_requests()
    assert logged_in.profile.account_id(logged_in.get_account(margin)) == margin
    assert [r.path.rsplit("/", 1)[-1] for r in sandbox.requests] == [
        sandbox.requests[0].path.rsplit("/", 1)[-1], "accountNumbers",
        sandbox.profile.trader(sandbox).hash_of(margin)]
    assert sandbox.requests[0].path != sandbox.requests[2].path  # the stale hash, then the new one


@schwab_only
def test_schwab_stale_map_and_an_order_placed_once(logged_in, sandbox, accounts):
    margin, _ = accounts
    logged_in.get_account(margin)
    sandbox.rotate_account_hashes()
    sandbox.clear_requests()
    order_id = logged_in.place_order(margin, equity_buy_market("AAPL", 1))
    posts = writes(sandbox)
    assert len(posts) == 2 and posts[0].path != posts[1].path  # the first reached no account (404)
    assert [o.id for o in sandbox.broker.orders_of(margin)] == [order_id]


@schwab_only
def test_schwab_unknown_number_refreshes_once_then_is_not_found(logged_in, sandbox):
    sandbox.clear_requests()
    with pytest.raises(ResourceNotFound, match="99999999"):
        logged_in.get_account("99999999")
    with pytest.raises(ResourceNotFound):
        logged_in.get_account("99999999")
    assert [r.path for r in sandbox.requests].count("/trader/v1/accounts/accountNumbers") == 2
    assert all(r.path == "/trader/v1/accounts/accountNumbers" for r in sandbox.requests)


# -- orders: place, fill, positions, transactions -----------------------------------------------------------


def test_an_order_placed_fills_and_shows_in_positions_and_transactions(logged_in, sandbox, accounts):
    margin, _ = accounts
    before = logged_in.get_positions(margin)[margin]
    cash_before = sandbox.broker.accounts[margin].cash
    sandbox.clear_requests()
    order_id = logged_in.place_order(margin, equity_buy_market("AAPL", 10))
    (post,) = writes(sandbox)
    assert post.path == orders_path(sandbox, margin)
    assert isinstance(order_id, int) and order_id == sandbox.broker.orders_of(margin)[0].id
    order = logged_in.get_order(margin, order_id)
    assert order["status"] == "FILLED" and order["filledQuantity"] == 10
    price = order["orderActivityCollection"][0]["executionLegs"][0]["price"]
    assert price == ask("AAPL")  # a market buy fills at the ask
    after = {p["instrument"]["symbol"]: p for p in logged_in.get_positions(margin)[margin]}
    assert after["AAPL"]["longQuantity"] == 110
    assert after["AAPL"]["averagePrice"] == pytest.approx((100 * 180 + 10 * price) / 110, abs=1e-4)
    assert len(after) == len(before)
    assert sandbox.broker.accounts[margin].cash == pytest.approx(cash_before - 10 * price)
    trades = logged_in.get_transactions(margin, types="TRADE", output_format="pandas")
    (trade,) = trades.itertuples()
    assert (trade.symbol, trade.amount, trade.price, trade.orderId) == ("AAPL", 10, price, str(order_id))
    assert trade.netAmount == pytest.approx(-10 * price)
    one = logged_in.get_transaction(margin, trade.transactionId, output_format="pandas")
    assert one.loc[0, "transactionId"] == trade.transactionId


def test_a_sale_pays_the_sec_fee(logged_in, sandbox, accounts):
    margin, _ = accounts
    logged_in.place_order(margin, equity_sell_market("MSFT", 50))
    assert "MSFT" not in {p["instrument"]["symbol"] for p in logged_in.get_positions(margin)[margin]}
    sale = logged_in.get_transactions(margin, types="TRADE", symbol="MSFT", output_format="pandas").iloc[0]
    bid = market.quote(market.UNIVERSE["MSFT"], 0).bid
    assert sale.fees == round(50 * bid * 0.0000278, 2) > 0
    assert sale.netAmount == pytest.approx(50 * bid - sale.fees)


def test_order_id_comes_from_the_location_header(logged_in, sandbox, accounts):
    margin, _ = accounts
    sandbox.fail_next(status=201, body="", path=orders_path(sandbox, margin))  # 201, but no Location
    with pytest.raises(TDError, match="may have been placed") as info:
        logged_in.place_order(margin, equity_buy_market("AAPL", 1))
    assert "get_orders" in str(info.value) and not isinstance(info.value, OrderStatusUnknown)


def test_a_2xx_without_location_after_the_order_was_placed(logged_in, sandbox, accounts):
    margin, _ = accounts
    sandbox.fail_next(status=200, body="", path=orders_path(sandbox, margin), after=True)
    with pytest.raises(TDError, match="may have been placed"):
        logged_in.place_order(margin, equity_buy_market("AAPL", 1))
    assert len(sandbox.broker.orders_of(margin)) == 1  # it was: get_orders shows it
    assert logged_in.get_orders(margin)[0]["status"] == "FILLED"


def test_a_refused_order_raises_with_the_providers_words(logged_in, sandbox, accounts):
    _, cash = accounts
    with pytest.raises(ValidationError) as info:
        logged_in.place_order(cash, equity_buy_market("AAPL", 10_000))
    assert "Your buying power will be below zero" in str(info.value) and info.value.status == 400
    with pytest.raises(ValidationError, match="cannot sell 500 of F"):
        logged_in.place_order(cash, equity_sell_market("F", 500))
    with pytest.raises(ValidationError, match="not allowed in a cash account"):
        logged_in.place_order(cash, pyTD.orders.equity_sell_short_market("F", 1))
    assert sandbox.broker.orders_of(cash) == []


def test_a_working_order_is_replaced_then_canceled(logged_in, sandbox, accounts):
    margin, _ = accounts
    low = round(ask("AAPL") * 0.9, 2)
    first = logged_in.place_order(margin, equity_buy_limit("AAPL", 5, low))
    assert logged_in.get_order(margin, first)["status"] == "WORKING"
    second = logged_in.replace_order(margin, first, equity_buy_limit("AAPL", 5, low - 1))
    assert second != first
    assert logged_in.get_order(margin, first)["status"] == "REPLACED"
    working = logged_in.get_order(margin, second)
    assert (working["status"], working["price"]) == ("WORKING", low - 1)
    logged_in.cancel_order(margin, second)
    assert logged_in.get_order(margin, second)["status"] == "CANCELED"
    with pytest.raises(ValidationError, match="cannot be canceled"):
        logged_in.cancel_order(margin, second)
    with pytest.raises(ValidationError, match="can no longer be replaced"):
        logged_in.replace_order(margin, second, equity_buy_limit("AAPL", 5, low))
    assert logged_in.get_positions(margin)[margin][0]["longQuantity"] == 100  # nothing bought


def test_cancel_of_a_filled_order_is_refused(logged_in, accounts):
    margin, _ = accounts
    filled = logged_in.place_order(margin, equity_buy_market("AAPL", 1))
    with pytest.raises(ValidationError, match="FILLED and cannot be canceled"):
        logged_in.cancel_order(margin, filled)
    with pytest.raises(ResourceNotFound):
        logged_in.cancel_order(margin, 12345)


def test_a_marketable_limit_fills_and_a_working_one_fills_when_the_price_crosses(logged_in, sandbox, accounts):
    margin, _ = accounts
    price = ask("AAPL")
    marketable = logged_in.place_order(margin, equity_buy_limit("AAPL", 1, price + 1))
    assert logged_in.get_order(margin, marketable)["status"] == "FILLED"
    working = logged_in.place_order(margin, equity_buy_limit("AAPL", 2, price - 5))
    assert logged_in.get_order(margin, working)["status"] == "WORKING"
    sandbox.broker.set_price("AAPL", price - 10)
    filled = logged_in.get_order(margin, working)
    assert filled["status"] == "FILLED"
    assert filled["orderActivityCollection"][0]["executionLegs"][0]["price"] == round(price - 10 + 0.01, 2)


def test_stop_and_trailing_stop_orders(logged_in, sandbox, accounts):
    margin, _ = accounts
    price = ask("AAPL")
    stop = logged_in.place_order(margin, equity_sell_stop("AAPL", 10, round(price - 20, 2)))
    trail = logged_in.place_order(margin, equity_sell_trailing_stop("AAPL", 10, 5))
    assert [logged_in.get_order(margin, i)["status"] for i in (stop, trail)] == ["WORKING", "WORKING"]
    sandbox.broker.set_price("AAPL", price + 10)  # the trail follows the price up
    sandbox.broker.set_price("AAPL", price + 3)  # 7 below its best: the trailing stop fires
    assert [logged_in.get_order(margin, i)["status"] for i in (stop, trail)] == ["WORKING", "FILLED"]
    sandbox.broker.set_price("AAPL", price - 25)
    assert logged_in.get_order(margin, stop)["status"] == "FILLED"


def test_one_cancels_other(logged_in, sandbox, accounts):
    margin, _ = accounts
    price = ask("AAPL")
    oco = one_cancels_other(equity_sell_limit("AAPL", 10, round(price + 10, 2)),
                            equity_sell_stop("AAPL", 10, round(price - 10, 2)))
    oco_id = logged_in.place_order(margin, oco)
    placed = logged_in.get_order(margin, oco_id)
    assert placed["orderStrategyType"] == "OCO"
    assert [c["status"] for c in placed["childOrderStrategies"]] == ["WORKING", "WORKING"]
    sandbox.broker.set_price("AAPL", price + 15)
    done = logged_in.get_order(margin, oco_id)
    assert [c["status"] for c in done["childOrderStrategies"]] == ["FILLED", "CANCELED"]
    assert done["status"] == "FILLED"
    rows = logged_in.get_orders(margin, output_format="pandas")
    assert list(rows["parentOrderId"].dropna()) == [oco_id, oco_id]
    assert logged_in.get_positions(margin)[margin][0]["longQuantity"] == 90


def test_first_triggers_second(logged_in, sandbox, accounts):
    margin, _ = accounts
    price = ask("AAPL")
    parent = logged_in.place_order(margin, first_triggers_second(
        equity_buy_limit("AAPL", 5, round(price - 5, 2)), equity_sell_limit("AAPL", 5, round(price + 5, 2))))
    child = logged_in.get_order(margin, parent)["childOrderStrategies"][0]
    assert child["status"] == "AWAITING_PARENT_ORDER"
    sandbox.broker.set_price("AAPL", price - 10)
    assert logged_in.get_order(margin, child["orderId"])["status"] == "WORKING"
    sandbox.broker.set_price("AAPL", price + 10)
    assert logged_in.get_order(margin, child["orderId"])["status"] == "FILLED"


def test_a_trigger_buys_a_stock_the_account_lacks_then_sells_it(logged_in, sandbox, accounts):
    """TD's "one triggers another" sample: the sale is checked when it can fill, not against today's holdings."""
    margin, _ = accounts
    assert "KO" not in {p["instrument"]["symbol"] for p in logged_in.get_positions(margin)[margin]}
    price = ask("KO")
    parent = logged_in.place_order(margin, first_triggers_second(
        equity_buy_market("KO", 10), equity_sell_limit("KO", 10, round(price + 5, 2))))
    child = logged_in.get_order(margin, parent)["childOrderStrategies"][0]
    assert logged_in.get_order(margin, parent)["status"] == "FILLED" and child["status"] == "WORKING"
    sandbox.broker.set_price("KO", price + 10)
    assert logged_in.get_order(margin, child["orderId"])["status"] == "FILLED"
    assert "KO" not in {p["instrument"]["symbol"] for p in logged_in.get_positions(margin)[margin]}


def test_an_option_order_in_the_providers_symbols(logged_in, sandbox, accounts):
    margin, _ = accounts
    expiration = market.expirations(market.utc_today())[2]
    symbol = option_symbol("AAPL", expiration, "CALL", 230, provider=logged_in)
    order_id = logged_in.place_order(margin, option_buy_to_open_market(symbol, 2))
    leg = logged_in.get_order(margin, order_id)["orderLegCollection"][0]
    assert leg["instrument"]["symbol"] == symbol and leg["orderLegType"] == "OPTION"
    held = [p for p in logged_in.get_positions(margin)[margin] if p["instrument"]["assetType"] == "OPTION"]
    assert [(p["instrument"]["symbol"], p["longQuantity"]) for p in held] == [(symbol, 2)]
    other = "td" if logged_in.provider == "schwab" else "schwab"
    with pytest.raises(ValueError, match="option symbol"):
        logged_in.place_order(margin, option_buy_to_open_market(option_symbol("AAPL", expiration, "C", 230,
                                                                              provider=other), 1))


def test_bad_orders_are_refused_before_anything_is_sent(logged_in, sandbox, accounts):
    margin, _ = accounts
    sandbox.clear_requests()
    incomplete = {"orderType": "LIMIT", "orderStrategyType": "SINGLE"}
    for bad in (equity_buy_market("AAPL", 1).order_strategy_type("OCO"), "BUY AAPL", 42):
        with pytest.raises(ValueError):
            logged_in.place_order(margin, bad)
    with pytest.raises(ValueError, match="order_id"):
        logged_in.get_order(margin, -1)
    assert sandbox.requests == []
    with pytest.raises(ValidationError):  # a dict is the caller's JSON: the provider judges it
        logged_in.place_order(margin, incomplete)


@td_only
def test_td_refuses_schwab_only_values(logged_in, sandbox, accounts):
    sandbox.clear_requests()
    with pytest.raises(ValueError, match="IMMEDIATE_OR_CANCEL"):
        logged_in.place_order(accounts[0], equity_buy_market("AAPL", 1).duration("IMMEDIATE_OR_CANCEL"))
    assert sandbox.requests == []


@schwab_only
def test_schwab_refuses_requested_destination(logged_in, sandbox, accounts):
    sandbox.clear_requests()
    with pytest.raises(ValueError, match="requestedDestination"):
        logged_in.place_order(accounts[0], equity_buy_market("AAPL", 1).requested_destination("AUTO"))
    assert sandbox.requests == []


def test_order_dicts_are_sent_with_truncated_string_prices(logged_in, sandbox, accounts):
    margin, _ = accounts
    price = round(ask("AAPL") * 0.9, 3) + 0.009  # three decimals, which the providers refuse
    order = {"orderType": "LIMIT", "session": "NORMAL", "duration": "DAY", "orderStrategyType": "SINGLE",
             "price": price, "orderLegCollection": [{"instruction": "BUY", "quantity": 1,
                                                     "instrument": {"symbol": "AAPL", "assetType": "EQUITY"}}]}
    sandbox.clear_requests()
    order_id = logged_in.place_order(margin, order)
    (post,) = writes(sandbox)
    assert logged_in.get_order(margin, order_id)["price"] == int(price * 100) / 100
    assert sandbox.broker.orders[order_id].spec.request["price"] == f"{int(price * 100) / 100:.2f}"
    assert post.method == "POST"


# -- money safety: never sent twice, and the caller always told ---------------------------------------------


def test_a_dropped_connection_after_the_post_was_processed(make_client, sandbox, accounts):
    client = make_client(retry_count=5)
    from .conftest import browser_for

    client.login(open_browser=browser_for(client), timeout=10)
    margin, _ = accounts
    client.get_account(margin)  # Schwab: the hash map is in hand
    sandbox.clear_requests()
    sandbox.drop_after_next(path=orders_path(sandbox, margin))
    with pytest.raises(OrderStatusUnknown) as info:
        client.place_order(margin, equity_buy_market("AAPL", 3))
    assert "get_orders" in str(info.value) and "may or may not have been placed" in str(info.value)
    assert len(writes(sandbox)) == 1  # sent once, never again
    (placed,) = sandbox.broker.orders_of(margin)  # exactly one order exists
    assert [o["orderId"] for o in client.get_orders(margin)] == [placed.id]


def test_a_dropped_post_from_a_new_client_reads_first_and_drops_only_the_write(make_client, sandbox, accounts):
    """``drop_after_next()`` with no path: a new Schwab client's account-map GET passes, the POST is dropped."""
    client = make_client(retry_count=5)
    from .conftest import browser_for

    client.login(open_browser=browser_for(client), timeout=10)
    margin, _ = accounts
    sandbox.clear_requests()
    sandbox.drop_after_next()
    with pytest.raises(OrderStatusUnknown):
        client.place_order(margin, equity_buy_market("F", 1))
    assert len(writes(sandbox)) == 1
    assert len(sandbox.broker.orders_of(margin)) == 1


@pytest.mark.parametrize("after", [False, True])
def test_a_5xx_on_place_is_order_status_unknown_and_not_retried(logged_in, sandbox, accounts, after):
    margin, _ = accounts
    logged_in.get_account(margin)
    sandbox.clear_requests()
    sandbox.fail_next(status=503, path=orders_path(sandbox, margin), after=after)
    with pytest.raises(OrderStatusUnknown, match="503"):
        logged_in.place_order(margin, equity_buy_market("AAPL", 3))
    assert len(writes(sandbox)) == 1
    assert len(sandbox.broker.orders_of(margin)) == (1 if after else 0)


def test_a_timeout_on_replace_is_order_status_unknown(make_client, sandbox, accounts):
    from .conftest import browser_for

    client = make_client()
    client.login(open_browser=browser_for(client), timeout=10)
    margin, _ = accounts
    working = client.place_order(margin, equity_buy_limit("AAPL", 1, round(ask("AAPL") * 0.9, 2)))
    client.transport.timeout = 0.5  # now, so that the login and the first order have all the time they need
    sandbox.clear_requests()
    sandbox.delay_next(seconds=1.5, path=orders_path(sandbox, margin))
    with pytest.raises(OrderStatusUnknown, match="may or may not have been replaced"):
        client.replace_order(margin, working, equity_buy_limit("AAPL", 1, round(ask("AAPL") * 0.8, 2)))
    assert len(writes(sandbox, "PUT")) == 1


def test_a_dropped_cancel_says_to_check_the_order(logged_in, sandbox, accounts):
    margin, _ = accounts
    working = logged_in.place_order(margin, equity_buy_limit("AAPL", 1, round(ask("AAPL") * 0.9, 2)))
    sandbox.drop_after_next(path=orders_path(sandbox, margin))
    with pytest.raises(OrderStatusUnknown, match="get_order"):
        logged_in.cancel_order(margin, working)
    assert len(writes(sandbox, "DELETE")) == 1
    assert logged_in.get_order(margin, working)["status"] == "CANCELED"


def test_order_reads_are_retried_like_data(make_client, sandbox, accounts):
    from .conftest import browser_for

    client = make_client()
    client.login(open_browser=browser_for(client), timeout=10)
    margin, _ = accounts
    client.get_account(margin)
    sandbox.fail_next(status=503, path=orders_path(sandbox, margin))
    assert client.get_orders(margin) == []


def test_order_writes_have_their_own_limit_per_account(make_client, sandbox, accounts):
    from .conftest import browser_for

    client = make_client(order_rate_limit="1/1", rate_limit="1000/60")
    client.login(open_browser=browser_for(client), timeout=10)
    margin, cash = accounts
    client.get_account(margin)
    start = time.monotonic()
    client.place_order(margin, equity_buy_market("AAPL", 1))
    client.place_order(cash, equity_buy_market("F", 1))  # another account: no wait
    for _ in range(3):
        client.get_orders(margin)  # reads are not order writes
    assert time.monotonic() - start < 0.9
    client.place_order(margin, equity_buy_market("AAPL", 1))  # waits for the window of the first
    assert time.monotonic() - start >= 1.0


def test_order_rate_limit_setting(monkeypatch, make_client):
    monkeypatch.setenv("TD_ORDER_RATE_LIMIT", "30")
    assert make_client()._order_rate == (30, 60.0)
    assert make_client(order_rate_limit="5/10")._order_rate == (5, 10.0)
    monkeypatch.setenv("TD_ORDER_RATE_LIMIT", "many")
    with pytest.raises(ConfigurationError, match="TD_ORDER_RATE_LIMIT"):
        make_client()


def test_order_limiter_uses_the_rate_store(make_client, accounts):
    client = make_client(rate_limit_store="machine", order_rate_limit=2)
    limiter = client.order_limiter(accounts[0])
    assert type(limiter).__name__ == "MachineLimiter" and limiter.limit == 2
    assert client.order_limiter(accounts[0]) is limiter and client.order_limiter(accounts[1]) is not limiter


# -- listing orders: each provider's dates, defaults and ranges ----------------------------------------------


def test_get_orders_dates_as_each_provider_wants(logged_in, sandbox, accounts):
    margin, _ = accounts
    logged_in.place_order(margin, equity_buy_market("AAPL", 1))
    sandbox.clear_requests()
    today = datetime.now(logged_in.tz).date()
    found = logged_in.get_orders(margin, from_entered=today - timedelta(days=3), to_entered=today,
                                 status="FILLED", max_results=5)
    assert len(found) == 1
    sent = sandbox.requests[-1].query
    if logged_in.provider == "td":
        assert sent == {"fromEnteredTime": str(today - timedelta(days=3)), "toEnteredTime": str(today),
                        "status": "FILLED", "maxResults": "5"}
    else:
        start = datetime.combine(today - timedelta(days=3), datetime.min.time(), logged_in.tz)
        assert sent["fromEnteredTime"] == start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert sent["toEnteredTime"].endswith(":59.999Z")  # the whole last day
    assert logged_in.get_orders(margin, status="CANCELED") == []


def test_get_orders_defaults(logged_in, sandbox, accounts):
    sandbox.clear_requests()
    logged_in.get_orders()
    sent = sandbox.requests[-1]
    if logged_in.provider == "td":
        assert (sent.path, sent.query) == ("/v1/orders", {})  # TD lists recent orders without dates
    else:
        first = datetime.strptime(sent.query["fromEnteredTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
        last = datetime.strptime(sent.query["toEnteredTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert sent.path == "/trader/v1/orders"
        assert timedelta(days=59.9) < last - first <= timedelta(days=60, milliseconds=1)  # the end rounded up


@pytest.mark.parametrize("kwargs,error", [
    ({"from_entered": "2020-01-01"}, "from_entered"),
    ({"from_entered": "2030-01-02", "to_entered": "2030-01-01"}, "after"),
    ({"status": "DONE"}, "status"),
    ({"max_results": 0}, "max_results"),
    ({"to_entered": "yesterday"}, "to_entered"),
])
def test_get_orders_refuses_bad_ranges_before_sending(logged_in, sandbox, kwargs, error):
    sandbox.clear_requests()
    with pytest.raises(ValueError, match=error):
        logged_in.get_orders(**kwargs)
    assert sandbox.requests == []


@schwab_only
def test_schwab_one_accounts_orders_may_go_back_a_year(logged_in, sandbox, accounts):
    now = datetime.now(timezone.utc)
    assert logged_in.get_orders(accounts[0], from_entered=now - timedelta(days=300), to_entered=now) == []
    with pytest.raises(ValueError, match="at most a year"):
        logged_in.get_orders(accounts[0], from_entered=now - timedelta(days=400), to_entered=now)


# -- transactions ----------------------------------------------------------------------------------------------


def test_transactions_filters_and_formats(logged_in, sandbox, accounts):
    margin, _ = accounts
    logged_in.place_order(margin, equity_buy_market("AAPL", 2))
    everything = logged_in.get_transactions(margin, output_format="pandas")
    assert list(everything["type"]) == ["TRADE", "RECEIVE_AND_DELIVER", "RECEIVE_AND_DELIVER", "ELECTRONIC_FUND"]
    assert everything["transactionDate"].dt.tz is not None and everything["netAmount"].dtype == "float64"
    assert everything["transactionId"].dtype == "Int64"
    trades = logged_in.get_transactions(margin, types=["TRADE"], symbol="AAPL")
    assert len(trades) == 1
    today = datetime.now(logged_in.tz).date()
    assert len(logged_in.get_transactions(margin, start_date=today - timedelta(days=2), end_date=today)) == 4
    assert logged_in.get_transactions(margin, start_date=today + timedelta(days=1),
                                      end_date=today + timedelta(days=2)) == []
    with pytest.raises(ValueError, match="year"):
        logged_in.get_transactions(margin, start_date="2023-01-01", end_date="2024-06-01")


@td_only
def test_td_transactions_parameters(logged_in, sandbox, accounts):
    margin, _ = accounts
    sandbox.clear_requests()
    logged_in.get_transactions(margin, types="BUY_ONLY", start_date="2030-01-01", end_date="2030-01-31")
    assert sandbox.requests[-1].query == {"type": "BUY_ONLY", "startDate": "2030-01-01", "endDate": "2030-01-31"}
    with pytest.raises(ValueError, match="one transaction type"):
        logged_in.get_transactions(margin, types=["TRADE", "DIVIDEND"])
    with pytest.raises(ValueError, match="types"):
        logged_in.get_transactions(margin, types="RECEIVE_AND_DELIVER")
    assert len(logged_in.get_transactions(margin, types="CASH_IN_OR_CASH_OUT")) == 1


@schwab_only
def test_schwab_transactions_parameters(logged_in, sandbox, accounts, caplog):
    margin, _ = accounts
    sandbox.clear_requests()
    logged_in.get_transactions(margin)
    sent = sandbox.requests[-1].query
    assert set(sent) == {"startDate", "endDate", "types"} and sent["types"].startswith("TRADE,RECEIVE_AND_DELIVER,")
    assert len(logged_in.get_transactions(margin, types="ELECTRONIC_FUND")) == 1
    frame = logged_in.get_transactions(margin, output_format="pandas")
    assert list(frame["transferItems"].map(len)) == [1, 1, 1] and frame.loc[0, "symbol"] in ("MSFT", "AAPL")
    big = json.dumps([{"activityId": i, "type": "TRADE"} for i in range(3000)])
    sandbox.fail_next(status=200, body=big, path="/trader/v1/accounts/")
    with caplog.at_level(logging.WARNING, logger="pyTD"):
        assert len(logged_in.get_transactions(margin)) == 3000
    assert "3000 transactions" in caplog.text


@schwab_only
def test_schwab_one_transaction_as_a_list_or_an_object(logged_in, sandbox, accounts):
    margin, _ = accounts
    first = logged_in.get_transactions(margin)[0]
    listed = logged_in.get_transaction(margin, first["activityId"])
    assert listed == [first]  # the spec's shape
    sandbox.fail_next(status=200, body=json.dumps(first), path="/trader/v1/accounts/")
    frame = logged_in.get_transaction(margin, first["activityId"], output_format="pandas")
    assert frame.loc[0, "transactionId"] == first["activityId"]


def test_an_unknown_transaction_is_not_found(logged_in, accounts):
    with pytest.raises(ResourceNotFound):
        logged_in.get_transaction(accounts[0], 1)


# -- preview, user info, watchlists ----------------------------------------------------------------------------


@schwab_only
def test_schwab_preview_accepts_and_rejects(logged_in, sandbox, accounts):
    margin, cash = accounts
    ok = logged_in.preview_order(margin, equity_buy_limit("AAPL", 1, round(ask("AAPL"), 2)))
    assert ok["orderStrategy"]["status"] == "ACCEPTED" and "accepts" in ok["orderValidationResult"]
    far = logged_in.preview_order(margin, equity_buy_limit("AMD", 1, 10))  # as recorded
    (reject,) = far["orderValidationResult"]["rejects"]
    assert reject["activityMessage"].startswith("Your limit price is significantly away")
    broke = logged_in.preview_order(cash, equity_buy_market("AAPL", 10_000))
    assert broke["orderStrategy"]["status"] == "REJECTED"
    assert sandbox.broker.orders_of(margin) == [] and sandbox.broker.orders_of(cash) == []


@td_only
def test_td_has_no_preview_and_sends_nothing(logged_in, sandbox, accounts):
    sandbox.clear_requests()
    with pytest.raises(UnsupportedError, match="TD Ameritrade"):
        logged_in.preview_order(accounts[0], equity_buy_market("AAPL", 1))
    assert sandbox.requests == []


@td_only
def test_td_user_principals_and_preferences(logged_in, sandbox, accounts):
    principals = logged_in.get_user_principals()
    assert [a["accountId"] for a in principals["accounts"]] == list(accounts)
    info = principals["streamerInfo"]
    assert info["streamerSocketUrl"] == sandbox.streamer.url.split("//")[1].split("/")[0]  # host:port
    assert {"token", "tokenTimestamp", "userGroup", "accessLevel", "acl", "appId"} <= set(info)
    assert principals["streamerSubscriptionKeys"]["keys"][0]["key"]
    account = principals["accounts"][0]
    assert {"company", "segment", "accountCdDomainId"} <= set(account) and "preferences" in account
    assert sandbox.requests[-1].query == {"fields": "streamerSubscriptionKeys,streamerConnectionInfo,preferences,"
                                                    "surrogateIds"}
    assert "streamerInfo" not in pyTD.get_user_principals("preferences", api=logged_in)
    assert logged_in.get_user_preferences(accounts[0])["expressTrading"] is False
    assert "preferences" in logged_in.get_user_preferences()["accounts"][0]
    with pytest.raises(ValueError, match="fields"):
        logged_in.get_user_principals(["everything"])


@schwab_only
def test_schwab_user_preference_and_no_principals(logged_in, sandbox, accounts):
    preference = logged_in.get_user_preferences()
    assert [a["accountNumber"] for a in preference["accounts"]] == list(accounts)
    assert preference["streamerInfo"][0]["streamerSocketUrl"] == sandbox.streamer.url
    sandbox.clear_requests()
    with pytest.raises(UnsupportedError, match="get_user_preferences"):
        logged_in.get_user_principals()
    with pytest.raises(ValueError, match="account_id"):
        logged_in.get_user_preferences(accounts[0])
    assert sandbox.requests == []


@td_only
def test_td_watchlists(logged_in, sandbox, accounts):
    margin, cash = accounts
    created = logged_in.create_watchlist(margin, "tech", ["AAPL", "msft"])
    assert created and logged_in.get_watchlist(margin, created)["name"] == "tech"
    logged_in.update_watchlist(margin, created, name="big tech", symbols="GOOG")
    items = logged_in.get_watchlist(margin, created, output_format="pandas")
    assert list(items["symbol"]) == ["AAPL", "MSFT", "GOOG"] and set(items["name"]) == {"big tech"}
    logged_in.replace_watchlist(margin, created, "one", ["F"])
    assert [i["instrument"]["symbol"] for i in logged_in.get_watchlist(margin, created)["watchlistItems"]] == ["F"]
    other = logged_in.create_watchlist(cash, "etfs", "SPY QQQ")
    assert {w["watchlistId"] for w in logged_in.get_watchlists()} == {created, other}
    assert [w["watchlistId"] for w in logged_in.get_watchlists(cash)] == [other]
    logged_in.delete_watchlist(margin, created)
    with pytest.raises(ResourceNotFound):
        logged_in.get_watchlist(margin, created)
    with pytest.raises(ValueError):
        logged_in.update_watchlist(cash, other)
    assert [r.method for r in sandbox.requests if "watchlists" in r.path].count("POST") == 2


@schwab_only
def test_schwab_has_no_watchlists_and_sends_nothing(logged_in, sandbox, accounts):
    sandbox.clear_requests()
    for call in (lambda: logged_in.get_watchlists(), lambda: logged_in.create_watchlist(accounts[0], "x", "AAPL"),
                 lambda: logged_in.delete_watchlist(accounts[0], "1")):
        with pytest.raises(UnsupportedError, match="Watchlists"):
            call()
    assert sandbox.requests == []


# -- the same functions three ways, and a repeatable sandbox ------------------------------------------------------


def test_functions_methods_and_reexports_agree(logged_in, accounts):
    margin, _ = accounts
    assert pyTD.get_accounts(api=logged_in) == pyTD.accounts.get_accounts(api=logged_in) == logged_in.get_accounts()
    assert pyTD.get_orders(margin, api=logged_in) == logged_in.get_orders(margin)
    for name in ("get_positions", "place_order", "cancel_order", "get_transactions", "get_watchlists",
                 "get_user_preferences"):
        assert getattr(logged_in, name).__doc__ and "api :" not in getattr(logged_in, name).__doc__
        assert name in pyTD.__all__


def test_the_sandbox_is_repeatable_given_a_seed(provider):
    from pyTD.sandbox import Sandbox
    from pyTD.sandbox.broker import Instrument, Leg, Spec

    runs = []
    for seed in (7, 7, 8):
        with Sandbox(provider=provider, seed=seed) as sb:
            number = list(sb.broker.accounts)[0]
            buy = Spec("SINGLE", {}, "MARKET", legs=[Leg("BUY", 1.0, Instrument(market.UNIVERSE["AAPL"]))])
            placed = sb.broker.place(number, buy)
            runs.append((list(sb.broker.accounts), placed.id, placed.status, [t.id for t in sb.broker.transactions],
                         sb.broker.accounts[number].cash))
    assert runs[0] == runs[1] and runs[0][:2] != runs[2][:2]


def test_sandbox_accounts_option(provider, make_client):
    from pyTD.sandbox import Sandbox

    with Sandbox(provider=provider, accounts=[{"type": "CASH", "cash": 500, "positions": {"KO": (3, 60.0)},
                                               "number": "12345678"}]) as sb:
        (account,) = sb.broker.accounts.values()
        assert (account.number, account.type, account.cash) == ("12345678", "CASH", 500.0)
        assert [(i.security.symbol, p.quantity, p.average_price) for i, p in account.positions.items()] == \
            [("KO", 3.0, 60.0)]
    for bad in ([{"type": "IRA"}], [{"positions": {"NOPE": 1}}], [{"type": "CASH", "positions": {"KO": -1}}]):
        with pytest.raises(ValueError):
            Sandbox(provider=provider, accounts=bad)
