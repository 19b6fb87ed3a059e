"""The token stores under stress: killed writers, racing threads and processes (disk and Redis), rotation."""

import multiprocessing
import os
import random
import signal
import threading
import time

import pytest

from pyTD.api import api
from pyTD.cache import DiskCache, RedisCache
from pyTD.cache.format import decode
from pyTD.sandbox import Sandbox
from pyTD.tokens import Token

from .conftest import CONSUMER_KEY, browser_for, client_options, get_quotes_raw, in_threads, need_redis_server
from .redisserver import RedisServer

fork = multiprocessing.get_context("fork")


def _write_forever(directory):
    cache = DiskCache(directory)
    i = 0
    while True:
        i += 1
        cache.refresh_token = Token(f"version-{i}", float(i), 7776000)


def test_a_writer_killed_at_random_never_leaves_a_partial_file(tmp_path):
    """200 writers killed with SIGKILL at random moments; a reader decodes every version it sees."""
    directory = str(tmp_path / "cache")
    DiskCache(directory)
    path = os.path.join(directory, "tokens.json")
    seen, problems, stop = [], [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                refresh = decode(open(path, "rb").read())[1]
                seen.append(0 if refresh is None else int(refresh.token.split("-")[1]))
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                problems.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    rng = random.Random(1234)
    survivors = []
    try:
        for _ in range(200):
            writer = fork.Process(target=_write_forever, args=(directory,))
            writer.start()
            time.sleep(rng.uniform(0, 0.02))
            os.kill(writer.pid, signal.SIGKILL)
            writer.join()
            refresh = DiskCache(directory).refresh_token  # whole after every kill: old or new, never partial
            assert refresh is None or refresh.token.startswith("version-")
            survivors.append(refresh)
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert len(seen) > 100 and any(survivors)
    # a killed writer may leave its temporary file; nothing else appears
    assert {n for n in os.listdir(directory) if not n.startswith(".tokens.json.")} == {"tokens.json",
                                                                                      "tokens.json.lock"}


@pytest.fixture(params=["disk", "redis"])
def store(request, tmp_path):
    """Where the racing clients keep their tokens: None (the disk cache) or a Redis URL."""
    if request.param == "disk":
        yield None
        return
    need_redis_server()
    with RedisServer(tmp_path / "redis") as server:
        yield server.url


def _client(args):
    config_dir, auth_url, api_url, callback_url, redis_url, provider = args
    return api(CONSUMER_KEY, callback_url, config_dir=config_dir, auth_url=auth_url, api_url=api_url,
               cache=RedisCache(redis_url) if redis_url else None, **client_options(provider))


def _race(args):
    return sorted(get_quotes_raw(_client(args)))


def _expire_access(cache, age_refresh):
    """Make the access token expired; with ``age_refresh``, the refresh token within 7 days of expiry, so that
    the refresh asks for a new refresh token too (and a rotating server retires the old one)."""
    access, refresh = cache.access_token, cache.refresh_token
    cache.access_token = Token(access.token, access.access_time - 3600, access.expires_in)
    if age_refresh:
        cache.refresh_token = Token(refresh.token, refresh.access_time - 7776000 + 86400, refresh.expires_in)
    return refresh.token


@pytest.fixture(params=[True, False], ids=["rotating", "not-rotating"])
def race(request, store, config_dir, callback_url, provider):
    """A logged-in sandbox (rotating refresh tokens or not) and the arguments of a racing client.

    TD rotates a refresh token when a refresh asks for a new one (near its expiry); the Schwab sandbox,
    told to rotate, issues a new string at every refresh (with the login's 7-day end).
    """
    with Sandbox(provider=provider, auto_approve=True, rotate_refresh_tokens=request.param) as sb:
        args = (config_dir, sb.auth_url, sb.api_url, callback_url, store, provider)
        client = _client(args)
        client.login(open_browser=browser_for(client), timeout=10)
        old_refresh = _expire_access(client.cache, age_refresh=request.param and provider == "td")
        sb.clear_requests()
        yield sb, args, client.cache, request.param, old_refresh


def test_eight_processes_refresh_once(race):
    sb, args, cache, rotating, old_refresh = race
    with fork.Pool(8) as pool:
        results = pool.map(_race, [args] * 8)
    assert results == [["AAPL"]] * 8
    (refresh,) = sb.token_requests
    assert refresh.form.get("access_type") == ("offline" if rotating and sb.provider == "td" else None)
    assert (cache.refresh_token.token != old_refresh) is rotating
    assert cache.access_token.valid


def test_sixteen_threads_with_their_own_clients_refresh_once(race):
    sb, args, *_ = race
    results, errors = in_threads(16, lambda: _race(args))
    assert errors == [] and results == [["AAPL"]] * 16
    assert len(sb.token_requests) == 1
