"""KeyringCache: tokens in the OS keychain. The keychain itself cannot run here, so a keyring backend
that keeps entries in a dict stands in for it; everything above the backend is the real code."""

import logging

import pytest

keyring = pytest.importorskip("keyring")

from keyring.backend import KeyringBackend  # noqa: E402

from pyTD.cache import KeyringCache  # noqa: E402
from pyTD.exceptions import CacheError  # noqa: E402
from pyTD.tokens import Token  # noqa: E402

from .conftest import browser_for  # noqa: E402

ACCESS = Token("access+/=", 1700000000.0, 1800)
REFRESH = Token("refresh+/=", 1700000000.0, 7776000)


class DictKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.entries = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        del self.entries[(service, username)]


class BrokenKeyring(DictKeyring):
    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("the keychain is locked")


@pytest.fixture
def backend(monkeypatch):
    store = DictKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(previous)


def test_tokens_round_trip_through_one_versioned_entry(backend):
    cache = KeyringCache("MYKEY")
    cache.access_token, cache.refresh_token = ACCESS, REFRESH
    assert list(backend.entries) == [("pyTD", "MYKEY")]
    again = KeyringCache("MYKEY")
    assert (again.access_token, again.refresh_token) == (ACCESS, REFRESH)
    assert '"version": 1' in backend.entries[("pyTD", "MYKEY")]
    assert ACCESS.token not in repr(again) and "MYKEY" in repr(again)


def test_clear_deletes_the_entry(backend):
    cache = KeyringCache(backend=backend)
    cache.clear()  # nothing stored yet: fine
    cache.refresh_token = REFRESH
    cache.clear()
    assert backend.entries == {} and cache.refresh_token is None


def test_undecodable_entry_is_kept_aside_and_reads_as_empty(backend, caplog):
    backend.set_password("pyTD", "tokens", "{not json")
    cache = KeyringCache()
    assert cache.access_token is None
    (aside,) = [name for _, name in backend.entries if name.startswith("tokens.corrupt-")]
    assert backend.entries[("pyTD", aside)] == "{not json"
    assert aside in caplog.text


def test_newer_format_is_a_cache_error(backend):
    backend.set_password("pyTD", "tokens", '{"version": 99}')
    with pytest.raises(CacheError, match="version"):
        assert KeyringCache().refresh_token


def test_keychain_failures_are_cache_errors_without_secrets():
    cache = KeyringCache(backend=BrokenKeyring())
    with pytest.raises(CacheError, match="KeyringLocked"):
        cache.access_token = ACCESS


def test_only_tokens_are_accepted(backend):
    with pytest.raises(TypeError):
        KeyringCache().access_token = "a string"


def test_api_logs_in_and_refreshes_with_a_keyring_cache(make_client, sandbox, backend, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(cache=KeyringCache("TESTKEY12345"))
    client.login(open_browser=browser_for(client), timeout=10)
    client.refresh()
    assert client.auth_valid and "AAPL" in client.get_quotes("AAPL")
    stored = backend.entries[("pyTD", "TESTKEY12345")]
    assert client.access_token in stored and client.access_token not in caplog.text


def test_missing_keyring_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "keyring", None)
    with pytest.raises(ImportError, match=r"pytd-client\[keyring\]"):
        KeyringCache()


def test_two_quarantines_within_a_second_keep_both_entries(backend):
    """The second used to overwrite the first: the names differed only by the second."""
    cache = KeyringCache()
    for garbage in ("first{", "second{", "third{"):
        backend.set_password("pyTD", "tokens", garbage)
        assert cache.access_token is None
    kept = {value for (_, name), value in backend.entries.items() if ".corrupt-" in name}
    assert kept == {"first{", "second{", "third{"}


def test_an_unnamed_entry_is_named_after_the_provider_and_key(backend, config_dir):
    """Like the token files: apps and providers never share an entry; a name the user gave is kept."""
    from pyTD.api import api, token_filename

    td = api("APPKEY", "http://127.0.0.1:8080", cache=KeyringCache(), config_dir=config_dir)
    schwab = api("APPKEY", "https://127.0.0.1:8182", provider="schwab", client_secret="s", cache=KeyringCache(),
                 config_dir=config_dir)
    other = api("OTHERKEY", "http://127.0.0.1:8080", cache=KeyringCache(), config_dir=config_dir)
    names = {td.cache.name, schwab.cache.name, other.cache.name}
    assert len(names) == 3 and not any("APPKEY" in name or "OTHERKEY" in name for name in names)
    assert schwab.cache.name + ".json" == token_filename("APPKEY", "schwab")
    assert api("APPKEY", "http://127.0.0.1:8080", cache=KeyringCache("mine"), config_dir=config_dir).cache.name \
        == "mine"
    assert KeyringCache().name == "tokens"  # used alone
    schwab.cache.access_token = ACCESS
    assert backend.entries.keys() == {("pyTD", schwab.cache.name)}
