"""Order builders against the providers' documented samples, one by one; prices, quantities, required fields;
option symbols in both formats. Nothing here is sent anywhere."""

import json
from datetime import date

import pytest

from pyTD import orders
from pyTD.orders import (
    Order,
    equity_buy_limit,
    equity_buy_market,
    equity_sell_limit,
    equity_sell_trailing_stop,
    first_triggers_second,
    one_cancels_other,
    option_buy_to_open_limit,
    option_symbol,
    parse_option_symbol,
    truncate_price,
)
from pyTD.orders.builder import order_json


def upper_instructions(order):
    """TD's first sample writes "Buy"; its server upper-cases instructions (td-trading.md section 3), and so do
    the builders."""
    order = json.loads(json.dumps(order))
    for leg in order.get("orderLegCollection", []):
        leg["instruction"] = leg["instruction"].upper()
    return order


# -- TD's "Place Order Samples" (td-trading.md section 3), verbatim where the contract quotes them ------------------


def test_td_sample_buy_market_stock():
    sample = json.loads('{"orderType":"MARKET","session":"NORMAL","duration":"DAY","orderStrategyType":"SINGLE",'
                        '"orderLegCollection":[{"instruction":"Buy","quantity":15,"instrument":{"symbol":"XYZ",'
                        '"assetType":"EQUITY"}}]}')
    assert equity_buy_market("XYZ", 15).build() == upper_instructions(sample)


def test_td_sample_buy_limit_single_option():
    sample = json.loads('{"complexOrderStrategyType":"NONE","orderType":"LIMIT","session":"NORMAL","price":"6.45",'
                        '"duration":"DAY","orderStrategyType":"SINGLE","orderLegCollection":[{"instruction":'
                        '"BUY_TO_OPEN","quantity":10,"instrument":{"symbol":"XYZ_032015C49","assetType":"OPTION"}}]}')
    assert option_buy_to_open_limit("XYZ_032015C49", 10, 6.45).build() == sample


def test_td_sample_vertical_spread():
    # The contract lists its parts: NET_DEBIT at "1.20", BUY_TO_OPEN XYZ_011516C40 x10,
    # SELL_TO_OPEN XYZ_011516C42.5 x10.
    built = (Order().order_type("NET_DEBIT").session("NORMAL").price(1.2).duration("DAY")
             .order_strategy_type("SINGLE").option_leg("BUY_TO_OPEN", "XYZ_011516C40", 10)
             .option_leg("SELL_TO_OPEN", "XYZ_011516C42.5", 10).build())
    assert built == {"orderType": "NET_DEBIT", "session": "NORMAL", "price": "1.20", "duration": "DAY",
                     "orderStrategyType": "SINGLE", "orderLegCollection": [
                         {"instruction": "BUY_TO_OPEN", "quantity": 10,
                          "instrument": {"symbol": "XYZ_011516C40", "assetType": "OPTION"}},
                         {"instruction": "SELL_TO_OPEN", "quantity": 10,
                          "instrument": {"symbol": "XYZ_011516C42.5", "assetType": "OPTION"}}]}


def test_td_sample_custom_spread():
    # The contract gives MARKET and complexOrderStrategyType CUSTOM (the legs are not quoted).
    built = (Order().order_type("MARKET").complex_order_strategy_type("CUSTOM").session("NORMAL").duration("DAY")
             .order_strategy_type("SINGLE").option_leg("SELL_TO_OPEN", "XYZ_011819P45", 1)
             .option_leg("BUY_TO_OPEN", "XYZ_011720P43", 2).build())
    assert (built["orderType"], built["complexOrderStrategyType"]) == ("MARKET", "CUSTOM")
    assert "price" not in built and len(built["orderLegCollection"]) == 2


def test_td_sample_one_triggers_another():
    expected = {"orderType": "LIMIT", "session": "NORMAL", "price": "34.97", "duration": "DAY",
                "orderStrategyType": "TRIGGER",
                "orderLegCollection": [{"instruction": "BUY", "quantity": 10,
                                        "instrument": {"symbol": "XYZ", "assetType": "EQUITY"}}],
                "childOrderStrategies": [{"orderType": "LIMIT", "session": "NORMAL", "price": "42.03",
                                          "duration": "DAY", "orderStrategyType": "SINGLE",
                                          "orderLegCollection": [{"instruction": "SELL", "quantity": 10,
                                                                  "instrument": {"symbol": "XYZ",
                                                                                 "assetType": "EQUITY"}}]}]}
    built = first_triggers_second(equity_buy_limit("XYZ", 10, 34.97), equity_sell_limit("XYZ", 10, 42.03)).build()
    assert built == expected


def test_td_sample_one_cancels_another():
    sell = {"instruction": "SELL", "quantity": 2, "instrument": {"symbol": "XYZ", "assetType": "EQUITY"}}
    expected = {"orderStrategyType": "OCO", "childOrderStrategies": [
        {"orderType": "LIMIT", "session": "NORMAL", "price": "45.97", "duration": "DAY",
         "orderStrategyType": "SINGLE", "orderLegCollection": [sell]},
        {"orderType": "STOP_LIMIT", "session": "NORMAL", "price": "37.00", "stopPrice": "37.03", "duration": "DAY",
         "orderStrategyType": "SINGLE", "orderLegCollection": [sell]}]}
    built = one_cancels_other(equity_sell_limit("XYZ", 2, 45.97),
                              orders.equity_sell_stop_limit("XYZ", 2, stop_price=37.03, limit_price=37)).build()
    assert built == expected
    assert "session" not in built and "orderLegCollection" not in built  # nothing at the top but the children


def test_td_sample_trailing_stop():
    sample = json.loads('{"complexOrderStrategyType":"NONE","orderType":"TRAILING_STOP","session":"NORMAL",'
                        '"stopPriceLinkBasis":"BID","stopPriceLinkType":"VALUE","stopPriceOffset":10,'
                        '"duration":"DAY","orderStrategyType":"SINGLE","orderLegCollection":[{"instruction":"SELL",'
                        '"quantity":10,"instrument":{"symbol":"XYZ","assetType":"EQUITY"}}]}')
    assert equity_sell_trailing_stop("XYZ", 10, 10).build() == sample


# -- Schwab's examples (schwab-api.md section 5) --------------------------------------------------------------


def test_schwab_minimal_limit_order():
    sample = {"orderType": "LIMIT", "session": "NORMAL", "duration": "DAY", "orderStrategyType": "SINGLE",
              "price": "10.00", "orderLegCollection": [{"instruction": "BUY", "quantity": 4, "instrument":
                                                        {"symbol": "INTC", "assetType": "EQUITY"}}]}
    assert equity_buy_limit("INTC", 4, 10).build() == sample


def test_schwab_composites_and_trailing_stop():
    trigger = first_triggers_second(equity_buy_limit("INTC", 4, 10), equity_sell_limit("INTC", 4, 12)).build()
    assert trigger["orderStrategyType"] == "TRIGGER" and len(trigger["childOrderStrategies"]) == 1
    oco = one_cancels_other(equity_sell_limit("INTC", 4, 12), orders.equity_sell_stop("INTC", 4, 9)).build()
    assert set(oco) == {"orderStrategyType", "childOrderStrategies"} and oco["orderStrategyType"] == "OCO"
    trailing = equity_sell_trailing_stop("INTC", 4, 10).build()
    assert {k: trailing[k] for k in ("orderType", "stopPriceLinkBasis", "stopPriceLinkType", "stopPriceOffset")} \
        == {"orderType": "TRAILING_STOP", "stopPriceLinkBasis": "BID", "stopPriceLinkType": "VALUE",
            "stopPriceOffset": 10}


def test_the_recorded_preview_is_of_the_order_the_template_builds():
    recorded = json.load(open(__import__("tests.schwab_spec", fromlist=["SHARED"]).SHARED
                              / "fixtures" / "schwab" / "previeworder-1.json"))["orderStrategy"]
    built = equity_buy_limit("AMD", 1, 10).build()
    assert (built["orderType"], float(built["price"]), built["session"], built["duration"]) == \
        (recorded["orderType"], recorded["price"], recorded["session"], recorded["duration"])
    (leg,) = built["orderLegCollection"]
    assert (leg["instruction"], leg["instrument"]["symbol"], leg["quantity"]) == \
        (recorded["orderLegs"][0]["instruction"], recorded["orderLegs"][0]["finalSymbol"], recorded["quantity"])


# -- prices, quantities, required fields ----------------------------------------------------------------------


@pytest.mark.parametrize("price,sent", [(12.129, "12.12"), (0.12121, "0.1212"), (0, "0.00"), (12.999, "12.99"),
                                        (0.99999, "0.9999"), (1, "1.00"), (37, "37.00"), (1.15, "1.15"),
                                        (100.1, "100.10"), ("12.3456", "12.3456"), ("7", "7")])
def test_prices_are_truncated_never_rounded_up(price, sent):
    assert truncate_price(price) == sent
    if not isinstance(price, str):
        assert float(sent) <= price


@pytest.mark.parametrize("price", [-1, float("nan"), float("inf"), "ten", None, True, [1]])
def test_bad_prices_are_refused(price):
    with pytest.raises(ValueError, match="price"):
        equity_buy_limit("XYZ", 1, price)


@pytest.mark.parametrize("quantity", [0, -5, 1.5, "10", None, True])
def test_quantities_must_be_positive_whole_numbers(quantity):
    with pytest.raises(ValueError, match="quantity"):
        equity_buy_market("XYZ", quantity)


def test_a_whole_float_quantity_is_fine():
    assert equity_buy_market("XYZ", 10.0).build()["orderLegCollection"][0]["quantity"] == 10


@pytest.mark.parametrize("builder,missing", [
    (lambda: Order(), "order_strategy_type"),
    (lambda: Order().order_strategy_type("SINGLE").order_type("MARKET").session("NORMAL")
     .equity_leg("BUY", "XYZ", 1), "duration"),
    (lambda: Order().order_strategy_type("SINGLE").order_type("MARKET").session("NORMAL").duration("DAY"), "a leg"),
    (lambda: Order().order_strategy_type("SINGLE").order_type("LIMIT").session("NORMAL").duration("DAY")
     .equity_leg("BUY", "XYZ", 1), "price"),
    (lambda: Order().order_strategy_type("SINGLE").order_type("STOP").session("NORMAL").duration("DAY")
     .equity_leg("SELL", "XYZ", 1), "stop_price"),
    (lambda: Order().order_strategy_type("SINGLE").order_type("TRAILING_STOP").session("NORMAL").duration("DAY")
     .equity_leg("SELL", "XYZ", 1), "stop_price_offset"),
    (lambda: Order().order_strategy_type("OCO").child(equity_buy_market("XYZ", 1)), "two or more"),
    (lambda: equity_buy_market("XYZ", 1).order_strategy_type("TRIGGER"), "child"),
    (lambda: equity_buy_market("XYZ", 1).child(equity_sell_limit("XYZ", 1, 2)), "SINGLE"),
    (lambda: equity_buy_market("XYZ", 1).price(5), "no price"),
])
def test_missing_fields_raise_before_anything_is_sent(builder, missing):
    with pytest.raises(ValueError, match=missing):
        builder().build()


@pytest.mark.parametrize("call", [
    lambda: Order().order_type("LIMITED"),
    lambda: Order().session("EVENING"),
    lambda: Order().leg("BUY_TO_OPEN", "XYZ", 1, "EQUITY"),
    lambda: Order().leg("BUY", "XYZ_011516C40", 1, "OPTION"),
    lambda: Order().leg("BUY", "XYZ", 1, "FUTURE"),
    lambda: Order().leg("BUY", "", 1),
    lambda: Order().stop_price_offset(0),
])
def test_bad_values_are_refused_when_set(call):
    with pytest.raises(ValueError):
        call()


def test_values_are_read_in_any_case_and_symbols_upper_cased():
    built = Order().order_type("limit").session("normal").duration("day").order_strategy_type("single") \
        .price("5").equity_leg("buy", "intc", 1).build()
    assert (built["orderType"], built["orderLegCollection"][0]["instruction"],
            built["orderLegCollection"][0]["instrument"]["symbol"]) == ("LIMIT", "BUY", "INTC")


def test_build_returns_a_new_dict_and_templates_can_be_adjusted():
    order = equity_buy_limit("XYZ", 10, 5).duration("GOOD_TILL_CANCEL")
    first = order.build()
    first["orderLegCollection"][0]["quantity"] = 999
    assert order.build()["orderLegCollection"][0]["quantity"] == 10
    assert order.build()["duration"] == "GOOD_TILL_CANCEL"


def test_order_dicts_get_truncated_string_prices_and_checked_quantities():
    given = {"orderType": "LIMIT", "price": 12.129, "stopPrice": 0.123456, "session": "NORMAL", "duration": "DAY",
             "orderStrategyType": "SINGLE", "orderLegCollection": [{"instruction": "BUY", "quantity": 3,
                                                                    "instrument": {"symbol": "XYZ",
                                                                                   "assetType": "EQUITY"}}]}
    sent = order_json(given)
    assert (sent["price"], sent["stopPrice"]) == ("12.12", "0.1234")
    assert given["price"] == 12.129  # the caller's dict is left alone
    bad = json.loads(json.dumps(given))
    bad["orderLegCollection"][0]["quantity"] = 0
    with pytest.raises(ValueError, match="quantity"):
        order_json(bad)
    with pytest.raises(ValueError, match="Order or a dict"):
        order_json("BUY 10 XYZ")


def test_first_triggers_second_leaves_its_parts_alone():
    buy = equity_buy_limit("XYZ", 10, 34.97)
    first_triggers_second(buy, equity_sell_limit("XYZ", 10, 42.03))
    assert buy.build()["orderStrategyType"] == "SINGLE"
    assert Order.from_json(buy.build()) == buy


# -- option symbols ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("parts,td,schwab", [
    (("GOOG", date(2022, 1, 21), "PUT", 620), "GOOG_012122P620", "GOOG  220121P00620000"),
    (("XYZ", "2016-01-15", "C", 42.5), "XYZ_011516C42.5", "XYZ   160115C00042500"),
    (("AAPL", date(2025, 12, 19), "call", 200.0), "AAPL_121925C200", "AAPL  251219C00200000"),
    (("SPXW", date(2025, 12, 8), "CALL", 6880), "SPXW_120825C6880", "SPXW  251208C06880000"),
    (("MSFT", date(2021, 6, 18), "P", 65), "MSFT_061821P65", "MSFT  210618P00065000"),
    (("BRK", date(2024, 3, 15), "C", 2200.0), "BRK_031524C2200", "BRK   240315C02200000"),
])
def test_option_symbols_in_both_formats_and_back(parts, td, schwab):
    assert option_symbol(*parts, provider="td") == td
    assert option_symbol(*parts, provider="schwab") == schwab
    for symbol in (td, schwab):
        read = parse_option_symbol(symbol)
        assert (read.underlying, read.expiration, read.strike) == (parts[0], parse_option_symbol(td).expiration,
                                                                   float(parts[3]))
        assert read.contract_type == ("CALL" if str(parts[2]).upper().startswith("C") else "PUT")


def test_recorded_option_symbols_parse():
    # fixtures/schwab stream-levelone-options-1 and -2, fixtures/td quotes-1
    assert parse_option_symbol("GOOG  240517C00070000") == ("GOOG", date(2024, 5, 17), "CALL", 70.0)
    assert parse_option_symbol("SPXW  251208C06880000", provider="schwab").strike == 6880.0
    assert parse_option_symbol("MSFT_061821P65", provider="td") == ("MSFT", date(2021, 6, 18), "PUT", 65.0)


def test_option_symbol_default_provider_and_clients(monkeypatch):
    assert option_symbol("XYZ", "2016-01-15", "C", 40) == "XYZ_011516C40"  # TD unless TD_PROVIDER says
    monkeypatch.setenv("TD_PROVIDER", "schwab")
    assert option_symbol("XYZ", "2016-01-15", "C", 40) == "XYZ   160115C00040000"

    class Client:
        from pyTD.providers import get

        profile = get("td")

    assert option_symbol("XYZ", "2016-01-15", "C", 40, provider=Client()) == "XYZ_011516C40"


@pytest.mark.parametrize("args", [("", "2022-01-21", "C", 1), ("GOOG", "21/01/2022", "C", 1),
                                  ("GOOG", "2022-01-21", "X", 1), ("GOOG", "2022-01-21", "C", 0),
                                  ("GOOG", "2022-01-21", "C", -5), ("GOOG", None, "C", 1)])
def test_bad_option_symbol_parts(args):
    with pytest.raises(ValueError):
        option_symbol(*args, provider="td")


def test_schwab_option_symbols_have_limits():
    with pytest.raises(ValueError, match="Schwab"):
        option_symbol("TOOLONGROOT", "2022-01-21", "C", 1, provider="schwab")
    with pytest.raises(ValueError, match="Schwab"):
        option_symbol("XYZ", "2022-01-21", "C", 1.23456, provider="schwab")


@pytest.mark.parametrize("text", ["GOOG", "GOOG_2022P620", "GOOG  220121X00620000", "GOOG_133122P620", 12])
def test_parse_refuses_what_is_not_an_option_symbol(text):
    with pytest.raises(ValueError):
        parse_option_symbol(text)
    with pytest.raises(ValueError):
        parse_option_symbol("GOOG_012122P620", provider="schwab")  # a TD symbol is not Schwab's
