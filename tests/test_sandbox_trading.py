"""The paper broker and both providers' trader stand-ins: Schwab's answers against its trader spec (where real
recordings or Schwab's contract differ, the exceptions are listed and each is proven needed), every request pyTD
sends to Schwab against the spec, TD's shapes against td-trading.md, the broker's rules, and fault injection."""

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from pyTD.orders import (
    equity_buy_limit,
    equity_buy_market,
    equity_sell_limit,
    equity_sell_short_market,
    equity_sell_stop,
    first_triggers_second,
    one_cancels_other,
    option_symbol,
)
from pyTD.sandbox import Sandbox, market
from pyTD.sandbox.broker import Broker, Instrument, Leg, NotFound, Rejected, Spec
from tests.schwab_spec import SHARED, SpecError, components, errors, validate_request, validate_with, walk

from .conftest import bearer_headers, schwab_only

FIXTURES = SHARED / "fixtures" / "schwab"


# -- where Schwab's recordings and contract win over its trader spec --------------------------------------------


def name_instruments(template, body):
    """The spec's base instruments require a ``name`` that no recording (previeworder-1, accounts) carries."""
    for node in walk(body):
        if isinstance(node.get("instrument"), dict):
            node["instrument"].setdefault("name", node["instrument"].get("symbol"))
    return body


def number_in_call(template, body):
    for node in walk(body):
        if isinstance(node.get("isInCall"), bool):
            node["isInCall"] = float(node["isInCall"])
    return body


def preference_list(template, body):
    return [body] if template == "/userPreference" and isinstance(body, dict) else body


def recorded_keys(block):
    return set(json.loads((FIXTURES / "accounts-1.json").read_text())[0]["securitiesAccount"][block])


MARGIN_BALANCE = {"availableFunds", "availableFundsNonMarginableTrade", "buyingPower", "buyingPowerNonMarginableTrade",
                  "dayTradingBuyingPower", "dayTradingBuyingPowerCall", "equity", "equityPercentage", "isInCall",
                  "longMarginValue", "maintenanceCall", "maintenanceRequirement", "marginBalance",
                  "optionBuyingPower", "regTCall", "shortBalance", "shortMarginValue", "sma", "stockBuyingPower"}

INSTRUMENT_SCHEMAS = ("AccountCashEquivalent", "AccountEquity", "AccountFixedIncome", "AccountMutualFund",
                      "AccountOption", "TransactionCashEquivalent", "CollectiveInvestment", "Currency",
                      "TransactionEquity", "TransactionFixedIncome", "Forex", "Future", "Index",
                      "TransactionMutualFund", "TransactionOption", "Product")

# name: (why, extra keys per schema, body patch)
EXCEPTIONS = {
    "aggregatedBalance": ("recorded accounts carry aggregatedBalance beside securitiesAccount (accounts-1)",
                          {"Account": {"aggregatedBalance"}}, None),
    "margin balances": ("the recorded margin account's currentBalances has keys MarginBalance does not name "
                        "(accounts-1)", {"MarginBalance": recorded_keys("currentBalances") - MARGIN_BALANCE}, None),
    "isInCall": ("isInCall was recorded as false, the spec says a number (accounts-1)", {}, number_in_call),
    "instrument name": ("the spec requires an instrument name that it does not define and no recording has "
                        "(previeworder-1, accounts-1)", {name: {"name"} for name in INSTRUMENT_SCHEMAS},
                        name_instruments),
    "userPreference object": ("userPreference was recorded as an object, the spec says a list (userpreference-1)",
                              {}, preference_list),
    "preview legs": ("recorded preview legs carry positionEffect and instrument (previeworder-1)",
                     {"OrderLeg": {"positionEffect", "instrument"}}, None),
    "activityId": ("an order's activities carry activityId (schwab-api.md section 5, the Order response)",
                   {"OrderActivity": {"activityId"}}, None),
    "transfer instruments": ("transferItems' instruments carry status and closingPrice (schwab-api.md section 4)",
                             {name: {"status", "closingPrice"} for name in ("TransactionEquity", "Currency",
                                                                              "TransactionOption")}, None),
}


def check(method, path, status, body, skip=()):
    """Validate strictly, with every exception but those named in ``skip``."""
    validate_with(EXCEPTIONS, method, path, status, body, skip)


@pytest.fixture(scope="module")
def schwab():
    """A Schwab sandbox with orders of every kind placed, filled, working and canceled."""
    with Sandbox(provider="schwab", auto_approve=True) as sb:
        sb.bearer = bearer_headers(sb)
        sb.number = list(sb.broker.accounts)[0]
        sb.key = sb.profile.trader(sb).hash_of(sb.number)
        price = market.quote(market.UNIVERSE["AAPL"], 0).ask
        expiration = market.expirations(market.utc_today())[1]
        call = option_symbol("AAPL", expiration, "CALL", 230, provider="schwab")
        from pyTD.orders import option_buy_to_open_market

        for order in (equity_buy_market("AAPL", 5), equity_buy_limit("AAPL", 1, round(price * 0.9, 2)),
                      one_cancels_other(equity_sell_limit("AAPL", 2, round(price * 1.1, 2)),
                                        equity_sell_stop("AAPL", 2, round(price * 0.9, 2))),
                      first_triggers_second(equity_buy_limit("MSFT", 1, 400), equity_sell_limit("MSFT", 1, 420)),
                      option_buy_to_open_market(call, 1), equity_sell_short_market("KO", 3)):
            answer = post(sb, f"/accounts/{sb.key}/orders", order.build())
            assert answer.status_code == 201, answer.text
        sb.broker.set_price("AAPL", round(price * 1.2, 2))  # the OCO's limit fills, its stop is canceled
        working = sb.broker.orders_of(sb.number)[-2]
        sb.broker.cancel(sb.number, working.id)
        yield sb


def get(sb, path, **query):
    return requests.get(sb.url + "/trader/v1" + path, params=query, headers=sb.bearer, timeout=5)


def post(sb, path, body):
    return requests.post(sb.url + "/trader/v1" + path, json=body, headers=sb.bearer, timeout=5)


def window():
    now = datetime.now(timezone.utc)
    return {"fromEnteredTime": f"{now - timedelta(days=10):%Y-%m-%dT%H:%M:%S}.000Z",
            "toEnteredTime": f"{now + timedelta(days=1):%Y-%m-%dT%H:%M:%S}.000Z"}


def answers(sb):
    """Every kind of answer of the Schwab trader stand-in: (method, path, query, body)."""
    dates = window()
    span = {"startDate": dates["fromEnteredTime"], "endDate": dates["toEnteredTime"],
            "types": "TRADE,ELECTRONIC_FUND,RECEIVE_AND_DELIVER"}
    transactions = get(sb, f"/accounts/{sb.key}/transactions", **span).json()
    first_order = sb.broker.orders_of(sb.number)[0].id
    return [
        ("GET", "/accounts/accountNumbers", {}, None),
        ("GET", "/accounts", {}, None),
        ("GET", "/accounts", {"fields": "positions"}, None),
        ("GET", f"/accounts/{sb.key}", {"fields": "positions"}, None),
        ("GET", f"/accounts/{sb.profile.trader(sb).hash_of(list(sb.broker.accounts)[1])}", {}, None),
        ("GET", f"/accounts/{sb.key}/orders", dates, None),
        ("GET", "/orders", dates, None),
        ("GET", f"/accounts/{sb.key}/orders/{first_order}", {}, None),
        ("GET", f"/accounts/{sb.key}/transactions", span, None),
        ("GET", f"/accounts/{sb.key}/transactions/{transactions[0]['activityId']}", {}, None),
        ("GET", "/userPreference", {}, None),
        ("POST", f"/accounts/{sb.key}/previewOrder", {}, equity_buy_limit("AMD", 1, 10).build()),
        ("POST", f"/accounts/{sb.key}/previewOrder", {}, equity_buy_market("AAPL", 1).build()),
        ("GET", f"/accounts/{sb.key}/orders/1", {}, None),  # 404
        ("GET", "/accounts/NOSUCHHASH", {}, None),  # 404
        ("GET", "/orders", {}, None),  # 400: the dates are required
        ("POST", f"/accounts/{sb.key}/orders", {}, {"orderType": "LIMIT"}),  # 400
    ]


def fetch(sb, method, path, query, body):
    if method == "GET":
        return get(sb, path, **query)
    return post(sb, path, body)


def test_every_trader_answer_fits_the_spec(schwab):
    statuses = set()
    for method, path, query, body in answers(schwab):
        answer = fetch(schwab, method, path, query, body)
        statuses.add(answer.status_code)
        check(method, "/trader/v1" + path, answer.status_code, answer.json())
    assert statuses == {200, 400, 404}


def test_the_answers_hold_what_they_are_checked_for(schwab):
    orders = get(schwab, f"/accounts/{schwab.key}/orders", **window()).json()
    kinds = {o["orderStrategyType"] for o in orders}
    assert kinds == {"SINGLE", "OCO", "TRIGGER"}
    assert {o["status"] for o in orders} >= {"FILLED", "WORKING", "CANCELED"}
    assert any("orderActivityCollection" in o for o in orders)
    assert any(leg["orderLegType"] == "OPTION" for o in orders for leg in o.get("orderLegCollection", []))
    positions = get(schwab, f"/accounts/{schwab.key}", fields="positions").json()["securitiesAccount"]["positions"]
    assert {p["instrument"]["assetType"] for p in positions} == {"EQUITY", "OPTION"}
    assert any(p["shortQuantity"] > 0 for p in positions)  # the KO short
    span = {"startDate": window()["fromEnteredTime"], "endDate": window()["toEnteredTime"], "types": "TRADE"}
    trades = get(schwab, f"/accounts/{schwab.key}/transactions", **span).json()
    assert any(item.get("feeType") == "SEC_FEE" for t in trades for item in t["transferItems"])


@pytest.mark.parametrize("name", list(EXCEPTIONS))
def test_each_exception_is_needed(schwab, name):
    failed = False
    for method, path, query, body in answers(schwab):
        answer = fetch(schwab, method, path, query, body)
        try:
            check(method, "/trader/v1" + path, answer.status_code, answer.json(), skip=(name,))
        except SpecError:
            failed = True
    recordings = {"accounts-1.json": ("GET", "/trader/v1/accounts"),
                  "previeworder-1.json": ("POST", "/trader/v1/accounts/X/previewOrder"),
                  "userpreference-1.json": ("GET", "/trader/v1/userPreference")}
    for filename, (method, path) in recordings.items():
        recorded = json.loads((FIXTURES / filename).read_text())
        check(method, path, 200, recorded)  # the recordings fit, with the exceptions
        try:
            check(method, path, 200, recorded, skip=(name,))
        except SpecError:
            failed = True
    assert failed, f"{name} is not needed"


# -- the requests pyTD sends to Schwab --------------------------------------------------------------------------


def order_body_problems(body, skip=()):
    """Problems of an order body against the spec's OrderRequest: prices go as strings (schwab-api.md section 5)
    and instruments have no name, both as the contract says."""
    body = copy.deepcopy(body)
    for node in walk(body):
        for name in ("price", "stopPrice", "activationPrice"):
            if isinstance(node.get(name), str) and "string prices" not in skip:
                node[name] = float(node[name])
    extra = ()
    if "instrument name" not in skip:
        name_instruments("", body)
        extra = tuple((name, ("name",)) for name in sorted(INSTRUMENT_SCHEMAS))
    return errors({"$ref": "#/components/schemas/OrderRequest"}, body, components("/trader/v1", True, extra), "")


@schwab_only
def test_every_request_pytd_sends_to_schwab_fits_the_spec(logged_in, sandbox):
    from pyTD.orders import equity_sell_trailing_stop

    margin, cash = list(sandbox.broker.accounts)
    price = market.quote(market.UNIVERSE["AAPL"], 0).ask
    sandbox.clear_requests()
    logged_in.get_accounts(positions=True)
    logged_in.get_account(margin)
    logged_in.get_positions(cash)
    placed = logged_in.place_order(margin, equity_buy_limit("AAPL", 1, round(price * 0.9, 2)))
    logged_in.replace_order(margin, placed, equity_buy_limit("AAPL", 1, round(price * 0.8, 2)))
    logged_in.place_order(margin, one_cancels_other(equity_sell_limit("AAPL", 1, round(price * 1.1, 2)),
                                                    equity_sell_trailing_stop("AAPL", 1, 5)))
    logged_in.place_order(margin, first_triggers_second(equity_buy_market("MSFT", 1),
                                                        equity_sell_limit("MSFT", 1, 420)))
    newest = logged_in.get_orders(margin, status="WORKING", max_results=10)[0]["orderId"]
    logged_in.cancel_order(margin, newest)
    logged_in.get_order(margin, placed)
    logged_in.get_orders(from_entered=datetime.now(timezone.utc) - timedelta(days=5))
    logged_in.preview_order(cash, equity_buy_market("F", 1))
    trades = logged_in.get_transactions(margin, types=["TRADE", "RECEIVE_AND_DELIVER"], symbol="MSFT")
    assert {t["type"] for t in trades} == {"TRADE", "RECEIVE_AND_DELIVER"} and {t["transferItems"][0]["instrument"]
                                                                             ["symbol"] for t in trades} == {"MSFT"}
    logged_in.get_transaction(margin, trades[0]["activityId"])
    logged_in.get_user_preferences()
    sent = [r for r in sandbox.requests if r.path.startswith("/trader/v1/")]
    assert {r.method for r in sent} == {"GET", "POST", "PUT", "DELETE"} and len(sent) >= 15
    for request in sent:
        validate_request(request.method, request.path, request.query)
    bodies = [o.spec.request for o in sandbox.broker.orders.values() if o.parent is None]
    assert len(bodies) == 4
    for body in bodies:
        assert order_body_problems(body) == []
    assert any(order_body_problems(body, skip=("string prices",)) for body in bodies)  # the exception is needed


# -- TD's shapes (td-trading.md) -------------------------------------------------------------------------------


@pytest.fixture
def td():
    with Sandbox(provider="td", auto_approve=True) as sb:
        sb.bearer = bearer_headers(sb)
        sb.number = list(sb.broker.accounts)[0]
        yield sb


def td_call(sb, method, path, body=None, **query):
    return requests.request(method, sb.api_url + path, params=query, json=body, headers=sb.bearer, timeout=5)


def test_td_shapes(td):
    placed = td_call(td, "POST", f"/accounts/{td.number}/orders", equity_buy_market("F", 15).build())
    assert placed.status_code == 201 and placed.content == b""
    assert placed.headers["Location"].endswith(f"/v1/accounts/{td.number}/orders/{td.broker.orders_of()[0].id}")
    order = td_call(td, "GET", placed.headers["Location"].split("/v1", 1)[1]).json()
    live = {"session", "duration", "orderType", "complexOrderStrategyType", "quantity", "filledQuantity",
            "remainingQuantity", "requestedDestination", "destinationLinkName", "orderLegCollection",
            "orderStrategyType", "orderId", "cancelable", "editable", "status", "enteredTime", "accountId"}
    assert live <= set(order) and isinstance(order["accountId"], int)  # the live capture's keys
    assert set(order["orderLegCollection"][0]) == {"orderLegType", "legId", "instrument", "instruction",
                                                   "positionEffect", "quantity"}
    assert order["enteredTime"].endswith("+0000")
    accounts = td_call(td, "GET", "/accounts", fields="positions,orders").json()
    inner = accounts[0]["securitiesAccount"]
    assert {"type", "accountId", "roundTrips", "isDayTrader", "isClosingOnlyRestricted", "positions",
            "orderStrategies", "initialBalances", "currentBalances", "projectedBalances"} == set(inner)
    position = inner["positions"][0]
    assert {"shortQuantity", "averagePrice", "currentDayProfitLoss", "currentDayProfitLossPercentage",
            "longQuantity", "settledLongQuantity", "settledShortQuantity", "agedQuantity", "instrument",
            "marketValue"} <= set(position)
    transaction = td_call(td, "GET", f"/accounts/{td.number}/transactions", type="TRADE").json()[0]
    assert isinstance(transaction["orderId"], str) and len(transaction["settlementDate"]) == 10
    assert set(transaction["fees"]) == {"rFee", "additionalFee", "cdscFee", "regFee", "otherCharges", "commission",
                                        "optRegFee", "secFee"}
    assert {"accountId", "amount", "price", "cost", "instruction", "instrument"} <= set(transaction["transactionItem"])


def test_td_errors(td):
    bad = td_call(td, "POST", f"/accounts/{td.number}/orders", {"orderType": "LIMIT", "orderStrategyType": "SINGLE",
                                                                "session": "NORMAL", "duration": "DAY"})
    assert bad.status_code == 400 and set(bad.json()) == {"error"}
    spread = equity_buy_market("F", 1).equity_leg("BUY", "KO", 1).order_type("LIMIT").price(20).build()
    assert td_call(td, "POST", f"/accounts/{td.number}/orders", spread).json()["error"] == \
        "OrderType must be one of those values: NET_CREDIT, NET_DEBIT, NET_ZERO or MARKET."  # TD's own words
    assert td_call(td, "GET", f"/accounts/{td.number}/orders/1").status_code == 404
    assert td_call(td, "GET", "/accounts/99999999").status_code == 404
    assert td_call(td, "PATCH", f"/accounts/{td.number}/orders").status_code == 400  # TD's gateway
    assert td_call(td, "GET", "/orders", fromEnteredTime="2020-01-01", toEnteredTime="2020-01-02").status_code == 400
    assert td_call(td, "GET", "/orders", fromEnteredTime=str(datetime.now().date())).status_code == 400
    too_precise = equity_buy_limit("F", 1, 10).build()
    too_precise["price"] = "10.123"
    assert "decimal" in td_call(td, "POST", f"/accounts/{td.number}/orders", too_precise).json()["error"]


def test_td_has_no_account_hashes(td):
    with pytest.raises(ValueError, match="no hashes"):
        td.rotate_account_hashes()


def test_td_207(td):
    other = list(td.broker.accounts)[1]
    td.broker.unavailable.add(other)
    answer = td_call(td, "GET", "/accounts")
    assert answer.status_code == 207 and len(answer.json()) == 1
    assert td_call(td, "GET", f"/accounts/{other}").status_code == 500


# -- fault injection after a request was processed -------------------------------------------------------------


def test_drop_after_next_processes_then_drops(td):
    td.drop_after_next(path=f"/v1/accounts/{td.number}/orders")
    with pytest.raises(requests.ConnectionError):
        td_call(td, "POST", f"/accounts/{td.number}/orders", equity_buy_market("F", 1).build())
    (order,) = td.broker.orders_of(td.number)
    assert order.status == "FILLED"  # placed and filled; only the answer was lost
    assert td_call(td, "GET", f"/accounts/{td.number}/orders/{order.id}").json()["status"] == "FILLED"


def test_fail_after_answers_the_fault_once_processed(td):
    td.fail_next(status=502, path=f"/v1/accounts/{td.number}/orders", after=True)
    answer = td_call(td, "POST", f"/accounts/{td.number}/orders", equity_buy_market("F", 1).build())
    assert answer.status_code == 502 and len(td.broker.orders_of(td.number)) == 1
    td.fail_next(status=502, path=f"/v1/accounts/{td.number}/orders")
    answer = td_call(td, "POST", f"/accounts/{td.number}/orders", equity_buy_market("F", 1).build())
    assert answer.status_code == 502 and len(td.broker.orders_of(td.number)) == 1  # not processed


# -- the broker's rules ----------------------------------------------------------------------------------------


def spec(order_type, *legs, price=None, stop=None, children=(), strategy="SINGLE"):
    return Spec(strategy, {}, order_type, price=price, stop_price=stop, legs=list(legs), children=list(children))


def leg(instruction, symbol, quantity):
    return Leg(instruction, float(quantity), Instrument(market.UNIVERSE[symbol]))


@pytest.fixture
def broker():
    return Broker(seed=1, accounts=[{"type": "MARGIN", "cash": 10_000, "number": "1"},
                                    {"type": "CASH", "cash": 1_000, "number": "2"}])


def test_short_sale_cover_and_average_prices(broker):
    broker.set_price("KO", 70)
    broker.place("1", spec("MARKET", leg("SELL_SHORT", "KO", 10)))
    ko = Instrument(market.UNIVERSE["KO"])
    assert broker.accounts["1"].positions[ko].quantity == -10 and broker.accounts["1"].positions[ko].average_price \
        == 69.99
    broker.set_price("KO", 60)
    broker.place("1", spec("MARKET", leg("BUY_TO_COVER", "KO", 10)))
    assert ko not in broker.accounts["1"].positions
    assert broker.accounts["1"].cash == pytest.approx(10_000 + 10 * 69.99 - round(699.9 * 0.0000278, 2) - 600.1)
    broker.place("1", spec("MARKET", leg("BUY", "KO", 10)))
    broker.set_price("KO", 80)
    broker.place("1", spec("MARKET", leg("BUY", "KO", 10)))
    assert broker.accounts["1"].positions[ko].average_price == pytest.approx((60.01 + 80.01) / 2)


def test_cash_account_limits(broker):
    with pytest.raises(Rejected, match="buying power"):
        broker.place("2", spec("MARKET", leg("BUY", "AAPL", 10)))
    with pytest.raises(Rejected, match="cash account"):
        broker.place("2", spec("MARKET", leg("SELL_SHORT", "F", 1)))
    broker.set_price("F", 10)
    working = broker.place("2", spec("LIMIT", leg("BUY", "F", 90), price=9.5))
    with pytest.raises(Rejected, match="buying power"):  # the working order holds its cash
        broker.place("2", spec("MARKET", leg("BUY", "F", 20)))
    assert broker.balances(broker.accounts["2"]).buying_power == pytest.approx(1_000 - 855)
    broker.cancel("2", working.id)
    assert broker.balances(broker.accounts["2"]).buying_power == 1_000


def test_a_sale_of_shares_sold_meanwhile_is_rejected_when_it_would_fill(broker):
    broker.set_price("F", 10)
    broker.place("1", spec("MARKET", leg("BUY", "F", 5)))
    waiting = broker.place("1", spec("LIMIT", leg("SELL", "F", 5), price=11))
    broker.place("1", spec("MARKET", leg("SELL", "F", 5)))
    broker.set_price("F", 12)
    assert waiting.status == "REJECTED" and "holds 0" in waiting.description


def test_replace_keeps_the_old_order_when_the_new_one_is_refused(broker):
    broker.set_price("F", 10)
    old = broker.place("1", spec("LIMIT", leg("BUY", "F", 1), price=9))
    with pytest.raises(Rejected):
        broker.replace("1", old.id, spec("MARKET", leg("SELL", "F", 5)))
    assert old.status == "WORKING"
    new = broker.replace("1", old.id, spec("LIMIT", leg("BUY", "F", 2), price=9.5))
    assert (old.status, new.status, new.id > old.id) == ("REPLACED", "WORKING", True)
    with pytest.raises(NotFound):
        broker.cancel("2", new.id)  # another account's order


def test_canceling_an_oco_or_trigger_cancels_its_children(broker):
    broker.set_price("F", 10)
    broker.place("1", spec("MARKET", leg("BUY", "F", 10)))
    oco = broker.place("1", spec("", strategy="OCO", children=[spec("LIMIT", leg("SELL", "F", 10), price=12),
                                                                spec("STOP", leg("SELL", "F", 10), stop=8)]))
    trigger = broker.place("1", spec("LIMIT", leg("BUY", "F", 1), price=9, strategy="TRIGGER",
                                     children=[spec("LIMIT", leg("SELL", "F", 1), price=11)]))
    broker.cancel("1", oco.id)
    broker.cancel("1", trigger.id)
    assert [o.status for o in oco.tree() + trigger.tree()] == ["CANCELED"] * 5


def test_a_spread_fills_at_its_net_price(broker):
    today = market.utc_today()
    expiration = market.expirations(today)[2]
    aapl = market.UNIVERSE["AAPL"]
    low, high = (Instrument(aapl, "CALL", expiration, k) for k in (230.0, 240.0))
    net = broker.quote(low)[1] - broker.quote(high)[0]
    legs = [Leg("BUY_TO_OPEN", 1.0, low), Leg("SELL_TO_OPEN", 1.0, high)]
    cheap = broker.place("1", spec("NET_DEBIT", *legs, price=round(net - 0.5, 2)))
    assert cheap.status == "WORKING"
    fair = broker.place("1", spec("NET_DEBIT", *legs, price=round(net + 0.01, 2)))
    assert fair.status == "FILLED" and len(fair.executions[0].prices) == 2
    positions = broker.accounts["1"].positions
    assert (positions[low].quantity, positions[high].quantity) == (1.0, -1.0)


def test_percent_trailing_stop(broker):
    broker.set_price("F", 10)
    broker.place("1", spec("MARKET", leg("BUY", "F", 10)))
    trail = Spec("SINGLE", {}, "TRAILING_STOP", stop_offset=10, stop_link_type="PERCENT",
                 legs=[leg("SELL", "F", 10)])
    order = broker.place("1", trail)
    broker.set_price("F", 20)
    broker.set_price("F", 18.5)
    assert order.status == "WORKING"  # 18.49 is above 20 - 10 %
    broker.set_price("F", 17.9)
    assert order.status == "FILLED"


def test_set_price_checks_its_arguments(broker):
    for symbol, price in (("NOPE", 1), ("F", 0), ("F", -1)):
        with pytest.raises(ValueError):
            broker.set_price(symbol, price)
