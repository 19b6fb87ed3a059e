"""The sandbox itself: TD's login page, token endpoint and resource rules, and its fault injection."""

import logging
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from pyTD.exceptions import AuthorizationError
from pyTD.sandbox import HeadlessBrowser, Sandbox
from pyTD.sandbox.browser import LoginForm
from pyTD.sandbox.ports import free_port

CLIENT_ID = "SANDKEY@AMER.OAUTHAP"
CALLBACK = "http://127.0.0.1:9/cb"


def authorize(sb, **fields):
    """GET the login page (auto-approved) and return the redirect's decoded query."""
    params = dict(response_type="code", client_id=CLIENT_ID, redirect_uri=CALLBACK, state="st")
    params.update(fields)
    response = requests.get(sb.auth_url, params=params, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(params["redirect_uri"] + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token(sb, **form):
    return requests.post(sb.token_url, data=form, timeout=5)


def exchange(sb, code, **overrides):
    form = dict(grant_type="authorization_code", access_type="offline", code=code, client_id=CLIENT_ID,
                redirect_uri=CALLBACK)
    form.update(overrides)
    return token(sb, **form)


def bearer(sb, access, path="/marketdata/quotes?symbol=AAPL"):
    return requests.get(sb.api_url + path, headers={"Authorization": f"Bearer {access}"}, timeout=5)


@pytest.fixture
def sb():
    with Sandbox(auto_approve=True) as server:
        yield server


@pytest.fixture
def tokens(sb):
    return exchange(sb, authorize(sb)["code"]).json()


def test_login_form_carries_the_request_escaped(config_dir):
    with Sandbox() as server:
        page = requests.get(server.auth_url, params=dict(response_type="code", client_id=CLIENT_ID,
                                                         redirect_uri=CALLBACK, state='"><b>x'), timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert '"><b>x' not in page.text
    form = LoginForm.find(page.text)
    assert form.method == "POST" and form.action == "/auth"
    assert form.fields == {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": CALLBACK,
                           "state": '"><b>x'}


def test_login_form_wants_credentials_then_allow_or_deny():
    with Sandbox() as server:
        fields = dict(response_type="code", client_id=CLIENT_ID, redirect_uri=CALLBACK, state="s")
        again = requests.post(server.auth_url, data=dict(fields, action="allow"), allow_redirects=False, timeout=5)
        assert again.status_code == 200 and "Enter your user name" in again.text
        denied = requests.post(server.auth_url, data=dict(fields, action="deny", username="u", password="p"),
                               allow_redirects=False, timeout=5)
        assert denied.headers["Location"] == CALLBACK + "?error=access_denied&state=s"
        allowed = requests.post(server.auth_url, data=dict(fields, action="allow", username="u", password="p"),
                                allow_redirects=False, timeout=5)
        assert parse_qs(urlsplit(allowed.headers["Location"]).query)["state"] == ["s"]


@pytest.mark.parametrize("fields", [{"client_id": "NOSUFFIX"}, {"response_type": "token"},
                                    {"redirect_uri": "not a url"}, {"redirect_uri": "http://127.0.0.1:9/other"}])
def test_bad_authorization_requests_get_tds_mismatch_page(fields):
    with Sandbox(auto_approve=True, callback_urls=[CALLBACK]) as server:
        params = dict(response_type="code", client_id=CLIENT_ID, redirect_uri=CALLBACK)
        params.update(fields)
        page = requests.get(server.auth_url, params=params, allow_redirects=False, timeout=5)
    assert page.status_code == 400 and "unauthorized access" in page.text


def test_codes_need_encoding_and_are_single_use(sb):
    code = authorize(sb)["code"]
    assert all(c in code for c in "+/=")
    raw = requests.get(sb.auth_url, params=dict(response_type="code", client_id=CLIENT_ID, redirect_uri=CALLBACK),
                       allow_redirects=False, timeout=5).headers["Location"]
    assert "%2B" in raw and "%2F" in raw and "%3D" in raw and "+" not in raw
    first, second = exchange(sb, code), exchange(sb, code)
    assert first.status_code == 200 and second.status_code == 400
    assert second.json() == {"error": "invalid_grant"}


def test_code_is_bound_to_redirect_uri_and_client(sb):
    mismatch = exchange(sb, authorize(sb)["code"], redirect_uri=CALLBACK + "/")
    assert mismatch.status_code == 400 and "redirect_uri" in mismatch.json()["error_description"]
    other = exchange(sb, authorize(sb)["code"], client_id="OTHER@AMER.OAUTHAP")
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"


def test_code_expires():
    with Sandbox(auto_approve=True, code_expires_in=-1) as server:
        assert exchange(server, authorize(server)["code"]).status_code == 400


def test_token_answer_matches_the_contract(tokens):
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in",
                           "refresh_token_expires_in", "scope"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800
    assert tokens["refresh_token_expires_in"] == 7776000


def test_token_endpoint_wants_a_form_a_known_grant_and_client(sb, tokens):
    as_json = requests.post(sb.token_url, json={"grant_type": "refresh_token"}, timeout=5)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    assert token(sb, grant_type="password", client_id=CLIENT_ID).json()["error"] == "unsupported_grant_type"
    unknown = token(sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id="KEY")
    assert unknown.status_code == 401 and unknown.json() == {"error": "invalid_client"}
    assert requests.get(sb.token_url, timeout=5).status_code == 405


def test_only_listed_consumer_keys_are_clients():
    with Sandbox(auto_approve=True, consumer_keys=["sandkey"]) as server:  # keys compare case-insensitively
        assert exchange(server, authorize(server)["code"]).status_code == 200
        assert token(server, grant_type="authorization_code", code="x", client_id="OTHER@AMER.OAUTHAP",
                     redirect_uri=CALLBACK).status_code == 401


def test_refresh_returns_a_refresh_token_only_when_offline(sb, tokens):
    plain = token(sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=CLIENT_ID).json()
    assert "refresh_token" not in plain and plain["access_token"] != tokens["access_token"]
    offline = token(sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=CLIENT_ID,
                    access_type="offline").json()
    assert offline["refresh_token"] != tokens["refresh_token"]
    # without rotation, the old refresh token keeps working
    assert token(sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
                 client_id=CLIENT_ID).status_code == 200


def test_rotation_retires_the_old_refresh_token():
    with Sandbox(auto_approve=True, rotate_refresh_tokens=True) as server:
        old = exchange(server, authorize(server)["code"]).json()["refresh_token"]
        new = token(server, grant_type="refresh_token", refresh_token=old, client_id=CLIENT_ID,
                    access_type="offline").json()["refresh_token"]
        again = token(server, grant_type="refresh_token", refresh_token=old, client_id=CLIENT_ID)
        assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}
        assert token(server, grant_type="refresh_token", refresh_token=new, client_id=CLIENT_ID).status_code == 200


def test_expiring_and_revoking_tokens(sb, tokens):
    assert bearer(sb, tokens["access_token"]).status_code == 200
    sb.expire_access_tokens()
    assert bearer(sb, tokens["access_token"]).status_code == 401
    sb.revoke_refresh_tokens()
    assert token(sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
                 client_id=CLIENT_ID).status_code == 400


def test_access_tokens_expire_after_their_lifetime():
    with Sandbox(auto_approve=True, access_expires_in=-1) as server:
        answer = exchange(server, authorize(server)["code"]).json()
        assert answer["expires_in"] == -1 and bearer(server, answer["access_token"]).status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic abc"])
def test_resources_need_a_valid_bearer_token(sb, header):
    headers = {"Authorization": header} if header else {}
    answer = requests.get(sb.api_url + "/marketdata/quotes?symbol=AAPL", headers=headers, timeout=5)
    assert answer.status_code == 401 and "error" in answer.json()


def test_unknown_paths_and_methods(sb, tokens):
    assert bearer(sb, tokens["access_token"], "/nosuchthing").status_code == 404
    post = requests.post(sb.api_url + "/marketdata/quotes", headers={"Authorization": "Bearer " +
                                                                     tokens["access_token"]}, timeout=5)
    assert post.status_code == 405
    assert requests.get(sb.url + "/nothing", timeout=5).status_code == 404
    assert sb.api_url in requests.get(sb.url + "/", timeout=5).text


def test_quotes_accept_at_most_100_symbols(sb, tokens):
    symbols = ",".join(f"S{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(101))
    answer = bearer(sb, tokens["access_token"], "/marketdata/quotes?symbol=" + symbols)
    assert answer.status_code == 400 and "100" in answer.json()["error"]


def test_market_data_is_deterministic(sb, tokens):
    first = bearer(sb, tokens["access_token"], "/marketdata/MSFT/quotes").json()
    second = bearer(sb, tokens["access_token"], "/marketdata/quotes?symbol=MSFT,NOSUCHSYMBOL").json()
    assert list(second) == ["MSFT"]
    for moving in ("quoteTimeInLong", "tradeTimeInLong", "regularMarketTradeTimeInLong"):
        first["MSFT"].pop(moving), second["MSFT"].pop(moving)
    assert first == second


def test_recorded_requests(sb, tokens):
    sb.clear_requests()
    bearer(sb, tokens["access_token"], "/marketdata/quotes?symbol=A%2CB&x=1&x=2")
    (seen,) = sb.requests
    assert (seen.method, seen.path, seen.query) == ("GET", "/v1/marketdata/quotes", {"symbol": "A,B", "x": "2"})
    assert tokens["access_token"] not in repr(seen)
    token(sb, grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=CLIENT_ID)
    assert [r.form["grant_type"] for r in sb.token_requests] == ["refresh_token"]


def test_fail_next_by_path_with_status_body_and_retry_after(sb):
    sb.fail_next(2, status=429, body="slow down", content_type="text/plain", path="/v1/marketdata", retry_after=3)
    assert requests.get(sb.url + "/", timeout=5).status_code == 200  # other paths are served
    for _ in range(2):
        answer = requests.get(sb.api_url + "/marketdata/quotes", timeout=5)
        assert (answer.status_code, answer.text, answer.headers["Retry-After"]) == (429, "slow down", "3")
    assert requests.get(sb.api_url + "/marketdata/quotes", timeout=5).status_code == 401  # back to normal


def test_default_fault_body_is_tds_error_json(sb):
    sb.fail_next(status=503)
    assert requests.get(sb.url + "/", timeout=5).json() == {"error": "Service Unavailable"}


def test_dropped_connection(sb):
    sb.fail_next(drop=True)
    with pytest.raises(requests.ConnectionError):
        requests.get(sb.url + "/", timeout=5)
    assert requests.get(sb.url + "/", timeout=5).status_code == 200


def test_delayed_answer_times_out_the_client(sb):
    sb.delay_next(1, 1.0)
    with pytest.raises(requests.Timeout):
        requests.get(sb.url + "/", timeout=0.2)
    assert requests.get(sb.url + "/", timeout=5).status_code == 200


def test_rate_limit_answers_429_past_the_limit_per_window(tokens):
    with Sandbox(auto_approve=True, rate_limit=3, rate_window=0.5) as server:
        access = exchange(server, authorize(server)["code"]).json()["access_token"]
        codes = [bearer(server, access).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        time.sleep(0.6)
        assert bearer(server, access).status_code == 200


def test_garbage_requests_get_400_and_the_server_keeps_serving(sb):
    for garbage, status in ((b"\x00\xffnonsense\r\n\r\n", b"400"), (b"GET /auth HTTP/9.9\r\n\r\n", b"505"),
                            (b"POST /v1/oauth2/token HTTP/1.1\r\nContent-Length: -5\r\n\r\n", b"400")):
        with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as sock:
            sock.sendall(garbage)
            assert status in sock.recv(1000)
    assert requests.get(sb.url + "/", timeout=5).status_code == 200


def test_logs_show_paths_never_query_strings(sb, caplog):
    caplog.set_level(logging.DEBUG, logger="pyTD.sandbox")
    code = authorize(sb)["code"]
    assert "/auth" in caplog.text and "state=st" not in caplog.text and code not in caplog.text


def test_ipv6_loopback():
    try:
        socket.socket(socket.AF_INET6).close()
        with Sandbox("::1", auto_approve=True) as server:
            assert server.url.startswith("http://[::1]:")
            assert requests.get(server.url + "/", timeout=5).status_code == 200
    except OSError:
        pytest.skip("no IPv6 here")


def test_stop_closes_the_port():
    server = Sandbox().start()
    port = server.port
    server.stop()
    server.stop()  # twice is harmless
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    assert repr(server) == "<Sandbox td stopped>"


def test_headless_browser_follows_form_and_redirects():
    with Sandbox() as server, Sandbox() as callback:
        url = requests.Request("GET", server.auth_url, params=dict(
            response_type="code", client_id=CLIENT_ID, redirect_uri=callback.url + "/cb", state="s")).prepare().url
        browser = HeadlessBrowser()
        assert browser(url) is True
        assert browser.history[0] == url and browser.history[-1].startswith(callback.url + "/cb?code=")
        assert browser.last_response.status_code == 404  # the "callback" here is a server without that page
        denied = HeadlessBrowser(approve=False)
        denied(url)
        assert "error=access_denied" in denied.history[-1]


def test_browser_command_line(sb):
    url = requests.Request("GET", sb.auth_url, params=dict(
        response_type="code", client_id=CLIENT_ID, redirect_uri=sb.url + "/done")).prepare().url
    done = subprocess.run([sys.executable, "-m", "pyTD.sandbox.browser", url], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "/done -> 404" in done.stderr
    failed = subprocess.run([sys.executable, "-m", "pyTD.sandbox.browser", "http://127.0.0.1:1/"],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and failed.stderr.startswith("browser: ")


@pytest.mark.parametrize("provider, params, message", [
    ("td", dict(response_type="code", client_id="NOSUFFIX", redirect_uri=CALLBACK), "unauthorized access"),
    ("schwab", dict(client_id="KEY", redirect_uri="https://localhost:8182"), "127.0.0.1"),
    ("schwab", dict(client_id="KEY", redirect_uri="https://127.0.0.1:8182/"), "slash"),
])
def test_headless_browser_raises_on_an_error_page(provider, params, message):
    with Sandbox(provider=provider) as server:
        url = requests.Request("GET", server.auth_url, params=params).prepare().url
        with pytest.raises(AuthorizationError, match=message) as info:
            HeadlessBrowser()(url)
    assert "HTTP 400" in str(info.value) and "<" not in str(info.value)


def test_headless_browser_raises_when_the_form_comes_back():
    with Sandbox() as server:
        url = requests.Request("GET", server.auth_url, params=dict(
            response_type="code", client_id=CLIENT_ID, redirect_uri=CALLBACK)).prepare().url
        with pytest.raises(AuthorizationError, match="Enter your user name"):
            HeadlessBrowser(username="")(url)


def test_headless_browser_logs_in_to_schwab_over_https(tmp_path):
    from pyTD.auth.callback import CallbackServer
    from pyTD.auth.certs import self_signed_certificate, server_context

    port = free_port()
    callback = f"https://127.0.0.1:{port}/callback"
    cert, _ = self_signed_certificate(str(tmp_path))
    with Sandbox(provider="schwab") as server, CallbackServer(callback, "st", server_context(None, None, str(tmp_path))
                                                              ) as catcher:
        url = requests.Request("GET", server.auth_url, params=dict(client_id="KEY", redirect_uri=callback,
                                                                   state="st")).prepare().url
        browser = HeadlessBrowser(verify=cert)
        assert browser(url) is True
        params = catcher.wait(5)
    assert browser.last_response.status_code == 200 and browser.history[-1].startswith(callback + "?code=C0.")
    assert params["code"].endswith("@") and params["state"] == "st" and "session" in params
