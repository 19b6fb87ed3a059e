"""The whole login flow against the sandbox, with a stand-in browser, over HTTP and HTTPS."""

import base64
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from pyTD.cache import MemCache
from pyTD.exceptions import AuthorizationError, AuthorizationTimeout, ConfigurationError
from pyTD.sandbox import HeadlessBrowser, Sandbox
from pyTD.sandbox.ports import free_port
from pyTD.tokens import Token

from .conftest import CLIENT_SECRET, CONSUMER_KEY, browser_for, client_options, schwab_only, td_only


@td_only
def test_authorization_url_matches_the_contract(client, sandbox, callback_url):
    url = client.authorization_url()
    assert url.startswith(sandbox.auth_url + "?")
    assert urlsplit(url).query == ("response_type=code&redirect_uri=" + quote(callback_url, safe="")
                                   + "&client_id=" + CONSUMER_KEY + "%40AMER.OAUTHAP")
    query = parse_qs(urlsplit(client.authorization_url(state="s1")).query)
    assert query == {"response_type": ["code"], "redirect_uri": [callback_url],
                     "client_id": [CONSUMER_KEY + "@AMER.OAUTHAP"], "state": ["s1"]}


@schwab_only
def test_schwab_authorization_url_matches_the_contract(client, sandbox, callback_url):
    url = client.authorization_url(state="s1")
    assert url.startswith(sandbox.auth_url + "?")
    assert urlsplit(url).query == ("response_type=code&client_id=" + CONSUMER_KEY + "&redirect_uri="
                                   + quote(callback_url, safe="") + "&state=s1")  # the bare app key, no scope


@schwab_only
def test_schwab_login_exchanges_the_code_exactly_as_the_contract_says(client, sandbox, callback_url):
    browser = browser_for(client)
    client.login(open_browser=browser, timeout=10)
    assert client.access_valid and client.refresh_valid
    redirect = next(url for url in browser.history if url.startswith(callback_url))
    assert "%40&session=" in redirect  # the code ends in @, URL-encoded, with Schwab's extra session
    (exchange,) = sandbox.token_requests
    assert exchange.form == {"grant_type": "authorization_code", "code": exchange.form["code"],
                             "redirect_uri": callback_url}  # no access_type, no client_id, no PKCE
    assert exchange.form["code"].endswith("@") and "%" not in exchange.form["code"]  # decoded exactly once
    assert exchange.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{CONSUMER_KEY}:{CLIENT_SECRET}".encode()).decode()
    assert client.refresh_token.endswith("@") or client.refresh_token
    client.refresh()
    refresh = sandbox.token_requests[1]
    assert refresh.form == {"grant_type": "refresh_token", "refresh_token": client.refresh_token}
    assert refresh.headers["Authorization"] == exchange.headers["Authorization"]
    assert all(r.form.get("grant_type") != "client_credentials" for r in sandbox.token_requests)


@td_only
def test_login_over_http_stores_tokens(client, sandbox, callback_url):
    browser = HeadlessBrowser()
    client.login(open_browser=browser, timeout=10)
    assert client.access_valid and client.refresh_valid and client.auth_valid
    assert isinstance(client.cache.access_token, Token)
    assert any(url.startswith(callback_url) for url in browser.history)
    (exchange,) = sandbox.token_requests
    assert exchange.form["grant_type"] == "authorization_code"
    assert exchange.form["access_type"] == "offline"
    assert exchange.form["client_id"] == CONSUMER_KEY + "@AMER.OAUTHAP"
    assert exchange.form["redirect_uri"] == callback_url
    assert "+" in exchange.form["code"]  # decoded once: the sandbox's codes always contain + / =
    assert client.request("GET", "/marketdata/quotes", params={"symbol": "AAPL"})["AAPL"]["symbol"] == "AAPL"


def test_login_through_the_real_login_form(config_dir, callback_url, provider):
    with Sandbox(provider=provider) as sb:  # no auto-approve: the browser fills in and submits the form
        from pyTD.api import api

        a = api(CONSUMER_KEY, callback_url, config_dir=config_dir, auth_url=sb.auth_url, api_url=sb.api_url,
                **client_options(provider))
        a.login(open_browser=browser_for(a), timeout=10)
        assert a.auth_valid


def test_login_denied_raises_and_stores_nothing(config_dir, callback_url, provider):
    with Sandbox(provider=provider) as sb:
        from pyTD.api import api

        a = api(CONSUMER_KEY, callback_url, config_dir=config_dir, auth_url=sb.auth_url, api_url=sb.api_url,
                **client_options(provider))
        with pytest.raises(AuthorizationError, match="access_denied"):
            a.login(open_browser=browser_for(a, approve=False), timeout=10)
        assert not a.auth_valid and sb.token_requests == []


@td_only  # a Schwab login is always over https on 127.0.0.1
def test_login_over_https_with_self_signed_certificate(make_client, config_dir, sandbox):
    client = make_client(callback_url=f"https://localhost:{free_port()}")
    cert = os.path.join(config_dir, "localhost-cert.pem")
    browser = HeadlessBrowser(verify=cert)
    # the certificate is made before the browser is opened, so the browser can trust it
    client.login(open_browser=browser, timeout=10)
    assert client.auth_valid
    assert stat.S_IMODE(os.stat(os.path.join(config_dir, "localhost-key.pem")).st_mode) == 0o600
    assert browser.last_response.status_code == 200


def test_login_over_https_with_users_certificate(make_client, tmp_path):
    from pyTD.auth.certs import self_signed_certificate

    cert, key = self_signed_certificate(str(tmp_path / "mine"))
    client = make_client(callback_url=f"https://127.0.0.1:{free_port()}/cb", ssl_cert=cert, ssl_key=key)
    client.login(open_browser=HeadlessBrowser(verify=cert), timeout=10)
    assert client.auth_valid
    assert not os.path.exists(os.path.join(client.config_dir, "localhost-cert.pem"))


def test_login_prints_the_url_before_opening_the_browser(client, capsys):
    seen = {}

    def browser(url):
        seen["printed"] = capsys.readouterr().out
        return browser_for(client)(url)

    client.login(open_browser=browser, timeout=10)
    assert client.authorization_url().split("?")[0] in seen["printed"]
    assert "client_id=" in seen["printed"]


def test_login_without_browser_times_out(client):
    with pytest.raises(AuthorizationTimeout):
        client.login(open_browser=False, timeout=0.5)
    assert not client.auth_valid


def test_login_without_opening_a_browser_waits_for_the_user(client, capsys):
    """open_browser=False only prints the URL; here "the user" opens it from another thread."""

    def user():
        for _ in range(50):
            words = capsys.readouterr().out.split()
            urls = [w for w in words if w.startswith(client.auth_url)]
            if urls:
                browser_for(client)(urls[0])
                return
            threading.Event().wait(0.1)

    thread = threading.Thread(target=user)
    thread.start()
    client.login(open_browser=False, timeout=10)
    thread.join()
    assert client.auth_valid


@pytest.mark.parametrize("callback", ["https://example.com:8080/cb", "http://127.0.0.1/cb"])
def test_login_needs_a_loopback_callback_with_a_port(make_client, callback):
    with pytest.raises(ConfigurationError):
        make_client(callback_url=callback).login(open_browser=False, timeout=1)


def test_login_on_a_busy_port_fails_clearly(client, callback_url):
    port = int(urlsplit(callback_url).port)
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        with pytest.raises(ConfigurationError, match="already in use"):
            client.login(open_browser=False, timeout=1)


@td_only
def test_browser_env_variable_is_honoured(tmp_path, sandbox, config_dir):
    """`python -m pyTD login` opens $BROWSER, here a script that follows the redirect."""
    script = tmp_path / "browser.sh"
    script.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        echo "$1" > {tmp_path}/opened
        exec {sys.executable} -m pyTD.sandbox.browser "$1"
        """))
    script.chmod(0o755)
    env = dict(os.environ, BROWSER=str(script), TD_CONSUMER_KEY=CONSUMER_KEY,
               TD_CALLBACK_URL=f"http://127.0.0.1:{free_port()}/", TD_CONFIG_DIR=config_dir,
               TD_AUTH_URL=sandbox.auth_url, TD_API_URL=sandbox.api_url)
    done = subprocess.run([sys.executable, "-m", "pyTD", "login", "--timeout", "20"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Logged in" in done.stdout
    assert (tmp_path / "opened").read_text().startswith(sandbox.auth_url)
    token = sandbox.token_requests[0]
    assert token.form["grant_type"] == "authorization_code"
    status = subprocess.run([sys.executable, "-m", "pyTD", "status"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert "access token: valid until" in status.stdout


def test_login_manual_reads_the_pasted_url(client, monkeypatch, capsys):
    printed = {}

    def paste(prompt):
        printed["out"] = capsys.readouterr().out
        url = next(word for word in printed["out"].split() if word.startswith("http"))
        # what the address bar shows after TD's redirect (the page itself may fail to load)
        location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
        return "  " + location + "\n"

    monkeypatch.setattr("builtins.input", paste)
    client.login_manual()
    assert client.auth_valid
    assert "state=" in printed["out"]


def test_login_manual_rejects_a_url_from_another_login(client, monkeypatch, sandbox):
    stale = requests.get(client.authorization_url(state="old-login"), allow_redirects=False, timeout=5)
    monkeypatch.setattr("builtins.input", lambda prompt: stale.headers["Location"])
    with pytest.raises(AuthorizationError, match="state does not match"):
        client.login_manual()
    assert sandbox.token_requests == []


@pytest.mark.parametrize("pasted,words", [("https://127.0.0.1:1/callback?foo=bar", "no code"),
                                          ("https://127.0.0.1:1/callback?error=access_denied", "access_denied")])
def test_login_manual_bad_paste(client, monkeypatch, pasted, words):
    monkeypatch.setattr("builtins.input", lambda prompt: pasted)
    with pytest.raises(AuthorizationError, match=words):
        client.login_manual()


def redirected(client, state=None):
    """What a web app receives: the callback URL TD redirects to."""
    return requests.get(client.authorization_url(state), allow_redirects=False, timeout=5).headers["Location"]


def test_exchange_code_with_the_redirect_url(make_client):
    client = make_client(cache=MemCache())
    client.exchange_code(redirected(client, "web-state"))
    assert client.auth_valid


def test_exchange_code_with_a_bare_code_encoded_or_not(make_client, sandbox):
    client = make_client(cache=MemCache())
    encoded = parse_qs(urlsplit(redirected(client)).query, keep_blank_values=True)  # decoded by parse_qs
    raw_location = redirected(client)
    encoded_code = urlsplit(raw_location).query.split("code=")[1].split("&")[0]
    assert "%2B" in encoded_code or "%2F" in encoded_code or encoded_code.endswith("%40")
    client.exchange_code(encoded_code)  # as copied from the address bar
    assert client.auth_valid
    client.logout()
    client.exchange_code(encoded["code"][0])  # already decoded
    assert client.auth_valid
    codes = [r.form["code"] for r in sandbox.token_requests]
    assert all("%" not in code and ("+" in code or code.endswith("@")) for code in codes)


def test_used_code_is_rejected_with_advice(make_client):
    client = make_client(cache=MemCache())
    location = redirected(client)
    client.exchange_code(location)
    client.logout()
    with pytest.raises(AuthorizationError, match="single-use"):
        client.exchange_code(location)
    assert not client.auth_valid


def test_exchange_code_rejects_empty_input(client):
    with pytest.raises(AuthorizationError):
        client.exchange_code("   ")


@td_only
def test_unknown_consumer_key_is_reported(config_dir, callback_url):
    with Sandbox(auto_approve=True, consumer_keys=["OTHERKEY"]) as sb:
        from pyTD.api import api

        a = api(CONSUMER_KEY, callback_url, config_dir=config_dir, auth_url=sb.auth_url, api_url=sb.api_url)
        allowed = api("OTHERKEY", callback_url, config_dir=config_dir, auth_url=sb.auth_url,
                      api_url=sb.api_url, store_tokens=False)
        location = requests.get(allowed.authorization_url(), allow_redirects=False, timeout=5).headers["Location"]
        with pytest.raises(AuthorizationError, match="consumer key"):
            a.exchange_code(location)


def test_a_login_the_provider_refuses_ends_at_once_quoting_the_page(config_dir, callback_url, provider):
    """The stand-in browser reports the provider's error page instead of leaving the login to time out."""
    from pyTD.api import api

    with Sandbox(provider=provider, consumer_keys=["REGISTERED"]) as sb:
        a = api("NOTREGISTERED", callback_url, config_dir=config_dir, auth_url=sb.auth_url, api_url=sb.api_url,
                **client_options(provider))
        started = time.monotonic()
        with pytest.raises(AuthorizationError) as info:
            a.login(open_browser=browser_for(a), timeout=30)
        assert time.monotonic() - started < 10 and not a.auth_valid  # not the 30 s timeout
        assert "client" in str(info.value).lower() and sb.token_requests == []
