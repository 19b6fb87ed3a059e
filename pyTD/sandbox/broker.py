"""The paper broker both sandbox providers share: accounts, cash, positions, orders, fills and transactions.

It speaks no provider's JSON: :mod:`pyTD.sandbox.trading` reads orders from the providers' order JSON into
:class:`Spec` objects and writes the broker's state back in their shapes. Fills use the sandbox's market
(:mod:`pyTD.sandbox.market`): a buy fills at the ask, a sell at the bid, prices that :meth:`Broker.set_price`
can move. The market never closes, DAY orders never expire, and commissions are zero (sales pay the SEC fee).
Ids and account numbers come from a random generator seeded with ``seed``, so a run is repeatable.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

from pyTD.sandbox import market
from pyTD.sandbox.market import Security

BUYS = ("BUY", "BUY_TO_COVER", "BUY_TO_OPEN", "BUY_TO_CLOSE")
OPENING = ("BUY", "SELL_SHORT", "BUY_TO_OPEN", "SELL_TO_OPEN")
INSTRUCTIONS = {"EQUITY": ("BUY", "SELL", "BUY_TO_COVER", "SELL_SHORT"),
                "OPTION": ("BUY_TO_OPEN", "BUY_TO_CLOSE", "SELL_TO_OPEN", "SELL_TO_CLOSE")}
ORDER_TYPES = ("MARKET", "LIMIT", "STOP", "STOP_LIMIT", "TRAILING_STOP", "MARKET_ON_CLOSE", "NET_DEBIT",
               "NET_CREDIT", "NET_ZERO")
ACTIVE = ("WORKING", "QUEUED", "ACCEPTED", "AWAITING_PARENT_ORDER", "AWAITING_CONDITION", "PENDING_ACTIVATION")
SEC_FEE_RATE = 0.0000278  # dollars per dollar sold
FAR = 0.5  # a stock's limit price more than this fraction away from the mark is refused
DEFAULT_ACCOUNTS = (
    {"type": "MARGIN", "cash": 100_000.0, "positions": {"AAPL": (100, 180.0), "MSFT": (50, 350.0)}},
    {"type": "CASH", "cash": 25_000.0, "positions": {"F": (200, 11.5), "SPY": (10, 500.0)}},
)


class Rejected(Exception):
    """An order (or a cancel) the broker refuses; the provider answers 400 with this message."""


class NotFound(Exception):
    """No such account, order or transaction; the provider answers 404."""


@dataclass(frozen=True)
class Instrument:
    """What a position or a leg holds: a security, or an option contract on it."""

    security: Security
    put_call: str = ""  # CALL or PUT for an option
    expiration: Optional[date] = None
    strike: float = 0.0

    @property
    def asset_type(self) -> str:
        return "OPTION" if self.put_call else "EQUITY"

    @property
    def multiplier(self) -> int:
        return 100 if self.put_call else 1

    @property
    def description(self) -> str:
        if not self.put_call or self.expiration is None:
            return self.security.description
        return (f"{self.security.option_root} {self.expiration:%b} {self.expiration.day} {self.expiration.year} "
                f"{self.strike:g} {self.put_call.title()}")


@dataclass
class Position:
    quantity: float  # negative: short
    average_price: float


@dataclass
class Leg:
    instruction: str
    quantity: float
    instrument: Instrument

    @property
    def buys(self) -> bool:
        return self.instruction in BUYS


@dataclass
class Spec:
    """An order as a provider read it from its JSON; ``request`` is that JSON, echoed in answers."""

    strategy: str  # SINGLE, OCO or TRIGGER
    request: Mapping[str, object]
    order_type: str = ""
    price: Optional[float] = None
    stop_price: Optional[float] = None
    stop_offset: Optional[float] = None
    stop_link_type: str = "VALUE"
    legs: List[Leg] = field(default_factory=list)
    children: List[Spec] = field(default_factory=list)


@dataclass
class Execution:
    """One fill of an order: when, how many units, at what price per leg."""

    time: float
    quantity: float
    prices: List[float]


@dataclass
class PaperOrder:
    """An order the broker holds, with its children (of OCO and TRIGGER orders)."""

    id: int
    account: str
    spec: Spec
    status: str
    entered: float
    closed: Optional[float] = None
    executions: List[Execution] = field(default_factory=list)
    children: List[PaperOrder] = field(default_factory=list)
    parent: Optional[int] = None
    description: str = ""  # why it was rejected
    trail: Optional[float] = None  # a trailing stop's best price since it started working
    triggered: bool = False  # a stop that has been touched

    @property
    def filled(self) -> float:
        return sum(e.quantity for e in self.executions)

    @property
    def quantity(self) -> float:
        return self.spec.legs[0].quantity if self.spec.legs else 0.0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def tree(self) -> List[PaperOrder]:
        """This order and every order below it."""
        return [self] + [o for child in self.children for o in child.tree()]


@dataclass
class Transaction:
    """A change of cash or holdings: a trade (``TRADE``), a deposit (``ELECTRONIC_FUND``) or a transfer of
    securities in (``RECEIVE_AND_DELIVER``)."""

    id: int
    account: str
    kind: str
    time: float
    description: str
    amount: float  # the net effect on cash
    instrument: Optional[Instrument] = None
    instruction: str = ""
    quantity: float = 0.0
    price: float = 0.0
    fees: Dict[str, float] = field(default_factory=dict)  # "SEC_FEE": 0.02
    order_id: Optional[int] = None

    @property
    def position_effect(self) -> str:
        return "OPENING" if self.instruction in OPENING else "CLOSING" if self.instruction else ""


@dataclass
class Account:
    number: str
    type: str  # MARGIN or CASH
    cash: float
    positions: Dict[Instrument, Position] = field(default_factory=dict)
    start_cash: float = 0.0
    start_value: float = 0.0  # of the positions it started with


@dataclass(frozen=True)
class Balances:
    """An account's money, from which each provider writes its balance fields."""

    cash: float
    long_stock: float
    short_stock: float
    long_options: float
    short_options: float
    buying_power: float
    maintenance: float

    @property
    def long_value(self) -> float:
        return self.long_stock + self.long_options

    @property
    def short_value(self) -> float:
        return self.short_stock + self.short_options

    @property
    def equity(self) -> float:
        """What the account is worth (its liquidation value)."""
        return round(self.cash + self.long_value - self.short_value, 2)


AccountSpec = Mapping[str, object]


class Broker:
    """Accounts and a matching engine; thread-safe.

    Parameters
    ----------
    seed : int
        Seeds account numbers, order ids and transaction ids.
    accounts : iterable of dict, optional
        The accounts to open, each ``{"type": "MARGIN" or "CASH", "cash": 10_000,
        "positions": {"AAPL": 100, "F": (200, 11.5)}, "number": "12345678"}``:
        a position is a quantity (negative: short, margin accounts only) or a
        ``(quantity, average price)`` pair; ``number`` is optional. Default: a
        margin account with $100,000, 100 AAPL and 50 MSFT, and a cash account
        with $25,000, 200 F and 10 SPY.
    clock : callable, optional
        Returns the time in epoch seconds (default :func:`time.time`).
    """

    def __init__(self, seed: int = 0, accounts: Optional[Iterable[AccountSpec]] = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._prices: Dict[str, float] = {}
        self._next_order = self._random.randrange(1_000_000_000, 9_000_000_000)
        self._next_transaction = self._random.randrange(10_000_000_000, 90_000_000_000)
        self.accounts: Dict[str, Account] = {}
        self.orders: Dict[int, PaperOrder] = {}  # every order, children included, by id
        self._open: Dict[int, PaperOrder] = {}  # the active ones: what matching and reservations look at
        self.transactions: List[Transaction] = []
        self.unavailable: Set[str] = set()  # numbers of accounts TD cannot read now (its 207)
        # Told of each order event ("entered", then "filled", "canceled", "replaced", "rejected", ...), e.g. by
        # the sandbox, whose streamer publishes them as account activity.
        self.listeners: List[Callable[[str, PaperOrder], None]] = []
        for spec in DEFAULT_ACCOUNTS if accounts is None else accounts:
            self.open_account(spec)

    # -- accounts -------------------------------------------------------------------------------------

    def open_account(self, spec: AccountSpec) -> Account:
        """Open an account as the constructor's ``accounts`` describe one; return it."""
        kind = str(spec.get("type", "MARGIN")).upper()
        if kind not in ("MARGIN", "CASH"):
            raise ValueError(f"an account's type must be MARGIN or CASH, got {spec.get('type')!r}")
        number = str(spec.get("number") or self._random.randrange(10_000_000, 99_999_999))
        cash = float(spec.get("cash", 0.0))  # type: ignore[arg-type]
        with self._lock:
            if number in self.accounts:
                raise ValueError(f"account {number} exists already")
            account = self.accounts[number] = Account(number, kind, cash, start_cash=cash)
            if cash:
                self._record(account, "ELECTRONIC_FUND", "CLIENT REQUESTED ELECTRONIC FUNDING RECEIPT", cash)
            holdings = spec.get("positions") or {}
            for symbol, held in holdings.items():  # type: ignore[attr-defined]
                quantity, price = held if isinstance(held, (tuple, list)) else (held, None)
                security = market.lookup(str(symbol))
                if security is None or security.asset_type not in ("EQUITY", "ETF") or not quantity:
                    raise ValueError(f"cannot hold {quantity!r} of {symbol!r} (stocks and ETFs of the universe)")
                if quantity < 0 and kind == "CASH":
                    raise ValueError("a cash account cannot hold a short position")
                instrument = Instrument(security)
                cost = float(price) if price is not None else self.last(security)
                account.positions[instrument] = Position(float(quantity), cost)
                account.start_value += quantity * self.last(security)
                self._record(account, "RECEIVE_AND_DELIVER", f"TRANSFER OF SECURITY {security.symbol}", 0.0,
                             instrument=instrument, quantity=float(quantity), price=cost)
        return account

    def account(self, number: str) -> Account:
        with self._lock:
            found = self.accounts.get(number)
        if found is None:
            raise NotFound(f"No account {number}")
        return found

    def balances(self, account: Account) -> Balances:
        """The account's money now, its positions at the current prices."""
        with self._lock:
            values = {"EQUITY": [0.0, 0.0], "OPTION": [0.0, 0.0]}
            for instrument, position in account.positions.items():
                value = abs(position.quantity) * self.mark(instrument) * instrument.multiplier
                values[instrument.asset_type][position.quantity < 0] += value
            long_stock, short_stock = values["EQUITY"]
            long_options, short_options = values["OPTION"]
            cash = round(account.cash, 2)
            equity = cash + long_stock + long_options - short_stock - short_options
            if account.type == "MARGIN":  # Reg T: twice the equity, less what is already held
                power = 2 * equity - long_stock - short_stock - short_options
            else:
                power = cash
            power -= self._reserved(account)
            maintenance = 0.25 * long_stock + 0.3 * short_stock + short_options
            return Balances(cash, round(long_stock, 2), round(short_stock, 2), round(long_options, 2),
                            round(short_options, 2), round(max(power, 0.0), 2), round(maintenance, 2))

    def _reserved(self, account: Account) -> float:
        """What the account's working buy orders may cost."""
        total = 0.0
        for order in self._open.values():
            if order.account == account.number and order.spec.legs:
                total += max(self._cost(order.spec, order.spec.price), 0.0)
        return total

    # -- prices ---------------------------------------------------------------------------------------

    def last(self, security: Security) -> float:
        """A security's last price: the one set with :meth:`set_price`, else the market's."""
        with self._lock:
            price = self._prices.get(security.symbol)
        return price if price is not None else market.quote(security, 0).last

    def quote(self, instrument: Instrument) -> Tuple[float, float]:
        """The bid and ask an order fills at now."""
        security = instrument.security
        if instrument.put_call and instrument.expiration is not None:
            today = datetime.fromtimestamp(self.clock(), timezone.utc).date()
            contract = market.option(security, instrument.put_call, instrument.expiration, instrument.strike, today,
                                     self.last(security))
            return contract.bid, contract.ask
        with self._lock:
            price = self._prices.get(security.symbol)
        if price is None:
            q = market.quote(security, 0)
            return q.bid, q.ask
        places = market.digits(security)
        tick = 10 ** -places
        return round(max(price - tick, 0.0), places), round(price + tick, places)

    def mark(self, instrument: Instrument) -> float:
        bid, ask = self.quote(instrument)
        return round((bid + ask) / 2, 4)

    def set_price(self, symbol: str, last: float) -> None:
        """Move a security's price (its bid and ask are a tick either side); working orders it crosses fill."""
        security = market.lookup(symbol)
        if security is None:
            raise ValueError(f"unknown symbol {symbol!r}")
        if not last > 0:
            raise ValueError(f"a price must be above 0, got {last!r}")
        with self._lock:
            self._prices[security.symbol] = float(last)
            self._match()

    # -- orders ---------------------------------------------------------------------------------------

    def place(self, number: str, spec: Spec) -> PaperOrder:
        """Accept an order (Rejected if the account could not carry it); market and marketable orders fill."""
        with self._lock:
            account = self.account(number)
            self._check(account, spec)
            return self._start(account, spec)

    def check(self, number: str, spec: Spec) -> None:
        """Rejected if the account could not carry the order now (what :meth:`place` checks first)."""
        with self._lock:
            self._check(self.account(number), spec)

    def replace(self, number: str, order_id: int, spec: Spec) -> PaperOrder:
        """Cancel a working order and place ``spec`` in its stead (nothing changes if either is refused)."""
        with self._lock:
            old = self.order(number, order_id)
            if not old.active:
                raise Rejected(f"Order {order_id} is {old.status} and can no longer be replaced")
            account = self.account(number)
            self._check(account, spec, ignoring=old)
            for each in old.tree():
                if each.active:
                    self._close(each, "REPLACED" if each is old else "CANCELED")
            return self._start(account, spec)

    def cancel(self, number: str, order_id: int) -> PaperOrder:
        """Cancel a working order (and its children); Rejected for one that is filled, canceled or replaced."""
        with self._lock:
            order = self.order(number, order_id)
            if not order.active:
                raise Rejected(f"Order {order_id} is {order.status} and cannot be canceled")
            for each in order.tree():
                if each.active:
                    self._close(each, "CANCELED")
            self._settle_oco(order.parent)
            return order

    def order(self, number: str, order_id: int) -> PaperOrder:
        with self._lock:
            found = self.orders.get(order_id)
        if found is None or found.account != number:
            raise NotFound(f"Order {order_id} was not found in account {number}")
        return found

    def orders_of(self, number: Optional[str] = None) -> List[PaperOrder]:
        """Top-level orders (children are inside them), newest first; of one account, or of all."""
        with self._lock:
            found = [o for o in self.orders.values() if o.parent is None and number in (None, o.account)]
        return sorted(found, key=lambda o: (o.entered, o.id), reverse=True)

    def transactions_of(self, number: str) -> List[Transaction]:
        with self._lock:
            return [t for t in self.transactions if t.account == number]

    def transaction(self, number: str, transaction_id: int) -> Transaction:
        with self._lock:
            for t in self.transactions:
                if t.id == transaction_id and t.account == number:
                    return t
        raise NotFound(f"Transaction {transaction_id} was not found in account {number}")

    # -- checks ---------------------------------------------------------------------------------------

    def _check(self, account: Account, spec: Spec, ignoring: Optional[PaperOrder] = None) -> None:
        """Refuse what the account cannot do: sell what it does not hold, short in a cash account, spend more
        than its buying power; and a stock's limit price far from the market, as Schwab does. A trigger's
        children are checked for holdings when they fill, after the order that triggers them."""
        for part in [spec, *spec.children]:
            if part is spec or spec.strategy != "TRIGGER":
                for leg in part.legs:
                    self._check_leg(account, leg)
            self._check_limit(part)
        held = self.balances(account).buying_power
        if ignoring is not None and ignoring.spec.legs:
            held += max(self._cost(ignoring.spec, ignoring.spec.price), 0.0)
        cost = max((self._cost(part, part.price) for part in [spec, *spec.children]), default=0.0)
        if cost > held + 1e-9:
            raise Rejected(f"Your buying power will be below zero (${cost - held:,.2f}) if this order is accepted.")

    def _check_leg(self, account: Account, leg: Leg) -> None:
        held = account.positions.get(leg.instrument)
        quantity = held.quantity if held else 0.0
        symbol = leg.instrument.security.symbol
        if leg.instruction in ("SELL", "SELL_TO_CLOSE") and leg.quantity > quantity:
            raise Rejected(f"You cannot sell {leg.quantity:g} of {symbol}: the account holds {max(quantity, 0):g}. "
                           "To sell short, use SELL_SHORT (margin accounts).")
        if leg.instruction in ("BUY_TO_COVER", "BUY_TO_CLOSE") and leg.quantity > -quantity:
            raise Rejected(f"You cannot buy to cover {leg.quantity:g} of {symbol}: the account is short "
                           f"{max(-quantity, 0):g}.")
        if leg.instruction in ("SELL_SHORT", "SELL_TO_OPEN") and account.type == "CASH":
            raise Rejected(f"{leg.instruction} is not allowed in a cash account.")

    def _check_limit(self, spec: Spec) -> None:
        if spec.price is None or len(spec.legs) != 1 or spec.legs[0].instrument.put_call:
            return
        mark = self.mark(spec.legs[0].instrument)
        if mark and abs(spec.price / mark - 1) > FAR:
            raise Rejected("Your limit price is significantly away from the current market price. "
                           "Please adjust your order.")  # Schwab's words (fixtures/schwab/previeworder-1)

    def _cost(self, spec: Spec, limit: Optional[float]) -> float:
        """What filling ``spec`` would take from cash (negative: bring in), at ``limit`` or the current prices."""
        if not spec.legs:
            return 0.0
        if len(spec.legs) > 1 and limit is not None and spec.order_type in ("NET_DEBIT", "NET_CREDIT"):
            units = spec.legs[0].quantity * spec.legs[0].instrument.multiplier
            return limit * units if spec.order_type == "NET_DEBIT" else -limit * units
        total = 0.0
        for leg in spec.legs:
            bid, ask = self.quote(leg.instrument)
            price = limit if limit is not None and len(spec.legs) == 1 else (ask if leg.buys else bid)
            amount = price * leg.quantity * leg.instrument.multiplier
            total += amount if leg.instruction in ("BUY", "BUY_TO_OPEN") else 0.0
        return total

    # -- the matching engine --------------------------------------------------------------------------

    def _start(self, account: Account, spec: Spec) -> PaperOrder:
        """A new order, working (and filled if the prices allow)."""
        order = self._new(account, spec, None)
        self._tell("entered", order)
        self._activate(order)
        self._match()
        return order

    def _new(self, account: Account, spec: Spec, parent: Optional[PaperOrder]) -> PaperOrder:
        """An order and its children, waiting to be activated."""
        self._next_order += self._random.randint(1, 7)
        order = PaperOrder(self._next_order, account.number, spec, "AWAITING_PARENT_ORDER", self.clock(),
                           parent=parent.id if parent else None)
        self.orders[order.id] = self._open[order.id] = order
        for child in spec.children:
            order.children.append(self._new(account, child, order))
        return order

    def _activate(self, order: PaperOrder) -> None:
        """Start working an order; an OCO's children all work, a TRIGGER's wait for its fill."""
        order.status = "WORKING"
        order.entered = self.clock()
        if order.spec.strategy == "OCO":
            for child in order.children:
                self._activate(child)

    def _match(self) -> None:
        """Fill every working order the prices now allow (a fill may activate or cancel others: repeat)."""
        progress = True
        while progress:
            progress = False
            for order in sorted(self._open.values(), key=lambda o: o.id):
                if order.status == "WORKING" and order.spec.legs and self._try(order):
                    progress = True

    def _try(self, order: PaperOrder) -> bool:
        spec = order.spec
        quotes = [self.quote(leg.instrument) for leg in spec.legs]
        prices = [ask if leg.buys else bid for leg, (bid, ask) in zip(spec.legs, quotes)]
        if len(spec.legs) > 1:
            if not self._spread_fills(spec, prices):
                return False
        elif not self._single_fills(order, spec.legs[0], quotes[0]):
            return False
        account = self.account(order.account)
        try:  # what held when it was placed may not hold now (another order sold the shares)
            for leg in spec.legs:
                self._check_leg(account, leg)
            if account.type == "CASH" and self._cost(spec, None) > account.cash + 1e-9:
                raise Rejected("Not enough cash in the account when the order could fill")
        except Rejected as exc:
            self._close(order, "REJECTED")
            order.description = str(exc)
            return True
        self._fill(order, account, prices)
        return True

    def _single_fills(self, order: PaperOrder, leg: Leg, quote: Tuple[float, float]) -> bool:
        spec = order.spec
        bid, ask = quote
        price = ask if leg.buys else bid
        kind = spec.order_type
        if kind in ("MARKET", "MARKET_ON_CLOSE"):
            return True
        if kind == "TRAILING_STOP":
            return self._trail(order, leg, price)
        if kind in ("STOP", "STOP_LIMIT") and not order.triggered:
            stop = spec.stop_price or 0.0
            order.triggered = price >= stop if leg.buys else price <= stop
            if not order.triggered:
                return False
        if kind == "STOP":
            return True
        limit = spec.price or 0.0
        return price <= limit if leg.buys else price >= limit

    def _trail(self, order: PaperOrder, leg: Leg, price: float) -> bool:
        """A trailing stop follows the best price since it started working, ``offset`` away."""
        spec = order.spec
        best = order.trail if order.trail is not None else price
        best = min(best, price) if leg.buys else max(best, price)
        order.trail = best
        offset = spec.stop_offset or 0.0
        if spec.stop_link_type == "PERCENT":
            offset = best * offset / 100
        stop = best + offset if leg.buys else best - offset
        return price >= stop if leg.buys else price <= stop

    def _spread_fills(self, spec: Spec, prices: Sequence[float]) -> bool:
        """A multi-leg order fills as a whole: at the market, or when its net price is as good as asked."""
        first = spec.legs[0].quantity
        net = sum((p if leg.buys else -p) * leg.quantity / first for leg, p in zip(spec.legs, prices))
        if spec.order_type == "NET_DEBIT":
            return net <= (spec.price or 0.0) + 1e-9
        if spec.order_type == "NET_CREDIT":
            return -net >= (spec.price or 0.0) - 1e-9
        return True

    def _fill(self, order: PaperOrder, account: Account, prices: List[float]) -> None:
        now = self.clock()
        for leg, price in zip(order.spec.legs, prices):
            self._trade(account, order, leg, price)
        order.executions.append(Execution(now, order.quantity, list(prices)))
        self._close(order, "FILLED")
        for child in order.children:  # a TRIGGER's children start working now
            if child.status == "AWAITING_PARENT_ORDER":
                self._activate(child)
        self._settle_oco(order.parent)

    def _settle_oco(self, parent_id: Optional[int]) -> None:
        """Once one child of an OCO order fills, the others are canceled; the OCO ends with its children."""
        parent = self.orders.get(parent_id) if parent_id is not None else None
        if parent is None or parent.spec.strategy != "OCO":
            return
        if any(child.status == "FILLED" for child in parent.children):
            for child in parent.children:
                if child.active:
                    self._close(child, "CANCELED")
        if not any(child.active for child in parent.children) and parent.active:
            filled = any(child.status == "FILLED" for child in parent.children)
            self._close(parent, "FILLED" if filled else "CANCELED")

    def _close(self, order: PaperOrder, status: str) -> None:
        order.status = status
        order.closed = self.clock()
        self._open.pop(order.id, None)
        self._tell(status.lower(), order)

    def _tell(self, event: str, order: PaperOrder) -> None:
        for listener in list(self.listeners):
            listener(event, order)

    def _trade(self, account: Account, order: PaperOrder, leg: Leg, price: float) -> None:
        instrument = leg.instrument
        units = leg.quantity * instrument.multiplier
        gross = round(price * units, 2)
        fees = {} if leg.buys else {"SEC_FEE": round(gross * SEC_FEE_RATE, 2)}
        amount = round((-gross if leg.buys else gross) - sum(fees.values()), 2)
        account.cash = round(account.cash + amount, 2)
        held = account.positions.get(instrument) or Position(0.0, 0.0)
        change = leg.quantity if leg.buys else -leg.quantity
        after = held.quantity + change
        if held.quantity == 0 or (held.quantity > 0) != (change > 0) and abs(change) > abs(held.quantity):
            average = price  # a new position, or one that flipped sides
        elif (held.quantity > 0) == (change > 0):
            average = (held.average_price * abs(held.quantity) + price * abs(change)) / abs(after)
        else:
            average = held.average_price  # reduced: the cost of what is left is unchanged
        if after == 0:
            account.positions.pop(instrument, None)
        else:
            account.positions[instrument] = Position(after, round(average, 4))
        side = "BUY" if leg.buys else "SELL"
        self._record(account, "TRADE", f"{side} TRADE", amount, instrument=instrument, instruction=leg.instruction,
                     quantity=leg.quantity, price=price, fees=fees, order_id=order.id)

    def _record(self, account: Account, kind: str, description: str, amount: float, **details: object) -> None:
        self._next_transaction += self._random.randint(1, 9)
        self.transactions.append(Transaction(self._next_transaction, account.number, kind, self.clock(),
                                             description, amount, **details))  # type: ignore[arg-type]


def instrument_of(item: Union[Security, market.Option]) -> Instrument:
    """The broker's instrument for what a provider's symbol names (a security or a listed option)."""
    if isinstance(item, market.Option):
        return Instrument(item.underlying, item.put_call, item.expiration, item.strike)
    return Instrument(item)
