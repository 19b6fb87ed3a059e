"""The command line: in-process through main(), and as `python -m pyTD` for the demo."""

import io
import json
import os
import signal
import subprocess
import sys

import pytest

from pyTD.cli import command_line_words, main, quote_table
from pyTD.sandbox import HeadlessBrowser

from .conftest import CLIENT_SECRET, CONSUMER_KEY, WIRE, td_only


@pytest.fixture
def env(monkeypatch, sandbox, config_dir, callback_url, provider):
    for name, value in {"TD_PROVIDER": provider, "TD_CONSUMER_KEY": CONSUMER_KEY, "TD_CALLBACK_URL": callback_url,
                        "TD_CONFIG_DIR": config_dir, "TD_AUTH_URL": sandbox.auth_url,
                        "TD_API_URL": sandbox.api_url, "TD_CLIENT_SECRET": CLIENT_SECRET}.items():
        monkeypatch.setenv(name, value)


def stand_in_browser(config_dir):
    """The browser a CLI login opens: pyTD's stand-in, trusting the callback's self-signed certificate."""
    return HeadlessBrowser(verify=os.path.join(config_dir, "localhost-cert.pem"))


def ctrl_c_works():
    """In a child process: Ctrl-C interrupts it, even where the suite runs with SIGINT ignored (in the background)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("options", [[], ["--provider", "schwab"]])
def test_demo_runs_unattended_and_prints_quotes(tmp_path, options):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TD_")}
    done = subprocess.run([sys.executable, "-m", "pyTD", "demo", *options], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Symbol"))
    assert [line.split()[0] for line in lines[header + 1:]] == ["AAPL", "MSFT", "AMZN", "GOOGL", "TSLA"]
    assert "Traceback" not in done.stderr


def test_login_status_quote_logout(env, capsys, monkeypatch, config_dir):
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", stand_in_browser(config_dir))
    status, out, _ = run(capsys, "login")
    assert status == 0 and "Logged in" in out
    status, out, _ = run(capsys, "login")
    assert status == 0 and "Already logged in" in out and "--force" in out
    status, out, err = run(capsys, "login", "--force", "--no-browser", "--timeout", "0.3")
    assert status == 1 and "client_id=" in out and "No authorization" in err  # it did log in again
    status, out, _ = run(capsys, "status")
    assert status == 0
    assert "access token: valid until" in out and "refresh token: valid until" in out
    assert "DiskCache" in out
    from pyTD.api import api

    client = api()
    for secret in (client.access_token, client.refresh_token):
        assert secret not in out
    status, out, _ = run(capsys, "quote", "AAPL", "msft")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == ["Symbol", "AAPL", "MSFT"]
    status, out, _ = run(capsys, "logout")
    assert status == 0 and "Logged out" in out
    status, out, _ = run(capsys, "status")
    assert status == 1 and "access token: none" in out and "Not logged in" in out


@pytest.fixture
def cli_logged_in(env, capsys, monkeypatch, config_dir):
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", stand_in_browser(config_dir))
    assert run(capsys, "login")[0] == 0


def test_quote_reports_unknown_symbols_on_stderr_and_exits_1(cli_logged_in, capsys):
    status, out, err = run(capsys, "quote", "AAPL BRK.B", "APPL")
    assert status == 1
    assert [line.split()[0] for line in out.splitlines()] == ["Symbol", "AAPL", "BRK.B"]
    assert err == "pyTD: error: unknown symbol: APPL\n"
    status, out, err = run(capsys, "quote", "APPL", "XYZQ")
    assert status == 1 and out == "" and err == "pyTD: error: unknown symbols: APPL, XYZQ\n"


def test_quote_prints_prices_of_futures_forex_and_funds(cli_logged_in, capsys):
    """TD names those prices lastPriceInDouble, ..., and a fund's nAV: the table shows them on both providers."""
    status, out, err = run(capsys, "quote", "/ES EUR/USD VTSAX")
    assert status == 0, err
    for line in out.splitlines()[1:]:
        last, bid, ask = line.split()[1:4]
        assert float(last.replace(",", "")) > 0, line
        if not line.startswith("VTSAX"):
            assert float(bid.replace(",", "")) > 0 and float(ask.replace(",", "")) > 0, line


def test_settings_go_before_or_after_the_command(env, capsys, provider, monkeypatch):
    monkeypatch.delenv("TD_PROVIDER")
    for argv in (["--provider", provider, "status"], ["status", "--provider", provider]):
        status, out, _ = run(capsys, *argv)
        assert status == 1 and f"({provider})" in out.splitlines()[0]


def test_minute_candles_print_their_time_in_the_api_zone(cli_logged_in, capsys, monkeypatch):
    monkeypatch.setenv("TD_TIMEZONE", "UTC")
    status, out, _ = run(capsys, "history", "AAPL", "--rows", "2")
    lines = out.splitlines()
    assert status == 0 and lines[1].split()[:3] == ["Time", "(UTC)", "Open"]
    assert all(len(line.split()[1]) == 5 and ":" in line.split()[1] for line in lines[2:])  # HH:MM


def test_history_prints_the_last_candles_in_new_york_time(cli_logged_in, capsys, sandbox, wire):
    sandbox.clear_requests()
    status, out, _ = run(capsys, "history", "aapl", "--period-type", "month", "--frequency-type", "daily",
                         "--start", "2024-05-01", "--end", "2024-05-10", "--rows", "3")
    assert status == 0
    (sent,) = sandbox.requests
    assert sent.path.startswith(wire.marketdata)
    # New York days, the end day included: 2024-05-01 00:00 EDT to 2024-05-10 23:59:59.999 EDT
    assert {k: v for k, v in sent.query.items() if k != "symbol"} == {
        "periodType": "month", "frequencyType": "daily", "startDate": "1714536000000", "endDate": "1715399999999"}
    lines = out.splitlines()
    assert lines[0] == "AAPL: 8 candles, the last 3:"  # the weekdays from May 1 to May 10
    assert lines[1].split()[:2] == ["Day", "Open"]  # daily candles: their trading day, as in pandas
    assert [line.split()[0] for line in lines[2:]] == ["2024-05-08", "2024-05-09", "2024-05-10"]


def test_chain_prints_one_row_per_contract(cli_logged_in, capsys, sandbox):
    status, out, _ = run(capsys, "chain", "MSFT", "--type", "put", "--strikes", "3")
    assert status == 0
    rows = out.splitlines()[2:]
    assert rows and all(row.split()[1] == "PUT" for row in rows)
    assert len(rows) == 3 * len({row.split()[0] for row in rows})  # three strikes per expiration


@pytest.mark.parametrize("argv,words", [(["history", "AAPL", "--period-type", "decade"], "--period-type"),
                                        (["history", "AAPL", "--frequency-type", "daily"], "defaults to 'day'"),
                                        (["history", "APPL"], "unknown symbol: APPL"),
                                        (["chain", "NOSUCHSYMBOL"], "No option chain")])
def test_history_and_chain_errors_are_one_line(cli_logged_in, capsys, argv, words):
    status, _, err = run(capsys, *argv)
    assert status == 1 and words in err and err.count("\n") == 1


def test_login_no_browser_prints_the_url(env, capsys, monkeypatch):
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    status, out, err = run(capsys, "login", "--no-browser", "--timeout", "0.3")
    assert status == 1 and opened == []
    assert "client_id=" in out
    assert err.startswith("pyTD: error: No authorization") and err.count("\n") == 1


def test_login_manual(env, capsys, monkeypatch):
    import requests

    def paste(prompt):
        url = next(w for w in capsys.readouterr().out.split() if w.startswith("http"))
        return requests.get(url, allow_redirects=False, timeout=5).headers["Location"]

    monkeypatch.setattr("builtins.input", paste)
    status, out, err = run(capsys, "login", "--manual")
    assert status == 0, err


@pytest.mark.parametrize("argv,setup,words", [
    (["status"], {}, "No consumer key"),
    (["status"], {"TD_CONSUMER_KEY": "K", "TD_CALLBACK_URL": "http://127.0.0.1:1/", "TD_STORE_TOKENS": "maybe"},
     "TD_STORE_TOKENS"),
    (["status"], {"TD_CONSUMER_KEY": "K", "TD_CALLBACK_URL": "nonsense"}, "not a valid URL"),
    (["quote", "AAPL"], {"TD_CONSUMER_KEY": "K", "TD_CALLBACK_URL": "http://127.0.0.1:1/"}, "pyTD login"),
    (["status"], {"TD_CONSUMER_KEY": "K", "TD_CALLBACK_URL": "http://127.0.0.1:1/", "TD_PROVIDER": "schwab"},
     "TD_CLIENT_SECRET"),
    (["status"], {"TD_CONSUMER_KEY": "K", "TD_CALLBACK_URL": "https://localhost:8182", "TD_PROVIDER": "schwab",
                  "TD_CLIENT_SECRET": "S"}, "https://127.0.0.1:8182"),
    (["status"], {"TD_CONSUMER_KEY": "K", "TD_CALLBACK_URL": "http://127.0.0.1:1/", "TD_PROVIDER": "etrade"},
     "Unknown provider"),
    (["login"], {"TD_CONSUMER_KEY": "K", "TD_CALLBACK_URL": "https://example.com:8080"}, "not loopback"),
])
def test_errors_are_one_line_without_traceback(capsys, monkeypatch, tmp_path, argv, setup, words):
    monkeypatch.setenv("TD_CONFIG_DIR", str(tmp_path))
    for name, value in setup.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", open(os.devnull))
    status, out, err = run(capsys, *argv)
    assert status == 1
    assert words in err and err.startswith("pyTD: error: ") and err.count("\n") == 1
    assert "consumer_key=" not in err and "client_secret=" not in err  # the CLI's words, not Python's
    assert "pass TD_" not in err  # a variable is set, not passed


def test_errors_in_a_real_process_have_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TD_")}
    env["TD_CONFIG_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pyTD", "status"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("pyTD: error: No consumer key") and "Traceback" not in done.stderr


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2


def test_library_words_become_flags_with_their_values_apart():
    assert command_line_words("pass period_type='month' or frequency_type 'daily'") == \
        "pass --period-type 'month' or --frequency-type 'daily'"
    assert command_line_words("period must be 1; start_date= and period= are refused") == \
        "--period must be 1; --start and --period are refused"
    assert command_line_words("give either period or start_date and end_date, not a period of days") == \
        "give either --period or --start and --end, not a period of days"
    assert command_line_words("frequency for period_type 'day' must be 1") == \
        "--frequency for --period-type 'day' must be 1"
    assert command_line_words("The stop price must be below the market") == \
        "The stop price must be below the market"  # a provider's words, not about a flag


@pytest.mark.parametrize("argv, words", [
    (["history", "AAPL", "--period", "7"], "--period for --period-type 'day' must be one of"),
    (["history", "AAPL", "--frequency", "7"], "--frequency must be one of"),
    (["history", "AAPL", "--period", "2", "--start", "2024-05-01", "--end", "2024-05-10"],
     "either --period or --start and --end"),
    (["orders", "--status", "FOO"], "--status must be one of"),
])
def test_argument_errors_name_the_flags(cli_logged_in, capsys, argv, words):
    status, _, err = run(capsys, *argv)
    assert status == 1 and words in err, err


def test_a_headless_login_to_a_dead_login_page_names_the_setting(env, capsys, monkeypatch):
    from .conftest import free_port

    monkeypatch.setenv("TD_AUTH_URL", f"http://127.0.0.1:{free_port()}/auth")  # no sandbox there
    status, _, err = run(capsys, "login", "--headless", "--force")
    assert status == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "--auth-url (TD_AUTH_URL)" in err and "python -m pyTD sandbox" in err and "--api-url" not in err


def test_plain_http_off_loopback_names_the_variable(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("TD_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("TD_CONSUMER_KEY", "K")
    monkeypatch.setenv("TD_CALLBACK_URL", "http://127.0.0.1:1/")
    status, _, err = run(capsys, "--api-url", "http://example.com/v1", "status")
    assert status == 1 and "set TD_ALLOW_INSECURE_HTTP=true" in err and "allow_insecure_http=" not in err


def test_a_streamed_line_shows_the_time_in_the_apis_zone():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from pyTD.cli import stream_line

    quote = {"symbol": "AAPL", "tradeTime": datetime(2024, 12, 2, 14, 30, 5, tzinfo=timezone.utc), "lastPrice": 1.0}
    assert stream_line(quote, ZoneInfo("America/New_York")).startswith("09:30:05 AAPL")
    assert stream_line(quote).startswith("14:30:05 AAPL")


def test_quote_table_formats_missing_fields():
    table = quote_table({"AAA": {"symbol": "AAA", "lastPrice": 10.0, "closePrice": 8.0, "totalVolume": 1234567,
                                 "description": "A Inc"}})
    row = table.splitlines()[1]
    assert row.split()[:3] == ["AAA", "10.00", "-"] and "+25.00" in row and "1,234,567" in row


@pytest.mark.parametrize("provider", ["td", "schwab"])
def test_sandbox_command_prints_what_to_export_and_logs_in_headless(provider, tmp_path):
    """The printed exports and the one-line headless login work as printed, in a clean environment."""
    proc = subprocess.Popen([sys.executable, "-m", "pyTD", "sandbox", "--auto-approve", "--provider", provider],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_works)
    try:
        lines = [proc.stdout.readline() for _ in range(10 if provider == "schwab" else 9)]
        assert lines[0].startswith("pyTD sandbox (") and " serving at http://127.0.0.1:" in lines[0]
        assert lines[1].startswith("Paper accounts: ") and "(margin, $100,000)" in lines[1]
        exports = dict(line.split()[1].split("=", 1) for line in lines if line.strip().startswith("export "))
        assert {"TD_PROVIDER", "TD_CONSUMER_KEY", "TD_CALLBACK_URL", "TD_AUTH_URL", "TD_API_URL"} <= set(exports)
        assert ("TD_CLIENT_SECRET" in exports) is (provider == "schwab")
        login = next(line.split("#")[0].split() for line in lines if "login" in line)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TD_")}
        env.update(exports, TD_CONFIG_DIR=str(tmp_path / "config"))
        done = subprocess.run(login[:1] and [sys.executable, *login[1:]], env=env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0 and "Logged in" in done.stdout, done.stderr
        done = subprocess.run([sys.executable, "-m", "pyTD", "quote", "AAPL"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.splitlines()[1].startswith("AAPL"), done.stderr
        done = subprocess.run([sys.executable, "-m", "pyTD", "accounts"], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0 and done.stdout.splitlines()[1].split()[0] == lines[1].split()[2], done.stderr
    finally:
        import signal

        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and "Traceback" not in err


def test_a_connection_error_hints_at_the_url_and_the_sandbox(capsys, monkeypatch, tmp_path):
    from pyTD.sandbox.ports import free_port

    for name, value in {"TD_CONSUMER_KEY": "K", "TD_CALLBACK_URL": "http://127.0.0.1:1/",
                        "TD_API_URL": f"http://127.0.0.1:{free_port()}/v1", "TD_CONFIG_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    import time

    from pyTD.api import api
    from pyTD.tokens import Token

    api().cache.access_token = Token("ACCESS", time.time(), 1800)
    status, _, err = run(capsys, "quote", "AAPL")
    assert status == 1 and "TD_API_URL" in err and "sandbox" in err and err.count("\n") == 1


@td_only
def test_ctrl_c_during_login_exits_130_and_closes_the_port(sandbox, config_dir, callback_url):
    import signal
    import socket
    from urllib.parse import urlsplit

    env = dict(os.environ, TD_CONSUMER_KEY=CONSUMER_KEY, TD_CALLBACK_URL=callback_url, TD_CONFIG_DIR=config_dir,
               TD_AUTH_URL=sandbox.auth_url, TD_API_URL=sandbox.api_url)
    proc = subprocess.Popen([sys.executable, "-m", "pyTD", "login", "--no-browser"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, preexec_fn=ctrl_c_works)
    try:
        while sandbox.auth_url not in proc.stdout.readline():  # the URL is printed once the server listens
            pass
        port = urlsplit(callback_url).port
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and err == "pyTD: interrupted\n"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_debug_logging_never_shows_the_authorization_code():
    """`pyTD -vv demo` used to print the code through urllib3's DEBUG log of the callback request."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TD_")}
    done = subprocess.run([sys.executable, "-m", "pyTD", "-vv", "demo"], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env=env)
    assert done.returncode == 0, done.stderr
    assert "DEBUG urllib3.connectionpool" in done.stderr and "/callback" in done.stderr  # the lines are there ...
    assert "code=" not in done.stderr and "state=" not in done.stderr  # ... without their query strings
    assert "Bearer" not in done.stderr and "access_token" not in done.stderr


def test_provider_text_reaches_the_terminal_without_control_characters(cli_logged_in, capsys, sandbox):
    import json

    said = "\x1b[2J\x1b]0;pwned\x07boom\r\nFAKE: \u202eline"
    sandbox.fail_next(1, status=400, body=json.dumps({"error": said}), path=WIRE[sandbox.provider].marketdata)
    status, _, err = run(capsys, "quote", "AAPL")
    assert status == 1 and err.count("\n") == 1 and "boom" in err
    assert not any(ch in err[:-1] for ch in "\x1b\x07\r\u202e")


def test_a_denial_with_escape_sequences_is_shown_clean(client):
    from urllib.parse import parse_qs, quote, urlsplit

    import requests

    from pyTD.exceptions import AuthorizationError

    def browser(url):
        state = parse_qs(urlsplit(url).query)["state"][0]
        description = quote("\x1b[31mdenied\x1b[0m\r\nby you", safe="")
        requests.get(f"{client.callback_url}?error=access_denied&error_description={description}&state={state}",
                     timeout=5, verify=os.path.join(client.config_dir, "localhost-cert.pem"))

    with pytest.raises(AuthorizationError, match="denied") as info:
        client.login(open_browser=browser, timeout=10)
    assert "\x1b" not in str(info.value) and "\r" not in str(info.value)


# -- trading ---------------------------------------------------------------------------------------------------


def test_accounts_positions_and_orders_tables(cli_logged_in, capsys, sandbox):
    margin, cash = list(sandbox.broker.accounts)
    status, out, _ = run(capsys, "accounts")
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["Account", "Type", "Value", "Cash", "Buying", "power"]
    assert [line.split()[:2] for line in lines[1:]] == [[margin, "MARGIN"], [cash, "CASH"]]
    assert lines[1].split()[3] == "100,000.00"
    status, out, _ = run(capsys, "positions")
    assert status == 0 and [line.split()[:2] for line in out.splitlines()[1:]] == [
        [margin, "AAPL"], [margin, "MSFT"], [cash, "F"], [cash, "SPY"]]
    status, out, _ = run(capsys, "positions", "--account", cash)
    assert [line.split()[1:4] for line in out.splitlines()[1:]] == [["F", "EQUITY", "200"], ["SPY", "EQUITY", "10"]]
    status, out, _ = run(capsys, "orders")
    assert status == 0 and out == "No orders.\n"


def test_order_buy_with_yes_prints_the_json_and_the_id(cli_logged_in, capsys, sandbox):
    margin = list(sandbox.broker.accounts)[0]
    status, out, _ = run(capsys, "order", "buy", "aapl", "5", "--account", margin, "--yes")
    assert status == 0
    (placed,) = sandbox.broker.orders_of(margin)
    body, last = out.rsplit("\n", 2)[0], out.splitlines()[-1]
    assert json.loads(body) == {"orderType": "MARKET", "session": "NORMAL", "duration": "DAY",
                                "orderStrategyType": "SINGLE", "orderLegCollection": [
                                    {"instruction": "BUY", "quantity": 5,
                                     "instrument": {"symbol": "AAPL", "assetType": "EQUITY"}}]}
    assert last == f"Placed order {placed.id}."
    status, out, _ = run(capsys, "orders", "--account", margin, "--status", "FILLED")
    row = out.splitlines()[1].split()
    assert row[0] == str(placed.id) and row[1:3] == [margin, "FILLED"] and row[5:8] == ["BUY", "AAPL", "MARKET"]


def test_order_sell_limit_and_stop_kinds(cli_logged_in, capsys, sandbox):
    margin = list(sandbox.broker.accounts)[0]
    for options, kind in ((["--limit", "250.129"], "LIMIT"), (["--stop", "200"], "STOP"),
                          (["--stop", "200", "--limit", "199.5"], "STOP_LIMIT")):
        status, out, _ = run(capsys, "order", "sell", "AAPL", "10", *options, "--account", margin, "--dry-run")
        order = json.loads(out)
        assert status == 0 and order["orderType"] == kind and order["orderLegCollection"][0]["instruction"] == "SELL"
    assert order["price"] == "199.50" and order["stopPrice"] == "200.00"
    assert sandbox.broker.orders_of(margin) == []  # a dry run sends nothing


def test_order_without_a_terminal_and_without_yes_refuses(cli_logged_in, capsys, sandbox, monkeypatch):
    margin = list(sandbox.broker.accounts)[0]
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a terminal
    status, out, err = run(capsys, "order", "buy", "AAPL", "1", "--account", margin)
    assert status == 1 and "--yes" in err and '"orderType": "MARKET"' in out
    assert sandbox.broker.orders_of(margin) == []


@pytest.mark.parametrize("answer,placed", [("y", 1), ("n", 0), ("", 0)])
def test_order_asks_on_a_terminal(cli_logged_in, capsys, sandbox, monkeypatch, answer, placed):
    margin = list(sandbox.broker.accounts)[0]
    terminal = io.StringIO(answer + "\n")
    terminal.isatty = lambda: True
    monkeypatch.setattr("sys.stdin", terminal)
    status, out, _ = run(capsys, "order", "buy", "AAPL", "1", "--account", margin)
    assert len(sandbox.broker.orders_of(margin)) == placed
    assert status == (0 if placed else 1) and ("Placed order" in out) == bool(placed)
    assert f"Place this order in account {margin}? [y/N]" in out


@pytest.mark.parametrize("argv,words", [
    (["order", "buy", "AAPL", "0", "--account", "1"], "quantity"),
    (["order", "buy", "AAPL", "10", "--account", "12 3", "--dry-run"], "--account"),
    (["order", "buy", "AAPL", "10", "--limit", "-1", "--account", "1"], "--limit must be"),
])
def test_order_argument_errors_are_one_line(env, capsys, argv, words):
    status, _, err = run(capsys, *argv)
    assert status == 1 and words in err and err.count("\n") == 1


def test_a_refused_order_says_why(cli_logged_in, capsys, sandbox):
    cash = list(sandbox.broker.accounts)[1]
    status, _, err = run(capsys, "order", "buy", "AAPL", "1000", "--account", cash, "--yes")
    assert status == 1 and "buying power" in err and sandbox.broker.orders_of(cash) == []
