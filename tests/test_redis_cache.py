"""RedisCache against a real redis-server: the format, corrupt values, the lock and its lease, outages."""

import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest
import redis

from pyTD.api import api, token_key
from pyTD.cache import RedisCache
from pyTD.cli import main
from pyTD.exceptions import CacheError, ConfigurationError
from pyTD.redisdb import redact
from pyTD.sandbox import HeadlessBrowser, Sandbox
from pyTD.tokens import Token

from .conftest import CONSUMER_KEY, need_redis_server, td_only
from .redisserver import RedisServer

fork = multiprocessing.get_context("fork")
ACCESS = Token("access+/=secret", time.time(), 1800)
REFRESH = Token("refresh+/=secret", time.time(), 7776000)
PASSWORD = "s3cret-pass"  # noqa: S105 - the test server's


def raw(server):
    return redis.Redis.from_url(server.url)


def test_tokens_are_one_value_in_the_disk_cache_format(redis_server):
    cache = RedisCache(redis_server.url, "app")
    assert cache.access_token is None and cache.refresh_token is None
    cache.access_token, cache.refresh_token = ACCESS, REFRESH
    doc = json.loads(raw(redis_server).get("app"))
    assert doc["version"] == 1 and doc["access_token"]["token"] == ACCESS.token
    again = RedisCache(redis_server.url, "app")
    assert (again.access_token, again.refresh_token) == (ACCESS, REFRESH)
    assert RedisCache(redis_server.url, "other").access_token is None
    for text in (repr(again), str(again)):
        assert ACCESS.token not in text and REFRESH.token not in text and "'app'" in text
    again.clear()
    assert cache.access_token is None and cache.refresh_token is None


def test_url_comes_from_the_argument_the_environment_or_a_client(redis_server, monkeypatch):
    RedisCache(redis_server.url, "k").refresh_token = REFRESH
    monkeypatch.setenv("TD_REDIS_URL", redis_server.url)
    assert RedisCache(key="k").refresh_token == REFRESH
    mine = redis.Redis("127.0.0.1", redis_server.port)
    cache = RedisCache(key="k", client=mine)
    assert cache.refresh_token == REFRESH
    assert cache.url == f"redis://127.0.0.1:{redis_server.port}/0"


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379", "redis://:pw@host:notaport/0"])
def test_a_bad_url_is_a_configuration_error_without_its_password(url):
    with pytest.raises(ConfigurationError) as info:
        RedisCache(url)
    assert "pw" not in str(info.value)


@pytest.mark.parametrize("url,shown", [
    ("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
    ("rediss://user:p:w@host/1", "rediss://user:***@host/1"),
    ("redis://user:p@ss@host/0", "redis://user:***@host/0"),
    ("redis://host/0?password=pw&db=1", "redis://host/0?password=***&db=1"),
    ("unix:///run/redis.sock?password=pw", "unix:///run/redis.sock?password=***"),
    ("rediss//:pw@host", "rediss//:***@host"),
    ("redis://user@host:6379/0", "redis://user@host:6379/0"),
])
def test_urls_are_shown_without_their_password(url, shown):
    assert redact(url) == shown


def test_a_corrupt_value_is_set_aside_with_a_warning(redis_server, caplog):
    r = raw(redis_server)
    cache = RedisCache(redis_server.url, "app")
    for _ in range(2):
        r.set("app", b'{"version": 1, "access_token": {"token": tru')
        with caplog.at_level(logging.WARNING, logger="pyTD"):
            assert cache.access_token is None
        assert "could not be decoded" in caplog.text and "app:corrupt-" in caplog.text
        cache.refresh_token = REFRESH  # usable again at once
        assert cache.refresh_token == REFRESH
    aside = sorted(k.decode() for k in r.keys("app:corrupt-*"))
    assert len(aside) == 2  # the second never overwrote the first
    assert all(r.get(k).startswith(b'{"version": 1, "access_token"') for k in aside)
    assert REFRESH.token not in caplog.text


def test_a_newer_format_is_a_cache_error_and_left_alone(redis_server):
    r = raw(redis_server)
    r.set("app", json.dumps({"version": 99, "access_token": None, "refresh_token": None}))
    with pytest.raises(CacheError, match="format version 99"):
        RedisCache(redis_server.url, "app").access_token  # noqa: B018 - the read raises
    assert json.loads(r.get("app"))["version"] == 99


def test_unreachable_redis_is_a_cache_error_naming_the_url_without_the_password(tmp_path):
    need_redis_server()
    server = RedisServer(tmp_path / "redis", password=PASSWORD).start()
    cache = RedisCache(server.url, "app", lock_timeout=1)
    cache.refresh_token = REFRESH
    server.stop()
    shown = f"redis://:***@127.0.0.1:{server.port}/0"
    for use in (lambda: cache.access_token, lambda: setattr(cache, "access_token", ACCESS), cache.clear):
        with pytest.raises(CacheError) as info:
            use()
        assert shown in str(info.value) and PASSWORD not in str(info.value)
    assert PASSWORD not in repr(cache) and shown in repr(cache)


def test_a_wrong_password_is_a_cache_error_without_the_password(tmp_path):
    need_redis_server()
    with RedisServer(tmp_path / "locked", password=PASSWORD) as server:
        wrong = server.url.replace(PASSWORD, "not-" + PASSWORD)
        with pytest.raises(CacheError) as info:
            RedisCache(wrong, "app").access_token  # noqa: B018 - the read raises
    assert "redis://:***@" in str(info.value) and PASSWORD not in str(info.value)


def test_lock_is_reentrant_and_excludes_other_processes(redis_server):
    cache = RedisCache(redis_server.url, "app", lock_timeout=5)
    code = ("import sys; from pyTD.cache import RedisCache\n"
            "with RedisCache(sys.argv[1], 'app', lock_timeout=float(sys.argv[2])).lock(): pass")

    def other_process_locks(timeout):
        return subprocess.run([sys.executable, "-c", code, redis_server.url, str(timeout)],
                              capture_output=True, text=True)

    with cache.lock():
        with cache.lock():  # pyTD's api takes it again inside a refresh
            cache.refresh_token = REFRESH  # and the setter once more
        blocked = other_process_locks(0.3)
        assert blocked.returncode != 0 and "Timed out after 0.3 s" in blocked.stderr
    assert other_process_locks(5).returncode == 0
    assert raw(redis_server).exists("app:lock") == 0


def test_a_live_holder_keeps_the_lock_beyond_its_lease(redis_server):
    holder = RedisCache(redis_server.url, "app", lease=0.3)
    other = RedisCache(redis_server.url, "app", lock_timeout=0.2)
    with holder.lock():
        time.sleep(1.0)  # three leases: renewed every 0.1 s
        with pytest.raises(CacheError, match="Timed out"):
            with other.lock():
                pass
    with other.lock():
        pass


def _hold_the_lock(url, key, lease, ready):
    cache = RedisCache(url, key, lease=lease)
    with cache.lock():
        ready.set()
        time.sleep(60)


def _race(args):
    redis_url, auth_url, api_url, callback_url = args
    client = api(CONSUMER_KEY, callback_url, cache=RedisCache(redis_url), auth_url=auth_url, api_url=api_url)
    quote = client.request("GET", "/marketdata/quotes", params={"symbol": "AAPL"})
    return sorted(quote), time.monotonic()


@td_only  # its subject is the store, not the provider
def test_a_holder_killed_while_holding_the_lock_blocks_the_others_only_for_the_lease(redis_server, callback_url):
    lease = 1.5
    with Sandbox(auto_approve=True, rotate_refresh_tokens=True) as sb:
        client = api(CONSUMER_KEY, callback_url, cache=RedisCache(redis_server.url), auth_url=sb.auth_url,
                     api_url=sb.api_url)
        client.login(open_browser=HeadlessBrowser(), timeout=10)
        access = client.cache.access_token
        client.cache.access_token = Token(access.token, access.access_time - 3600, access.expires_in)
        sb.clear_requests()
        ready = fork.Event()
        holder = fork.Process(target=_hold_the_lock, args=(redis_server.url, client.cache.key, lease, ready))
        holder.start()
        assert ready.wait(10)
        os.kill(holder.pid, signal.SIGKILL)
        killed = time.monotonic()
        holder.join()
        with fork.Pool(4) as pool:
            results = pool.map(_race, [(redis_server.url, sb.auth_url, sb.api_url, callback_url)] * 4)
    assert [quote for quote, _ in results] == [["AAPL"]] * 4
    served = [at - killed for _, at in results]
    # The lease was renewed every lease/3 until the kill: at least 2/3 of it was left, and nothing more.
    assert lease * 2 / 3 - 0.1 <= min(served) and max(served) < lease + 3
    assert len(sb.token_requests) == 1


@td_only  # its subject is the store, not the provider
def test_redis_stopped_mid_run_raises_cache_error_and_keeps_the_tokens(tmp_path, callback_url):
    need_redis_server()
    server = RedisServer(tmp_path / "redis", persist=True, password=PASSWORD).start()
    try:
        with Sandbox(auto_approve=True) as sb:
            client = api(CONSUMER_KEY, callback_url, cache=RedisCache(server.url), auth_url=sb.auth_url,
                         api_url=sb.api_url)
            client.login(open_browser=HeadlessBrowser(), timeout=10)
            tokens = (client.cache.access_token, client.cache.refresh_token)
            for _ in range(3):
                client.get_quotes("AAPL")
            server.stop()
            with pytest.raises(CacheError) as info:
                client.get_quotes("AAPL")
            assert f"redis://:***@127.0.0.1:{server.port}/0" in str(info.value)
            assert PASSWORD not in str(info.value)
            sb.expire_access_tokens()  # a refresh while Redis is down fails the same way, deleting nothing
            with pytest.raises(CacheError):
                client.refresh()
            server.start()  # same port, same append-only file
            assert (client.cache.access_token, client.cache.refresh_token) == tokens
            assert "AAPL" in client.get_quotes("AAPL")  # the 401 refreshes with the kept refresh token
    finally:
        server.stop()


@td_only  # its subject is the store, not the provider
def test_td_cache_redis_selects_it_without_code_changes(redis_server, monkeypatch, config_dir, callback_url):
    monkeypatch.setenv("TD_CACHE", "redis")
    monkeypatch.setenv("TD_REDIS_URL", redis_server.url)
    with Sandbox(auto_approve=True) as sb:
        client = api(CONSUMER_KEY, callback_url, config_dir=config_dir, auth_url=sb.auth_url, api_url=sb.api_url)
        assert isinstance(client.cache, RedisCache)
        assert client.cache.key == token_key(client.client_id) and CONSUMER_KEY not in client.cache.key
        client.login(open_browser=HeadlessBrowser(), timeout=10)
        assert "AAPL" in client.get_quotes("AAPL")
    assert json.loads(raw(redis_server).get(client.cache.key))["refresh_token"]
    assert not os.path.exists(config_dir)  # nothing on disk
    monkeypatch.delenv("TD_CACHE")
    assert isinstance(api(CONSUMER_KEY, callback_url, cache="redis", config_dir=config_dir).cache, RedisCache)


@td_only  # its subject is the store, not the provider
def test_an_unnamed_cache_is_named_after_the_consumer_key(redis_server, callback_url):
    unnamed, named = RedisCache(redis_server.url), RedisCache(redis_server.url, "mine")
    assert api(CONSUMER_KEY, callback_url, cache=unnamed).cache.key == token_key(CONSUMER_KEY + "@AMER.OAUTHAP")
    assert api("OTHERKEY", callback_url, cache=RedisCache(redis_server.url)).cache.key != unnamed.key
    assert api(CONSUMER_KEY, callback_url, cache=named).cache.key == "mine"
    assert RedisCache(redis_server.url).name == "pyTD:tokens"


def test_import_pytd_never_imports_redis():
    code = ("import sys, pyTD, pyTD.api, pyTD.cache, pyTD.ratelimit; from pyTD.cache import RedisCache;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'redis'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_without_redis_py_the_error_names_the_extra():
    code = ("import sys; sys.modules['redis'] = None\n"
            "from pyTD.cache import RedisCache\n"
            "try:\n    RedisCache('redis://localhost:1/0')\n"
            "except ImportError as exc:\n    print(exc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'pytd-client[redis]'" in out


@td_only  # its subject is the store, not the provider
def test_the_command_line_logs_in_to_redis_from_the_environment(tmp_path, monkeypatch, sandbox, callback_url,
                                                                  capsys):
    import webbrowser

    need_redis_server()
    with RedisServer(tmp_path / "redis", password=PASSWORD) as server:
        for name, value in {"TD_CONSUMER_KEY": CONSUMER_KEY, "TD_CALLBACK_URL": callback_url,
                            "TD_AUTH_URL": sandbox.auth_url, "TD_API_URL": sandbox.api_url,
                            "TD_CACHE": "redis", "TD_REDIS_URL": server.url}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(webbrowser, "open", HeadlessBrowser())
        assert main(["login"]) == 0 and main(["status"]) == 0
        assert raw(server).get(api().cache.key)
    out = capsys.readouterr().out
    assert f"Cache: RedisCache (redis://:***@127.0.0.1:{server.port}/0)" in out and PASSWORD not in out
    assert "refresh token: valid until" in out
