"""The callback server over real sockets: loopback only, state checked, garbage survived."""

import os
import socket
import ssl
import stat
import struct
import threading
import time
from urllib.parse import quote

import pytest
import requests

from pyTD.auth.callback import CallbackServer, callback_address, redirect_params
from pyTD.auth.certs import server_context
from pyTD.exceptions import AuthorizationTimeout, ConfigurationError
from pyTD.sandbox.ports import free_port

from .hostile import Occupant, needs_root

STATE = "expected-state"
CODE = "Abc+Def/Ghi=="


@pytest.fixture
def server_url():
    return f"http://127.0.0.1:{free_port()}/callback"


def get(url, **kw):
    return requests.get(url, timeout=5, **kw)


def wait_in_thread(server, timeout=5):
    """Run server.wait() in a thread; returns a dict filled with its result or exception."""
    outcome = {}

    def run():
        try:
            outcome["params"] = server.wait(timeout)
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("url,host,port,path,https", [
    ("https://localhost:8080", "127.0.0.1", 8080, "/", True),
    ("http://127.0.0.1:9000/cb/", "127.0.0.1", 9000, "/cb/", False),
    ("https://[::1]:8443/x", "::1", 8443, "/x", True),
    ("http://LOCALHOST:1234", "127.0.0.1", 1234, "/", False),
])
def test_callback_address_accepts_loopback(url, host, port, path, https):
    assert callback_address(url) == (host, port, path, https)


@pytest.mark.parametrize("url,words", [
    ("https://example.com:8080", "not loopback"),
    ("https://0.0.0.0:8080", "not loopback"),
    ("https://192.168.1.10:8080", "not loopback"),
    ("http://localhost", "has no port"),
    ("https://127.0.0.1/callback", "has no port"),
    ("ftp://localhost:21", "http:// or https://"),
    ("localhost:8080", "http:// or https://"),
    ("http://localhost:port", "not a valid URL"),
    ("http://[::1:80", "not a valid URL"),
])
def test_callback_address_rejects_everything_else(url, words):
    with pytest.raises(ConfigurationError, match=words):
        callback_address(url)


def test_code_is_decoded_exactly_once():
    assert redirect_params("code=" + quote(CODE, safe="") + "&state=s") == {"code": CODE, "state": "s"}
    # a code that was encoded twice stays encoded once: we never decode twice
    twice = quote(quote(CODE, safe=""), safe="")
    assert redirect_params("code=" + twice)["code"] == quote(CODE, safe="")
    # a literal + in a code is kept (codes never contain spaces)
    assert redirect_params("code=a+b%2Fc%3D")["code"] == "a+b/c="


def test_success_returns_params_and_closes_the_port(server_url):
    with CallbackServer(server_url, STATE) as server:
        thread, outcome = wait_in_thread(server)
        page = get(f"{server_url}?code={quote(CODE, safe='')}&state={STATE}")
        thread.join()
    assert outcome["params"]["code"] == CODE
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Authorization complete" in page.text
    assert CODE not in page.text and quote(CODE, safe="") not in page.text
    with pytest.raises(requests.ConnectionError):
        get(server_url)


def test_strays_get_4xx_and_the_server_keeps_waiting(server_url):
    base = server_url.rsplit("/", 1)[0]
    with CallbackServer(server_url, STATE) as server:
        thread, outcome = wait_in_thread(server)
        assert get(base + "/favicon.ico").status_code == 404
        assert get(server_url).status_code == 400                      # no code
        assert get(server_url + "?foo=bar").status_code == 400
        assert get(f"{server_url}?code=x&state=wrong").status_code == 400
        assert get(f"{server_url}?code=x").status_code == 400          # code without state
        assert get(f"{server_url}?error=access_denied&state=wrong").status_code == 400
        assert requests.post(server_url, data="x", timeout=5).status_code == 501
        assert thread.is_alive() and not outcome
        assert get(f"{server_url}?code=good&state={STATE}").status_code == 200
        thread.join()
    assert outcome["params"]["code"] == "good"


def test_garbage_requests_do_not_stop_the_server(server_url):
    port = int(server_url.split(":")[2].split("/")[0])
    with CallbackServer(server_url, STATE) as server:
        thread, outcome = wait_in_thread(server)
        for garbage in (b"\x00\xff\x16\x03 garbage\r\n\r\n", b"GET\r\n\r\n", b"NOT HTTP AT ALL", b""):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(garbage)
                sock.shutdown(socket.SHUT_WR)
                sock.recv(1024)
        assert get(f"{server_url}?code=ok&state={STATE}").status_code == 200
        thread.join()
    assert outcome["params"]["code"] == "ok"


def test_provider_error_ends_the_flow_with_an_escaped_page(server_url):
    with CallbackServer(server_url, STATE) as server:
        thread, outcome = wait_in_thread(server)
        page = get(f"{server_url}?error=access_denied&error_description=%3Cscript%3Ex%3C%2Fscript%3E&state={STATE}")
        thread.join()
    assert outcome["params"]["error"] == "access_denied"
    assert page.status_code == 400
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text


def test_timeout_raises_authorization_timeout(server_url):
    with CallbackServer(server_url, STATE) as server:
        start = time.monotonic()
        with pytest.raises(AuthorizationTimeout, match="within 0.3 s. Check the consumer key and the callback URL"):
            server.wait(0.3)
        assert time.monotonic() - start < 2


def test_busy_port_is_a_configuration_error(server_url):
    with CallbackServer(server_url, STATE):
        with pytest.raises(ConfigurationError, match="already in use"):
            CallbackServer(server_url, STATE)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may listen on any port")
def test_privileged_port_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="not permitted"):
        CallbackServer("http://127.0.0.1:80/", STATE)


def test_listens_on_loopback_only(server_url):
    with CallbackServer(server_url, STATE) as server:
        assert server._httpd.server_address[0] == "127.0.0.1"


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        port = free_port("::1")
    except OSError:
        pytest.skip("no IPv6 loopback")
    url = f"http://[::1]:{port}/"
    with CallbackServer(url, STATE) as server:
        thread, outcome = wait_in_thread(server)
        assert get(f"{url}?code=v6&state={STATE}").status_code == 200
        thread.join()
    assert outcome["params"]["code"] == "v6"


def test_https_with_generated_self_signed_certificate(tmp_path):
    config_dir = str(tmp_path / "cfg")
    url = f"https://localhost:{free_port()}/"
    context = server_context(None, None, config_dir)
    cert = os.path.join(config_dir, "localhost-cert.pem")
    key = os.path.join(config_dir, "localhost-key.pem")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    with CallbackServer(url, STATE, context) as server:
        thread, outcome = wait_in_thread(server)
        # plain HTTP and a failed TLS handshake do not end the wait
        with pytest.raises(requests.ConnectionError):
            get(url.replace("https", "http"))
        with pytest.raises(requests.exceptions.SSLError):
            get(url)  # the system trust store does not know the self-signed certificate
        page = get(f"{url}?code={quote(CODE, safe='')}&state={STATE}", verify=cert)
        thread.join()
    assert page.status_code == 200 and outcome["params"]["code"] == CODE


def test_self_signed_certificate_is_reused(tmp_path):
    config_dir = str(tmp_path)
    server_context(None, None, config_dir)
    cert = os.path.join(config_dir, "localhost-cert.pem")
    first = open(cert).read()
    server_context(None, None, config_dir)
    assert open(cert).read() == first


def test_a_readable_self_signed_key_is_tightened_with_a_warning(tmp_path, caplog):
    config_dir = str(tmp_path)
    server_context(None, None, config_dir)
    key = os.path.join(config_dir, "localhost-key.pem")
    os.chmod(key, 0o644)
    server_context(None, None, config_dir)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert "readable by others" in caplog.text and key in caplog.text


def test_user_certificate_and_bad_certificate(tmp_path):
    server_context(None, None, str(tmp_path))  # make a pair to use as "the user's"
    cert, key = str(tmp_path / "localhost-cert.pem"), str(tmp_path / "localhost-key.pem")
    assert isinstance(server_context(cert, key, str(tmp_path / "unused")), ssl.SSLContext)
    assert not os.path.exists(tmp_path / "unused")
    with pytest.raises(ConfigurationError, match="both"):
        server_context(cert, None, str(tmp_path))
    with pytest.raises(ConfigurationError, match="Cannot load"):
        server_context(str(tmp_path / "missing.pem"), key, str(tmp_path))
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(ConfigurationError, match="Cannot load"):
        server_context(str(tmp_path / "junk.pem"), key, str(tmp_path))


# -- a hostile neighbour (issue 11) ---------------------------------------------------------------------


def free_dual_port():
    """A port free on both 127.0.0.1 and ::1."""
    for _ in range(20):
        port = free_port()
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no port free on both loopback addresses")


@pytest.fixture
def ipv6():
    try:
        free_port("::1")
    except OSError:
        pytest.skip("no IPv6 loopback")


def test_a_localhost_callback_is_served_on_both_loopback_addresses(ipv6):
    """RFC 8252 section 8.3: a browser may resolve localhost to ::1 (Debian, Ubuntu, Chrome)."""
    port = free_dual_port()
    with CallbackServer(f"http://localhost:{port}/cb", STATE) as server:
        thread, outcome = wait_in_thread(server)
        assert get(f"http://[::1]:{port}/cb?code=over-v6&state={STATE}").status_code == 200
        thread.join()
        assert get(f"http://127.0.0.1:{port}/cb?code=late&state={STATE}").status_code == 404  # answered
    assert outcome["params"]["code"] == "over-v6"
    for host, family in (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)):
        with socket.socket(family) as sock, pytest.raises(ConnectionRefusedError):
            sock.connect((host, port))


@needs_root
def test_another_user_on_ipv6_loopback_cannot_take_a_localhost_login(ipv6):
    """Another local user listening on [::1] at the callback port would receive the code: refuse to start."""
    port = free_dual_port()
    thief = Occupant("::1", port)
    try:
        with pytest.raises(ConfigurationError, match=r"::1 is already in use by another program.*127\.0\.0\.1"):
            CallbackServer(f"https://localhost:{port}/", STATE)
        with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
            sock.connect(("127.0.0.1", port))  # the IPv4 half was closed again
    finally:
        thief.stop()


def test_a_browser_that_drops_the_connection_still_completes_the_login(server_url, monkeypatch):
    """The code arrives, then the connection resets before the page can be written (20 of 20 logins
    then waited out their timeout). This sandbox's network stack accepts the write after the reset, so
    the failure the kernel reports elsewhere is injected at the write."""
    import pyTD.auth.callback

    def reset(handler):
        raise ConnectionResetError(104, "Connection reset by peer")

    monkeypatch.setattr(pyTD.auth.callback._Handler, "end_headers", reset)
    port = int(server_url.split(":")[2].split("/")[0])
    with CallbackServer(server_url, STATE) as server:
        thread, outcome = wait_in_thread(server, timeout=10)
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
            sock.sendall(f"GET /callback?code=dropped&state={STATE} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        thread.join()
        assert time.monotonic() - start < 3
    assert outcome["params"]["code"] == "dropped"


def test_a_completed_login_does_not_wait_for_the_page_to_be_read(server_url):
    """A browser that never reads the page (the write blocks or fails) must not hold the login."""
    with CallbackServer(server_url, STATE) as server:
        assert server.handle("/callback", f"code=early&state={STATE}")[0] == 200  # recorded, no page written
        start = time.monotonic()
        assert server.wait(10)["code"] == "early"
        assert time.monotonic() - start < 1


def test_an_error_without_the_right_state_is_ignored(server_url):
    """Anyone on the machine can send `?error=...`: without this login's state it must not end the login."""
    with CallbackServer(server_url, STATE) as server:
        thread, outcome = wait_in_thread(server)
        assert get(f"{server_url}?error=access_denied").status_code == 400
        assert get(f"{server_url}?error=access_denied&state=other").status_code == 400
        time.sleep(0.3)
        assert thread.is_alive() and not outcome
        assert get(f"{server_url}?code=good&state={STATE}").status_code == 200
        thread.join()
    assert outcome["params"]["code"] == "good"


@pytest.mark.parametrize("url,words", [
    ("http://127.0.0.1:0/cb", "no port"),
    ("http://127.0.0.1:8080/cb#frag", "fragment"),
    ("http://127.0.0.1:8080/call back", "spaces"),
    ("http://127.0.0.1:8080/cb\x00", "control"),
    ("http://user:pw@127.0.0.1:8080/cb", "user name or password"),
])
def test_callback_urls_no_browser_can_reach_fail_at_once(url, words):
    """These used to make the login wait its whole timeout."""
    start = time.monotonic()
    with pytest.raises(ConfigurationError, match=words) as info:
        with CallbackServer(url, STATE) as server:
            server.wait(30)
    assert time.monotonic() - start < 2
    assert "pw" not in str(info.value)
