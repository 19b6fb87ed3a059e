"""MemCache and DiskCache: real files in temporary directories."""

import json
import logging
import os
import stat
import subprocess
import sys
import time

import pytest

from pyTD.cache import DiskCache, MemCache
from pyTD.exceptions import CacheError
from pyTD.tokens import Token

ACCESS = Token("access+/=secret", time.time(), 1800)
REFRESH = Token("refresh+/=secret", time.time(), 7776000)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("make", [MemCache, lambda: DiskCache(os.environ["PYTD_TEST_DIR"])])
def test_caches_hold_tokens_and_clear(make, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTD_TEST_DIR", str(tmp_path))
    cache = make()
    assert cache.access_token is None and cache.refresh_token is None
    cache.access_token, cache.refresh_token = ACCESS, REFRESH
    assert cache.access_token == ACCESS and cache.refresh_token == REFRESH
    for text in (repr(cache), str(cache)):
        assert ACCESS.token not in text and REFRESH.token not in text
    cache.clear()
    assert cache.access_token is None and cache.refresh_token is None


@pytest.mark.parametrize("make", [MemCache, lambda: DiskCache(os.environ["PYTD_TEST_DIR"])])
def test_caches_accept_only_tokens(make, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTD_TEST_DIR", str(tmp_path))
    with pytest.raises(TypeError):
        make().access_token = "a string"


def test_memcache_is_per_object():
    a, b = MemCache(), MemCache()
    a.access_token = ACCESS
    assert b.access_token is None


def test_diskcache_creates_private_directory_and_file(tmp_path):
    cache = DiskCache(str(tmp_path / "a" / "b"), "tok.json")
    assert cache.path == str(tmp_path / "a" / "b" / "tok.json")
    assert mode(tmp_path / "a" / "b") == 0o700
    assert mode(cache.path) == 0o600
    assert json.loads(open(cache.path).read()) == {"version": 1, "access_token": None, "refresh_token": None}


def test_diskcache_defaults_to_config_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("TD_CONFIG_DIR", str(tmp_path / "cfg"))
    assert DiskCache().path == str(tmp_path / "cfg" / "tokens.json")


def test_diskcache_persists_at_once_and_other_instances_see_it(tmp_path):
    writer, reader = DiskCache(str(tmp_path)), DiskCache(str(tmp_path))
    assert reader.access_token is None
    writer.access_token = ACCESS
    assert DiskCache(str(tmp_path)).access_token == ACCESS
    assert reader.access_token == ACCESS  # re-read because the file changed
    writer.refresh_token = REFRESH
    assert reader.refresh_token == REFRESH and reader.access_token == ACCESS


def test_diskcache_sees_a_write_from_another_process(tmp_path):
    cache = DiskCache(str(tmp_path))
    code = ("import sys; from pyTD.cache import DiskCache; from pyTD.tokens import Token;"
            "DiskCache(sys.argv[1]).refresh_token = Token('from-child', 1.0, 7776000.0)")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    assert cache.refresh_token.token == "from-child"


def test_diskcache_file_format_is_versioned_json(tmp_path):
    cache = DiskCache(str(tmp_path))
    cache.access_token = ACCESS
    doc = json.loads(open(cache.path).read())
    assert doc["version"] == 1
    assert doc["access_token"] == {"token": ACCESS.token, "access_time": ACCESS.access_time,
                                   "expires_in": ACCESS.expires_in}
    assert doc["refresh_token"] is None


def test_clear_keeps_the_file_and_leaves_no_temporary_files(tmp_path):
    cache = DiskCache(str(tmp_path / "cache"))
    cache.access_token = ACCESS
    cache.refresh_token = REFRESH
    cache.clear()
    assert os.path.exists(cache.path) and mode(cache.path) == 0o600
    assert sorted(os.listdir(tmp_path / "cache")) == ["tokens.json", "tokens.json.lock"]
    assert ACCESS.token not in open(cache.path).read()


def test_wider_permissions_are_tightened_with_a_warning(tmp_path, caplog):
    DiskCache(str(tmp_path))
    os.chmod(tmp_path / "tokens.json", 0o644)
    with caplog.at_level(logging.WARNING, logger="pyTD"):
        DiskCache(str(tmp_path))
    assert mode(tmp_path / "tokens.json") == 0o600
    assert "0600" in caplog.text


@pytest.mark.parametrize("garbage", [b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'{"access_token": 5}',
                                     b'{"version": 1, "access_token": {"token": ""}}'])
def test_corrupt_file_is_moved_aside_and_reads_as_empty(tmp_path, caplog, garbage):
    cache = DiskCache(str(tmp_path))
    (tmp_path / "tokens.json").write_bytes(garbage)
    with caplog.at_level(logging.WARNING, logger="pyTD"):
        assert cache.access_token is None
    aside = [name for name in os.listdir(tmp_path) if name.startswith("tokens.json.corrupt-")]
    assert len(aside) == 1
    assert (tmp_path / aside[0]).read_bytes() == garbage  # nothing lost
    assert aside[0] in caplog.text
    cache.access_token = ACCESS  # the cache works again
    assert DiskCache(str(tmp_path)).access_token == ACCESS


def test_two_quarantines_keep_both_files(tmp_path):
    cache = DiskCache(str(tmp_path))
    for garbage in (b"first{", b"second{"):
        (tmp_path / "tokens.json").write_bytes(garbage)
        assert cache.refresh_token is None
    kept = {(tmp_path / n).read_bytes() for n in os.listdir(tmp_path) if ".corrupt-" in n}
    assert kept == {b"first{", b"second{"}


def test_empty_file_reads_as_empty_cache(tmp_path):
    (tmp_path / "tokens.json").write_bytes(b"")
    assert DiskCache(str(tmp_path)).access_token is None
    assert not [n for n in os.listdir(tmp_path) if ".corrupt-" in n]


def test_file_without_version_from_an_older_layout_is_read(tmp_path):
    (tmp_path / "tokens.json").write_text(json.dumps(
        {"access_token": None, "refresh_token": {"token": "old", "access_time": 1.0, "expires_in": 7776000.0}}))
    assert DiskCache(str(tmp_path)).refresh_token == Token("old", 1.0, 7776000.0)


def test_file_from_a_newer_version_fails_clearly_and_is_kept(tmp_path):
    (tmp_path / "tokens.json").write_text('{"version": 99}')
    with pytest.raises(CacheError, match="version 99"):
        DiskCache(str(tmp_path)).access_token  # noqa: B018
    assert (tmp_path / "tokens.json").read_text() == '{"version": 99}'


def test_filename_must_not_be_a_path(tmp_path):
    with pytest.raises(CacheError, match="plain file name"):
        DiskCache(str(tmp_path), "../escape.json")


def test_unwritable_directory_is_a_cache_error(tmp_path):
    if os.geteuid() == 0:
        target = "/proc/pyTD-cannot-exist"  # even root cannot create directories here
    else:
        os.chmod(tmp_path, 0o500)
        target = str(tmp_path / "sub")
    with pytest.raises(CacheError, match="Cannot create"):
        DiskCache(target)


def test_lock_timeout_names_the_lock_file(tmp_path):
    cache = DiskCache(str(tmp_path), lock_timeout=0.2)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a');"
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)",
         cache.lock_path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CacheError, match="tokens.json.lock"):
            cache.access_token = ACCESS
    finally:
        holder.kill()
        holder.wait()
    cache.access_token = ACCESS  # the lock is free again
    assert os.path.exists(cache.lock_path)
