"""The command line: ``python -m pyTD login|status|logout|quote|stream|history|chain|accounts|positions|orders|
order|sandbox|demo``.

Errors print one line and exit with status 1; no command ever prints a token.
Settings (``--provider``, ``--consumer-key``, ...) go before or after the command.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from pyTD import __version__
from pyTD.exceptions import TDConnectionError, TDError
from pyTD.redact import SecretFilter, printable

DEMO_SYMBOLS = ["AAPL", "MSFT", "AMZN", "GOOGL", "TSLA"]
Column = Tuple[str, Optional[str], Callable[[Any], str]]  # title, field (None: the whole record), format


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.verbose:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler.addFilter(SecretFilter())  # urllib3 logs request lines, queries (codes) included
        logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else logging.INFO, handlers=[handler])
    try:
        return args.run(args) or 0
    except (TDError, ValueError) as exc:
        print(f"pyTD: error: {command_line_words(printable(exc, 2000))}{_hint(exc, args)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pyTD: interrupted", file=sys.stderr)
        return 130


# What the library's messages call an argument, and what the command line calls it.
FLAGS = {
    "consumer_key": "--consumer-key", "callback_url": "--callback-url", "config_dir": "--config-dir",
    "auth_url": "--auth-url", "api_url": "--api-url", "provider": "--provider", "client_secret": "TD_CLIENT_SECRET",
    "period_type": "--period-type", "frequency_type": "--frequency-type", "period": "--period",
    "frequency": "--frequency", "start_date": "--start", "end_date": "--end", "contract_type": "--type",
    "strike_count": "--strikes", "from_date": "--from", "to_date": "--to", "account_id": "--account",
    "stop_price": "--stop", "status": "--status", "price": "--limit",
}
# Settings with no flag (a secret on a command line is visible to other users; plain http is a choice to make
# once): the command line offers their variables only.
ONLY_VARIABLES = {
    "pass client_secret= or set ": "set ",
    "pass allow_insecure_http=True (TD_ALLOW_INSECURE_HTTP=true)": "set TD_ALLOW_INSECURE_HTTP=true",
}


def command_line_words(message: str) -> str:
    """A library message in the command line's words: ``period_type`` and ``period=`` become ``--period-type``
    and ``--period``, ``period_type='month'`` becomes ``--period-type 'month'``. A plain word such as "period"
    stays, unless it is what the sentence is about ("period must be ...", "either period or ...")."""
    for words, instead in ONLY_VARIABLES.items():
        message = message.replace(words, instead)
    names = "|".join(sorted(FLAGS, key=len, reverse=True))

    def flag(m: re.Match[str]) -> str:
        opens = m.start() == 0 or message.endswith(("; ", ": "), 0, m.start())  # what a sentence begins with
        subject = (opens and message.startswith((" must ", " for "), m.end())
                   or message.endswith("either ", 0, m.start()))
        if not (m.group(2) or "_" in m.group(1) or subject):
            return m.group(0)
        return FLAGS[m.group(1)] + (" " if m.group(2) and m.group(3) else "")

    return re.sub(r"\b(" + names + r")\b(=?)(?=([^\s,.;:)]?))", flag, message)


def _hint(exc: Exception, args: argparse.Namespace) -> str:
    if isinstance(exc, TDConnectionError) and "TD_" not in str(exc):  # unless it names the setting already
        return (" (check --api-url / TD_API_URL; for the sandbox, is `python -m pyTD sandbox` still running?)")
    return ""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pyTD",
                                     description="TD Ameritrade and Charles Schwab API client.")
    parser.add_argument("--version", action="version", version=f"pyTD {__version__}")
    _settings(parser, parser.add_argument_group("settings (default: the TD_* environment variables)"), None)
    # The settings are accepted after the command too: there they must not reset what came before it.
    shared = argparse.ArgumentParser(add_help=False)
    _settings(shared, shared.add_argument_group("settings (default: the TD_* environment variables)"),
              argparse.SUPPRESS)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:  # noqa: A002 - argparse's name
        return commands.add_parser(name, help=help, parents=[shared])

    login = command("login", "log in and keep the tokens")
    login.add_argument("--manual", action="store_true",
                       help="paste the redirected URL instead of running a local server (SSH, Jupyter)")
    login.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    login.add_argument("--headless", action="store_true",
                       help="log in with pyTD's stand-in browser, which fills in the sandbox's login form "
                            "(sandbox only)")
    login.add_argument("--force", action="store_true", help="log in again even if the stored tokens are valid")
    login.add_argument("--timeout", type=float, default=300, help="seconds to wait (default 300)")
    login.set_defaults(run=_login)

    command("status", "show the cache and token validity (exit status 1 when not logged in)").set_defaults(
        run=_status)
    command("logout", "forget the stored tokens").set_defaults(run=_logout)

    quote = command("quote", "print quotes for symbols")
    quote.add_argument("symbols", nargs="+", metavar="SYMBOL")
    quote.set_defaults(run=_quote)

    stream = command("stream", "print live quotes for symbols until Ctrl-C (needs the stream extra)")
    stream.add_argument("symbols", nargs="+", metavar="SYMBOL")
    stream.add_argument("--count", type=int, default=0, help="stop after COUNT updates (default: until Ctrl-C)")
    stream.set_defaults(run=_stream)

    history = command("history", "print price history (candles) for a symbol")
    history.add_argument("symbol", metavar="SYMBOL")
    history.add_argument("--period-type", help="day (the default), month, year or ytd")
    history.add_argument("--period", type=int, help="how many periods")
    history.add_argument("--frequency-type",
                         help="minute, daily, weekly or monthly (daily and longer need --period-type month, "
                              "year or ytd)")
    history.add_argument("--frequency", type=int, help="candle size in frequency-type units")
    history.add_argument("--start", help="first day, e.g. 2024-05-01 (New York time unless TD_TIMEZONE says)")
    history.add_argument("--end", help="last day, included, e.g. 2024-05-10")
    history.add_argument("--rows", type=int, default=20, help="show the last ROWS candles (default 20; 0: all)")
    history.set_defaults(run=_history)

    chain = command("chain", "print the option chain of a symbol")
    chain.add_argument("symbol", metavar="SYMBOL")
    chain.add_argument("--type", dest="contract_type", default="ALL", help="CALL, PUT or ALL (default)")
    chain.add_argument("--strikes", type=int, help="strikes around the price")
    chain.add_argument("--from", dest="from_date", help="first expiration day, e.g. 2024-06-01")
    chain.add_argument("--to", dest="to_date", help="last expiration day")
    chain.set_defaults(run=_chain)

    command("accounts", "print the accounts and their balances").set_defaults(run=_accounts)

    positions = command("positions", "print the positions of every account, or of one")
    positions.add_argument("--account", help="only this account (its number)")
    positions.set_defaults(run=_positions)

    orders = command("orders", "print the orders of the last 60 days, of every account or of one")
    orders.add_argument("--account", help="only this account (its number)")
    orders.add_argument("--status", help="only orders in this status, e.g. WORKING or FILLED")
    orders.set_defaults(run=_orders)

    order = command("order", "place a stock order: prints it, asks to confirm, then prints its id")
    order.add_argument("side", choices=("buy", "sell"), help="buy or sell")
    order.add_argument("symbol", metavar="SYMBOL")
    order.add_argument("quantity", metavar="QTY", type=int, help="how many shares")
    order.add_argument("--limit", type=float, metavar="P", help="a limit price (default: at the market)")
    order.add_argument("--stop", type=float, metavar="P", help="a stop price (with --limit: a stop-limit order)")
    order.add_argument("--account", required=True, help="the account's number")
    order.add_argument("--yes", action="store_true", help="place it without asking")
    order.add_argument("--dry-run", action="store_true", help="print the order, send nothing")
    order.set_defaults(run=_order)

    sandbox = command("sandbox", "serve the offline stand-in of the provider until Ctrl-C")
    sandbox.add_argument("--port", type=int, default=0, help="port to listen on (default: any free)")
    sandbox.add_argument("--auto-approve", action="store_true",
                         help="approve logins without showing the login form")
    sandbox.set_defaults(run=_sandbox)

    demo = command("demo", "log in to the sandbox unattended and print quotes")
    demo.set_defaults(run=_demo)
    return parser


def _settings(parser: argparse.ArgumentParser, group: Any, default: Any) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=0 if default is None else default,
                        help="log to stderr (-v info, -vv debug; tokens are never logged)")
    group.add_argument("--provider", default=default, help="td or schwab (TD_PROVIDER; default td)")
    group.add_argument("--consumer-key", default=default, help="the app's key (TD_CONSUMER_KEY)")
    group.add_argument("--callback-url", default=default, help="the app's callback URL (TD_CALLBACK_URL)")
    group.add_argument("--config-dir", default=default, help="where tokens are kept (TD_CONFIG_DIR)")
    group.add_argument("--auth-url", default=default, help="authorization page (TD_AUTH_URL)")
    group.add_argument("--api-url", default=default, help="API base URL (TD_API_URL)")


def _client(args: argparse.Namespace) -> Any:
    from pyTD.api import api

    return api(args.consumer_key, args.callback_url, provider=args.provider, config_dir=args.config_dir,
               auth_url=args.auth_url, api_url=args.api_url)


def _login(args: argparse.Namespace) -> int:
    client = _client(args)
    if client.auth_valid and not args.force:
        print(f"Already logged in to {client.profile.title} (use --force to log in again).",
              _describe_cache(client.cache))
        print(f"refresh token: {_describe_token(client.cache.refresh_token)}")
        return 0
    if args.manual:
        client.login_manual()
    elif args.headless:
        from pyTD.sandbox import HeadlessBrowser

        client.login(open_browser=HeadlessBrowser(verify=_callback_certificate(client)), timeout=args.timeout)
    else:
        client.login(open_browser=not args.no_browser, timeout=args.timeout)
    print(f"Logged in to {client.profile.title}.", _describe_cache(client.cache))
    return 0


def _status(args: argparse.Namespace) -> int:
    client = _client(args)
    print(f"Provider: {client.profile.title} ({client.provider})")
    print(_describe_cache(client.cache))
    for label, token in (("access token", client.cache.access_token),
                         ("refresh token", client.cache.refresh_token)):
        print(f"{label}: {_describe_token(token)}")
    if not client.auth_valid:
        print(f"Not logged in: run `python -m pyTD login --provider {client.provider}`.")
        return 1
    refresh = client.cache.refresh_token
    if refresh is not None and refresh.valid:
        print(f"Log in again within {_duration(refresh.expiry - time.time())} (when the refresh token expires).")
    return 0


def _logout(args: argparse.Namespace) -> int:
    client = _client(args)
    client.logout()
    print("Logged out.", _describe_cache(client.cache))
    return 0


def _quote(args: argparse.Namespace) -> int:
    from pyTD.market import get_quotes

    client = _client(args)
    wanted = [symbol for item in args.symbols for symbol in item.replace(",", " ").split()]
    quotes = get_quotes(wanted, api=client, errors="ignore")
    if quotes:  # no table of headers alone when nothing was found
        print(quote_table({symbol: client.profile.quote_row(symbol, q) for symbol, q in quotes.items()}))
    unknown = [s.upper() for s in wanted if client.profile.symbol(s.upper()) not in quotes]
    if unknown:
        print(f"pyTD: error: unknown symbol{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
              file=sys.stderr)
        return 1
    return 0


STREAM_FIELDS = ["lastPrice", "bidPrice", "askPrice", "closePrice", "totalVolume", "description", "tradeTime"]


def _stream(args: argparse.Namespace) -> int:
    """A live quote table on a terminal (redrawn on each update); elsewhere one line per updated symbol."""
    client = _client(args)
    wanted = [symbol for item in args.symbols for symbol in item.replace(",", " ").split()]
    live = sys.stdout.isatty()
    updates = 0
    with client.stream("quotes", wanted, fields=STREAM_FIELDS) as feed:
        for message in feed:
            if message["service"] == "reconnected":
                print(f"pyTD: reconnected ({message['data'][0]['reason']}); updates may be missing",
                      file=sys.stderr)
                continue
            state = feed.state("quotes")
            if live:
                print("\x1b[H\x1b[2J" + quote_table(state), flush=True)  # home, clear, redraw
            else:
                for record in message["data"]:
                    print(stream_line(state.get(record["symbol"], record), client.tz), flush=True)
            updates += 1
            if args.count and updates >= args.count:
                break
    return 0


def stream_line(quote: Dict[str, Any], tz: Any = timezone.utc) -> str:
    """One streamed quote as a line: time (in ``tz``, the api's zone), symbol, last, bid, ask, volume."""
    moment = quote.get("tradeTime")
    when = moment.astimezone(tz).strftime("%H:%M:%S") if isinstance(moment, datetime) else "--:--:--"
    return (f"{when} {quote.get('symbol', '?'):<8} last {_cell(_money, quote.get('lastPrice')):>10}  "
            f"bid {_cell(_money, quote.get('bidPrice')):>10}  ask {_cell(_money, quote.get('askPrice')):>10}  "
            f"volume {_cell(_count, quote.get('totalVolume')):>14}")


def _history(args: argparse.Namespace) -> int:
    from pyTD.market import get_price_history

    client = _client(args)
    candles = get_price_history(args.symbol, args.period_type, args.period, args.frequency_type, args.frequency,
                                args.start, args.end, api=client, errors="raise")
    if not isinstance(candles, list):  # several symbols ("AAPL MSFT") give a dict of lists
        raise ValueError("history shows one symbol at a time")
    shown = candles[-args.rows:] if args.rows > 0 else candles
    more = f", the last {len(shown)}" if len(shown) < len(candles) else ""
    print(f"{args.symbol.upper()}: {len(candles)} candles{more}:")
    print(history_table(shown, client.tz, daily=(args.period_type or "day").lower() != "day"))
    return 0


def _chain(args: argparse.Namespace) -> int:
    from pyTD.market import get_option_chains

    chain = get_option_chains(args.symbol, args.contract_type, args.strikes, from_date=args.from_date,
                              to_date=args.to_date, api=_client(args), errors="raise")
    print(f"{chain['symbol']} options, underlying at {_money(chain.get('underlyingPrice'))}:")
    print(chain_table(chain))
    return 0


def _accounts(args: argparse.Namespace) -> int:
    from pyTD.accounts import get_accounts

    client = _client(args)
    rows = [client.profile.account_row(account) for account in get_accounts(api=client)]
    print(text_table(ACCOUNT_COLUMNS, rows, left=(0, 1)))
    return 0


def _positions(args: argparse.Namespace) -> int:
    from pyTD.accounts import get_accounts, get_positions

    client = _client(args)
    if args.account is None:
        rows = [row for a in get_accounts(True, api=client) for row in client.profile.position_rows(a)]
    else:
        held = get_positions(args.account, api=client)
        rows = [{"accountId": number, **p.get("instrument", {}), **p} for number, ps in held.items() for p in ps]
    print(text_table(POSITION_COLUMNS, rows, left=(0, 1, 2)) if rows else "No positions.")
    return 0


def _orders(args: argparse.Namespace) -> int:
    from pyTD.orders import get_orders

    client = _client(args)
    rows = client.profile.order_rows(get_orders(args.account, status=args.status, api=client))
    for row in rows:
        row["enteredTime"] = _local_time(row.get("enteredTime"), client.tz)
    print(text_table(ORDER_COLUMNS, rows, left=(1, 2, 3, 4, 5, 6, 9)) if rows else "No orders.")
    return 0


def _order(args: argparse.Namespace) -> int:
    import json

    from pyTD.accounts.numbers import account_number
    from pyTD.providers import get

    order = stock_order(args.side, args.symbol, args.quantity, args.limit, args.stop).build()
    number = account_number(args.account)
    profile = get(args.provider or _env("TD_PROVIDER") or "td")
    profile.check_order(order)
    print(json.dumps(order, indent=2))
    if args.dry_run:
        return 0
    if not args.yes:
        if not (sys.stdin is not None and sys.stdin.isatty()):
            raise ValueError("no terminal to confirm the order on: pass --yes to place it (or --dry-run)")
        if input(f"Place this order in account {number}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Not placed.")
            return 1
    from pyTD.orders import place_order

    print(f"Placed order {place_order(number, order, api=_client(args))}.")
    return 0


def stock_order(side: str, symbol: str, quantity: int, limit: Optional[float], stop: Optional[float]) -> Any:
    """The order builder the ``order`` command sends: market, limit, stop or stop-limit, for the day."""
    from pyTD import orders

    if stop is not None and limit is not None:
        return getattr(orders, f"equity_{side}_stop_limit")(symbol, quantity, stop, limit)
    if stop is not None:
        return getattr(orders, f"equity_{side}_stop")(symbol, quantity, stop)
    if limit is not None:
        return getattr(orders, f"equity_{side}_limit")(symbol, quantity, limit)
    return getattr(orders, f"equity_{side}_market")(symbol, quantity)


def _sandbox(args: argparse.Namespace) -> int:
    from pyTD.providers import get
    from pyTD.sandbox import Sandbox
    from pyTD.sandbox.ports import free_port

    profile = get(args.provider or _env("TD_PROVIDER") or "td")
    secret = "SANDBOX-SECRET-0123" if profile.needs_secret else None  # noqa: S105 - the stand-in's own
    with Sandbox(port=args.port, provider=profile.name, auto_approve=args.auto_approve, client_secret=secret) as sb:
        callback = _example_callback(profile.name, free_port())
        print(f"pyTD sandbox ({profile.title} stand-in) serving at {sb.url}  (Ctrl-C to stop)")
        print("Paper accounts: " + ", ".join(f"{number} ({account.type.lower()}, ${account.cash:,.0f})"
                                             for number, account in sb.broker.accounts.items()))
        print("In another terminal:")
        for name, value in (("TD_PROVIDER", profile.name), ("TD_CONSUMER_KEY", "SANDBOXKEY"),
                            ("TD_CLIENT_SECRET", secret), ("TD_CALLBACK_URL", callback),
                            ("TD_AUTH_URL", sb.auth_url), ("TD_API_URL", sb.api_url)):
            if value is not None:
                print(f"  export {name}={value}")
        print("  python -m pyTD login --headless    # logs in without a browser", flush=True)
        while True:
            time.sleep(3600)


def _demo(args: argparse.Namespace) -> int:
    import tempfile

    from pyTD.api import api
    from pyTD.market import get_quotes
    from pyTD.providers import get
    from pyTD.sandbox import HeadlessBrowser, Sandbox
    from pyTD.sandbox.ports import free_port

    profile = get(args.provider or _env("TD_PROVIDER") or "td")
    secret = "SANDBOX-SECRET-0123" if profile.needs_secret else None  # noqa: S105 - the stand-in's own
    with tempfile.TemporaryDirectory(prefix="pyTD-demo-") as config_dir, \
            Sandbox(provider=profile.name, auto_approve=True, client_secret=secret) as sb:
        print(f"Started the {profile.title} sandbox at {sb.url}; tokens go to a temporary directory.")
        client = api("PYTDDEMO", _example_callback(profile.name, free_port()), provider=profile.name,
                     client_secret=secret, config_dir=config_dir, cache="disk", auth_url=sb.auth_url,
                     api_url=sb.api_url)
        client.login(open_browser=HeadlessBrowser(verify=_callback_certificate(client)), timeout=30)
        print("Logged in.", _describe_cache(client.cache))
        print()
        quotes = get_quotes(DEMO_SYMBOLS, api=client)
        print(quote_table({symbol: client.profile.quote_row(symbol, q) for symbol, q in quotes.items()}))
    return 0


def _example_callback(provider: str, port: int) -> str:
    # Schwab redirects to https on 127.0.0.1 only; TD's sandbox takes plain http on loopback.
    return f"https://127.0.0.1:{port}" if provider == "schwab" else f"http://127.0.0.1:{port}/callback"


def _callback_certificate(client: Any) -> Any:
    """What the stand-in browser trusts: the self-signed certificate pyTD makes for an https callback."""
    import os

    from pyTD.config import setting

    if not client.callback_url.startswith("https:"):
        return True
    return setting(None, "TD_SSL_CERT") or os.path.join(client.config_dir, "localhost-cert.pem")


def _env(name: str) -> Optional[str]:
    from pyTD.config import setting

    return setting(None, name)


ACCOUNT_COLUMNS: List[Column] = [
    ("Account", "accountId", str),
    ("Type", "type", str),
    ("Value", None, lambda r: _money(_first(r, "currentBalances.liquidationValue",
                                            "initialBalances.liquidationValue"))),
    ("Cash", None, lambda r: _money(_first(r, "currentBalances.cashBalance", "currentBalances.totalCash"))),
    ("Buying power", None, lambda r: _money(_first(r, "currentBalances.buyingPower",
                                                   "currentBalances.cashAvailableForTrading"))),
]
POSITION_COLUMNS: List[Column] = [
    ("Account", "accountId", str),
    ("Symbol", "symbol", str),
    ("Type", "assetType", str),
    ("Quantity", None, lambda p: f"{(p.get('longQuantity') or 0) - (p.get('shortQuantity') or 0):,g}"),
    ("Avg price", "averagePrice", lambda v: _money(v)),
    ("Market value", "marketValue", lambda v: _money(v)),
    ("Day P/L", "currentDayProfitLoss", lambda v: f"{float(v):+,.2f}"),
]
ORDER_COLUMNS: List[Column] = [
    ("Order", "orderId", str),
    ("Account", "accountId", str),
    ("Status", "status", str),
    ("Entered", "enteredTime", str),  # in the api's time zone
    ("Side", "instruction", str),
    ("Symbol", "symbol", str),
    ("Type", "orderType", str),
    ("Qty", "quantity", lambda v: f"{float(v):,g}"),
    ("Price", None, lambda o: _money(o.get("price") if o.get("price") is not None else o["stopPrice"])),
    ("Strategy", "orderStrategyType", str),
]


def _local_time(stamp: Any, tz: Any) -> Any:
    """``2021-12-10T04:45:05+0000`` as ``2021-12-09 23:45`` in ``tz``."""
    try:
        return datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%S%z").astimezone(tz).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _first(record: Dict[str, Any], *names: str) -> Any:
    """The first of ``names`` the record has, else None (balances differ between margin and cash accounts,
    prices between asset types)."""
    return next((record[name] for name in names if record.get(name) is not None), None)


def quote_table(quotes: Dict[str, Dict[str, Any]]) -> str:
    """Format quotes as an aligned text table, one row per symbol."""
    columns: List[Column] = [
        ("Symbol", "symbol", str),
        ("Last", None, lambda q: _money(_first(q, *LAST))),
        ("Bid", None, lambda q: _money(_first(q, "bidPrice", "bidPriceInDouble"))),
        ("Ask", None, lambda q: _money(_first(q, "askPrice", "askPriceInDouble"))),
        ("Change %", None, _change),
        ("Volume", "totalVolume", _count),
        ("Description", "description", str),
    ]
    return text_table(columns, quotes.values(), left=(0, 6))


def history_table(candles: List[Dict[str, Any]], tz: Any = timezone.utc, daily: bool = False) -> str:
    """Format candles as a text table, one row per candle, times in ``tz`` (the api's time zone); ``daily``
    candles show their trading day only, as in pandas."""
    if daily:
        from zoneinfo import ZoneInfo

        from pyTD.market.history import MARKET_ZONE

        zone, title, shape = ZoneInfo(MARKET_ZONE), "Day", "%Y-%m-%d"
    else:
        zone, title, shape = tz, f"Time ({getattr(tz, 'key', None) or tz})", "%Y-%m-%d %H:%M"
    columns: List[Column] = [
        (title, "datetime", lambda ms: datetime.fromtimestamp(ms / 1000, zone).strftime(shape)),
        ("Open", "open", _money),
        ("High", "high", _money),
        ("Low", "low", _money),
        ("Close", "close", _money),
        ("Volume", "volume", _count),
    ]
    return text_table(columns, candles, left=(0,))


def chain_table(chain: Dict[str, Any]) -> str:
    """Format an option chain as a text table, one row per contract."""
    from pyTD.market.options import contracts

    rows = sorted(contracts(chain), key=lambda c: (c["expiration"], c["putCall"], c["strikePrice"]))
    columns: List[Column] = [
        ("Expiration", "expiration", str),
        ("Type", "putCall", str),
        ("Strike", "strikePrice", _money),
        ("Bid", "bid", _money),
        ("Ask", "ask", _money),
        ("Last", "last", _money),
        ("Volume", "totalVolume", _count),
        ("Open int.", "openInterest", _count),
        ("Delta", "delta", lambda v: f"{float(v):+.3f}"),
    ]
    return text_table(columns, rows, left=(0, 1))


def text_table(columns: List[Column], records: Iterable[Dict[str, Any]], left: Sequence[int] = (0,)) -> str:
    """Align records as a table: a header row, then one row per record ("-" for missing fields)."""
    rows = [[title for title, _, _ in columns]]
    for record in records:
        rows.append([_cell(fmt, record if field is None else record.get(field)) for _, field, fmt in columns])
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = []
    for row in rows:
        cells = [cell.ljust(w) if i in left else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _cell(fmt: Callable[[Any], str], value: Any) -> str:
    try:
        return "-" if value is None else fmt(value)
    except (TypeError, ValueError, KeyError, ZeroDivisionError):
        return "-"


def _money(value: Any) -> str:
    return f"{float(value):,.2f}"


def _count(value: Any) -> str:
    return f"{int(value):,}"


# TD names the prices of futures and forex ...InDouble, and a mutual fund's price is its nAV.
LAST = ("lastPrice", "lastPriceInDouble", "nAV")


def _change(quote: Dict[str, Any]) -> str:
    return f"{(_first(quote, *LAST) / _first(quote, 'closePrice', 'closePriceInDouble') - 1) * 100:+.2f}"


def _describe_cache(cache: Any) -> str:
    where = getattr(cache, "path", None) or getattr(cache, "url", None)  # a RedisCache's has no password
    return f"Cache: {type(cache).__name__}" + (f" ({where})" if where else "")


def _describe_token(token: Any) -> str:
    if token is None:
        return "none"
    expiry = datetime.fromtimestamp(token.expiry, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    left = token.expiry - time.time()
    if left <= 0:
        return f"expired at {expiry}"
    return f"valid until {expiry} ({_duration(left)} left)"


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} min"
