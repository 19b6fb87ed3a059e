"""The command line: ``python -m pyTD login|status|logout|quote|history|chain|sandbox|demo``.

Errors print one line and exit with status 1; no command ever prints a token.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from pyTD import __version__
from pyTD.exceptions import TDError
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
        print(f"pyTD: error: {printable(exc, 2000)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pyTD: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pyTD", description="TD Ameritrade API client.")
    parser.add_argument("--version", action="version", version=f"pyTD {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log to stderr (-v info, -vv debug; tokens are never logged)")
    settings = parser.add_argument_group("settings (default: the TD_* environment variables)")
    settings.add_argument("--consumer-key", help="the app's consumer key (TD_CONSUMER_KEY)")
    settings.add_argument("--callback-url", help="the app's callback URL (TD_CALLBACK_URL)")
    settings.add_argument("--config-dir", help="where tokens are kept (TD_CONFIG_DIR)")
    settings.add_argument("--auth-url", help="authorization page (TD_AUTH_URL)")
    settings.add_argument("--api-url", help="API base URL (TD_API_URL)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    login = commands.add_parser("login", help="log in and keep the tokens")
    login.add_argument("--manual", action="store_true",
                       help="paste the redirected URL instead of running a local server (SSH, Jupyter)")
    login.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    login.add_argument("--timeout", type=float, default=300, help="seconds to wait (default 300)")
    login.set_defaults(run=_login)

    commands.add_parser("status", help="show the cache and token validity").set_defaults(run=_status)
    commands.add_parser("logout", help="forget the stored tokens").set_defaults(run=_logout)

    quote = commands.add_parser("quote", help="print quotes for symbols")
    quote.add_argument("symbols", nargs="+", metavar="SYMBOL")
    quote.set_defaults(run=_quote)

    history = commands.add_parser("history", help="print price history (candles) for a symbol")
    history.add_argument("symbol", metavar="SYMBOL")
    history.add_argument("--period-type", help="day, month, year or ytd")
    history.add_argument("--period", type=int, help="how many periods")
    history.add_argument("--frequency-type", help="minute, daily, weekly or monthly")
    history.add_argument("--frequency", type=int, help="candle size in frequency-type units")
    history.add_argument("--start", help="first day, e.g. 2024-05-01 (UTC)")
    history.add_argument("--end", help="last day, e.g. 2024-05-10 (UTC)")
    history.add_argument("--rows", type=int, default=20, help="show the last ROWS candles (default 20; 0: all)")
    history.set_defaults(run=_history)

    chain = commands.add_parser("chain", help="print the option chain of a symbol")
    chain.add_argument("symbol", metavar="SYMBOL")
    chain.add_argument("--type", dest="contract_type", default="ALL", help="CALL, PUT or ALL (default)")
    chain.add_argument("--strikes", type=int, help="strikes around the price")
    chain.add_argument("--from", dest="from_date", help="first expiration day, e.g. 2024-06-01")
    chain.add_argument("--to", dest="to_date", help="last expiration day")
    chain.set_defaults(run=_chain)

    sandbox = commands.add_parser("sandbox", help="serve the offline TD stand-in until Ctrl-C")
    sandbox.add_argument("--port", type=int, default=0, help="port to listen on (default: any free)")
    sandbox.add_argument("--auto-approve", action="store_true",
                         help="approve logins without showing the login form")
    sandbox.set_defaults(run=_sandbox)

    demo = commands.add_parser("demo", help="log in to the sandbox unattended and print quotes")
    demo.set_defaults(run=_demo)
    return parser


def _client(args: argparse.Namespace) -> Any:
    from pyTD.api import api

    return api(args.consumer_key, args.callback_url, config_dir=args.config_dir,
               auth_url=args.auth_url, api_url=args.api_url)


def _login(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.manual:
        client.login_manual()
    else:
        client.login(open_browser=not args.no_browser, timeout=args.timeout)
    print("Logged in.", _describe_cache(client.cache))
    return 0


def _status(args: argparse.Namespace) -> int:
    client = _client(args)
    print(_describe_cache(client.cache))
    for label, token in (("access token", client.cache.access_token),
                         ("refresh token", client.cache.refresh_token)):
        print(f"{label}: {_describe_token(token)}")
    if not client.auth_valid:
        print("Not logged in: run `python -m pyTD login`.")
    return 0


def _logout(args: argparse.Namespace) -> int:
    client = _client(args)
    client.logout()
    print("Logged out.", _describe_cache(client.cache))
    return 0


def _quote(args: argparse.Namespace) -> int:
    from pyTD.market import get_quotes

    print(quote_table(get_quotes(args.symbols, api=_client(args))))
    return 0


def _history(args: argparse.Namespace) -> int:
    from pyTD.market import get_price_history

    candles = get_price_history(args.symbol, args.period_type, args.period, args.frequency_type, args.frequency,
                                args.start, args.end, api=_client(args))
    shown = candles[-args.rows:] if args.rows > 0 else candles
    more = f", the last {len(shown)}" if len(shown) < len(candles) else ""
    print(f"{args.symbol.upper()}: {len(candles)} candles{more}:")
    print(history_table(shown))
    return 0


def _chain(args: argparse.Namespace) -> int:
    from pyTD.market import get_option_chains

    chain = get_option_chains(args.symbol, args.contract_type, args.strikes, from_date=args.from_date,
                              to_date=args.to_date, api=_client(args))
    print(f"{chain['symbol']} options, underlying at {_money(chain.get('underlyingPrice'))}:")
    print(chain_table(chain))
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from pyTD.sandbox import Sandbox

    with Sandbox(port=args.port, auto_approve=args.auto_approve) as sb:
        print(f"pyTD sandbox serving at {sb.url}  (Ctrl-C to stop)")
        print(f"  export TD_AUTH_URL={sb.auth_url}")
        print(f"  export TD_API_URL={sb.api_url}", flush=True)
        while True:
            time.sleep(3600)


def _demo(args: argparse.Namespace) -> int:
    import tempfile

    from pyTD.api import api
    from pyTD.market import get_quotes
    from pyTD.sandbox import HeadlessBrowser, Sandbox
    from pyTD.sandbox.ports import free_port

    with tempfile.TemporaryDirectory(prefix="pyTD-demo-") as config_dir, Sandbox(auto_approve=True) as sb:
        print(f"Started the sandbox at {sb.url}; tokens go to a temporary directory.")
        client = api("PYTDDEMO", f"http://127.0.0.1:{free_port()}/callback", config_dir=config_dir,
                     store_tokens=True, auth_url=sb.auth_url, api_url=sb.api_url)
        client.login(open_browser=HeadlessBrowser(), timeout=30)
        print("Logged in.", _describe_cache(client.cache))
        print()
        print(quote_table(get_quotes(DEMO_SYMBOLS, api=client)))
    return 0


def quote_table(quotes: Dict[str, Dict[str, Any]]) -> str:
    """Format quotes as an aligned text table, one row per symbol."""
    columns: List[Column] = [
        ("Symbol", "symbol", str),
        ("Last", "lastPrice", _money),
        ("Bid", "bidPrice", _money),
        ("Ask", "askPrice", _money),
        ("Change %", None, _change),
        ("Volume", "totalVolume", _count),
        ("Description", "description", str),
    ]
    return text_table(columns, quotes.values(), left=(0, 6))


def history_table(candles: List[Dict[str, Any]]) -> str:
    """Format candles as a text table, one row per candle, times in UTC."""
    columns: List[Column] = [
        ("Time (UTC)", "datetime",
         lambda ms: datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M")),
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

    rows = sorted(contracts(chain), key=lambda c: (c["expirationDate"], c["putCall"], c["strikePrice"]))
    columns: List[Column] = [
        ("Expiration", "expirationDate", str),
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


def _change(quote: Dict[str, Any]) -> str:
    return f"{(quote['lastPrice'] / quote['closePrice'] - 1) * 100:+.2f}"


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
