"""Shared fixtures: a clean environment, a sandbox on loopback, and a client pointed at it."""

import os
import threading

import pytest

from pyTD import ratelimit, redisdb
from pyTD.api import api
from pyTD.sandbox import HeadlessBrowser, Sandbox
from pyTD.sandbox.ports import free_port

from . import redisserver

CONSUMER_KEY = "TESTKEY12345"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No TD_* variable leaks in, and nothing can reach the user's real config directory."""
    for name in list(os.environ):
        if name.startswith("TD_") or name == "BROWSER":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    # Each test starts with a fresh per-key rate limiter: the suite's requests add up otherwise.
    monkeypatch.setattr(ratelimit, "_shared", {})
    monkeypatch.setattr(redisdb, "_clients", {})  # each test's Redis server is new


def need_redis_server():
    """Skip when redis-server is not installed; fail instead where it must be (CI sets PYTD_REQUIRE_REDIS=1)."""
    if not redisserver.installed():
        why = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("PYTD_REQUIRE_REDIS"):
            pytest.fail(f"{why}, and PYTD_REQUIRE_REDIS is set")
        pytest.skip(why)


@pytest.fixture
def redis_server(tmp_path):
    """A fresh redis-server on a free port, killed after the test."""
    need_redis_server()
    with redisserver.RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def config_dir(tmp_path):
    return str(tmp_path / "config")


@pytest.fixture
def sandbox():
    with Sandbox(auto_approve=True) as sb:
        yield sb


@pytest.fixture
def callback_url():
    return f"http://127.0.0.1:{free_port()}/callback"


@pytest.fixture
def make_client(sandbox, config_dir, callback_url):
    """Build clients pointed at the sandbox; keyword arguments override the defaults."""

    def make(**kwargs):
        options = dict(config_dir=config_dir, auth_url=sandbox.auth_url, api_url=sandbox.api_url,
                       pause=0.01)
        options.update(kwargs)
        return api(options.pop("consumer_key", CONSUMER_KEY), options.pop("callback_url", callback_url),
                   **options)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def logged_in(client):
    client.login(open_browser=HeadlessBrowser(), timeout=10)
    return client


def in_threads(count, work):
    """Run ``work()`` in ``count`` threads at once; return (results, errors)."""
    results, errors = [], []

    def run():
        try:
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - collected for the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
