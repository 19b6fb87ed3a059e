"""The token endpoint as an adversary: refusals that do not kill the refresh token, redirects to other
hosts, answers that echo secrets; and data requests redirected across hosts."""

import json
import logging
import time
from urllib.parse import urlsplit

import pytest

from pyTD.api import api
from pyTD.cache import MemCache
from pyTD.exceptions import (
    AuthorizationError,
    ClientError,
    ReauthorizationRequired,
    ServerError,
    TDError,
    TDQueryError,
)
from pyTD.providers import get as provider_profile
from pyTD.tokens import Token

from .conftest import CONSUMER_KEY, td_only
from .hostile import Server, redirecting, reply

TOKEN_PATH = "/v1/oauth2/token"  # TD's; the tests on both providers use token_path(sandbox)
SCHWAB_DEAD = json.dumps({"error": "unsupported_token_type", "error_description": (
    '400 Bad Request: "{"error_description":"Exception while authenticating refresh token [tokenDigest=ab12]",'
    '"error":"refresh_token_authentication_error"}"')})


def token_path(sandbox):
    return urlsplit(sandbox.token_url).path


def tokens(client):
    return client.cache.access_token, client.cache.refresh_token


@pytest.mark.parametrize("status,body,content_type,error", [
    (400, "<html><body>Bad Request (proxy)</body></html>", "text/html", ClientError),
    (400, '{"error": "invalid_request"}', "application/json", ClientError),
    (400, '{"error": "unsupported_grant_type"}', "application/json", ClientError),
    (400, '{"error": "invalid_client"}', "application/json", AuthorizationError),
    (401, '{"error": "invalid_client"}', "application/json", AuthorizationError),
    (401, "", "text/plain", AuthorizationError),
    (403, '{"error": "access_denied"}', "application/json", ClientError),
    (502, "<html>Bad Gateway</html>", "text/html", ServerError),
])
def test_a_refusal_that_is_not_invalid_grant_keeps_both_tokens(logged_in, sandbox, status, body, content_type,
                                                               error):
    """Only invalid_grant means the refresh token is dead (RFC 6749 section 5.2); it used to be any 400/401."""
    before = tokens(logged_in)
    sandbox.fail_next(1, status=status, body=body, content_type=content_type, path=token_path(sandbox))
    with pytest.raises(error) as info:
        logged_in.refresh()
    assert not isinstance(info.value, ReauthorizationRequired)
    assert "tokens are kept" in str(info.value)
    assert tokens(logged_in) == before
    logged_in.refresh()  # the server still accepts the refresh token that was kept
    assert logged_in.access_token != before[0].token


@pytest.mark.parametrize("provider,body", [
    ("td", '{"error": "invalid_grant"}'),
    ("schwab", '{"error": "invalid_grant"}'),
    ("schwab", SCHWAB_DEAD),
    ("schwab", '{"error": "invalid_client", "error_description": "refresh token invalid"}'),
])
def test_a_dead_refresh_token_clears_the_cache(logged_in, sandbox, body):
    sandbox.fail_next(1, status=400, body=body, path=token_path(sandbox))
    with pytest.raises(ReauthorizationRequired, match="log in again"):
        logged_in.refresh()
    assert tokens(logged_in) == (None, None)


@pytest.mark.parametrize("status,error,description,td,schwab", [
    (400, "invalid_grant", "", True, True),
    (401, "invalid_grant", "expired", True, True),
    (400, "unsupported_token_type", "...refresh_token_authentication_error...", False, True),
    (400, "invalid_client", "Refresh token invalid", False, True),
    (400, "invalid_client", "", False, False),
    (400, "unsupported_token_type", "", False, False),
    (400, "invalid_request", "invalid_grant", False, False),
    (500, "invalid_grant", "", False, False),
    (400, "", "", False, False),
])
def test_refresh_rejected_rule(status, error, description, td, schwab):
    assert provider_profile("td").refresh_token_dead(status, error, description) is td
    assert provider_profile("schwab").refresh_token_dead(status, error, description) is schwab


# -- redirects ----------------------------------------------------------------------------------------------


@pytest.fixture
def elsewhere():
    """Another host (127.0.0.2) that records what reaches it and answers with tokens or data."""
    body = json.dumps({"access_token": "STOLEN-SESSION", "expires_in": 1800, "refresh_token": "ATTACKER",
                       "refresh_token_expires_in": 7776000, "AAPL": {"symbol": "AAPL"}}).encode()
    server = Server(lambda h: reply(h, 200, body, [("Content-Type", "application/json")]), host="127.0.0.2")
    yield server
    server.close()


def client_behind(redirector, callback_url, config_dir):
    client = api(CONSUMER_KEY, callback_url, config_dir=config_dir, api_url=redirector.url + "/v1",
                 auth_url=redirector.url + "/auth", cache=MemCache(), retry_count=0)
    now = time.time()
    client.cache.refresh_token = Token("REFRESH+/=", now, 7776000)
    client.cache.access_token = Token("ACCESS+/=", now, 1800)
    return client


@td_only
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_the_token_endpoint_never_follows_a_redirect(elsewhere, callback_url, config_dir, status):
    """A 307/308 used to re-post the refresh token to the other host; a 301-303 stored its tokens."""
    redirector = redirecting(status, elsewhere.url)
    try:
        client = client_behind(redirector, callback_url, config_dir)
        before = tokens(client)
        with pytest.raises(TDQueryError) as info:
            client.refresh()
        assert info.value.status == status and "never" in str(info.value) and "kept" in str(info.value)
        assert tokens(client) == before
        with pytest.raises(TDQueryError):
            client.exchange_code("a-code+/=")
        assert tokens(client) == before
    finally:
        redirector.close()
    assert elsewhere.requests == []
    assert [(method, path) for method, path, _, _ in redirector.requests] == [("POST", TOKEN_PATH)] * 2


@td_only
@pytest.mark.parametrize("status,method", [(302, "GET"), (301, "GET"), (307, "GET"), (307, "POST"), (308, "PUT")])
def test_a_data_request_never_carries_the_token_to_another_host(elsewhere, callback_url, config_dir, status,
                                                                method):
    redirector = redirecting(status, elsewhere.url)
    try:
        client = client_behind(redirector, callback_url, config_dir)
        client.request(method, "/marketdata/quotes", params={"symbol": "AAPL"}, json={"n": 1})
    finally:
        redirector.close()
    (_, _, headers, _), = redirector.requests
    assert headers["Authorization"] == "Bearer ACCESS+/="  # the token went to the API host ...
    (_, path, headers, _), = elsewhere.requests  # ... and the redirect was followed without it
    assert path.startswith("/v1/marketdata/quotes")
    assert "Authorization" not in headers and "ACCESS" not in json.dumps(headers)


@td_only
def test_a_redirect_loop_is_a_typed_error(callback_url, config_dir):
    loop = Server(lambda h: reply(h, 302, headers=[("Location", h.path)]))
    try:
        client = client_behind(loop, callback_url, config_dir)
        with pytest.raises(TDQueryError, match="redirected too many times"):
            client.request("GET", "/marketdata/quotes")
    finally:
        loop.close()


# -- secrets in answers --------------------------------------------------------------------------------------


def assert_hidden(secrets, error, caplog):
    texts = [str(error), repr(error), getattr(error, "body", ""), str(getattr(error, "url", ""))]
    texts += [record.getMessage() for record in caplog.records]
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_a_form_encoded_token_answer_never_reaches_errors_or_logs(logged_in, sandbox, caplog):
    caplog.set_level(logging.DEBUG, logger="pyTD")
    before = tokens(logged_in)
    sandbox.fail_next(1, status=200, body="access_token=FORMACCESS&refresh_token=FORMREFRESH&expires_in=1800",
                      content_type="application/x-www-form-urlencoded", path=token_path(sandbox))
    with pytest.raises(ServerError) as info:
        logged_in.refresh()
    assert_hidden(["FORMACCESS", "FORMREFRESH"], info.value, caplog)
    assert info.value.body == "" and tokens(logged_in) == before


@pytest.mark.parametrize("status,content_type,template", [
    (400, "application/json", '{"error": "invalid_request", "error_description": "bad token %s"}'),
    (400, "application/x-www-form-urlencoded", "error=invalid_request&refresh_token=%s"),
    (500, "text/plain", "internal error with %s"),
])
def test_an_answer_echoing_the_refresh_token_never_shows_it(logged_in, sandbox, caplog, status, content_type,
                                                            template):
    from urllib.parse import quote

    caplog.set_level(logging.DEBUG, logger="pyTD")
    refresh = logged_in.refresh_token
    echoed = quote(refresh, safe="") if "form" in content_type else refresh
    sandbox.fail_next(1, status=status, body=template % echoed, content_type=content_type, path=token_path(sandbox))
    with pytest.raises(TDError) as info:
        logged_in.refresh()
    assert_hidden([refresh, quote(refresh, safe="")], info.value, caplog)
    assert logged_in.refresh_token == refresh


@pytest.mark.parametrize("expires_in", ["NaN", "Infinity", "-Infinity", "1e400", 1e12, -5, "true"])
def test_an_impossible_lifetime_is_refused_and_nothing_is_stored(logged_in, sandbox, expires_in):
    """NaN, infinite or huge lifetimes used to make a token valid for ever (and crash repr and status)."""
    before = tokens(logged_in)
    value = expires_in if isinstance(expires_in, str) else json.dumps(expires_in)
    sandbox.fail_next(1, status=200, path=token_path(sandbox),
                      body=f'{{"access_token": "NEWACCESS", "expires_in": {value}, "token_type": "Bearer"}}')
    with pytest.raises(ServerError, match="without usable tokens"):
        logged_in.refresh()
    assert tokens(logged_in) == before
    repr(logged_in.cache)


def test_a_token_with_a_line_break_is_refused(logged_in, sandbox):
    """requests' InvalidHeader used to carry such a token into its message."""
    before = tokens(logged_in)
    sandbox.fail_next(1, status=200, path=token_path(sandbox),
                      body=json.dumps({"access_token": "EVIL\r\nX-Injected: 1", "expires_in": 1800}))
    with pytest.raises(ServerError) as info:
        logged_in.refresh()
    assert "EVIL" not in str(info.value) and tokens(logged_in) == before
