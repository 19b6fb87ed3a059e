"""The token store and the certificate against a hostile neighbour and a full disk: real attacks in
temporary directories (another user, symlinks, FIFOs, planted and held lock files, SIGKILLed writers,
a 64 KiB tmpfs)."""

import json
import multiprocessing
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import pytest

from pyTD.api import api, token_filename
from pyTD.auth.certs import self_signed_certificate
from pyTD.cache import DiskCache
from pyTD.exceptions import CacheError
from pyTD.sandbox import HeadlessBrowser, Sandbox
from pyTD.tokens import Token

from .conftest import CONSUMER_KEY, td_only
from .hostile import OTHER_UID, FullDisk, as_user, needs_root

ACCESS = Token("access+/=secret", time.time(), 1800)
REFRESH = Token("refresh+/=secret", time.time(), 7776000)
fork = multiprocessing.get_context("fork")


@pytest.fixture
def shared_dir():
    """A directory other users may enter (unlike pytest's tmp_path), removed afterwards."""
    path = tempfile.mkdtemp(prefix="pyTD-hostile-")
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def stored(directory):
    """Every file under ``directory`` that holds the refresh token."""
    found = []
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path) and REFRESH.token.encode() in open(path, "rb").read():
                found.append(name)
    return found


# -- whose directory, whose file -------------------------------------------------------------------------


@needs_root
def test_a_config_directory_of_another_user_is_refused(tmp_path):
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o700)
    os.chown(directory, OTHER_UID, OTHER_UID)
    with pytest.raises(CacheError, match="belongs to another user"):
        DiskCache(str(directory))
    assert os.listdir(directory) == []


@pytest.mark.parametrize("bits", [0o777, 0o770, 0o702])
def test_a_config_directory_others_can_write_is_refused(tmp_path, bits):
    directory = tmp_path / "open"
    directory.mkdir()
    os.chmod(directory, bits)
    with pytest.raises(CacheError, match="can be written by other users"):
        DiskCache(str(directory))
    assert os.listdir(directory) == []


@needs_root
def test_a_token_file_planted_by_another_user_is_not_used(tmp_path):
    """Another user's tokens would make the victim act on the attacker's account (login CSRF)."""
    cache = DiskCache(str(tmp_path))
    planted = b'{"version": 1, "access_token": {"token": "ATTACKER", "access_time": %d, "expires_in": 1800}}' \
        % int(time.time())
    (tmp_path / "tokens.json").write_bytes(planted)
    os.chown(tmp_path / "tokens.json", OTHER_UID, OTHER_UID)
    with pytest.raises(CacheError, match="belongs to another user"):
        cache.access_token  # noqa: B018
    with pytest.raises(CacheError, match="belongs to another user"):
        DiskCache(str(tmp_path))
    assert (tmp_path / "tokens.json").read_bytes() == planted


def test_a_token_file_others_can_write_is_refused(tmp_path):
    cache = DiskCache(str(tmp_path))
    cache.refresh_token = REFRESH
    os.chmod(cache.path, 0o666)
    with pytest.raises(CacheError, match="can be written by other users"):
        DiskCache(str(tmp_path)).refresh_token  # noqa: B018


def test_a_symlinked_token_file_is_never_followed(tmp_path):
    """Neither read through, written through, replaced, nor chmod-ed through."""
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's own file\n")
    os.chmod(victim, 0o644)
    config_dir = tmp_path / "config"
    config_dir.mkdir(mode=0o700)
    os.symlink(victim, config_dir / "tokens.json")
    with pytest.raises(CacheError, match="symbolic link"):
        DiskCache(str(config_dir))
    assert mode(victim) == 0o644  # the old tighten() made it 0600
    assert victim.read_text() == "the victim's own file\n"
    assert os.path.islink(config_dir / "tokens.json")


def test_a_token_file_symlinked_to_dev_null_is_not_replaced_by_tokens(tmp_path):
    cache = DiskCache(str(tmp_path))
    os.unlink(cache.path)
    os.symlink(os.devnull, cache.path)
    with pytest.raises(CacheError, match="symbolic link"):
        cache.refresh_token = REFRESH
    assert os.path.islink(cache.path) and os.readlink(cache.path) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert stored(tmp_path) == []


def test_status_on_a_fifo_fails_at_once(tmp_path):
    """A FIFO in place of the token file made `status` hang for ever."""
    os.mkfifo(tmp_path / token_filename(CONSUMER_KEY + "@AMER.OAUTHAP"), 0o600)
    env = dict(os.environ, TD_CONSUMER_KEY=CONSUMER_KEY, TD_CALLBACK_URL="http://127.0.0.1:1/",
               TD_CONFIG_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "pyTD", "status"], env=env, capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert done.stderr.startswith("pyTD: error: ") and "a FIFO" in done.stderr and done.stderr.count("\n") == 1


def test_a_fifo_lock_file_fails_at_once(tmp_path):
    cache = DiskCache(str(tmp_path), lock_timeout=20)
    os.unlink(cache.lock_path)
    os.mkfifo(cache.lock_path, 0o600)
    start = time.monotonic()
    with pytest.raises(CacheError, match="lock file .* FIFO|lock file .* not a regular file"):
        cache.refresh_token = REFRESH
    assert time.monotonic() - start < 5


@needs_root
def test_a_lock_file_held_by_another_user_is_explained_at_once(tmp_path):
    """A planted lock file, held by its owner, used to lock the victim out for lock_timeout, then blame pyTD."""
    cache = DiskCache(str(tmp_path), lock_timeout=20)
    os.chown(cache.lock_path, OTHER_UID, OTHER_UID)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR);"
         f"os.setgid({OTHER_UID}); os.setuid({OTHER_UID}); fcntl.flock(fd, fcntl.LOCK_EX);"
         "print('held', flush=True); time.sleep(60)", cache.lock_path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(CacheError) as info:
            cache.refresh_token = REFRESH
        assert time.monotonic() - start < 5
    finally:
        holder.kill()
        holder.wait()
    assert "belongs to another user" in str(info.value) and cache.lock_path in str(info.value)


# -- the certificate key ---------------------------------------------------------------------------------


def test_the_certificate_key_is_never_written_through_a_planted_symlink(tmp_path):
    """The key used to go through `<key>.<pid>.tmp`, opened with O_CREAT|O_TRUNC: a symlink planted at
    that name made pyTD overwrite the victim's file with the key."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    config_dir = tmp_path / "config"
    config_dir.mkdir(mode=0o700)
    for pid in range(os.getpid() - 5, os.getpid() + 200):  # every name the old scheme could pick
        for name in ("localhost-key.pem", "localhost-cert.pem"):
            os.symlink(victim, config_dir / f"{name}.{pid}.tmp")
    cert, key = self_signed_certificate(str(config_dir))
    assert victim.read_text() == "precious\n"
    assert stat.S_ISREG(os.lstat(key).st_mode) and mode(key) == 0o600
    assert b"PRIVATE KEY" in open(key, "rb").read()


def test_a_planted_certificate_key_symlink_is_refused(tmp_path):
    """Reading the key through a link would hand the callback server the attacker's key."""
    self_signed_certificate(str(tmp_path))
    key = tmp_path / "localhost-key.pem"
    elsewhere = tmp_path / "elsewhere.pem"
    os.replace(key, elsewhere)
    os.chmod(elsewhere, 0o644)
    os.symlink(elsewhere, key)
    with pytest.raises(CacheError, match="symbolic link"):
        self_signed_certificate(str(tmp_path))
    assert mode(elsewhere) == 0o644 and os.path.islink(key)


# -- directories pyTD creates ------------------------------------------------------------------------------


def _create_under_umask(path):
    os.umask(0)
    DiskCache(path)
    return True


def test_created_directories_are_0700_whatever_the_umask(tmp_path):
    target = tmp_path / "a" / "b" / "c"
    process = fork.Process(target=_create_under_umask, args=(str(target),))  # the umask is per process
    process.start()
    process.join()
    assert process.exitcode == 0
    for directory in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert mode(directory) == 0o700, directory
    assert mode(target / "tokens.json") == 0o600


@needs_root
def test_a_read_only_trusted_directory_can_still_be_read(shared_dir):
    """Another user's own read-only config directory: the lock file cannot be created, reads need none."""
    directory = os.path.join(shared_dir, "config")
    DiskCache(directory).refresh_token = REFRESH
    os.unlink(os.path.join(directory, "tokens.json.lock"))
    for path in (directory, os.path.join(directory, "tokens.json")):
        os.chown(path, OTHER_UID, OTHER_UID)
    os.chmod(directory, 0o500)

    def read():
        cache = DiskCache(directory)
        return cache.refresh_token.token, sorted(os.listdir(directory))

    assert as_user(read) == (REFRESH.token, ["tokens.json"])


# -- killed writers -----------------------------------------------------------------------------------------


def _write_forever(directory):
    cache = DiskCache(directory)
    i = 0
    while True:
        i += 1
        cache.refresh_token = Token(f"{REFRESH.token}-{i}", time.time(), 7776000)


def _orphans(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


def _kill_writers(directory, count=60):
    """SIGKILL writers until some left temporary files holding tokens."""
    for _ in range(count):
        writer = fork.Process(target=_write_forever, args=(directory,))
        writer.start()
        time.sleep(0.005 + (_ % 7) * 0.002)
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
    # The SIGKILL test of test_token_store shows ~1 in 4 kills leaves one; plant one if luck spared us.
    if not _orphans(directory):
        with open(os.path.join(directory, ".tokens.json.deadbeef01234567.tmp"), "w") as f:
            json.dump({"refresh_token": {"token": REFRESH.token}}, f)
    assert _orphans(directory)


def test_orphaned_temporary_files_are_removed_by_the_next_write(config_dir):
    directory = config_dir
    DiskCache(directory)
    _kill_writers(directory)
    DiskCache(directory).access_token = ACCESS
    assert _orphans(directory) == []
    assert sorted(os.listdir(directory)) == ["tokens.json", "tokens.json.lock"]


@td_only  # its subject is the store, not the provider
def test_logout_removes_orphaned_temporary_files_holding_tokens(config_dir, sandbox, callback_url):
    client = api(CONSUMER_KEY, callback_url, config_dir=config_dir, auth_url=sandbox.auth_url,
                 api_url=sandbox.api_url)
    client.login(open_browser=HeadlessBrowser(), timeout=10)
    refresh = client.refresh_token
    with open(os.path.join(config_dir, f".{client.cache.filename}.0123456789abcdef.tmp"), "w") as f:
        f.write(refresh)  # what a writer killed mid-write leaves
    client.logout()
    assert _orphans(config_dir) == []
    for name in os.listdir(config_dir):
        assert refresh not in open(os.path.join(config_dir, name), errors="replace").read(), name


# -- a full disk ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["tmpfs", "injected"])
def full_disk(tmp_path, monkeypatch, request):
    disk = FullDisk(str(tmp_path), monkeypatch, request.param)
    yield disk
    disk.close()


@td_only  # its subject is the store, not the provider
def test_a_full_disk_keeps_the_rotated_refresh_token_in_memory(full_disk, callback_url):
    with Sandbox(auto_approve=True, rotate_refresh_tokens=True) as sb:
        client = api(CONSUMER_KEY, callback_url, config_dir=full_disk.dir, auth_url=sb.auth_url,
                     api_url=sb.api_url)
        client.login(open_browser=HeadlessBrowser(), timeout=10)
        old = client.cache.refresh_token
        # expired access, refresh within 7 days of its end: the next request rotates the refresh token
        client.cache.access_token = Token(client.access_token, time.time() - 3600, 1800)
        client.cache.refresh_token = Token(old.token, old.access_time - 7776000 + 86400, old.expires_in)
        full_disk.fill()
        with pytest.raises(CacheError) as info:
            client.request("GET", "/marketdata/quotes", params={"symbol": "AAPL"})
        message = str(info.value)
        assert "No space left on device" in message and "free some space" in message and "\n" not in message
        assert "in memory" in message
        rotated = client.refresh_token
        assert rotated != old.token  # the server's new refresh token was not lost ...
        assert client.request("GET", "/marketdata/quotes", params={"symbol": "AAPL"})["AAPL"]  # ... and it works
        assert len(sb.token_requests) == 2  # the login and the one refresh: no refresh per request
        assert _orphans(full_disk.dir) == []
        full_disk.free()
        client.refresh()  # the next write stores what memory held
        on_disk = DiskCache(full_disk.dir, client.cache.filename)
        assert on_disk.refresh_token.token == rotated and on_disk.access_token.token == client.access_token


@td_only  # its subject is the store, not the provider
def test_a_full_disk_on_the_command_line_is_one_line(full_disk, sandbox, callback_url, capsys, monkeypatch):
    import webbrowser

    from pyTD.cli import main

    for name, value in {"TD_CONSUMER_KEY": CONSUMER_KEY, "TD_CALLBACK_URL": callback_url,
                        "TD_CONFIG_DIR": full_disk.dir, "TD_AUTH_URL": sandbox.auth_url,
                        "TD_API_URL": sandbox.api_url}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(webbrowser, "open", HeadlessBrowser())
    os.makedirs(full_disk.dir, mode=0o700)
    full_disk.fill()
    assert main(["login"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pyTD: error: Cannot write the token cache") and err.count("\n") == 1
    assert "No space left on device" in err and "Traceback" not in err
