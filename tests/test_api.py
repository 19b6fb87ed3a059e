"""The api object against the sandbox: requests, refresh, 401 handling, errors, secrecy."""

import io
import logging
import webbrowser

import pytest

from pyTD.cache import MemCache
from pyTD.exceptions import (
    AuthorizationError,
    ClientError,
    ReauthorizationRequired,
    ResourceNotFound,
    ServerError,
    TDConnectionError,
    ValidationError,
)
from pyTD.sandbox.ports import free_port
from pyTD.tokens import Token

from .conftest import WIRE, browser_for, get_quotes_raw, in_threads, td_only


def age(token, seconds):
    """The same token, issued `seconds` earlier."""
    return Token(token.token, token.access_time - seconds, token.expires_in)


def quote(client, symbol="AAPL"):
    return get_quotes_raw(client, symbol)


def test_request_sends_the_bearer_token_and_returns_json(logged_in, sandbox, wire):
    sandbox.clear_requests()
    assert quote(logged_in, "MSFT")["MSFT"]["symbol"] == "MSFT"
    (sent,) = sandbox.requests
    assert (sent.method, sent.path, sent.query) == ("GET", wire.served, {wire.symbols: "MSFT"})
    assert sent.headers["Authorization"] == "Bearer " + logged_in.access_token


def test_request_path_must_be_relative(logged_in):
    with pytest.raises(ValueError, match="relative"):
        logged_in.request("GET", "https://evil.example/steal")


def test_access_token_is_refreshed_60_seconds_before_expiry(logged_in, sandbox):
    old = logged_in.cache.access_token
    logged_in.cache.access_token = age(old, 1800 - 59)  # 59 s left
    sandbox.clear_requests()
    quote(logged_in)
    (refresh,) = sandbox.token_requests
    assert refresh.form["grant_type"] == "refresh_token"
    assert "access_type" not in refresh.form  # the refresh token has 90 days left
    assert logged_in.access_token != old.token and logged_in.access_valid


def test_token_with_more_than_60_seconds_left_is_used_as_is(logged_in, sandbox):
    logged_in.cache.access_token = age(logged_in.cache.access_token, 1800 - 120)
    sandbox.clear_requests()
    quote(logged_in)
    assert sandbox.token_requests == []


def test_a_401_refreshes_once_and_retries(logged_in, sandbox, wire):
    sandbox.expire_access_tokens()
    sandbox.clear_requests()
    assert "AAPL" in quote(logged_in)
    assert len(sandbox.token_requests) == 1
    assert [r.path for r in sandbox.requests].count(wire.served) == 2


def test_a_persistent_401_is_raised_after_one_refresh(logged_in, sandbox, wire):
    sandbox.fail_next(2, status=401, body='{"error": "Unauthorized"}', path=wire.marketdata)
    sandbox.clear_requests()
    with pytest.raises(ClientError) as info:
        quote(logged_in)
    assert info.value.status == 401 and "Unauthorized" in str(info.value)
    assert len(sandbox.token_requests) == 1


@td_only
def test_refresh_asks_for_a_new_refresh_token_within_7_days_of_expiry(logged_in, sandbox):
    old_refresh = logged_in.refresh_token
    logged_in.cache.refresh_token = age(logged_in.cache.refresh_token, 7776000 - 6 * 86400)
    sandbox.clear_requests()
    logged_in.refresh()
    (sent,) = sandbox.token_requests
    assert sent.form["access_type"] == "offline"
    assert logged_in.refresh_token != old_refresh
    assert logged_in.cache.refresh_token.expires_in == 7776000
    assert not logged_in.cache.refresh_token.expires_within(80 * 86400)


def test_rejected_refresh_token_requires_reauthorization_and_clears_the_cache(logged_in, sandbox):
    sandbox.revoke_refresh_tokens()
    with pytest.raises(ReauthorizationRequired, match="pyTD login"):
        logged_in.refresh()
    assert logged_in.access_token is None and logged_in.refresh_token is None
    assert not logged_in.auth_valid


def test_refresh_without_refresh_token(client):
    with pytest.raises(ReauthorizationRequired):
        client.refresh()


@pytest.mark.parametrize("status,body,content_type", [
    (500, '{"error": "Internal Server Error"}', "application/json"),
    (503, "<html>Service Unavailable</html>", "text/html"),
    (200, "<html>not json</html>", "text/html"),
    (200, '{"token_type": "Bearer"}', "application/json"),
])
def test_token_endpoint_failures_keep_the_stored_tokens(logged_in, sandbox, status, body, content_type, wire):
    before = (logged_in.cache.access_token, logged_in.cache.refresh_token)
    sandbox.fail_next(1, status=status, body=body, content_type=content_type, path=wire.token)
    with pytest.raises(ServerError) as info:
        logged_in.refresh()
    assert info.value.status == status
    assert (logged_in.cache.access_token, logged_in.cache.refresh_token) == before
    logged_in.refresh()  # and the refresh token still works
    assert logged_in.cache.refresh_token == before[1]


def test_token_endpoint_unreachable_keeps_the_stored_tokens(make_client, sandbox, config_dir):
    first = make_client()
    first.login(open_browser=browser_for(first), timeout=10)
    refresh = first.cache.refresh_token
    offline = make_client(api_url=f"http://127.0.0.1:{free_port()}/v1", retry_count=1)
    with pytest.raises(TDConnectionError, match="after 1 attempt"):  # a POST is never retried
        offline.refresh()
    assert offline.cache.refresh_token == refresh


def test_no_tokens_and_no_terminal_asks_for_login(client, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(AuthorizationError, match="python -m pyTD login"):
        quote(client)


def test_expired_tokens_and_no_terminal_ask_for_login(logged_in, monkeypatch, sandbox):
    logged_in.cache.access_token = age(logged_in.cache.access_token, 3600)
    logged_in.cache.refresh_token = age(logged_in.cache.refresh_token, 7776000)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    sandbox.clear_requests()
    with pytest.raises(AuthorizationError, match="python -m pyTD login"):
        quote(logged_in)
    assert sandbox.requests == []


def test_no_tokens_on_a_terminal_logs_in(client, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr(webbrowser, "open", browser_for(client))
    assert "AAPL" in quote(client)
    assert client.auth_valid


def test_logout_clears_the_cache(logged_in):
    logged_in.logout()
    assert logged_in.cache.access_token is None and not logged_in.auth_valid


def test_tokens_survive_in_a_new_process_object(logged_in, make_client, sandbox):
    again = make_client()
    assert again.access_token == logged_in.access_token
    sandbox.clear_requests()
    quote(again)
    assert sandbox.token_requests == []


def test_typed_errors_carry_status_body_and_url(logged_in, wire):
    with pytest.raises(ResourceNotFound) as info:
        logged_in.request("GET", "/no/such/path")
    assert info.value.status == 404 and info.value.url.endswith(wire.prefix + "/no/such/path")
    request = logged_in.profile.history_request("AAPL", {"periodType": "decade"}, None)
    with pytest.raises(ValidationError) as info:
        logged_in.request("GET", request.path, params=request.params)
    assert info.value.status == 400 and "periodType" in str(info.value) and info.value.body


def test_get_is_retried_after_5xx_and_dropped_connections(logged_in, sandbox, wire):
    sandbox.fail_next(1, status=503, path=wire.marketdata)
    sandbox.fail_next(1, drop=True, path=wire.marketdata)
    sandbox.clear_requests()
    assert "AAPL" in quote(logged_in)
    assert len([r for r in sandbox.requests if r.path.startswith(wire.marketdata)]) == 3


def test_post_is_never_retried(logged_in, sandbox, wire):
    sandbox.fail_next(1, status=503, path=wire.marketdata)
    sandbox.clear_requests()
    with pytest.raises(ServerError):
        logged_in.request("POST", wire.quotes, json={})
    assert len(sandbox.requests) == 1


def test_threads_share_one_refresh(logged_in, sandbox):
    logged_in.cache.access_token = age(logged_in.cache.access_token, 3600)
    sandbox.clear_requests()
    results, errors = in_threads(8, lambda: quote(logged_in))
    assert errors == [] and len(results) == 8 and len(sandbox.token_requests) == 1


def test_memcache_client_keeps_nothing_on_disk(make_client, config_dir):
    import os

    client = make_client(store_tokens=False)
    client.login(open_browser=browser_for(client), timeout=10)
    assert isinstance(client.cache, MemCache) and client.auth_valid
    assert not os.path.exists(config_dir) or not any("tokens" in n for n in os.listdir(config_dir))


def test_tokens_never_appear_in_repr_logs_or_errors(make_client, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client()
    client.login(open_browser=browser_for(client), timeout=10)
    secrets_seen = {client.access_token, client.refresh_token}
    code = sandbox.token_requests[0].form["code"]
    client.refresh()
    secrets_seen |= {client.access_token, client.refresh_token}
    sandbox.expire_access_tokens()
    quote(client)
    secrets_seen.add(client.access_token)
    sandbox.revoke_refresh_tokens()
    sandbox.expire_access_tokens()
    with pytest.raises(ReauthorizationRequired) as info:
        quote(client)
    texts = [caplog.text, repr(client), str(client), repr(client.cache), str(info.value)]
    for secret in secrets_seen | {code}:
        for text in texts:
            assert secret not in text
    assert WIRE[client.provider].token in caplog.text  # the requests were logged, without secrets
