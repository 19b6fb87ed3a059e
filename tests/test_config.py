"""Settings: arguments, then TD_* environment variables, then defaults; bad values fail clearly."""

import os

import pytest

from pyTD import config
from pyTD.api import api
from pyTD.cache import DiskCache, MemCache
from pyTD.client import token_filename
from pyTD.exceptions import ConfigurationError

CALLBACK = "https://localhost:8080"


def test_consumer_key_and_callback_from_environment(monkeypatch, config_dir):
    monkeypatch.setenv("TD_CONSUMER_KEY", "ENVKEY")
    monkeypatch.setenv("TD_CALLBACK_URL", "https://127.0.0.1:8443/cb")
    a = api(config_dir=config_dir)
    assert a.client_id == "ENVKEY@AMER.OAUTHAP"
    assert a.callback_url == "https://127.0.0.1:8443/cb"


def test_arguments_win_over_environment(monkeypatch, config_dir):
    monkeypatch.setenv("TD_CONSUMER_KEY", "ENVKEY")
    monkeypatch.setenv("TD_CALLBACK_URL", "https://127.0.0.1:8443/cb")
    a = api("ARGKEY", CALLBACK, config_dir=config_dir)
    assert a.client_id == "ARGKEY@AMER.OAUTHAP"
    assert a.callback_url == CALLBACK


@pytest.mark.parametrize("key", ["ABCDEFG12345", "ABCDEFG12345@AMER.OAUTHAP", " ABCDEFG12345 "])
def test_consumer_key_is_normalised(key, config_dir):
    assert api(key, CALLBACK, config_dir=config_dir).client_id == "ABCDEFG12345@AMER.OAUTHAP"


def test_missing_consumer_key_names_what_to_set(config_dir):
    with pytest.raises(ConfigurationError, match="TD_CONSUMER_KEY"):
        api(callback_url=CALLBACK, config_dir=config_dir)


def test_missing_callback_url_names_what_to_set(config_dir):
    with pytest.raises(ConfigurationError, match="TD_CALLBACK_URL"):
        api("KEY", config_dir=config_dir)


@pytest.mark.parametrize("url", ["localhost:8080", "ftp://localhost:8080", "https://", "http://host:port",
                                 "not a url", "https://localhost:99999"])
def test_malformed_callback_url_is_a_configuration_error(url, config_dir):
    with pytest.raises(ConfigurationError, match="not a valid URL"):
        api("KEY", url, config_dir=config_dir)


@pytest.mark.parametrize("value,expected", [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("Yes", True),
    ("false", False), ("False", False), ("0", False), ("no", False), ("NO", False),
])
def test_store_tokens_from_environment(monkeypatch, config_dir, value, expected):
    monkeypatch.setenv("TD_STORE_TOKENS", value)
    a = api("KEY", CALLBACK, config_dir=config_dir)
    assert a.store_tokens is expected
    assert isinstance(a.cache, DiskCache if expected else MemCache)


@pytest.mark.parametrize("value", ["maybe", "2", "on", "tru"])
def test_bad_store_tokens_value_is_a_configuration_error(monkeypatch, config_dir, value):
    monkeypatch.setenv("TD_STORE_TOKENS", value)
    with pytest.raises(ConfigurationError, match="TD_STORE_TOKENS"):
        api("KEY", CALLBACK, config_dir=config_dir)


def test_store_tokens_argument_wins_over_environment(monkeypatch, config_dir):
    monkeypatch.setenv("TD_STORE_TOKENS", "garbage")
    assert isinstance(api("KEY", CALLBACK, store_tokens=False, config_dir=config_dir).cache, MemCache)


def test_store_tokens_defaults_to_disk_cache_named_after_the_key(config_dir):
    a = api("KEY", CALLBACK, config_dir=config_dir)
    assert isinstance(a.cache, DiskCache)
    assert a.cache.path == os.path.join(config_dir, token_filename("KEY@AMER.OAUTHAP"))
    assert "KEY" not in os.path.basename(a.cache.path)
    assert token_filename("KEY@AMER.OAUTHAP") != token_filename("OTHER@AMER.OAUTHAP")


def test_store_false_writes_nothing(config_dir):
    api("KEY", CALLBACK, store_tokens=False, config_dir=config_dir)
    assert not os.path.exists(config_dir)


def test_config_dir_from_environment_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("TD_CONFIG_DIR", str(tmp_path / "envdir"))
    assert api("KEY", CALLBACK).config_dir == str(tmp_path / "envdir")
    monkeypatch.delenv("TD_CONFIG_DIR")
    import platformdirs

    assert api("KEY", CALLBACK).config_dir == platformdirs.user_config_dir("pyTD")
    # the test environment points the user's config dir into a temporary home
    assert config.config_dir().startswith(str(tmp_path))


def test_custom_cache_is_used_and_checked(config_dir):
    cache = MemCache()
    assert api("KEY", CALLBACK, cache=cache, config_dir=config_dir).cache is cache
    with pytest.raises(ConfigurationError, match="clear"):
        api("KEY", CALLBACK, cache=object(), config_dir=config_dir)


def test_urls_default_to_td_and_come_from_environment(monkeypatch, config_dir):
    a = api("KEY", CALLBACK, config_dir=config_dir)
    assert a.auth_url == "https://auth.tdameritrade.com/auth"
    assert a.api_url == "https://api.tdameritrade.com/v1"
    monkeypatch.setenv("TD_AUTH_URL", "http://127.0.0.1:9/auth")
    monkeypatch.setenv("TD_API_URL", "http://127.0.0.1:9/v1/")
    a = api("KEY", CALLBACK, config_dir=config_dir)
    assert a.auth_url == "http://127.0.0.1:9/auth"
    assert a.api_url == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize("var", ["TD_AUTH_URL", "TD_API_URL"])
def test_bad_url_in_environment_is_a_configuration_error(monkeypatch, config_dir, var):
    monkeypatch.setenv(var, "127.0.0.1:9/v1")
    with pytest.raises(ConfigurationError, match=var):
        api("KEY", CALLBACK, config_dir=config_dir)


def test_empty_environment_values_count_as_unset(monkeypatch, config_dir):
    monkeypatch.setenv("TD_CONSUMER_KEY", "  ")
    with pytest.raises(ConfigurationError, match="TD_CONSUMER_KEY"):
        api(callback_url=CALLBACK, config_dir=config_dir)


def test_every_environment_variable_is_documented():
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.rst")).read()
    for name in config.ENV_VARS:
        assert name in readme, name


@pytest.mark.parametrize("var,url", [("TD_API_URL", "http://api.example.com/v1"),
                                     ("TD_AUTH_URL", "http://auth.example.com/auth"),
                                     ("TD_API_URL", "http://10.0.0.5:8000/v1")])
def test_plain_http_to_another_host_is_refused_unless_allowed(monkeypatch, config_dir, var, url):
    """Tokens (and the user's password on the login page) would travel in clear."""
    monkeypatch.setenv(var, url)
    with pytest.raises(ConfigurationError, match=f"{var}.*plain http.*allow_insecure_http"):
        api("KEY", CALLBACK, config_dir=config_dir)
    assert api("KEY", CALLBACK, config_dir=config_dir, allow_insecure_http=True)
    monkeypatch.setenv("TD_ALLOW_INSECURE_HTTP", "true")
    assert api("KEY", CALLBACK, config_dir=config_dir)
    with pytest.raises(ConfigurationError):
        api("KEY", CALLBACK, config_dir=config_dir, allow_insecure_http=False)  # the argument wins
    monkeypatch.setenv("TD_ALLOW_INSECURE_HTTP", "perhaps")
    with pytest.raises(ConfigurationError, match="TD_ALLOW_INSECURE_HTTP"):
        api("KEY", CALLBACK, config_dir=config_dir)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/v1", "http://localhost:9/v1", "http://[::1]:9/v1",
                                 "http://127.0.0.2:9/v1", "https://api.example.com/v1"])
def test_loopback_http_and_https_need_no_permission(config_dir, url):
    assert api("KEY", CALLBACK, config_dir=config_dir, api_url=url).api_url == url


@pytest.mark.parametrize("url", ["https://user:hunter2@api.example.com/v1", "https://:hunter2@api.example.com/v1"])
def test_a_password_in_a_url_is_refused_and_never_shown(config_dir, url):
    with pytest.raises(ConfigurationError, match="user name or password") as info:
        api("KEY", CALLBACK, config_dir=config_dir, api_url=url)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("url", ["https://api.example.com/v1#frag", "https://api.example.com/v 1",
                                 "https://api.example.com/v1\n"])
def test_a_url_with_a_fragment_or_spaces_is_refused(config_dir, url):
    with pytest.raises(ConfigurationError, match="not a valid URL"):
        api("KEY", CALLBACK, config_dir=config_dir, api_url=url)


@pytest.mark.parametrize("env,argument,expected", [
    ({"TD_CACHE": "memory"}, {}, MemCache),
    ({"TD_CACHE": "Disk"}, {}, DiskCache),
    ({}, {"cache": "memory"}, MemCache),
    ({"TD_CACHE": "memory"}, {"cache": "disk"}, DiskCache),  # the argument wins
    ({"TD_CACHE": "memory"}, {"store_tokens": True}, DiskCache),  # so does store_tokens=True
    ({"TD_CACHE": "disk", "TD_STORE_TOKENS": "false"}, {}, DiskCache),  # TD_CACHE says where
])
def test_td_cache_chooses_the_cache(monkeypatch, config_dir, env, argument, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    a = api("KEY", CALLBACK, config_dir=config_dir, **argument)
    assert type(a.cache) is expected and a.store_tokens is (expected is DiskCache)


def test_a_bad_cache_choice_is_a_configuration_error(monkeypatch, config_dir):
    with pytest.raises(ConfigurationError, match="cache='cloud'.*disk, memory, redis"):
        api("KEY", CALLBACK, config_dir=config_dir, cache="cloud")
    monkeypatch.setenv("TD_CACHE", "cloud")
    with pytest.raises(ConfigurationError, match="TD_CACHE='cloud'"):
        api("KEY", CALLBACK, config_dir=config_dir)
    monkeypatch.setenv("TD_CACHE", "redis")
    monkeypatch.setenv("TD_REDIS_URL", "http://:secret-pw@host/0")
    with pytest.raises(ConfigurationError, match="TD_REDIS_URL") as info:
        api("KEY", CALLBACK, config_dir=config_dir)
    assert "secret-pw" not in str(info.value)
