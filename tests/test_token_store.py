"""The token store under stress: killed writers, racing threads and processes, rotation."""

import json
import multiprocessing
import os
import random
import signal
import threading
import time

import pytest

from pyTD.api import api
from pyTD.auth.tokens import Token
from pyTD.cache import DiskCache
from pyTD.cache.format import decode
from pyTD.sandbox import HeadlessBrowser, Sandbox

from .conftest import CONSUMER_KEY, in_threads

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


def _race(args):
    config_dir, auth_url, api_url, callback_url = args
    client = api(CONSUMER_KEY, callback_url, config_dir=config_dir, auth_url=auth_url, api_url=api_url)
    return sorted(client.request("GET", "/marketdata/quotes", params={"symbol": "AAPL"}))


def _expire_access_and_age_refresh(config_dir):
    cache = DiskCache(config_dir, api(CONSUMER_KEY, "http://127.0.0.1:1/", config_dir=config_dir).cache.filename)
    access, refresh = cache.access_token, cache.refresh_token
    cache.access_token = Token(access.token, access.access_time - 3600, access.expires_in)
    # within 7 days of expiry: the refresh asks for a new refresh token, and the server rotates
    cache.refresh_token = Token(refresh.token, refresh.access_time - 7776000 + 86400, refresh.expires_in)
    return refresh.token


@pytest.fixture
def rotating(config_dir, callback_url):
    with Sandbox(auto_approve=True, rotate_refresh_tokens=True) as sb:
        client = api(CONSUMER_KEY, callback_url, config_dir=config_dir, auth_url=sb.auth_url, api_url=sb.api_url)
        client.login(open_browser=HeadlessBrowser(), timeout=10)
        yield sb, (config_dir, sb.auth_url, sb.api_url, callback_url)


def test_eight_processes_refresh_once(rotating):
    sb, args = rotating
    old_refresh = _expire_access_and_age_refresh(args[0])
    sb.clear_requests()
    with fork.Pool(8) as pool:
        results = pool.map(_race, [args] * 8)
    assert results == [["AAPL"]] * 8
    (refresh,) = sb.token_requests
    assert refresh.form["access_type"] == "offline"
    stored = json.load(open(os.path.join(args[0], api(CONSUMER_KEY, args[3], config_dir=args[0]).cache.filename)))
    assert stored["refresh_token"]["token"] != old_refresh


def test_sixteen_threads_with_their_own_clients_refresh_once(rotating):
    sb, args = rotating
    _expire_access_and_age_refresh(args[0])
    sb.clear_requests()
    results, errors = in_threads(16, lambda: _race(args))
    assert errors == [] and results == [["AAPL"]] * 16
    assert len(sb.token_requests) == 1
