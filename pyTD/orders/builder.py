"""Order JSON, built step by step: :class:`Order`, the templates for common orders, and OCO and trigger orders.

TD and Schwab share the order JSON (``td-trading.md`` section 3, ``schwab-api.md`` section 5), so one builder
serves both. ``build()`` checks what every order needs before anything is sent, and writes prices as the
providers expect them: strings, truncated (never rounded up) to 2 decimals, or 4 below $1.
"""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, Dict, List, Mapping, Optional, Union

from pyTD.checks import choice

SESSIONS = ("NORMAL", "AM", "PM", "SEAMLESS")
DURATIONS = ("DAY", "GOOD_TILL_CANCEL", "FILL_OR_KILL", "IMMEDIATE_OR_CANCEL", "END_OF_WEEK", "END_OF_MONTH",
             "NEXT_END_OF_MONTH")
ORDER_TYPES = ("MARKET", "LIMIT", "STOP", "STOP_LIMIT", "TRAILING_STOP", "CABINET", "NON_MARKETABLE",
               "MARKET_ON_CLOSE", "EXERCISE", "TRAILING_STOP_LIMIT", "NET_DEBIT", "NET_CREDIT", "NET_ZERO",
               "LIMIT_ON_CLOSE")
STRATEGIES = ("SINGLE", "OCO", "TRIGGER", "CANCEL", "RECALL", "PAIR", "FLATTEN", "TWO_DAY_SWAP", "BLAST_ALL")
COMPLEX_STRATEGIES = ("NONE", "COVERED", "VERTICAL", "BACK_RATIO", "CALENDAR", "DIAGONAL", "STRADDLE", "STRANGLE",
                      "COLLAR_SYNTHETIC", "BUTTERFLY", "CONDOR", "IRON_CONDOR", "VERTICAL_ROLL", "COLLAR_WITH_STOCK",
                      "DOUBLE_DIAGONAL", "UNBALANCED_BUTTERFLY", "UNBALANCED_CONDOR", "UNBALANCED_IRON_CONDOR",
                      "UNBALANCED_VERTICAL_ROLL", "MUTUAL_FUND_SWAP", "CUSTOM")
INSTRUCTIONS = {  # what each orderable asset type accepts
    "EQUITY": ("BUY", "SELL", "BUY_TO_COVER", "SELL_SHORT", "SELL_SHORT_EXEMPT"),
    "OPTION": ("BUY_TO_OPEN", "BUY_TO_CLOSE", "SELL_TO_OPEN", "SELL_TO_CLOSE"),
}
LINK_BASES = ("MANUAL", "BASE", "TRIGGER", "LAST", "BID", "ASK", "ASK_BID", "MARK", "AVERAGE")
LINK_TYPES = ("VALUE", "PERCENT", "TICK")
STOP_TYPES = ("STANDARD", "BID", "ASK", "LAST", "MARK")
SPECIAL_INSTRUCTIONS = ("ALL_OR_NONE", "DO_NOT_REDUCE", "ALL_OR_NONE_DO_NOT_REDUCE")
TAX_LOT_METHODS = ("FIFO", "LIFO", "HIGH_COST", "LOW_COST", "AVERAGE_COST", "SPECIFIC_LOT", "LOSS_HARVESTER")
POSITION_EFFECTS = ("OPENING", "CLOSING", "AUTOMATIC")
QUANTITY_TYPES = ("ALL_SHARES", "DOLLARS", "SHARES")
DESTINATIONS = ("INET", "ECN_ARCA", "CBOE", "AMEX", "PHLX", "ISE", "BOX", "NYSE", "NASDAQ", "BATS", "C2", "AUTO")
PRICES = ("price", "stopPrice", "activationPrice")  # sent as strings
NEEDS_PRICE = ("LIMIT", "STOP_LIMIT", "NET_DEBIT", "NET_CREDIT", "LIMIT_ON_CLOSE", "TRAILING_STOP_LIMIT")
NEEDS_STOP = ("STOP", "STOP_LIMIT")
NO_PRICE = ("MARKET", "MARKET_ON_CLOSE", "STOP", "TRAILING_STOP", "NET_ZERO")

Price = Union[float, int, str, Decimal]
Json = Dict[str, Any]


def truncate_price(value: Price, name: str = "price") -> str:
    """A price as the providers want it: a string, truncated (never rounded up) to 2 decimals, or to 4 when
    below $1 (``12.129`` -> ``"12.12"``, ``0.12121`` -> ``"0.1212"``, ``0`` -> ``"0.00"``). A string is checked
    and kept as it is.
    """
    if isinstance(value, str):
        _decimal(value, name)
        return value
    number = _decimal(value, name)
    places = Decimal("0.0001") if 0 < number < 1 else Decimal("0.01")
    return str(number.quantize(places, rounding=ROUND_DOWN))


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = Decimal(str(value).strip())  # str() of a float is its shortest repr: 12.129, not 12.1289999...
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{name} must be a number of 0 or more, got {value!r}")
    return number


def check_quantity(value: Any, name: str = "quantity") -> Union[int, float]:
    """A positive whole quantity (shares or contracts): an int, or a float with nothing after the point."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or value != int(value):
        raise ValueError(f"{name} must be a whole number above 0 (shares or contracts), got {value!r}")
    return value


class Order:
    """A chainable order builder; :meth:`build` returns the order's JSON.

    Each setter takes a field of the providers' order JSON in snake case and
    returns the builder. Legs are added with :meth:`equity_leg`,
    :meth:`option_leg` or :meth:`leg`; child orders (of OCO and TRIGGER
    orders) with :meth:`child`.

    Examples
    --------
    >>> Order().order_type("LIMIT").price(10).session("NORMAL").duration("DAY") \\
    ...     .order_strategy_type("SINGLE").equity_leg("BUY", "INTC", 4).build()["price"]
    '10.00'
    """

    def __init__(self) -> None:
        self._fields: Json = {}
        self._legs: List[Json] = []
        self._children: List[Order] = []

    @classmethod
    def from_json(cls, order: Mapping[str, Any]) -> Order:
        """A builder holding an existing order's JSON (to change it, or to make it a parent or child)."""
        if not isinstance(order, Mapping):
            raise ValueError(f"an order must be a dict of the providers' order JSON or an Order, got {order!r}")
        fields: Json = _copy({k: v for k, v in order.items() if k != "childOrderStrategies"})
        _normalize(fields)
        built = cls()
        built._legs = fields.pop("orderLegCollection", None) or []
        built._fields = fields
        built._children = [as_builder(child) for child in order.get("childOrderStrategies") or []]
        return built

    def _set(self, name: str, value: Any) -> Order:
        self._fields[name] = value
        return self

    # -- what every single order has ----------------------------------------------------------------

    def order_type(self, value: str) -> Order:
        """``MARKET``, ``LIMIT``, ``STOP``, ``STOP_LIMIT``, ``TRAILING_STOP``, ``NET_DEBIT``, ..."""
        return self._set("orderType", choice(value, "order_type", ORDER_TYPES))

    def session(self, value: str) -> Order:
        """``NORMAL`` (9:30-16:00 New York), ``AM``, ``PM`` or ``SEAMLESS``."""
        return self._set("session", choice(value, "session", SESSIONS))

    def duration(self, value: str) -> Order:
        """``DAY``, ``GOOD_TILL_CANCEL``, ``FILL_OR_KILL`` (Schwab also ``IMMEDIATE_OR_CANCEL``, ...)."""
        return self._set("duration", choice(value, "duration", DURATIONS))

    def order_strategy_type(self, value: str) -> Order:
        """``SINGLE``, ``OCO`` (children cancel each other) or ``TRIGGER`` (a fill sends the children)."""
        return self._set("orderStrategyType", choice(value, "order_strategy_type", STRATEGIES))

    def complex_order_strategy_type(self, value: str) -> Order:
        """``NONE``, ``VERTICAL``, ``CUSTOM``, ... (multi-leg option orders)."""
        return self._set("complexOrderStrategyType", choice(value, "complex_order_strategy_type",
                                                            COMPLEX_STRATEGIES))

    # -- prices ---------------------------------------------------------------------------------------

    def price(self, value: Price) -> Order:
        """The limit price (or net debit or credit), truncated as the providers require."""
        return self._set("price", truncate_price(value, "price"))

    def stop_price(self, value: Price) -> Order:
        """The stop price, truncated as the providers require."""
        return self._set("stopPrice", truncate_price(value, "stop_price"))

    def activation_price(self, value: Price) -> Order:
        return self._set("activationPrice", truncate_price(value, "activation_price"))

    def stop_price_offset(self, value: float) -> Order:
        """A trailing stop's distance from the link basis (a number, as the providers take it)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"stop_price_offset must be a number above 0, got {value!r}")
        return self._set("stopPriceOffset", value)

    def stop_price_link_basis(self, value: str) -> Order:
        return self._set("stopPriceLinkBasis", choice(value, "stop_price_link_basis", LINK_BASES))

    def stop_price_link_type(self, value: str) -> Order:
        return self._set("stopPriceLinkType", choice(value, "stop_price_link_type", LINK_TYPES))

    def stop_type(self, value: str) -> Order:
        return self._set("stopType", choice(value, "stop_type", STOP_TYPES))

    def price_link_basis(self, value: str) -> Order:
        return self._set("priceLinkBasis", choice(value, "price_link_basis", LINK_BASES))

    def price_link_type(self, value: str) -> Order:
        return self._set("priceLinkType", choice(value, "price_link_type", LINK_TYPES))

    # -- other fields ---------------------------------------------------------------------------------

    def special_instruction(self, value: str) -> Order:
        return self._set("specialInstruction", choice(value, "special_instruction", SPECIAL_INSTRUCTIONS))

    def tax_lot_method(self, value: str) -> Order:
        return self._set("taxLotMethod", choice(value, "tax_lot_method", TAX_LOT_METHODS))

    def requested_destination(self, value: str) -> Order:
        """TD only: Schwab refuses this field."""
        return self._set("requestedDestination", choice(value, "requested_destination", DESTINATIONS))

    def destination_link_name(self, value: str) -> Order:
        return self._set("destinationLinkName", str(value))

    # -- legs and children ------------------------------------------------------------------------------

    def leg(self, instruction: str, symbol: str, quantity: Union[int, float], asset_type: str = "EQUITY", *,
            position_effect: Optional[str] = None, quantity_type: Optional[str] = None) -> Order:
        """Add a leg: ``instruction`` (``BUY``, ``SELL_TO_OPEN``, ...), the symbol, a positive whole quantity."""
        kind = choice(asset_type, "asset_type", tuple(INSTRUCTIONS)) or ""
        if not isinstance(symbol, str) or not symbol.strip():
            raise ValueError(f"symbol must be a non-empty string, got {symbol!r}")
        leg: Json = {"instruction": choice(instruction, f"instruction of an {kind} leg", INSTRUCTIONS[kind]),
                     "quantity": check_quantity(quantity),
                     "instrument": {"symbol": symbol.strip() if kind == "OPTION" else symbol.strip().upper(),
                                    "assetType": kind}}
        if position_effect is not None:
            leg["positionEffect"] = choice(position_effect, "position_effect", POSITION_EFFECTS)
        if quantity_type is not None:
            leg["quantityType"] = choice(quantity_type, "quantity_type", QUANTITY_TYPES)
        self._legs.append(leg)
        return self

    def equity_leg(self, instruction: str, symbol: str, quantity: Union[int, float]) -> Order:
        """Add a stock or ETF leg: ``BUY``, ``SELL``, ``SELL_SHORT`` or ``BUY_TO_COVER``."""
        return self.leg(instruction, symbol, quantity, "EQUITY")

    def option_leg(self, instruction: str, symbol: str, quantity: Union[int, float]) -> Order:
        """Add an option leg (``BUY_TO_OPEN``, ``SELL_TO_CLOSE``, ...); see :func:`~pyTD.orders.option_symbol`."""
        return self.leg(instruction, symbol, quantity, "OPTION")

    def child(self, order: Union[Order, Mapping[str, Any]]) -> Order:
        """Add a child order (an OCO's alternatives, or what a TRIGGER order sends once filled)."""
        self._children.append(as_builder(order))
        return self

    def copy(self) -> Order:
        """An independent copy of this builder."""
        return Order.from_json(self.build(check=False))

    # -- the JSON -------------------------------------------------------------------------------------

    def build(self, check: bool = True) -> Json:
        """The order's JSON: a new dict each time.

        Raises
        ------
        ValueError
            If a field the order needs is missing: the strategy, and for a
            single or trigger order its type, session, duration and legs; a
            price for LIMIT and STOP_LIMIT orders, a stop price for STOP
            orders, an offset for trailing stops; two or more children for
            OCO, one or more for TRIGGER.
        """
        if check:
            self._check()
        order: Json = _copy(self._fields)
        if self._legs:
            order["orderLegCollection"] = _copy(self._legs)
        if self._children:
            order["childOrderStrategies"] = [child.build(check) for child in self._children]
        return order

    def _check(self) -> None:
        fields = self._fields
        strategy = fields.get("orderStrategyType")
        if strategy is None:
            raise ValueError("the order has no order_strategy_type (SINGLE, OCO or TRIGGER)")
        if strategy == "OCO":
            if self._legs or len(self._children) < 2:
                raise ValueError("an OCO order has no legs of its own and two or more child orders")
            return
        missing = [name for name, key in (("order_type", "orderType"), ("session", "session"),
                                          ("duration", "duration")) if key not in fields]
        if not self._legs:
            missing.append("a leg")
        if missing:
            raise ValueError(f"the order has no {', '.join(missing)}")
        if strategy == "TRIGGER" and not self._children:
            raise ValueError("a TRIGGER order needs a child order (what its fill sends)")
        if strategy == "SINGLE" and self._children:
            raise ValueError("a SINGLE order has no child orders: use OCO or TRIGGER")
        kind = fields["orderType"]
        if kind in NEEDS_PRICE and "price" not in fields:
            raise ValueError(f"a {kind} order needs a price")
        if kind in NO_PRICE and "price" in fields:
            raise ValueError(f"a {kind} order has no price (did you mean a LIMIT order?)")
        if kind in NEEDS_STOP and "stopPrice" not in fields:
            raise ValueError(f"a {kind} order needs a stop_price")
        if kind.startswith("TRAILING_STOP") and "stopPriceOffset" not in fields:
            raise ValueError(f"a {kind} order needs a stop_price_offset")

    def __repr__(self) -> str:
        return f"Order({self.build(check=False)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Order) and self.build(check=False) == other.build(check=False)

    __hash__ = None  # type: ignore[assignment]  # mutable


def _normalize(order: Json) -> None:
    """Prices as truncated strings and positive quantities, in an order dict and its children (in place)."""
    for name in PRICES:
        if name in order:
            order[name] = truncate_price(order[name], name)
    for leg in order.get("orderLegCollection") or []:
        if not isinstance(leg, dict):
            raise ValueError(f"a leg must be a dict of the providers' order JSON, got {leg!r}")
        check_quantity(leg.get("quantity"), "a leg's quantity")
    for child in order.get("childOrderStrategies") or []:
        if not isinstance(child, dict):
            raise ValueError(f"a child order must be a dict of the providers' order JSON, got {child!r}")
        _normalize(child)


def _copy(value: Any) -> Any:
    """A deep copy of JSON (through the C encoder: far quicker than copy.deepcopy; Decimal prices become
    numbers); ValueError for what is not JSON."""
    try:
        return json.loads(json.dumps(value, default=_number))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"an order must hold JSON values only: {exc}") from None


def _number(value: Any) -> float:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def as_builder(order: Union[Order, Mapping[str, Any]]) -> Order:
    """An Order as is, or a builder holding an order dict."""
    return order if isinstance(order, Order) else Order.from_json(order)


def order_json(order: Union[Order, Mapping[str, Any]]) -> Json:
    """The JSON to send for an Order or an order dict: built and checked, prices as truncated strings,
    quantities positive. A dict is otherwise sent as given (it may use any field the provider knows)."""
    if isinstance(order, Order):
        return order.build()
    if isinstance(order, Mapping):
        sent: Json = _copy(dict(order))
        _normalize(sent)
        return sent
    raise ValueError(f"order must be an Order or a dict of the providers' order JSON, got {type(order).__name__}")


# -- templates: the common orders, as builders to adjust or build -------------------------------------------


def _single(order_type: str, instruction: str, symbol: str, quantity: Union[int, float],
            asset_type: str = "EQUITY") -> Order:
    return (Order().order_type(order_type).session("NORMAL").duration("DAY").order_strategy_type("SINGLE")
            .leg(instruction, symbol, quantity, asset_type))


def _limit(instruction: str, symbol: str, quantity: Union[int, float], price: Price,
           asset_type: str = "EQUITY") -> Order:
    return _single("LIMIT", instruction, symbol, quantity, asset_type).price(price)


def _stop(instruction: str, symbol: str, quantity: Union[int, float], stop_price: Price) -> Order:
    return _single("STOP", instruction, symbol, quantity).stop_price(stop_price)


def _stop_limit(instruction: str, symbol: str, quantity: Union[int, float], stop_price: Price,
                limit_price: Price) -> Order:
    return _single("STOP_LIMIT", instruction, symbol, quantity).price(limit_price).stop_price(stop_price)


def _trailing(instruction: str, symbol: str, quantity: Union[int, float], offset: float, basis: str,
              link_type: str) -> Order:
    # As TD's trailing-stop sample: complexOrderStrategyType NONE, the basis and type of the offset.
    return (_single("TRAILING_STOP", instruction, symbol, quantity).complex_order_strategy_type("NONE")
            .stop_price_link_basis(basis).stop_price_link_type(link_type).stop_price_offset(offset))


def _option(order_type: str, instruction: str, symbol: str, quantity: Union[int, float],
            price: Optional[Price] = None) -> Order:
    # As TD's option sample: complexOrderStrategyType NONE.
    order = _single(order_type, instruction, symbol, quantity, "OPTION").complex_order_strategy_type("NONE")
    return order if price is None else order.price(price)


def equity_buy_market(symbol: str, quantity: Union[int, float]) -> Order:
    """Buy shares at the market (a DAY order in the NORMAL session, like every template)."""
    return _single("MARKET", "BUY", symbol, quantity)


def equity_buy_limit(symbol: str, quantity: Union[int, float], price: Price) -> Order:
    """Buy shares at ``price`` or less."""
    return _limit("BUY", symbol, quantity, price)


def equity_sell_market(symbol: str, quantity: Union[int, float]) -> Order:
    """Sell shares at the market."""
    return _single("MARKET", "SELL", symbol, quantity)


def equity_sell_limit(symbol: str, quantity: Union[int, float], price: Price) -> Order:
    """Sell shares at ``price`` or more."""
    return _limit("SELL", symbol, quantity, price)


def equity_sell_short_market(symbol: str, quantity: Union[int, float]) -> Order:
    """Sell borrowed shares short at the market."""
    return _single("MARKET", "SELL_SHORT", symbol, quantity)


def equity_sell_short_limit(symbol: str, quantity: Union[int, float], price: Price) -> Order:
    """Sell short at ``price`` or more."""
    return _limit("SELL_SHORT", symbol, quantity, price)


def equity_buy_to_cover_market(symbol: str, quantity: Union[int, float]) -> Order:
    """Buy back shorted shares at the market."""
    return _single("MARKET", "BUY_TO_COVER", symbol, quantity)


def equity_buy_to_cover_limit(symbol: str, quantity: Union[int, float], price: Price) -> Order:
    """Buy back shorted shares at ``price`` or less."""
    return _limit("BUY_TO_COVER", symbol, quantity, price)


def equity_buy_stop(symbol: str, quantity: Union[int, float], stop_price: Price) -> Order:
    """Buy at the market once the price rises to ``stop_price``."""
    return _stop("BUY", symbol, quantity, stop_price)


def equity_sell_stop(symbol: str, quantity: Union[int, float], stop_price: Price) -> Order:
    """Sell at the market once the price falls to ``stop_price`` (a stop loss)."""
    return _stop("SELL", symbol, quantity, stop_price)


def equity_sell_short_stop(symbol: str, quantity: Union[int, float], stop_price: Price) -> Order:
    """Sell short at the market once the price falls to ``stop_price``."""
    return _stop("SELL_SHORT", symbol, quantity, stop_price)


def equity_buy_to_cover_stop(symbol: str, quantity: Union[int, float], stop_price: Price) -> Order:
    """Cover a short at the market once the price rises to ``stop_price``."""
    return _stop("BUY_TO_COVER", symbol, quantity, stop_price)


def equity_buy_stop_limit(symbol: str, quantity: Union[int, float], stop_price: Price,
                          limit_price: Price) -> Order:
    """Once the price rises to ``stop_price``, buy at ``limit_price`` or less."""
    return _stop_limit("BUY", symbol, quantity, stop_price, limit_price)


def equity_sell_stop_limit(symbol: str, quantity: Union[int, float], stop_price: Price,
                           limit_price: Price) -> Order:
    """Once the price falls to ``stop_price``, sell at ``limit_price`` or more."""
    return _stop_limit("SELL", symbol, quantity, stop_price, limit_price)


def equity_sell_short_stop_limit(symbol: str, quantity: Union[int, float], stop_price: Price,
                                 limit_price: Price) -> Order:
    """Once the price falls to ``stop_price``, sell short at ``limit_price`` or more."""
    return _stop_limit("SELL_SHORT", symbol, quantity, stop_price, limit_price)


def equity_buy_to_cover_stop_limit(symbol: str, quantity: Union[int, float], stop_price: Price,
                                   limit_price: Price) -> Order:
    """Once the price rises to ``stop_price``, cover at ``limit_price`` or less."""
    return _stop_limit("BUY_TO_COVER", symbol, quantity, stop_price, limit_price)


def equity_buy_trailing_stop(symbol: str, quantity: Union[int, float], offset: float, basis: str = "ASK",
                             link_type: str = "VALUE") -> Order:
    """Buy at the market once the price rises ``offset`` (dollars, or percent with ``link_type="PERCENT"``)
    above its lowest ``basis`` since the order was placed."""
    return _trailing("BUY", symbol, quantity, offset, basis, link_type)


def equity_sell_trailing_stop(symbol: str, quantity: Union[int, float], offset: float, basis: str = "BID",
                              link_type: str = "VALUE") -> Order:
    """Sell at the market once the price falls ``offset`` (dollars, or percent with ``link_type="PERCENT"``)
    below its highest ``basis`` since the order was placed."""
    return _trailing("SELL", symbol, quantity, offset, basis, link_type)


def equity_sell_short_trailing_stop(symbol: str, quantity: Union[int, float], offset: float, basis: str = "BID",
                                    link_type: str = "VALUE") -> Order:
    """Sell short once the price falls ``offset`` below its highest ``basis`` since the order was placed."""
    return _trailing("SELL_SHORT", symbol, quantity, offset, basis, link_type)


def equity_buy_to_cover_trailing_stop(symbol: str, quantity: Union[int, float], offset: float, basis: str = "ASK",
                                      link_type: str = "VALUE") -> Order:
    """Cover a short once the price rises ``offset`` above its lowest ``basis`` since the order was placed."""
    return _trailing("BUY_TO_COVER", symbol, quantity, offset, basis, link_type)


def option_buy_to_open_market(symbol: str, quantity: Union[int, float]) -> Order:
    """Buy option contracts to open a position, at the market."""
    return _option("MARKET", "BUY_TO_OPEN", symbol, quantity)


def option_buy_to_open_limit(symbol: str, quantity: Union[int, float], price: Price) -> Order:
    """Buy option contracts to open, at ``price`` (per share) or less."""
    return _option("LIMIT", "BUY_TO_OPEN", symbol, quantity, price)


def option_sell_to_close_market(symbol: str, quantity: Union[int, float]) -> Order:
    """Sell option contracts you hold, at the market."""
    return _option("MARKET", "SELL_TO_CLOSE", symbol, quantity)


def option_sell_to_close_limit(symbol: str, quantity: Union[int, float], price: Price) -> Order:
    """Sell option contracts you hold, at ``price`` or more."""
    return _option("LIMIT", "SELL_TO_CLOSE", symbol, quantity, price)


def option_sell_to_open_market(symbol: str, quantity: Union[int, float]) -> Order:
    """Write (sell to open) option contracts, at the market."""
    return _option("MARKET", "SELL_TO_OPEN", symbol, quantity)


def option_sell_to_open_limit(symbol: str, quantity: Union[int, float], price: Price) -> Order:
    """Write option contracts, at ``price`` or more."""
    return _option("LIMIT", "SELL_TO_OPEN", symbol, quantity, price)


def option_buy_to_close_market(symbol: str, quantity: Union[int, float]) -> Order:
    """Buy back written option contracts, at the market."""
    return _option("MARKET", "BUY_TO_CLOSE", symbol, quantity)


def option_buy_to_close_limit(symbol: str, quantity: Union[int, float], price: Price) -> Order:
    """Buy back written option contracts, at ``price`` or less."""
    return _option("LIMIT", "BUY_TO_CLOSE", symbol, quantity, price)


def one_cancels_other(first: Union[Order, Mapping[str, Any]], second: Union[Order, Mapping[str, Any]],
                      *others: Union[Order, Mapping[str, Any]]) -> Order:
    """An OCO order: the orders are placed together; when one fills, the others are canceled."""
    oco = Order().order_strategy_type("OCO")
    for order in (first, second, *others):
        oco.child(order)
    return oco


def first_triggers_second(first: Union[Order, Mapping[str, Any]],
                          second: Union[Order, Mapping[str, Any]]) -> Order:
    """A TRIGGER order: ``first`` is placed; once it fills, ``second`` is sent (e.g. a sale after a purchase)."""
    parent = as_builder(first).copy().order_strategy_type("TRIGGER")
    return parent.child(second)
