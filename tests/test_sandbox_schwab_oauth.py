"""Schwab's stand-in: URL layout, login page and authorize rules, the token endpoint (schwab-api.md section 1)."""

import base64
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from pyTD.sandbox import Sandbox
from pyTD.sandbox.replies import ACCESS_DENIED_PAGE

KEY = "SCHWABAPPKEY0123456789ABCDEFGHIJ"
SECRET = "app-secret-0123456"
CALLBACK = "https://127.0.0.1:8182"
CODE = re.compile(r"C0\.[A-Za-z0-9+/]+=*\.[A-Za-z0-9_-]{43}@")
ACCESS = re.compile(r"I0\.[A-Za-z0-9+/]+=*\.[A-Za-z0-9_-]{43}@")
TOKEN_KEYS = {"expires_in", "token_type", "scope", "refresh_token", "access_token", "id_token"}


def authorize_raw(sb, **params):
    query = dict(client_id=KEY, redirect_uri=CALLBACK)
    query.update(params)
    return requests.get(sb.auth_url, params={k: v for k, v in query.items() if v is not None},
                        allow_redirects=False, timeout=5)


def code_of(sb, redirect_uri=CALLBACK, **params):
    answer = authorize_raw(sb, redirect_uri=redirect_uri, **params)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def post_token(sb, form, key=KEY, secret=SECRET, **kwargs):
    auth = None if key is None else (key, secret)
    return requests.post(sb.token_url, data=form, auth=auth, timeout=5, **kwargs)


def login(sb, secret=SECRET):
    code = code_of(sb)
    return post_token(sb, dict(grant_type="authorization_code", code=code, redirect_uri=CALLBACK), secret=secret)


def refresh(sb, token, secret=SECRET):
    return post_token(sb, dict(grant_type="refresh_token", refresh_token=token), secret=secret)


def nested(answer):
    """The inner JSON of Schwab's ``400 Bad Request: "{...}"`` error description."""
    body = answer.json()
    assert body["error"] == "unsupported_token_type"
    prefix = '400 Bad Request: "'
    assert body["error_description"].startswith(prefix) and body["error_description"].endswith('"')
    return json.loads(body["error_description"][len(prefix):-1])


@pytest.fixture
def sb():
    with Sandbox(provider="schwab", auto_approve=True) as server:
        yield server


# -- where things are ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["schwab", "Schwab", " SCHWAB "])
def test_schwab_url_layout(name):
    server = Sandbox(provider=name)
    assert server.provider == "schwab"
    assert server.auth_url == server.url + "/v1/oauth/authorize"
    assert server.api_url == server.url
    assert server.token_url == server.url + "/v1/oauth/token"


@pytest.mark.parametrize("name", ["td", "TD"])
def test_td_url_layout_is_unchanged(name):
    server = Sandbox(provider=name)
    assert server.provider == "td" and Sandbox().provider == "td"
    assert (server.auth_url, server.api_url, server.token_url) == (
        server.url + "/auth", server.url + "/v1", server.url + "/v1/oauth2/token")


def test_unknown_provider_is_a_value_error():
    with pytest.raises(ValueError, match="'td' or 'schwab'"):
        Sandbox(provider="etrade")


def test_every_answer_carries_a_correlation_id(sb):
    first, second = requests.get(sb.url + "/", timeout=5), requests.get(sb.url + "/marketdata/v1/quotes", timeout=5)
    ids = {first.headers["Schwab-Client-CorrelId"], second.headers["Schwab-Client-CorrelId"]}
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f-]{36}", i) for i in ids)
    assert "Schwab-Client-CorrelId" not in requests.get(Sandbox().start().url + "/", timeout=5).headers


# -- authorize ----------------------------------------------------------------------------------------


def test_redirect_carries_code_session_and_state_in_that_order(sb):
    raw = authorize_raw(sb, response_type="code", state="xyz").headers["Location"]
    assert raw.startswith(CALLBACK + "/?code=C0.")  # Schwab inserts "/" when the callback has no path
    names = [pair.split("=")[0] for pair in urlsplit(raw).query.split("&")]
    assert names == ["code", "session", "state"]
    assert "%40&session=" in raw and "@" not in raw  # the code's "@" arrives URL-encoded
    params = parse_qs(urlsplit(raw).query)
    assert CODE.fullmatch(params["code"][0]) and params["state"] == ["xyz"]
    assert re.fullmatch(r"[0-9a-f-]{36}", params["session"][0])
    host = params["code"][0].split(".")[1]
    assert base64.b64decode(host).decode().endswith(".schwab.com")


def test_response_type_and_state_are_optional_and_paths_are_kept(sb):
    raw = authorize_raw(sb, redirect_uri=CALLBACK + "/callback").headers["Location"]
    assert raw.startswith(CALLBACK + "/callback?code=") and "state=" not in raw


def test_ipv6_loopback_callback_is_allowed(sb):
    assert authorize_raw(sb, redirect_uri="https://[::1]:8182").status_code == 302


@pytest.mark.parametrize("params, reason", [
    ({"client_id": KEY + "@AMER.OAUTHAP"}, "without a suffix"),
    ({"client_id": ""}, "unknown client_id"),
    ({"redirect_uri": "http://127.0.0.1:8182"}, "https"),
    ({"redirect_uri": "https://localhost:8182"}, "127.0.0.1"),
    ({"redirect_uri": "https://127.0.0.1:8182/"}, "slash"),
    ({"redirect_uri": "https://127.0.0.1:8182/callback/"}, "slash"),
    ({"redirect_uri": None}, "https"),
    ({"response_type": "token"}, "response_type"),
])
def test_bad_authorization_requests_show_an_error_page_not_a_redirect(sb, params, reason):
    page = authorize_raw(sb, **params)
    assert page.status_code == 400 and "Location" not in page.headers
    assert "text/html" in page.headers["Content-Type"] and "Access Denied" in page.text and reason in page.text


def test_only_registered_callbacks_and_keys():
    with Sandbox(provider="schwab", auto_approve=True, callback_urls=[CALLBACK + "/cb"],
                 consumer_keys=[KEY]) as server:
        assert authorize_raw(server, redirect_uri=CALLBACK + "/cb").status_code == 302
        assert authorize_raw(server, redirect_uri=CALLBACK + "/CB").status_code == 400  # case matters
        assert authorize_raw(server, redirect_uri=CALLBACK + "/cb", client_id="OTHERKEY").status_code == 400


def test_login_form_without_response_type_posts_back_and_redirects():
    with Sandbox(provider="schwab") as server:
        page = authorize_raw(server)
        assert page.status_code == 200 and "Charles Schwab" in page.text
        answer = requests.post(server.auth_url, data=dict(client_id=KEY, redirect_uri=CALLBACK, response_type="",
                                                          state="", username="u", password="p", action="allow"),
                               allow_redirects=False, timeout=5)
        assert answer.status_code == 302 and "state=" not in answer.headers["Location"]


# -- the token endpoint -------------------------------------------------------------------------------


def test_code_exchange_answers_as_the_contract(sb):
    answer = login(sb)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == TOKEN_KEYS  # no refresh_token_expires_in
    assert (body["expires_in"], body["token_type"], body["scope"]) == (1800, "Bearer", "api")
    assert ACCESS.fullmatch(body["access_token"]) and body["refresh_token"].endswith("@")
    assert len(body["id_token"].split(".")) == 3
    claims = json.loads(base64.urlsafe_b64decode(body["id_token"].split(".")[1] + "=="))
    assert claims["aud"] == KEY and SECRET not in body["id_token"]


def test_the_exchange_body_may_carry_client_id_and_extra_fields_are_recorded(sb):
    form = dict(grant_type="authorization_code", code=code_of(sb), redirect_uri=CALLBACK, client_id=KEY,
                access_type="offline")
    assert post_token(sb, form).status_code == 200
    assert sb.token_requests[-1].form["access_type"] == "offline"  # ignored, but visible to tests
    other = dict(form, code=code_of(sb), client_id="SOMEONEELSE")
    assert post_token(sb, other).status_code == 401


def test_the_code_is_decoded_once_in_the_form(sb):
    code = code_of(sb)
    stripped = post_token(sb, dict(grant_type="authorization_code", code=code[:-1], redirect_uri=CALLBACK))
    assert stripped.status_code == 400
    double = code.replace("@", "%40")  # form-encoded again by requests: %2540 on the wire
    assert post_token(sb, dict(grant_type="authorization_code", code=double, redirect_uri=CALLBACK)).status_code == 400
    assert post_token(sb, dict(grant_type="authorization_code", code=code, redirect_uri=CALLBACK)).status_code == 200
    assert post_token(sb, dict(grant_type="authorization_code", code=code, redirect_uri=CALLBACK)).status_code == 400


@pytest.mark.parametrize("auth", [None, ("", SECRET), (KEY, ""), (KEY + "@AMER.OAUTHAP", SECRET)])
def test_basic_authentication_is_required(sb, auth):
    form = dict(grant_type="authorization_code", code=code_of(sb), redirect_uri=CALLBACK)
    answer = requests.post(sb.token_url, data=form, auth=auth, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_malformed_basic_header_is_invalid_client(sb):
    answer = requests.post(sb.token_url, data={"grant_type": "refresh_token"}, timeout=5,
                           headers={"Authorization": "Basic !!!notbase64"})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_first_secret_presented_becomes_the_keys_secret(sb):
    assert sb.known_secret(KEY) is None and sb.client_secret is None
    assert login(sb).status_code == 200
    assert sb.known_secret(KEY) == SECRET
    wrong = login(sb, secret="another-secret")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert "another-secret" not in wrong.text and SECRET not in wrong.text
    assert login(sb).status_code == 200
    assert post_token(sb, dict(grant_type="refresh_token", refresh_token="x"), key="KEYTWO",
                      secret="two").status_code == 400  # another key learns its own secret
    assert sb.known_secret("KEYTWO") == "two"


def test_configured_secret_is_the_only_one_accepted():
    with Sandbox(provider="schwab", auto_approve=True, client_secret=SECRET) as server:
        assert login(server, secret="first-comer").status_code == 401
        assert login(server).status_code == 200
        assert server.known_secret("ANYKEY") == SECRET


def test_secrets_stay_out_of_logs_and_reprs(sb, caplog):
    caplog.set_level("DEBUG", logger="pyTD.sandbox")
    login(sb)
    assert SECRET not in caplog.text and SECRET not in repr(sb) and SECRET not in repr(sb.token_requests)


@pytest.mark.parametrize("grant", ["client_credentials", "password", ""])
def test_other_grants_are_refused(sb, grant):
    answer = post_token(sb, {"grant_type": grant})
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"


def test_token_endpoint_wants_a_form_and_post(sb):
    assert requests.post(sb.token_url, json={"grant_type": "refresh_token"}, auth=(KEY, SECRET),
                         timeout=5).json()["error"] == "invalid_request"
    assert requests.get(sb.token_url, timeout=5).status_code == 405


@pytest.mark.parametrize("change", ["reuse", "redirect_uri", "expired"])
def test_bad_codes_get_a_nested_400(change):
    with Sandbox(provider="schwab", auto_approve=True, code_expires_in=-1 if change == "expired" else None) as server:
        form = dict(grant_type="authorization_code", code=code_of(server), redirect_uri=CALLBACK)
        if change == "reuse":
            post_token(server, form)
        if change == "redirect_uri":
            form["redirect_uri"] = CALLBACK + "/other"
        answer = post_token(server, form)
    assert answer.status_code == 400
    inner = nested(answer)
    assert inner["error"] == "invalid_request" and inner["error_description"].startswith("Bad authorization code")


def test_codes_live_30_seconds(sb):
    code = code_of(sb)
    start = sb.authority.clock()
    sb.authority.clock = lambda: start + 31
    answer = post_token(sb, dict(grant_type="authorization_code", code=code, redirect_uri=CALLBACK))
    assert answer.status_code == 400 and "expired" in nested(answer)["error_description"]


def test_refresh_returns_the_same_refresh_token_and_an_id_token(sb):
    tokens = login(sb).json()
    renewed = refresh(sb, tokens["refresh_token"])
    assert renewed.status_code == 200
    body = renewed.json()
    assert set(body) == TOKEN_KEYS and body["refresh_token"] == tokens["refresh_token"]
    assert body["access_token"] != tokens["access_token"] and ACCESS.fullmatch(body["access_token"])
    assert set(sb.token_requests[-1].form) == {"grant_type", "refresh_token"}


def test_refresh_tokens_die_7_days_after_the_login_however_often_refreshed(sb):
    tokens = login(sb).json()
    start = sb.authority.clock()
    for day in (1, 3, 6.9):
        sb.authority.clock = lambda day=day: start + day * 86400
        assert refresh(sb, tokens["refresh_token"]).status_code == 200
    sb.authority.clock = lambda: start + 7 * 86400 + 1
    dead = refresh(sb, tokens["refresh_token"])
    assert dead.status_code == 400
    inner = nested(dead)
    assert inner["error"] == "refresh_token_authentication_error"
    assert re.fullmatch(r"Exception while authenticating refresh token \[tokenDigest=[A-Za-z0-9_-]+\]",
                        inner["error_description"])
    assert tokens["refresh_token"] not in dead.text


def test_the_nested_error_is_exactly_schwabs_shape(sb):
    dead = refresh(sb, "nonsense@")
    text = dead.text
    assert text.startswith('{"error": "unsupported_token_type", "error_description": "400 Bad Request: '
                           '\\"{\\"error_description\\":\\"Exception while authenticating refresh token '
                           '[tokenDigest=')
    assert text.endswith(']\\",\\"error\\":\\"refresh_token_authentication_error\\"}\\""}')


def test_rotation_keeps_the_login_deadline():
    with Sandbox(provider="schwab", auto_approve=True, rotate_refresh_tokens=True) as server:
        old = login(server).json()["refresh_token"]
        new = refresh(server, old).json()["refresh_token"]
        assert new != old and refresh(server, old).status_code == 400
        start = server.authority.clock()
        server.authority.clock = lambda: start + 7 * 86400 + 1
        assert refresh(server, new).status_code == 400


def test_revoked_refresh_tokens_and_expired_access_tokens(sb):
    tokens = login(sb).json()
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    assert requests.get(sb.url + "/marketdata/v1/quotes?symbols=AAPL", headers=headers, timeout=5).status_code != 401
    sb.expire_access_tokens()
    unauthorized = requests.get(sb.url + "/marketdata/v1/quotes?symbols=AAPL", headers=headers, timeout=5)
    assert unauthorized.status_code == 401
    (error,) = unauthorized.json()["errors"]
    assert error["status"] == 401 and error["detail"] == "Client not authorized"  # an int, as recorded
    sb.revoke_refresh_tokens()
    assert nested(refresh(sb, tokens["refresh_token"]))["error"] == "refresh_token_authentication_error"


def test_a_refresh_token_belongs_to_its_key(sb):
    tokens = login(sb).json()
    assert refresh(sb, tokens["refresh_token"]).status_code == 200
    other = post_token(sb, dict(grant_type="refresh_token", refresh_token=tokens["refresh_token"]), key="OTHERKEY")
    assert other.status_code == 400


def test_html_access_denied_from_the_token_endpoint(sb):
    sb.fail_next(status=403, body=ACCESS_DENIED_PAGE, content_type="text/html", path="/v1/oauth/token")
    answer = login(sb)
    assert answer.status_code == 403 and answer.headers["Content-Type"] == "text/html"
    assert "<H1>Access Denied</H1>" in answer.text
    assert login(sb).status_code == 200  # one failure only
