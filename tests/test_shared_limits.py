"""One rate limit shared by many processes: the "machine" store (SQLite) and a Redis store, against a real
redis-server and a sandbox that enforces the limit itself."""

import multiprocessing
import os
import stat
import time

import pytest

from pyTD.api import api
from pyTD.exceptions import ConfigurationError, RateLimitError, StoreError
from pyTD.ratelimit import MARGIN, RateLimiter, shared_limiter
from pyTD.ratelimit.machine import MachineLimiter
from pyTD.ratelimit.rediswindow import RedisLimiter
from pyTD.sandbox import HeadlessBrowser, Sandbox

from .conftest import need_redis_server, td_only
from .redisserver import RedisServer

fork = multiprocessing.get_context("fork")
KEY = "LIMITKEY"
MARKETDATA = "/v1/marketdata"


@pytest.fixture(params=["machine", "redis"])
def store(request, tmp_path):
    """A shared store: ``"machine"`` or the URL of a fresh redis-server."""
    if request.param == "machine":
        yield "machine"
        return
    need_redis_server()
    with RedisServer(tmp_path / "redis") as server:
        yield server.url


def _take_slots(store, directory, barrier, results, attempts):
    limiter = shared_limiter(KEY, 30, 60, store, directory)
    barrier.wait()
    results.put(sum(limiter._take(60 * MARGIN) == 0 for _ in range(attempts)))


def test_processes_together_take_exactly_the_limit(store, config_dir):
    """4 processes x 25 attempts at once, 30 slots: exactly 30 are granted (check-and-record is atomic)."""
    barrier, results = fork.Barrier(4), fork.Queue()
    processes = [fork.Process(target=_take_slots, args=(store, config_dir, barrier, results, 25)) for _ in range(4)]
    for process in processes:
        process.start()
    taken = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join()
    assert sum(taken) == 30 and max(taken) < 30  # and more than one process got some
    assert shared_limiter(KEY, 30, 60, store, config_dir)._take(60 * MARGIN) > 59  # the window is full


def test_a_full_window_waits_and_says_how_long(store, config_dir):
    limiter = shared_limiter(KEY, 2, 0.3, store, config_dir)
    assert limiter.acquire() == 0.0 and limiter.acquire() == 0.0
    waited = limiter.acquire()
    assert 0.25 < waited < 0.6


def _hammer(args):
    store, config_dir, auth_url, api_url, callback_url, start_at, count = args
    client = api(KEY, callback_url, config_dir=config_dir, auth_url=auth_url, api_url=api_url, rate_limit="20/2",
                 rate_limit_store=store, retry_count=0)
    time.sleep(max(0.0, start_at - time.time()))
    refused, answered = 0, []
    for _ in range(count):
        try:
            client.get_quotes("AAPL")
        except RateLimitError:
            refused += 1
        answered.append(time.time())
    return refused, answered


def hammer(store, config_dir, callback_url, processes=4, each=20):
    """``processes`` clients of one app send ``each`` quote requests as fast as their limiter lets them, against
    a sandbox answering 429 past 20 requests in 2 s. Returns (429s, requests served, the times of the answers)."""
    with Sandbox(auto_approve=True, rate_limit=20, rate_window=2) as sb:
        first = api(KEY, callback_url, config_dir=config_dir, auth_url=sb.auth_url, api_url=sb.api_url)
        first.login(open_browser=HeadlessBrowser(), timeout=10)  # the others find its tokens on disk
        start_at = time.time() + 1.0
        args = (store, config_dir, sb.auth_url, sb.api_url, callback_url, start_at, each)
        with fork.Pool(processes) as pool:
            results = pool.map(_hammer, [args] * processes)
        served = sum(r.path.startswith(MARKETDATA) for r in sb.requests)
    return sum(refused for refused, _ in results), served, sorted(t for _, times in results for t in times)


@td_only  # its subject is the store, not the provider
def test_processes_sharing_a_store_stay_under_the_servers_limit_and_use_it(store, config_dir, callback_url):
    refused, served, answered = hammer(store, config_dir, callback_url)
    assert refused == 0 and served == 80
    # The first 20 go at once; at the limit, the other 60 follow within 3 windows (the 20th answer to the 80th).
    elapsed = answered[-1] - answered[19]
    assert 3 * 2 / elapsed >= 0.95, f"{elapsed:.2f} s for the last 60 requests: {60 / elapsed:.2f}/s"


@td_only  # its subject is the store, not the provider
def test_without_a_shared_store_the_same_processes_get_429s(config_dir, callback_url):
    """The control: each process limiting only itself sends 20 at once, and the server refuses most."""
    refused, _, _ = hammer("process", config_dir, callback_url)
    assert refused >= 40


def test_the_machine_store_is_private(config_dir):
    limiter = shared_limiter(KEY, 5, 1, "machine", config_dir)
    limiter.acquire()
    assert stat.S_IMODE(os.stat(config_dir).st_mode) == 0o700
    files = [name for name in os.listdir(config_dir) if name.startswith("ratelimit")]
    assert "ratelimit.sqlite3" in files
    for name in files:
        assert stat.S_IMODE(os.stat(os.path.join(config_dir, name)).st_mode) == 0o600, name


def test_store_failures_are_store_errors(tmp_path):
    need_redis_server()
    server = RedisServer(tmp_path / "redis", password="pw-secret").start()
    limiter = shared_limiter(KEY, 5, 1, server.url)
    limiter.acquire()
    server.stop()
    with pytest.raises(StoreError) as info:
        limiter.acquire()
    assert f"redis://:***@127.0.0.1:{server.port}/0" in str(info.value) and "pw-secret" not in str(info.value)
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(StoreError, match="Cannot create the rate-limit store"):
        shared_limiter(KEY, 5, 1, "machine", str(blocked / "config"))


@td_only  # its subject is the store, not the provider
def test_rate_limit_store_from_argument_and_environment(monkeypatch, redis_server, config_dir, callback_url):
    def limiter(**kwargs):
        return api(KEY, callback_url, config_dir=config_dir, rate_limit="20/2", **kwargs).transport.limiter

    assert isinstance(limiter(), RateLimiter)
    assert isinstance(limiter(rate_limit_store="machine"), MachineLimiter)
    assert limiter(rate_limit_store="machine") is limiter(rate_limit_store="MACHINE")  # one per process
    monkeypatch.setenv("TD_RATE_STORE", redis_server.url)
    assert isinstance(limiter(), RedisLimiter) and isinstance(limiter(rate_limit_store="process"), RateLimiter)
    monkeypatch.setenv("TD_RATE_STORE", "redis")
    monkeypatch.setenv("TD_REDIS_URL", redis_server.url)
    assert limiter().url == redis_server.url and limiter().key.startswith("pyTD:ratelimit:")
    assert KEY not in limiter().key
    for bad in ("cluster", "http://host/", "rediss//:pw@host"):
        monkeypatch.setenv("TD_RATE_STORE", bad)
        with pytest.raises(ConfigurationError, match="TD_RATE_STORE") as info:
            limiter()
        assert "pw" not in str(info.value)
