"""pyTD's costs, measured against the sandbox on loopback.

    python benchmarks/run.py [--rounds N] [--write-docs]

Prints a table of medians and spreads (interquartile range); with ``--write-docs`` also rewrites
``docs/performance.rst``. tda-api is compared when it is importable (``pip install tda-api``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pyTD.api import api  # noqa: E402
from pyTD.cache import DiskCache, MemCache  # noqa: E402
from pyTD.ratelimit import shared_limiter  # noqa: E402
from pyTD.sandbox import HeadlessBrowser, Sandbox  # noqa: E402
from pyTD.sandbox.ports import free_port  # noqa: E402
from pyTD.tokens import Token  # noqa: E402
from tests.redisserver import RedisServer, installed  # noqa: E402

fork = multiprocessing.get_context("fork")
KEY = "BENCHKEY"
Row = Tuple[str, str, str]  # what, result, goal


def stats(samples: List[float]) -> Tuple[float, float]:
    """Median and interquartile range."""
    q = statistics.quantiles(samples, n=4)
    return statistics.median(samples), q[2] - q[0]


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def client(sb: Sandbox, config_dir: str, **options) -> api:
    a = api(KEY, f"http://127.0.0.1:{free_port()}/callback", config_dir=config_dir, auth_url=sb.auth_url,
            api_url=sb.api_url, **options)
    with contextlib.redirect_stdout(io.StringIO()):  # login prints the URL for a human
        a.login(open_browser=HeadlessBrowser(), timeout=10)
    return a


# -- 1 and 2: per-request overhead ---------------------------------------------------------------


def _serve(pipe, **options) -> None:
    with Sandbox(auto_approve=True, **options) as sb:
        pipe.send(sb.port)
        pipe.recv()  # until told to stop


def interleaved(contenders: Dict[str, Callable[[], object]], rounds: int, block: int = 25) -> Dict[str, List[float]]:
    """Each contender's call times, in alternating blocks of ``block`` calls after a warm-up."""
    times: Dict[str, List[float]] = {name: [] for name in contenders}
    for call in contenders.values():  # warm up connections and caches
        for _ in range(20):
            call()
    for _ in range(rounds):  # interleaved blocks: server noise hits every contender alike
        for name, call in contenders.items():
            for _ in range(block):
                start = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - start)
    return times


def tda_api(base: str, token: str) -> Any:
    """tda-api's Client, its hard-wired base URL rewritten to the sandbox's; None if tda-api is missing."""
    try:
        from tda.client import Client
    except ImportError:
        return None

    class ToSandbox(requests.Session):
        def request(self, method, url, *args, **kwargs):
            return super().request(method, url.replace("https://api.tdameritrade.com", base), *args, **kwargs)

    session = ToSandbox()
    session.headers["Authorization"] = f"Bearer {token}"
    return Client(KEY, session)


def tda_client(base: str, token: str) -> Optional[Callable[[], object]]:
    """tda-api's get_quotes against the sandbox; None if tda-api is missing."""
    tda = tda_api(base, token)
    return None if tda is None else lambda: tda.get_quotes("AAPL").json()


def request_overhead(rounds: int, config_dir: str) -> List[Row]:
    """pyTD.get_quotes vs the same request through a bare Session, interleaved; the server in another process."""
    ours, theirs = fork.Pipe()
    server = fork.Process(target=_serve, args=(theirs,), daemon=True)
    server.start()
    try:
        sb = Sandbox(port=ours.recv())  # only its URLs: the server runs in the other process
        disk = client(sb, config_dir, rate_limit=0)
        memory = api(KEY, disk.callback_url, cache=MemCache(), auth_url=sb.auth_url, api_url=sb.api_url,
                     rate_limit=0)
        memory.cache.access_token, memory.cache.refresh_token = disk.cache.access_token, disk.cache.refresh_token
        raw = requests.Session()
        raw.headers["Authorization"] = f"Bearer {disk.access_token}"
        url = sb.api_url + "/marketdata/quotes"
        contenders: Dict[str, Callable[[], object]] = {
            "raw": lambda: raw.get(url, params={"symbol": "AAPL"}, timeout=30).json(),
            "pyTD": lambda: disk.get_quotes("AAPL"),
            "pyTD, MemCache": lambda: memory.get_quotes("AAPL"),
        }
        tda = tda_client(sb.url, disk.access_token)
        if tda is not None:
            contenders["tda-api"] = tda
        times = interleaved(contenders, rounds)
    finally:
        ours.send("stop")
        server.join(10)
    medians = {name: stats(samples) for name, samples in times.items()}
    raw_median = medians["raw"][0]
    n = len(times["raw"])
    rows = [(f"GET quotes, {name} ({n} calls)", f"{us(m)} ± {us(iqr)}", "") for name, (m, iqr) in medians.items()]
    pytd = medians["pyTD"][0]
    rows.append(("pyTD / raw requests", f"{pytd / raw_median:.3f} (+{us(pytd - raw_median)} a request)",
                 "≤ 1.05 (~50 µs)"))
    rows.append(("pyTD with MemCache / raw", f"{medians['pyTD, MemCache'][0] / raw_median:.3f}", ""))
    if "tda-api" in medians:
        rows.append(("pyTD / tda-api", f"{pytd / medians['tda-api'][0]:.3f}", ""))
    else:
        rows.append(("pyTD / tda-api", "n/a (tda-api not installed)", ""))
    return rows


class _Canned(requests.adapters.HTTPAdapter):
    """An adapter that answers every request with the same quote at once: the network taken away."""

    BODY = json.dumps({"AAPL": {"symbol": "AAPL", "lastPrice": 190.5, "bidPrice": 190.4, "askPrice": 190.6}}).encode()

    def send(self, request, stream=False, **kwargs):
        response = requests.Response()
        response.status_code, response.url, response.request, response.connection = 200, request.url, request, self
        response.headers["Content-Type"] = "application/json"
        response.raw = io.BytesIO(self.BODY)
        return response


def client_cost(calls: int, config_dir: str) -> List[Row]:
    """pyTD's own work per request: get_quotes against raw requests with the network replaced by a canned answer
    (the same adapter under both), interleaved."""
    def session() -> requests.Session:
        made = requests.Session()
        made.mount("http://", _Canned())
        return made

    a = api(KEY, "http://127.0.0.1:8080/callback", api_url="http://127.0.0.1:9/v1", session=session(), rate_limit=0,
            config_dir=config_dir)
    now = time.time()
    a.cache.refresh_token, a.cache.access_token = Token("refresh", now, 90 * 86400), Token("access", now, 1800)
    raw = session()
    raw.headers["Authorization"] = "Bearer access"
    url = "http://127.0.0.1:9/v1/marketdata/quotes"
    times = interleaved({"raw": lambda: raw.get(url, params={"symbol": "AAPL"}, timeout=30).json(),
                         "pyTD": lambda: a.get_quotes("AAPL")}, calls // 25)
    (theirs, _), (ours, _) = stats(times["raw"]), stats(times["pyTD"])
    return [(f"GET quotes without the network (canned answers), raw / pyTD ({len(times['raw'])} calls)",
             f"{us(theirs)} / {us(ours)}", ""),
            ("... pyTD's own work per request (the difference)", f"{(ours - theirs) * 1e6:+,.0f} µs", "≤ ~50 µs")]


# -- 2b: trading: place_order and get_positions, and 10,000 transactions to pandas --------------------------

RICH = [{"type": "MARGIN", "cash": 10.0 ** 12, "number": "12345678", "positions": {"AAPL": 100, "MSFT": 50}}]


def trading_overhead(rounds: int, config_dir: str) -> List[Row]:
    """place_order and get_positions through pyTD vs the same requests through a bare Session."""
    ours, theirs = fork.Pipe()
    server = fork.Process(target=_serve, args=(theirs,), kwargs={"accounts": RICH}, daemon=True)
    server.start()
    try:
        sb = Sandbox(port=ours.recv())  # only its URLs: the server runs in the other process
        a = client(sb, config_dir, rate_limit=0, order_rate_limit=0)
        raw = requests.Session()
        raw.headers["Authorization"] = f"Bearer {a.access_token}"
        number = "12345678"
        order = {"orderType": "MARKET", "session": "NORMAL", "duration": "DAY", "orderStrategyType": "SINGLE",
                 "orderLegCollection": [{"instruction": "BUY", "quantity": 1,
                                         "instrument": {"symbol": "AAPL", "assetType": "EQUITY"}}]}
        orders_url = f"{sb.api_url}/accounts/{number}/orders"
        account_url = f"{sb.api_url}/accounts/{number}"

        def raw_place() -> int:
            answer = raw.post(orders_url, json=order, timeout=30)
            answer.raise_for_status()
            return int(answer.headers["Location"].rsplit("/", 1)[1])

        contenders: Dict[str, Callable[[], object]] = {
            "place_order, raw": raw_place,
            "place_order, pyTD": lambda: a.place_order(number, order),
            "get_positions, raw": lambda: raw.get(account_url, params={"fields": "positions"},
                                                  timeout=30).json()["securitiesAccount"]["positions"],
            "get_positions, pyTD": lambda: a.get_positions(number),
        }
        times = interleaved(contenders, rounds)
    finally:
        ours.send("stop")
        server.join(10)
    medians = {name: stats(samples) for name, samples in times.items()}
    rows = [(f"{name} ({len(times[name])} calls)", f"{us(m)} ± {us(iqr)}", "") for name, (m, iqr) in medians.items()]
    for what in ("place_order", "get_positions"):
        ratio = medians[f"{what}, pyTD"][0] / medians[f"{what}, raw"][0]
        extra = medians[f"{what}, pyTD"][0] - medians[f"{what}, raw"][0]
        rows.append((f"{what}: pyTD / raw requests", f"{ratio:.3f} (+{us(extra)} a call)", "≤ 1.05"))
    return rows


def transactions_conversion(runs: int, config_dir: str) -> List[Row]:
    """get_transactions(..., output_format="pandas") on 10,000 transactions: the fetch, and the conversion alone."""
    from pyTD.sandbox import schwab_trading, td_trading
    from pyTD.sandbox.broker import Broker, Instrument, Leg, Spec
    from pyTD.sandbox.market import UNIVERSE
    from pyTD.transactions.transactions import transactions_frame

    broker = Broker(accounts=[{"type": "MARGIN", "cash": 10.0 ** 12, "number": "1"}])
    for i in range(5000):
        for side in ("BUY", "SELL"):
            symbol = ("AAPL", "MSFT", "KO", "F")[i % 4]
            broker.place("1", Spec("SINGLE", {}, "MARKET", legs=[Leg(side, float(1 + i % 7),
                                                                     Instrument(UNIVERSE[symbol]))]))
    trades = broker.transactions_of("1")[-10_000:]
    rows: List[Row] = []
    for provider, shape in (("td", td_trading), ("schwab", schwab_trading)):
        answer = [shape.transaction_json(t) for t in trades]
        secret = {"client_secret": "BENCH-SECRET"} if provider == "schwab" else {}
        a = api(KEY, "https://127.0.0.1:8182", provider=provider, config_dir=config_dir, cache="memory", **secret)
        samples = timings(lambda answer=answer, a=a: transactions_frame(answer, a), runs)
        shape_of = transactions_frame(answer, a).shape
        rows.append(row(f"10,000 {provider.upper()} transactions to pandas ({shape_of[1]} columns)", samples))
        rows[-1] = (*rows[-1][:2], "< 100 ms")
    ours, theirs = fork.Pipe()
    server = fork.Process(target=_serve_transactions, args=(theirs,), daemon=True)
    server.start()
    try:
        sb = Sandbox(port=ours.recv())
        a = client(sb, os.path.join(config_dir, "transactions"), rate_limit=0)
        whole = timings(lambda: a.get_transactions("1", output_format="pandas"), max(runs // 4, 3))
        fetched = len(a.get_transactions("1"))
    finally:
        ours.send("stop")
        server.join(10)
    rows.append(row(f"get_transactions(..., output_format=\"pandas\"), {fetched:,} from the TD sandbox, "
                    "fetch and conversion", whole))
    return rows


def _serve_transactions(pipe) -> None:
    from pyTD.sandbox.broker import Instrument, Leg, Spec
    from pyTD.sandbox.market import UNIVERSE

    with Sandbox(auto_approve=True, accounts=[{"type": "MARGIN", "cash": 10.0 ** 12, "number": "1"}]) as sb:
        for _ in range(5000):
            for side in ("BUY", "SELL"):
                sb.broker.place("1", Spec("SINGLE", {}, "MARKET", legs=[Leg(side, 1.0, Instrument(UNIVERSE["F"]))]))
        pipe.send(sb.port)
        pipe.recv()


# -- 3: import time -----------------------------------------------------------------------------------


def imports(runs: int) -> List[Row]:
    """What ``import X`` adds to a fresh interpreter's start (wall clock), all contenders interleaved."""
    codes = {"pass": "pass", "requests": "import requests", "pyTD": "import pyTD", "pyTD.api": "import pyTD.api"}
    samples: Dict[str, List[float]] = {name: [] for name in codes}
    # As users import: from compiled bytecode (a machine may set PYTHONDONTWRITEBYTECODE; the first run writes it).
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    for code in codes.values():
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=env)
    for _ in range(runs):
        for name, code in codes.items():
            begin = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=env)
            samples[name].append(time.perf_counter() - begin)
    bare = statistics.median(samples["pass"])
    base, light, full = (statistics.median(samples[name]) - bare for name in ("requests", "pyTD", "pyTD.api"))
    return [("import requests", us(base), ""),
            ("import pyTD", f"{us(light)} (does not import requests)", ""),
            ("import pyTD.api (with requests)", f"{us(full)} = {full / base:.2f} × requests", "≤ 1.20 × requests")]


# -- 4: login -----------------------------------------------------------------------------------------


class _MarkingBrowser(HeadlessBrowser):
    """Notes the moment it requests the callback URL."""

    def __init__(self, callback: str, marks: Dict[str, float]) -> None:
        super().__init__()
        self.callback, self.marks = callback, marks

    def _visit(self, session, method, url, data=None):
        if url.startswith(self.callback):
            self.marks["callback"] = time.perf_counter()
        return super()._visit(session, method, url, data)


def _timed(send: Callable, marks: Dict[str, float]) -> Callable:
    """Wrap Transport.send, adding the time spent in it to ``marks["token"]``."""

    def timed_send(method, url, **kwargs):
        start = time.perf_counter()
        try:
            return send(method, url, **kwargs)
        finally:
            marks["token"] += time.perf_counter() - start

    return timed_send


def login(runs: int, config_dir: str) -> List[Row]:
    """Callback request arriving → tokens persisted, minus the token endpoint's round trip."""
    samples = []
    with Sandbox(auto_approve=True) as sb:
        for i in range(runs):
            callback = f"http://127.0.0.1:{free_port()}/callback"
            a = api(KEY, callback, config_dir=os.path.join(config_dir, f"login{i}"), auth_url=sb.auth_url,
                    api_url=sb.api_url)
            marks: Dict[str, float] = {"token": 0.0}
            a.transport.send = _timed(a.transport.send, marks)  # type: ignore[method-assign]
            with contextlib.redirect_stdout(io.StringIO()):
                a.login(open_browser=_MarkingBrowser(callback, marks), timeout=10)
            samples.append(time.perf_counter() - marks["callback"] - marks["token"])
    median, iqr = stats(samples)
    return [(f"login: callback → tokens on disk, without token endpoint ({runs} logins)",
             f"{us(median)} ± {us(iqr)}", "")]


# -- 5: cache operations ------------------------------------------------------------------------------


def timings(call: Callable[[], object], runs: int) -> List[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def row(what: str, samples: List[float]) -> Row:
    median, iqr = stats(samples)
    return (what, f"{us(median)} ± {us(iqr)}", "")


def cache_ops(runs: int, config_dir: str, redis_url: Optional[str]) -> List[Row]:
    """Writes and reads of each shared cache: one instance writes, another (as in another process) reads."""
    token = Token("x" * 120, time.time(), 7776000)
    disk = DiskCache(os.path.join(config_dir, "cache"))
    other = DiskCache(disk.config_dir)
    writes, fresh_reads, reads = [], [], []
    for _ in range(runs):
        writes += timings(lambda: setattr(disk, "refresh_token", token), 1)
        fresh_reads += timings(lambda: other.refresh_token, 1)  # the file changed: stat, then read and parse
        reads += timings(lambda: other.refresh_token, 1)  # unchanged: one stat
    rows = [row("DiskCache write (locked, atomic, fsync)", writes), row("DiskCache read, file changed", fresh_reads),
            row("DiskCache read, file unchanged", reads)]
    if redis_url is None:
        return rows + [("RedisCache", "n/a (redis-server not installed)", "")]
    from pyTD.cache import RedisCache

    cache, reader = RedisCache(redis_url, "bench"), RedisCache(redis_url, "bench")
    rows.append(row("RedisCache write (Redis lock with lease, GET, SET, unlock)",
                    timings(lambda: setattr(cache, "refresh_token", token), runs)))
    rows.append(row("RedisCache read (GET and parse)", timings(lambda: reader.refresh_token, runs)))
    return rows


def limiters(runs: int, config_dir: str, redis_url: Optional[str]) -> List[Row]:
    """What taking a slot costs in each store, when the window has room."""
    stores = {"process": "process", "machine (SQLite)": "machine", "Redis (Lua script)": redis_url}
    rows = []
    for name, store in stores.items():
        if store is None:
            rows.append((f"limiter acquire, {name}", "n/a (redis-server not installed)", ""))
            continue
        limiter = shared_limiter("BENCH", 10**9, 60, store, os.path.join(config_dir, "limits"))
        limiter.acquire()  # connect, create the store
        rows.append(row(f"limiter acquire, {name}, no wait", timings(limiter.acquire, runs)))
    return rows


# -- 6: concurrent refresh ------------------------------------------------------------------------------


def _refresh_in_child(args: Tuple[str, str, str, str]) -> List[str]:
    config_dir, auth_url, api_url, callback = args
    a = api(KEY, callback, config_dir=config_dir, auth_url=auth_url, api_url=api_url)
    return sorted(a.get_quotes("AAPL"))


def concurrency(config_dir: str) -> List[Row]:
    with Sandbox(auto_approve=True, rotate_refresh_tokens=True) as sb:
        a = client(sb, os.path.join(config_dir, "race"))
        access, refresh = a.cache.access_token, a.cache.refresh_token
        a.cache.access_token = Token(access.token, access.access_time - 3600, access.expires_in)
        a.cache.refresh_token = Token(refresh.token, refresh.access_time - refresh.expires_in + 86400,
                                      refresh.expires_in)  # within 7 days: rotated by the refresh
        sb.clear_requests()
        start = time.perf_counter()
        with fork.Pool(8) as pool:
            results = pool.map(_refresh_in_child, [(a.config_dir, sb.auth_url, sb.api_url, a.callback_url)] * 8)
        wall = time.perf_counter() - start
        token_requests = len(sb.token_requests)
    ok = sum(r == ["AAPL"] for r in results)
    return [("8 processes refresh at once: wall time", f"{wall * 1000:,.0f} ms ({ok}/8 succeeded)", ""),
            ("... token requests", str(token_requests), "1")]


# -- 7: rate limiter ------------------------------------------------------------------------------------


def rate_limit(config_dir: str, requests_sent: int = 100) -> List[Row]:
    with Sandbox(auto_approve=True, rate_limit=20, rate_window=2) as sb:
        a = client(sb, os.path.join(config_dir, "limit"), rate_limit="20/2", retry_count=0)
        time.sleep(2.1)  # the login's token request counted too: start with an empty window
        refused = 0
        start = time.perf_counter()
        for _ in range(requests_sent):
            try:
                a.get_quotes("AAPL")
            except Exception:  # noqa: BLE001 - a 429 would be counted here
                refused += 1
        elapsed = time.perf_counter() - start
    # The first 20 go at once; each later 20 wait a window: that is the ideal against which to compare.
    ideal = (requests_sent - 20) / 20 * 2
    return [(f"rate limiter, 20 per 2 s (= 600/min), {requests_sent} requests",
             f"{(requests_sent - 20) / elapsed * 60:,.0f}/min sustained ({ideal / elapsed:.1%} of the limit), "
             f"{refused} refused (429)", "≤ limit, 0 refused")]


# -- 8: streaming -----------------------------------------------------------------------------------------

STREAM_SYMBOLS = ["AAPL", "MSFT", "AMZN", "GOOGL", "GOOG", "META", "NVDA", "TSLA", "NFLX", "INTC", "AMD", "CSCO",
                  "PEP", "AMGN", "HON", "COST", "WMT", "JPM", "KO", "DIS", "F", "IBM", "XOM", "JNJ", "PG", "V", "BAC",
                  "T", "HD", "MCD", "BA", "PFE", "GS", "CAT", "UNH", "NKE", "CVX", "VZ", "MRK", "AXP", "MMM", "TRV",
                  "CRM", "SPY", "QQQ", "IWM", "DIA", "$SPX.X", "$DJI", "$COMPX"]


def _pin(core: int) -> None:
    try:
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})
    except (AttributeError, OSError):
        pass


def _unpin() -> None:
    try:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    except (AttributeError, OSError):
        pass


def _stream_server(pipe, tick: float, replay: bool) -> None:
    """A sandbox whose streamer ticks every ``tick`` seconds; with ``replay``, its first 64 ticks of each
    connection are computed once and then sent again and again, so that the server outpaces any client."""
    _pin(1)
    from pyTD.sandbox import streamer

    if replay:
        made = streamer.Streamer._tick
        memo: Dict[tuple, list] = {}

        def replayed(self, session):
            phase = (session.number, session.ticks % 64)
            if phase not in memo:
                memo[phase] = made(self, session)
            return memo[phase]

        streamer.Streamer._tick = replayed
    with Sandbox(auto_approve=True, tick_interval=tick, heartbeat_interval=1.0) as sb:
        sb.streamer.exact_timestamps = True
        pipe.send(sb.port)
        pipe.recv()


def _with_stream_server(tick: float, replay: bool, work: Callable[[Sandbox], List[Row]]) -> List[Row]:
    ours, theirs = fork.Pipe()
    server = fork.Process(target=_stream_server, args=(theirs, tick, replay), daemon=True)
    server.start()
    try:
        return work(Sandbox(port=ours.recv()))
    finally:
        ours.send("stop")
        server.join(10)


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def stream_throughput(config_dir: str, seconds: float) -> List[Row]:
    """Level-one updates parsed, merged and delivered per second by one core, from a sandbox flooding 50 symbols;
    memory measured over the whole run."""
    import asyncio

    from pyTD.stream import Stream

    def work(sb: Sandbox) -> List[Row]:
        a = client(sb, os.path.join(config_dir, "stream"), rate_limit=0)

        async def main() -> Tuple[float, float, int, int, int]:
            async with Stream(a, max_queue=100_000) as s:
                await s.subscribe("quotes", STREAM_SYMBOLS, fields=list(range(53)))
                updates, start, marks = 0, 0.0, {}
                begin = time.perf_counter()
                async for message in s:
                    updates += len(message["data"])
                    now = time.perf_counter()
                    if not start and now - begin > 1.0:  # warmed up
                        start, updates, marks["rss"] = now, 0, _rss()
                    if start and "mid" not in marks and now - start > 5:
                        marks["mid"], marks["rate"] = _rss(), updates / (now - start)
                    if start and now - start > seconds:
                        return marks["rate"], updates / (now - start), marks["rss"], _rss(), s.dropped

        _pin(0)
        try:
            rate, overall, rss_start, rss_end, dropped = asyncio.run(main())
        finally:
            _unpin()
        return [("stream: level-one updates parsed, merged, delivered (1 core, 50 symbols, all fields)",
                 f"{rate:,.0f}/s (first 5 s), {overall:,.0f}/s over {seconds:.0f} s; {dropped} folded",
                 "≥ 50,000/s"),
                (f"stream: memory over {seconds:.0f} s of that (RSS after warm-up → end)",
                 f"{rss_start / 2**20:.1f} → {rss_end / 2**20:.1f} MiB ({(rss_end - rss_start) / 2**20:+.1f} MiB)",
                 "flat")]

    return _with_stream_server(0.0, True, work)


def stream_latency(config_dir: str, seconds: float) -> List[Row]:
    """Sandbox sending → the user's handler, at 1,000 updates/s (10 symbols, a frame every 10 ms)."""
    import asyncio

    from pyTD.stream import Stream

    def work(sb: Sandbox) -> List[Row]:
        a = client(sb, os.path.join(config_dir, "latency"), rate_limit=0)

        received: List[float] = []

        def decoder(text: str) -> object:  # notes when the frame left the socket and websockets
            received.append(time.time())
            return json.loads(text)

        async def main() -> Tuple[List[float], List[float], int]:
            samples: List[float] = []
            ours: List[float] = []
            async with Stream(a, decoder=decoder) as s:
                await s.subscribe("quotes", STREAM_SYMBOLS[:10], fields=["bidPrice", "askPrice", "lastPrice"])
                begin = time.perf_counter()
                count = 0
                async for message in s:
                    now = time.time()
                    if time.perf_counter() - begin > 1.0:
                        samples.extend([now - message["timestamp"].timestamp()] * len(message["data"]))
                        ours.extend([now - received[-1]] * len(message["data"]))
                        count += len(message["data"])
                    if time.perf_counter() - begin > 1.0 + seconds:
                        return samples, ours, count

        _pin(0)
        try:
            samples, ours, count = asyncio.run(main())
        finally:
            _unpin()
        q, mine = statistics.quantiles(samples, n=100), statistics.quantiles(ours, n=100)
        return [(f"stream: latency, sandbox sending → handler, at {count / seconds:,.0f} updates/s",
                 f"p50 {q[49] * 1000:.2f} ms, p99 {q[98] * 1000:.2f} ms", "p99 ≤ 2 ms"),
                ("... of which pyTD: frame off the socket → handler (decode, name, merge, deliver)",
                 f"p50 {mine[49] * 1000:.2f} ms, p99 {mine[98] * 1000:.2f} ms", "")]

    return _with_stream_server(0.01, False, work)


def stream_tda(config_dir: str, seconds: float = 10.0) -> List[Row]:
    """Level-one updates a second through tda-api's StreamClient and through pyTD's Stream, one after the other
    on the same sandbox stream (50 symbols, all fields, one core)."""
    try:
        import tda.streaming
    except ImportError:
        return [("stream: pyTD / tda-api throughput", "n/a (tda-api not installed)", "≥ 1.5")]
    import asyncio

    from pyTD.stream import Stream

    connect = tda.streaming.ws_client.connect

    def plain(url: str, **kwargs: Any) -> Any:  # the loopback sandbox streams ws://; tda-api dials wss:// only
        return connect(url.replace("wss://", "ws://", 1), **kwargs)

    def work(sb: Sandbox) -> List[Row]:
        a = client(sb, os.path.join(config_dir, "versus"), rate_limit=0)

        async def theirs() -> float:
            account = a.request("GET", "/userprincipals")["accounts"][0]["accountId"]
            stream = tda.streaming.StreamClient(tda_api(sb.url, a.access_token), account_id=int(account))
            counted = {"updates": 0}
            stream.add_level_one_equity_handler(lambda message: counted.__setitem__(
                "updates", counted["updates"] + len(message["content"])))
            await stream.login()
            await stream.level_one_equity_subs(STREAM_SYMBOLS)
            try:
                return await _rate(stream.handle_message, counted, seconds)
            finally:
                await stream._socket.close()  # tda-api has no logout; the next stream may open once this one is gone

        async def ours() -> float:
            async with Stream(a, max_queue=100_000) as s:
                await s.subscribe("quotes", STREAM_SYMBOLS, fields=list(range(53)))
                counted = {"updates": 0}

                async def one() -> None:
                    message = await s.__anext__()
                    counted["updates"] += len(message["data"])

                return await _rate(one, counted, seconds)

        tda.streaming.ws_client.connect = plain
        _pin(0)
        try:
            them = asyncio.run(theirs())
            us_ = asyncio.run(ours())
        finally:
            tda.streaming.ws_client.connect = connect
            _unpin()
        version = getattr(tda, "__version__", "")
        return [(f"stream: tda-api {version} StreamClient, level-one updates handled (1 core, 50 symbols)",
                 f"{them:,.0f}/s over {seconds:.0f} s", ""),
                ("stream: pyTD, the same, one after the other", f"{us_:,.0f}/s over {seconds:.0f} s", ""),
                ("stream: pyTD / tda-api throughput", f"{us_ / them:.2f}", "≥ 1.5")]

    return _with_stream_server(0.0, True, work)


async def _rate(step: Callable[[], Any], counted: Dict[str, int], seconds: float) -> float:
    """Updates a second counted by ``step`` over ``seconds``, after a one-second warm-up."""
    begin = time.perf_counter()
    while time.perf_counter() - begin < 1.0:
        await step()
    counted["updates"], start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        await step()
    return counted["updates"] / (time.perf_counter() - start)


# -- output -------------------------------------------------------------------------------------------


def table(rows: List[Row]) -> str:
    headers = ("Measurement", "Result", "Goal")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(3)]
    rule = "  ".join("=" * w for w in widths)
    lines = [rule, "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(), rule]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines + [rule])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = [f"Python {platform.python_version()}", f"requests {requests.__version__}"]
    try:
        from importlib.metadata import version

        versions.append(f"tda-api {version('tda-api')}")
    except Exception:  # noqa: BLE001 - not installed
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores; {', '.join(versions)}"


def write_docs(rows: List[Row], command: str, seconds: float) -> None:
    page = f"""Performance
===========

What pyTD costs on top of the network, measured against the sandbox on loopback. Produced by::

    {command}

on {machine()}, in {seconds:.0f} s. Numbers are medians ± interquartile range.

{table(rows)}

How it is measured
------------------

- Per request: ``get_quotes("AAPL")`` through pyTD (DiskCache, so every request also checks the token file
  with one ``stat``; rate limiter off, measured separately) against the same request through a bare
  :class:`requests.Session` with the Bearer header, parsed as JSON too. The sandbox runs in another process,
  and the contenders alternate in blocks of 25 calls so that server noise affects them alike.
- Without the network: the same two calls with an adapter that answers at once with a canned quote, mounted under
  both, so that only the work above the adapter differs: pyTD's token check, request building, deadline, retry
  loop, reading and the typed-error check. On loopback, that difference drowns in the socket round trip's noise.
- tda-api: its ``Client.get_quotes`` with a session that rewrites its hard-wired base URL to the sandbox's.
- Trading: ``place_order`` (a market order, given as a dict, that fills at once) and ``get_positions`` of one
  account against the same POST (reading the id from ``Location``) and GET through a bare session, with the
  order limit off; the sandbox in another process, the contenders alternating in blocks of 25.
- Transactions: 10,000 transactions in each provider's shape (from the paper broker) to a DataFrame
  (``transactions_frame``, what ``get_transactions(..., output_format="pandas")`` does after the fetch); and the
  whole call against a TD sandbox holding 10,000 transactions.
- Imports: wall time of ``python -c "import X"`` minus ``python -c "pass"`` in fresh interpreters, interleaved.
  ``import pyTD`` does not import requests; ``import pyTD.api`` does.
- Login: from the browser's request to the callback server until the tokens are on disk, minus the token
  endpoint's round trip. About half of it is the callback server's loop noticing it should stop (it polls
  every 20 ms); the rest is the callback request itself and two atomic writes of the token file.
- Caches: one instance writes, a second (as another process would) reads. DiskCache writes take the file lock and
  fsync; RedisCache writes take the Redis lock (SET NX with a lease, a renewal thread, a release script) around a GET
  and a SET. Redis is a ``redis-server`` on loopback that the benchmark starts (``tests/redisserver.py``).
- Rate-limit stores: ``acquire()`` with room in the window: the process's deque; the ``machine`` store's SQLite write
  transaction; the Redis store's Lua script (one round trip).
- Concurrency: 8 processes find the access token expired at once, against a sandbox that rotates refresh tokens.
- Rate limiter: a client limited to 20 requests per 2 s against a sandbox answering 429 past that.
- Streaming throughput: the sandbox runs in another process, pinned to the second core; its streamer computes the
  first 64 ticks of 50 symbols' level-one quotes (change-only after the first, as the providers send them) once and
  then replays them as fast as the socket takes them, so the server outpaces the client. The client, pinned to one
  core, counts the records its ``async for`` receives: each frame decoded, every field named and converted (times
  to datetimes), merged into the per-symbol state and delivered through the bounded queue. The same run measures
  memory: the process's RSS after a one-second warm-up and at the end (``--stream-seconds``, 60 by default rather
  than 10 minutes, to keep the run short; RSS stays flat because the state holds one record per symbol and the
  queue is bounded).
- Streaming latency: 10 symbols, a frame every 10 ms (1,000 updates/s); the sandbox stamps each frame with the time
  it sends it (``exact_timestamps``, microseconds); the handler compares with ``time.time()``. The second row is
  pyTD's own share, from the moment websockets hands over the frame's text (a decoder that notes the time) to the
  handler; the rest is the sandbox's serialisation, the loopback socket and websockets' framing, all on a 2-core
  machine shared with other work, which is what sets the tail.
- tda-api's stream client (when ``tda-api`` is installed, as for this page: ``pip install tda-api``): its
  ``StreamClient`` logs in to the same replaying sandbox (its ``wss://`` rewritten to the sandbox's ``ws://``),
  subscribes the same 50 symbols with every field and counts the records its level-one handler receives, for 10 s
  after a warm-up; then pyTD's ``Stream`` does the same, on the same core. tda-api names the fields; pyTD also
  converts them (times to datetimes) and merges each update into the per-symbol state.

What the first runs found, and what changed
-------------------------------------------

- Every request took 44 ms, for pyTD and for raw requests alike: the sandbox writes a response's headers and
  body in two sends, and Nagle's algorithm held the second until the client's delayed ACK. The sandbox's
  handler now sets ``TCP_NODELAY`` (``disable_nagle_algorithm``): 0.55 ms a request, and the test suite runs
  in 40 s instead of 60 s.
- Login took 103 ms after the callback arrived, nearly all of it the callback server's loop, which polled every
  0.1 s before it noticed the shutdown. It now polls every 20 ms: 23 ms.
- ``import pyTD.api`` took 1.25 times as long as ``import requests``. Now :mod:`webbrowser` (with the
  :mod:`subprocess` and :mod:`shlex` it pulls in) is imported only when a browser is opened, the market-data
  modules when a market-data function is first used (``pyTD.get_quotes`` and ``api.get_quotes`` resolve on
  first access), and :class:`~pyTD.cache.KeyringCache` on first use. Fresh-interpreter timings vary by several
  milliseconds from run to run, so the ratio moves by a few hundredths.

Where the time goes
-------------------

The loopback round trip itself (``requests`` and ``http.server``) dominates. pyTD's own additions per request are
the token check (a ``stat`` of the cache file), building the URL and headers, the retry loop, the whole-request
deadline (one watchdog thread, a heap push per request) and the typed-error check of the response; profile with
``python -m cProfile -s cumtime benchmarks/run.py --rounds 4`` to see them.
"""
    with open(os.path.join(ROOT, "docs", "performance.rst"), "w") as f:
        f.write(page)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=24, help="interleaved rounds of 25 calls each (default 24)")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/performance.rst")
    parser.add_argument("--stream-seconds", type=float, default=60.0,
                        help="how long the streaming throughput and memory run lasts (default 60)")
    parser.add_argument("--only", help="run only the steps whose name contains this (e.g. stream)")
    args = parser.parse_args()
    if args.only and args.write_docs:
        parser.error("--write-docs writes the whole page: run every step (no --only)")
    begin = time.perf_counter()
    rows: List[Row] = []
    with tempfile.TemporaryDirectory(prefix="pyTD-bench-") as tmp, contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(RedisServer(os.path.join(tmp, "redis"))).url if installed() else None
        steps = [("request overhead", lambda: request_overhead(args.rounds, os.path.join(tmp, "overhead"))),
                 ("client cost", lambda: client_cost(3000, os.path.join(tmp, "canned"))),
                 ("trading overhead", lambda: trading_overhead(max(args.rounds // 2, 4), os.path.join(tmp, "trade"))),
                 ("transactions to pandas", lambda: transactions_conversion(20, os.path.join(tmp, "tx"))),
                 ("import time", lambda: imports(30)),
                 ("login", lambda: login(20, tmp)),
                 ("cache operations", lambda: cache_ops(300, tmp, redis_url)),
                 ("rate-limit stores", lambda: limiters(300, tmp, redis_url)),
                 ("concurrent refresh", lambda: concurrency(tmp)),
                 ("rate limiter", lambda: rate_limit(tmp)),
                 ("stream throughput and memory", lambda: stream_throughput(tmp, args.stream_seconds)),
                 ("stream latency", lambda: stream_latency(tmp, 10)),
                 ("stream vs tda-api", lambda: stream_tda(tmp))]
        for name, step in steps:
            if args.only and args.only not in name:
                continue
            progress(name)
            rows += step()
    seconds = time.perf_counter() - begin
    print(table(rows))
    print(f"\n{machine()}; {seconds:.0f} s")
    if args.write_docs:
        write_docs(rows, "python benchmarks/run.py --write-docs", seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
