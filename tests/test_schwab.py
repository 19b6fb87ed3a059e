"""What only Schwab does: the app secret, https callbacks on 127.0.0.1, 7-day refresh tokens, its error bodies."""

import io
import logging
import os
import time

import pytest

from pyTD.api import api
from pyTD.cli import main
from pyTD.exceptions import (
    AuthorizationError,
    ConfigurationError,
    ReauthorizationRequired,
    ServerError,
    TDQueryError,
)
from pyTD.sandbox import Sandbox
from pyTD.sandbox.replies import ACCESS_DENIED_PAGE
from pyTD.tokens import Token

from .conftest import CLIENT_SECRET, CONSUMER_KEY, browser_for, callback_for, schwab_only

WEEK = 7 * 24 * 3600


def schwab(config_dir, **kwargs):
    options = dict(provider="schwab", client_secret=CLIENT_SECRET, config_dir=config_dir)
    options.update(kwargs)
    return api(CONSUMER_KEY, options.pop("callback_url", "https://127.0.0.1:8182"), **options)


# -- configuration ----------------------------------------------------------------------------------------


def test_schwab_defaults(config_dir):
    a = schwab(config_dir)
    assert a.provider == "schwab" and a.client_id == CONSUMER_KEY  # the bare app key
    assert a.auth_url == "https://api.schwabapi.com/v1/oauth/authorize"
    assert a.api_url == "https://api.schwabapi.com"
    assert a._flow.token_url == "https://api.schwabapi.com/v1/oauth/token"


@pytest.mark.parametrize("value", ["schwab", "Schwab", "SCHWAB", " schwab "])
def test_the_provider_from_argument_or_environment_any_case(config_dir, monkeypatch, value):
    assert schwab(config_dir, provider=value).provider == "schwab"
    monkeypatch.setenv("TD_PROVIDER", value)
    monkeypatch.setenv("TD_CLIENT_SECRET", CLIENT_SECRET)
    assert api(CONSUMER_KEY, "https://127.0.0.1:8182", config_dir=config_dir).provider == "schwab"
    assert api(CONSUMER_KEY, "https://127.0.0.1:8182", config_dir=config_dir, provider="td").provider == "td"


def test_the_default_provider_is_td(config_dir):
    assert api(CONSUMER_KEY, "http://127.0.0.1:8080", config_dir=config_dir).provider == "td"


@pytest.mark.parametrize("value", ["etrade", "tdameritrade", ""])
def test_an_unknown_provider_names_both(config_dir, monkeypatch, value):
    with pytest.raises(ConfigurationError, match="'td', 'schwab'"):
        schwab(config_dir, provider=value)
    with pytest.raises(ConfigurationError, match="'td', 'schwab'"):
        schwab(config_dir, provider=value or "  ")
    monkeypatch.setenv("TD_PROVIDER", value or "nobody")
    with pytest.raises(ConfigurationError, match="'td', 'schwab'"):
        api(CONSUMER_KEY, "https://127.0.0.1:8182", config_dir=config_dir, client_secret="x")


@pytest.mark.parametrize("value", [1, True, ["schwab"]])
def test_a_provider_that_is_not_a_name_is_a_configuration_error(config_dir, value):
    with pytest.raises(ConfigurationError, match="'td', 'schwab'"):
        schwab(config_dir, provider=value)


def test_schwab_needs_the_secret_and_says_where_to_put_it(config_dir, monkeypatch):
    with pytest.raises(ConfigurationError, match="client_secret=.*TD_CLIENT_SECRET"):
        schwab(config_dir, client_secret=None)
    monkeypatch.setenv("TD_CLIENT_SECRET", "from-the-environment")
    assert schwab(config_dir, client_secret=None)._flow.app.secret == "from-the-environment"
    assert api(CONSUMER_KEY, "http://127.0.0.1:8080", config_dir=config_dir).provider == "td"  # unused for TD


@pytest.mark.parametrize("url, why", [
    ("https://localhost:8182", "localhost"),
    ("http://127.0.0.1:8182", "https"),
    ("https://127.0.0.1:8182/", "trailing slash"),
    ("https://127.0.0.1:8182/callback/", "trailing slash"),
])
def test_callbacks_schwab_would_never_redirect_to_are_refused(config_dir, url, why):
    with pytest.raises(ConfigurationError, match=why) as info:
        schwab(config_dir, callback_url=url)
    assert "https://127.0.0.1:8182" in str(info.value)


@pytest.mark.parametrize("url", ["https://127.0.0.1:8182", "https://127.0.0.1:8182/callback", "https://[::1]:8182",
                                 "https://127.0.0.1", "https://myapp.example/schwab/callback"])  # a web app's too
def test_callbacks_schwab_accepts(config_dir, url):
    assert schwab(config_dir, callback_url=url).callback_url == url


def test_tokens_of_other_providers_and_keys_never_share_a_file(config_dir):
    paths = {api(CONSUMER_KEY, "http://127.0.0.1:8080", config_dir=config_dir).cache.path,
             schwab(config_dir).cache.path,
             api("OTHERAPPKEY", "https://127.0.0.1:8182", provider="schwab", client_secret="s",
                 config_dir=config_dir).cache.path,
             api("OTHERAPPKEY", "http://127.0.0.1:8080", config_dir=config_dir).cache.path}
    assert len(paths) == 4


def test_the_secret_never_shows(config_dir, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    secret = "S3cret-Never-Shown-42"
    with Sandbox(provider="schwab", auto_approve=True) as sb:
        a = schwab(config_dir, client_secret=secret, callback_url=callback_for("schwab"), auth_url=sb.auth_url,
                   api_url=sb.api_url)
        a.login(open_browser=browser_for(a), timeout=10)
        a.refresh()
        a.get_quotes("AAPL")
        b = schwab(config_dir, client_secret="wrong", callback_url=a.callback_url, auth_url=sb.auth_url,
                   api_url=sb.api_url)
        with pytest.raises(AuthorizationError) as info:
            b.refresh()
    shown = [repr(a), str(a.__dict__), caplog.text, str(info.value), repr(info.value), capsys.readouterr().out,
             open(a.cache.path).read()]
    assert all(secret not in text for text in shown)


# -- the login and the token requests -----------------------------------------------------------------------


@schwab_only
def test_the_code_is_decoded_once_and_session_ignored(logged_in, sandbox):
    (exchange,) = sandbox.token_requests
    assert exchange.form["code"].startswith("C0.") and exchange.form["code"].endswith("@")
    assert "session" not in exchange.form


@schwab_only
def test_a_wrong_secret_is_a_clear_error_and_stores_nothing(make_client, sandbox):
    good = make_client()
    good.login(open_browser=browser_for(good), timeout=10)  # the sandbox now knows the app's secret
    wrong = make_client(client_secret="not-the-secret", store_tokens=False)
    with pytest.raises(AuthorizationError, match="app key or secret.*TD_CLIENT_SECRET"):
        wrong.login(open_browser=browser_for(wrong), timeout=10)
    assert not wrong.auth_valid and good.auth_valid


@schwab_only
def test_refreshing_never_extends_the_seven_days(logged_in, sandbox):
    refresh = logged_in.cache.refresh_token
    assert refresh.expires_in == WEEK
    logged_in.cache.access_token = Token(logged_in.access_token, time.time() - 3600, 1800)
    logged_in.get_quotes("AAPL")
    renewed = logged_in.cache.refresh_token
    assert (renewed.access_time, renewed.expires_in) == (refresh.access_time, refresh.expires_in)
    assert "access_type" not in sandbox.token_requests[-1].form


@schwab_only
def test_a_login_ending_within_a_day_warns_once(logged_in, sandbox, caplog):
    caplog.set_level(logging.WARNING, logger="pyTD")
    refresh = logged_in.cache.refresh_token
    logged_in.cache.refresh_token = Token(refresh.token, refresh.access_time - WEEK + 5 * 3600, WEEK)
    for _ in range(3):
        logged_in.refresh()
        logged_in.get_quotes("AAPL")
    warnings = [r for r in caplog.records if "login ends" in r.getMessage()]
    assert len(warnings) == 1 and "every 7 days" in warnings[0].getMessage()
    assert "Charles Schwab" in warnings[0].getMessage()


@schwab_only
def test_a_login_ending_within_a_day_warns_once_while_requests_go_on(logged_in, config_dir, caplog):
    """Without any refresh: the access token is fresh, the login (its refresh token) ends in 5 hours."""
    caplog.set_level(logging.WARNING, logger="pyTD")
    refresh = logged_in.cache.refresh_token
    logged_in.cache.refresh_token = Token(refresh.token, time.time() - WEEK + 5 * 3600, WEEK)
    for _ in range(3):
        logged_in.get_quotes("AAPL")
    warnings = [r for r in caplog.records if "login ends" in r.getMessage()]
    assert len(warnings) == 1 and "every 7 days" in warnings[0].getMessage()
    assert "in 5.0 hours" in warnings[0].getMessage()


@schwab_only
def test_a_request_after_the_seven_days_asks_for_the_weekly_login(logged_in, monkeypatch):
    """pyTD knows the refresh token is past its week: it says so rather than "not logged in"."""
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # no one to log in interactively
    access, refresh = logged_in.cache.access_token, logged_in.cache.refresh_token
    logged_in.cache.refresh_token = Token(refresh.token, time.time() - WEEK - 60, WEEK)
    logged_in.cache.access_token = Token(access.token, time.time() - 3600, 1800)
    with pytest.raises(ReauthorizationRequired, match="every 7 days"):
        logged_in.get_quotes("AAPL")


@schwab_only
def test_a_seven_day_old_refresh_token_asks_for_the_weekly_login(logged_in, sandbox):
    sandbox.authority.clock = lambda: time.time() + WEEK + 60  # the server's week is over
    with pytest.raises(ReauthorizationRequired, match="every 7 days"):
        logged_in.refresh()
    assert logged_in.cache.refresh_token is None and logged_in.cache.access_token is None


@schwab_only
@pytest.mark.parametrize("status, body, content_type, error", [
    (403, ACCESS_DENIED_PAGE, "text/html", TDQueryError),
    (502, "<html>Bad Gateway</html>", "text/html", ServerError),
    (500, '{"error": "server_error"}', "application/json", ServerError),
])
def test_html_or_5xx_from_the_token_endpoint_keeps_the_tokens(logged_in, sandbox, status, body, content_type,
                                                             error):
    before = (logged_in.cache.access_token, logged_in.cache.refresh_token)
    sandbox.fail_next(1, status=status, body=body, content_type=content_type, path="/v1/oauth/token")
    with pytest.raises(error, match="tokens are kept"):
        logged_in.refresh()
    assert (logged_in.cache.access_token, logged_in.cache.refresh_token) == before
    assert "<html" not in str(logged_in)


@schwab_only
def test_status_shows_the_time_left_on_the_weekly_login(logged_in, monkeypatch, capsys, sandbox):
    for name, value in {"TD_PROVIDER": "schwab", "TD_CONSUMER_KEY": "TESTKEY12345",
                        "TD_CLIENT_SECRET": CLIENT_SECRET, "TD_CALLBACK_URL": logged_in.callback_url,
                        "TD_CONFIG_DIR": logged_in.config_dir, "TD_AUTH_URL": sandbox.auth_url,
                        "TD_API_URL": sandbox.api_url}.items():
        monkeypatch.setenv(name, value)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Charles Schwab" in out and "refresh token: valid until" in out and "(7 days left)" in out
    assert "Log in again within 7 days" in out
    assert CLIENT_SECRET not in out and logged_in.refresh_token not in out


def test_the_schwab_demo_prints_a_quote_table(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO())
    assert main(["demo", "--provider", "schwab"]) == 0
    out = capsys.readouterr().out
    assert "Charles Schwab sandbox" in out and out.splitlines()[-5].startswith("AAPL")
    assert not os.environ.get("TD_CLIENT_SECRET")
