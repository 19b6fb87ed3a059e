"""The HTTP layer under faults injected by the sandbox: retries, Retry-After, timeouts, the rate limiter."""

import io
import logging
import threading
import time

import pytest
import requests

from pyTD.api import api
from pyTD.cache import DiskCache
from pyTD.exceptions import ConfigurationError, RateLimitError, ServerError, TDConnectionError
from pyTD.sandbox import Sandbox
from pyTD.tokens import Token
from pyTD.transport import Transport

from .conftest import CONSUMER_KEY, WIRE, browser_for, client_options, get_quotes_raw
from .hostile import Server, reply, trickling


def quote(client, symbol="AAPL"):
    return get_quotes_raw(client, symbol)


def sent(sandbox):
    return [r for r in sandbox.requests if r.path.startswith(WIRE[sandbox.provider].marketdata)]


def test_one_session_per_api(logged_in, make_client):
    assert isinstance(logged_in.session, requests.Session)
    assert logged_in.session is not make_client().session
    mine = requests.Session()
    assert make_client(session=mine).session is mine


def test_every_request_has_a_timeout(make_client, monkeypatch):
    assert make_client().transport.timeout == 30
    assert make_client(timeout=2.5).transport.timeout == 2.5
    monkeypatch.setenv("TD_TIMEOUT", "7")
    assert make_client().transport.timeout == 7


@pytest.mark.parametrize("fault", [dict(status=500), dict(status=503), dict(status=429), dict(drop=True)])
def test_get_recovers_from_transient_failures(logged_in, sandbox, fault, caplog, wire):
    sandbox.fail_next(2, path=wire.marketdata, **fault)
    sandbox.clear_requests()
    assert "AAPL" in quote(logged_in)
    assert len(sent(sandbox)) == 3
    retries = [r for r in caplog.records if r.levelno == logging.WARNING and "retrying" in r.getMessage()]
    assert len(retries) == 2


def test_retries_give_up_after_retry_count(make_client, sandbox, wire):
    client = make_client(retry_count=2)
    client.login(open_browser=browser_for(client), timeout=10)
    sandbox.fail_next(5, status=503, body='{"error": "gateway down"}', path=wire.marketdata)
    sandbox.clear_requests()
    with pytest.raises(ServerError) as info:
        quote(client)
    assert info.value.status == 503 and "gateway down" in str(info.value)
    assert len(sent(sandbox)) == 3


def test_dropped_connections_exhaust_into_a_connection_error(make_client, sandbox, wire):
    client = make_client(retry_count=1)
    client.login(open_browser=browser_for(client), timeout=10)
    sandbox.fail_next(2, drop=True, path=wire.marketdata)
    with pytest.raises(TDConnectionError, match="after 2 attempt"):
        quote(client)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_writes_are_never_retried(logged_in, sandbox, method, wire):
    sandbox.fail_next(1, status=503, path=wire.marketdata)
    sandbox.clear_requests()
    with pytest.raises(ServerError):
        logged_in.request(method, wire.quotes, json={})
    assert len(sent(sandbox)) == 1


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_client_errors_are_not_retried(logged_in, sandbox, status, wire):
    sandbox.fail_next(1, status=status, path=wire.marketdata)
    sandbox.clear_requests()
    with pytest.raises(Exception) as info:
        quote(logged_in)
    assert info.value.status == status and len(sent(sandbox)) == 1


def test_retry_after_is_honoured(logged_in, sandbox, wire):
    logged_in.transport.pause = 0.01  # the back-off alone would retry at once
    sandbox.fail_next(1, status=429, retry_after=1, path=wire.marketdata)
    start = time.monotonic()
    quote(logged_in)
    assert time.monotonic() - start >= 1.0


def test_a_429_that_persists_is_a_rate_limit_error(make_client, sandbox, wire):
    client = make_client(retry_count=0)
    client.login(open_browser=browser_for(client), timeout=10)
    sandbox.fail_next(1, status=429, path=wire.marketdata)
    with pytest.raises(RateLimitError) as info:
        quote(client)
    assert info.value.status == 429 and info.value.url.endswith(wire.quotes)


def test_a_slow_server_times_out_in_bounded_time(make_client, sandbox, wire):
    client = make_client(timeout=0.3, retry_count=1)
    client.login(open_browser=browser_for(client), timeout=10)
    sandbox.delay_next(2, 3.0, path=wire.marketdata)
    start = time.monotonic()
    with pytest.raises(TDConnectionError, match="Timeout"):
        quote(client)
    assert time.monotonic() - start < 2.5  # two 0.3 s attempts and a short pause, not the server's 6 s


def test_errors_carry_status_message_and_a_url_without_query(logged_in, sandbox, wire):
    sandbox.fail_next(1, status=403, body='{"error": "not entitled"}', path=wire.marketdata)
    with pytest.raises(Exception) as info:
        logged_in.request("GET", wire.quotes, params={wire.symbols: "SECRETSYMBOL"})
    error = info.value
    assert error.status == 403 and "not entitled" in str(error)
    assert "SECRETSYMBOL" not in str(error) and "?" not in error.url and error.url.endswith(wire.quotes)
    assert "not entitled" in error.body


def test_one_debug_line_per_request(logged_in, sandbox, caplog, wire):
    caplog.set_level(logging.DEBUG, logger="pyTD")
    caplog.clear()
    quote(logged_in)
    lines = [r.getMessage() for r in caplog.records if r.name == "pyTD" and wire.quotes in r.getMessage()]
    (line,) = lines
    assert line.startswith("GET ") and "-> 200 in" in line and " ms (attempt 1)" in line
    assert "symbol=" not in line


def test_the_library_adds_no_handlers(logged_in):
    handlers = logging.getLogger("pyTD").handlers
    assert all(isinstance(h, logging.NullHandler) for h in handlers)


def test_clients_of_one_key_share_a_limiter(make_client):
    first, second = make_client(rate_limit="20/2"), make_client(rate_limit="20/2")
    assert first.transport.limiter is second.transport.limiter
    assert make_client(consumer_key="OTHER", rate_limit="20/2").transport.limiter is not first.transport.limiter
    default = make_client().transport.limiter
    assert (default.limit, default.window) == (120, 60)


def test_rate_limit_zero_disables_it(make_client, monkeypatch):
    monkeypatch.setenv("TD_RATE_LIMIT", "0")
    assert make_client().transport.limiter.limit == 0


def test_a_burst_stays_under_a_server_enforced_limit(config_dir, callback_url, caplog, wire, provider):
    """60 requests from 6 threads and two clients, against a server that answers 429 past 20 per 2 s."""
    from pyTD.api import api

    with Sandbox(provider=provider, auto_approve=True, rate_limit=20, rate_window=2) as sb:
        clients = [api("BURSTKEY", callback_url, config_dir=config_dir, auth_url=sb.auth_url, api_url=sb.api_url,
                       rate_limit="20/2", retry_count=0, **client_options(provider)) for _ in range(2)]
        clients[0].login(open_browser=browser_for(clients[0]), timeout=10)  # both share the disk cache
        errors = []

        def burst(client):
            for _ in range(10):
                try:
                    quote(client)
                except Exception as exc:  # noqa: BLE001 - a 429 would land here
                    errors.append(exc)

        start = time.monotonic()
        threads = [threading.Thread(target=burst, args=(clients[i % 2],)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    assert errors == []
    assert len([r for r in sb.requests if r.path.startswith(wire.marketdata)]) == 60
    assert elapsed >= 4.0  # 60 requests at 20 per 2 s: the third batch waits two windows
    assert "Rate limit of 20 requests per 2 s reached" in caplog.text


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_batched_calls_show_progress_on_a_terminal(logged_in, monkeypatch):
    pytest.importorskip("tqdm")
    symbols = [f"P{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(250)]
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    logged_in.get_quotes(symbols)
    assert "quotes:" in terminal.getvalue() and "/3 [" in terminal.getvalue()  # a bar over 3 batches
    quiet = Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    logged_in.get_quotes(symbols, progress=False)
    assert quiet.getvalue() == ""


# -- a flaky and hostile network (issue 11) ------------------------------------------------------------------


@pytest.mark.parametrize("part", ["headers", "body"])
def test_timeout_bounds_the_whole_request_against_a_trickling_server(part):
    """A byte every 0.5 s used to hold a timeout=1 request for as long as the server liked."""
    server = trickling(part)
    try:
        transport = Transport(timeout=1, retry_count=1, pause=0.01)
        start = time.monotonic()
        with pytest.raises(TDConnectionError, match="no complete answer within 1 s"):
            transport.send("GET", server.url + "/slow")
        assert time.monotonic() - start < 3.5  # two attempts of 1 s; the server would take 20 s each
    finally:
        server.close()
    assert len(server.requests) == 2


def test_the_refresh_lock_is_never_held_longer_than_the_timeout(tmp_path, callback_url):
    """A trickling token endpoint held the cross-process refresh lock (and every other process) for 12 s."""
    server = trickling("body")
    try:
        client = api(CONSUMER_KEY, callback_url, config_dir=str(tmp_path), api_url=server.url + "/v1", timeout=1)
        client.cache.refresh_token = Token("REFRESH+/=", time.time(), 7776000)
        outcome = {}

        def refresh():
            try:
                client.refresh()
            except Exception as exc:  # noqa: BLE001 - checked below
                outcome["error"] = exc

        thread = threading.Thread(target=refresh)
        start = time.monotonic()
        thread.start()
        while not server.requests:
            time.sleep(0.01)
        other = DiskCache(client.cache.config_dir, client.cache.filename, lock_timeout=10)  # another "process"
        with other.lock():
            waited = time.monotonic() - start
        thread.join()
    finally:
        server.close()
    assert isinstance(outcome["error"], TDConnectionError)
    assert waited < 2.0
    assert client.cache.refresh_token.token == "REFRESH+/="


def _broken_chunks(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.wfile.write(b"5\r\n{\"a\":\r\nZZ-not-a-chunk-size\r\n")
    handler.close_connection = True


def test_a_broken_chunked_body_is_retried_for_get_and_typed_for_post():
    answers = iter([_broken_chunks, lambda h: reply(h, 200, b'{"ok": 1}', [("Content-Type", "application/json")])])
    server = Server(lambda h: next(answers)(h))
    try:
        transport = Transport(timeout=5, retry_count=2, pause=0.01)
        assert transport.send("GET", server.url + "/x").json() == {"ok": 1}
        assert len(server.requests) == 2
        broken = Server(_broken_chunks)
        try:
            with pytest.raises(TDConnectionError, match="ChunkedEncodingError"):
                transport.send("POST", broken.url + "/order", json={})
            assert len(broken.requests) == 1  # never retried: an order must not be sent twice
        finally:
            broken.close()
    finally:
        server.close()


def test_a_body_that_cannot_be_decoded_is_a_server_error():
    server = Server(lambda h: reply(h, 200, b"definitely not gzip",
                                    [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]))
    try:
        with pytest.raises(ServerError, match="cannot be decoded"):
            Transport(timeout=5, retry_count=0).send("GET", server.url + "/x")
    finally:
        server.close()


@pytest.mark.parametrize("url,kwargs", [
    ("http://127.0.0.1:1/x", {"headers": {"Authorization": "Bearer SECRET\r\nX-Evil: 1"}}),
    ("http://127.0.0.1:1/x", {"headers": {"X-Note": "SECRET\n"}}),
    ("http://exa mple.com/x?token=SECRET", {}),
    ("http://[::1/x?token=SECRET", {}),
    ("nothttp://example.com/x?token=SECRET", {}),
    ("http://127.0.0.1:1/x", {"json": {"n": float("nan")}, "headers": {"X": "SECRET"}}),
])
def test_a_request_that_cannot_be_sent_is_a_typed_error_without_secrets(url, kwargs):
    with pytest.raises(ConfigurationError) as info:
        Transport(timeout=5, retry_count=0).send("POST", url, **kwargs)
    assert "SECRET" not in str(info.value) and "cannot be sent" in str(info.value)


@pytest.mark.parametrize("name,value", [("TD_TIMEOUT", "1e300"), ("TD_TIMEOUT", "nan"), ("TD_TIMEOUT", "inf"),
                                        ("TD_RATE_LIMIT", "5/inf"), ("TD_RATE_LIMIT", "5/nan"),
                                        ("TD_RATE_LIMIT", "5/1e300")])
def test_absurd_settings_are_configuration_errors_not_overflows(make_client, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        make_client()


@pytest.mark.parametrize("kwargs", [dict(timeout=1e300), dict(timeout=float("nan")), dict(pause=1e300),
                                    dict(pause=float("inf"))])
def test_absurd_transport_arguments_are_value_errors(kwargs):
    with pytest.raises(ValueError):
        Transport(**kwargs)


def test_a_huge_retry_count_does_not_overflow_the_back_off(monkeypatch):
    transport = Transport(retry_count=5000, pause=0.5)
    waits = []
    monkeypatch.setattr(time, "sleep", waits.append)
    transport._wait(4000, "inf", "test")
    assert waits and waits[0] <= 60 * 1.25
