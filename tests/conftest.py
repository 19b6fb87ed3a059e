"""Shared fixtures: a clean environment, a sandbox on loopback, and a client pointed at it."""

import os
import threading
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from pyTD import ratelimit, redisdb
from pyTD.api import api
from pyTD.sandbox import HeadlessBrowser, Sandbox
from pyTD.sandbox.ports import free_port

from . import redisserver

CONSUMER_KEY = "TESTKEY12345"
CLIENT_SECRET = "TESTSECRET0123456789"  # noqa: S105 - the sandbox's app secret
PROVIDERS = ["td", "schwab"]

# Runs a test on TD only (it checks what only TD does); every other test runs on both providers.
td_only = pytest.mark.parametrize("provider", ["td"])
schwab_only = pytest.mark.parametrize("provider", ["schwab"])


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


@pytest.fixture(params=PROVIDERS)
def provider(request):
    """The provider a test runs against: each test runs once per provider unless it says otherwise."""
    return request.param


# Where each sandbox serves what: paths the client sends (relative to api_url) and paths the server sees.
WIRE = {
    "td": SimpleNamespace(quotes="/marketdata/quotes", symbols="symbol", served="/v1/marketdata/quotes",
                          marketdata="/v1/marketdata", token="/v1/oauth2/token", prefix="/v1"),
    "schwab": SimpleNamespace(quotes="/marketdata/v1/quotes", symbols="symbols", served="/marketdata/v1/quotes",
                              marketdata="/marketdata/v1", token="/v1/oauth/token", prefix=""),
}


@pytest.fixture
def wire(provider):
    """The provider's paths and parameter names (see WIRE)."""
    return WIRE[provider]


def get_quotes_raw(client, symbols="AAPL"):
    """A quote request through ``client.request``, in the client's provider's words."""
    paths = WIRE[client.provider]
    return client.request("GET", paths.quotes, params={paths.symbols: symbols})


@pytest.fixture
def sandbox(provider):
    with Sandbox(provider=provider, auto_approve=True) as sb:
        yield sb


def bearer_headers(sb, key="RAWKEY", secret="raw-secret"):
    """Log in to an auto-approving sandbox without pyTD; the Authorization header of the access token."""
    schwab = sb.provider == "schwab"
    callback = "https://127.0.0.1:8182" if schwab else "http://127.0.0.1:8080/cb"
    client_id = key if schwab else key + "@AMER.OAUTHAP"
    location = requests.get(sb.auth_url, params={"response_type": "code", "client_id": client_id,
                                                 "redirect_uri": callback},
                            allow_redirects=False, timeout=5).headers["Location"]
    form = {"grant_type": "authorization_code", "code": parse_qs(urlsplit(location).query)["code"][0],
            "redirect_uri": callback}
    if schwab:
        answer = requests.post(sb.token_url, data=form, auth=(key, secret), timeout=5)
    else:
        answer = requests.post(sb.token_url, data={**form, "client_id": client_id, "access_type": "offline"},
                               timeout=5)
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


def callback_for(provider):
    """A free callback URL of the kind the provider accepts (Schwab: https on 127.0.0.1)."""
    port = free_port()
    return f"https://127.0.0.1:{port}" if provider == "schwab" else f"http://127.0.0.1:{port}/callback"


@pytest.fixture
def callback_url(provider):
    return callback_for(provider)


def client_options(provider):
    """The provider and, where it needs one, the app secret."""
    return {"provider": provider, **({"client_secret": CLIENT_SECRET} if provider == "schwab" else {})}


@pytest.fixture
def make_client(sandbox, config_dir, callback_url, provider):
    """Build clients pointed at the sandbox; keyword arguments override the defaults."""

    def make(**kwargs):
        options = dict(config_dir=config_dir, auth_url=sandbox.auth_url, api_url=sandbox.api_url,
                       pause=0.01, **client_options(provider))
        options.update(kwargs)
        return api(options.pop("consumer_key", CONSUMER_KEY), options.pop("callback_url", callback_url),
                   **options)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


def browser_for(client, **kwargs):
    """A headless browser that trusts the client's self-signed callback certificate (for https callbacks)."""
    if client.callback_url.startswith("https:"):
        kwargs.setdefault("verify", os.path.join(client.config_dir, "localhost-cert.pem"))
    return HeadlessBrowser(**kwargs)


@pytest.fixture
def logged_in(client):
    client.login(open_browser=browser_for(client), timeout=10)
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
