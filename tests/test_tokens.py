"""Token objects and the one function that parses TD's token answers."""

import time

import pytest

from pyTD.exceptions import ServerError
from pyTD.tokens import Token, parse_token_response

SECRET = "abc+def/ghi=="


def test_token_attributes_expiry_and_validity():
    now = time.time()
    token = Token(SECRET, now, 1800)
    assert (token.token, token.access_time, token.expires_in) == (SECRET, now, 1800)
    assert token.expiry == now + 1800
    assert token.valid
    assert not Token(SECRET, now - 1801, 1800).valid
    assert token.expires_within(1801) and not token.expires_within(1700)


def test_repr_and_str_never_show_the_token():
    token = Token(SECRET, time.time(), 1800)
    for text in (repr(token), str(token), f"{token}", repr([token])):
        assert SECRET not in text
        assert "valid=True" in text


def test_round_trip_and_equality():
    token = Token(SECRET, 1700000000.5, 1800)
    assert Token.from_dict(token.to_dict()) == token
    assert Token(SECRET, 1, 2) != Token(SECRET, 1, 3)


@pytest.mark.parametrize("bad", ["", None, 42])
def test_token_needs_a_string(bad):
    with pytest.raises(ValueError):
        Token(bad, 0, 1)


def test_parse_full_answer():
    payload = {"access_token": "A+/=", "refresh_token": "R+/=", "token_type": "Bearer", "expires_in": 1800,
               "refresh_token_expires_in": 7776000, "scope": "PlaceTrades AccountAccess MoveMoney"}
    access, refresh = parse_token_response(payload, now=100.0)
    assert access == Token("A+/=", 100.0, 1800)
    assert refresh == Token("R+/=", 100.0, 7776000)


def test_parse_answer_without_refresh_token():
    access, refresh = parse_token_response({"access_token": "A", "expires_in": 1800}, now=5.0)
    assert access == Token("A", 5.0, 1800) and refresh is None


@pytest.mark.parametrize("payload", [
    None, [], "text", {}, {"access_token": "A"}, {"access_token": "A", "expires_in": "soon"},
    {"access_token": "A", "expires_in": 1800, "refresh_token": "R"},
])
def test_parse_malformed_answer_is_a_server_error_without_the_payload(payload):
    with pytest.raises(ServerError) as info:
        parse_token_response(payload)
    assert "'A'" not in str(info.value) and "'R'" not in str(info.value)


@pytest.mark.parametrize("expires_in", [float("nan"), float("inf"), -float("inf"), 1e12, -1, 10 ** 400, True])
def test_a_lifetime_must_be_finite_and_bounded(expires_in):
    """A NaN or huge lifetime made a token valid for ever, and crashed repr() and `status`."""
    with pytest.raises(ValueError):
        Token(SECRET, time.time(), expires_in)


@pytest.mark.parametrize("access_time", [float("nan"), float("inf"), 1e300, -1])
def test_an_issue_time_must_be_plausible(access_time):
    with pytest.raises(ValueError):
        Token(SECRET, access_time, 1800)


@pytest.mark.parametrize("bad", ["with space", "line\r\nbreak", "tab\tx", "\x1b[2J", "caf\u00e9"])
def test_a_token_must_fit_in_a_header(bad):
    with pytest.raises(ValueError) as info:
        Token(bad, 0, 1)
    assert bad not in str(info.value)


def test_the_longest_lifetime_still_prints():
    token = Token(SECRET, 4102444800.0, 10 * 366 * 86400)
    assert "expires=2110" in repr(token)
    assert Token("I0.b2F1dGgyLmNkYy5zY2h3YWIuY29t.abc@", 0, 1).token.endswith("@")  # Schwab's tokens end with @


def test_a_planted_cache_file_with_an_endless_token_is_quarantined(tmp_path):
    from pyTD.cache import DiskCache

    cache = DiskCache(str(tmp_path))
    (tmp_path / "tokens.json").write_text('{"version": 1, "access_token": null, "refresh_token": '
                                          '{"token": "R", "access_time": 1.0, "expires_in": Infinity}}')
    assert cache.refresh_token is None
    assert [name for name in __import__("os").listdir(tmp_path) if ".corrupt-" in name]
