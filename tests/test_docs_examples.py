"""Every Python example and every ``python -m pyTD`` command line in README.rst and docs/*.rst runs, against the
sandbox, over real sockets.

- The ``.. code-block:: python`` blocks of a page run in order, in one namespace, once for each provider
  they are written for: a block that names ``provider="td"`` or ``provider="schwab"`` runs on that
  provider; any other block runs on both, unless every provider-specific block of the page names the
  same provider (then the whole page is written for it).
- The environment is that of a user who configured pyTD as docs/quickstart.rst says (``TD_PROVIDER``,
  ``TD_CONSUMER_KEY``, ``TD_CALLBACK_URL``, and ``TD_CLIENT_SECRET`` for Schwab), except that
  ``TD_AUTH_URL`` and ``TD_API_URL`` lead to a sandbox of the provider (one per provider for this module)
  and ``TD_CONFIG_DIR`` to a new directory for each page.
- What cannot run here is played: the user's web browser by :class:`pyTD.sandbox.HeadlessBrowser` (it
  accepts the self-signed certificate, as the user does), the OS keychain by an in-memory keyring. Redis is
  a real ``redis-server`` for the pages that use it.
- Loopback ports written in examples (``https://127.0.0.1:8182``) may be taken on this machine: each one is
  replaced, throughout the page, by a free port.
- A block that defines ``test_`` functions is a test module: it runs with pytest, in a subprocess.
- A block after the comment ``.. not-run: <reason>`` does not run; NOT_RUN lists each, so adding one is a
  decision made here. Blocks with ``>>>`` prompts are refused: write code, with results in comments.
"""

import glob
import logging
import os
import re
import subprocess
import sys
import textwrap
import warnings
import webbrowser
from dataclasses import dataclass
from typing import List, Optional

import pytest

from pyTD.sandbox import HeadlessBrowser, Sandbox
from pyTD.sandbox.ports import free_port

from . import redisserver
from .conftest import PROVIDERS, need_redis_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["README.rst"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.rst")))

# (page, reason) of every block that does not run.
NOT_RUN = {
    ("docs/authentication.rst", "a Flask application: it needs Flask and a web server"),
}

CONSUMER_KEY = "CONSUMERKEY"
CLIENT_SECRET = "APPSECRET"  # noqa: S105 - the sandbox accepts the first secret it is shown

DIRECTIVE = re.compile(r"^(\s*)\.\. code-block::\s*(\S+)\s*$")
NOT_RUN_COMMENT = re.compile(r"^\s*\.\. not-run:\s*(.+?)\s*$")
# A client or sandbox made for one provider (a provider= given to other calls, e.g. option_symbol, does not count).
PROVIDER = re.compile(r"""\b(?:api|Sandbox)\((?:[^()]|\([^()]*\))*?\bprovider\s*=\s*["'](td|schwab)["']""",
                      re.IGNORECASE)
LOOPBACK_PORT = re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):(\d{2,5})\b")


@dataclass
class Block:
    page: str
    line: int  # of the first code line, 1-based
    language: str
    code: str
    not_run: Optional[str]

    @property
    def providers(self) -> List[str]:
        named = {name.lower() for name in PROVIDER.findall(self.code)}
        return sorted(named) if len(named) == 1 else PROVIDERS


def blocks(page: str) -> List[Block]:
    """The code blocks of an rst page, with the reason of a ``.. not-run:`` comment right before one."""
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        lines = f.read().splitlines()
    found = []
    for number, line in enumerate(lines):
        directive = DIRECTIVE.match(line)
        if not directive:
            continue
        indent = len(directive.group(1))
        before = next((text for text in reversed(lines[:number]) if text.strip()), "")
        comment = NOT_RUN_COMMENT.match(before)
        body, start = [], None
        for index in range(number + 1, len(lines)):
            text = lines[index]
            if text.strip() and len(text) - len(text.lstrip()) <= indent:
                break
            if start is None and (not text.strip() or text.strip().startswith(":")):
                continue  # the directive's options and the blank line after it
            start = index if start is None else start
            body.append(text)
        found.append(Block(page, (start or number) + 1, directive.group(2), textwrap.dedent("\n".join(body)),
                           comment.group(1) if comment else None))
    return found


def python_blocks(page: str) -> List[Block]:
    return [block for block in blocks(page) if block.language == "python"]


def runs(page: str, provider: str) -> List[Block]:
    """The blocks that run on ``provider``. A page whose blocks name one provider only is written for it:
    all its blocks run there (its later blocks use what its first set up)."""
    todo = [b for b in python_blocks(page) if b.not_run is None]
    named = {p for b in todo if b.providers != PROVIDERS for p in b.providers}
    if len(named) == 1:
        return todo if provider in named else []
    return [b for b in todo if provider in b.providers]


CASES = [pytest.param(page, provider, id=f"{page}-{provider}") for page in PAGES for provider in PROVIDERS
         if runs(page, provider)]


@pytest.fixture(scope="module")
def sandboxes():
    """One auto-approving sandbox per provider, started when first needed."""
    started = {}

    def get(provider):
        if provider not in started:
            started[provider] = Sandbox(provider=provider, auto_approve=True).start()
        return started[provider]

    yield get
    for sb in started.values():
        sb.stop()


def users_browser(url, *args, **kwargs):
    """The user's browser: logs in and accepts the callback's self-signed certificate, as the user would."""
    from urllib3.exceptions import InsecureRequestWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureRequestWarning)
        return HeadlessBrowser(verify=False)(url)


@pytest.fixture
def restored_logging():
    """Examples may configure logging; the tests after them must not inherit it."""
    loggers = [logging.getLogger(), logging.getLogger("pyTD")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    yield
    for logger, level, handlers in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.fixture
def keychain():
    """An in-memory OS keychain for the examples of KeyringCache."""
    keyring = pytest.importorskip("keyring")
    from .test_keyring_cache import DictKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(DictKeyring())
    yield
    keyring.set_keyring(previous)


def free_ports(code: str, ports: dict) -> str:
    """``code`` with each loopback port replaced by a free one (the same one wherever it recurs on the page)."""

    def free(m: re.Match) -> str:
        if m.group(2) not in ports:
            ports[m.group(2)] = free_port()
        return f"{m.group(1)}:{ports[m.group(2)]}"

    return LOOPBACK_PORT.sub(free, code)


@pytest.mark.parametrize("page,provider", CASES)
def test_the_examples_of_a_page_run(page, provider, sandboxes, monkeypatch, tmp_path, restored_logging, request):
    todo = runs(page, provider)
    if any("KeyringCache" in block.code for block in todo):
        request.getfixturevalue("keychain")
    ports: dict = {}
    configured(monkeypatch, provider, sandboxes(provider), free_ports("https://127.0.0.1:8182", ports),
               str(tmp_path / "config"))
    if any("Redis" in block.code or "TD_REDIS_URL" in block.code for block in todo):
        need_redis_server()
        server = redisserver.RedisServer(tmp_path / "redis")
        server.start()
        monkeypatch.setenv("TD_REDIS_URL", server.url)
    else:
        server = None
    monkeypatch.chdir(tmp_path)  # files an example writes stay here
    namespace = {"__name__": "__docs_example__"}
    try:
        for block in todo:
            assert ">>>" not in block.code, f"{page}:{block.line}: write the example as code, results in comments"
            code = free_ports(block.code, ports)
            if re.search(r"^def test_", code, re.MULTILINE):
                run_with_pytest(block, code, tmp_path)
            else:
                # Blank lines first, so that a traceback's line numbers are the page's.
                exec(compile("\n" * (block.line - 1) + code, os.path.join(ROOT, page), "exec"), namespace)  # noqa: S102
    finally:
        if server is not None:
            server.stop()


def configured(monkeypatch, provider: str, sb: Sandbox, callback_url: str, config_dir: str) -> None:
    """The environment of a user who configured pyTD as docs/quickstart.rst says, for the sandbox; the user's
    browser played by the stand-in."""
    env = {"TD_PROVIDER": provider, "TD_CONSUMER_KEY": CONSUMER_KEY, "TD_CALLBACK_URL": callback_url,
           "TD_AUTH_URL": sb.auth_url, "TD_API_URL": sb.api_url, "TD_CONFIG_DIR": config_dir}
    if provider == "schwab":
        env["TD_CLIENT_SECRET"] = CLIENT_SECRET
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(webbrowser, "open", users_browser)


def run_with_pytest(block: Block, code: str, tmp_path) -> None:
    path = tmp_path / f"test_example_{block.line}.py"
    path.write_text(code)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                          capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert done.returncode == 0, f"{block.page}:{block.line}: the example's tests failed\n{done.stdout}{done.stderr}"


def test_the_examples_that_do_not_run_are_few_and_listed():
    listed = {(block.page, block.not_run) for page in PAGES for block in python_blocks(page) if block.not_run}
    assert listed == NOT_RUN


def test_the_pages_have_examples_and_every_block_is_found():
    """The extraction itself: a page's python blocks are all found, with their code, and each runs somewhere."""
    every = [block for page in PAGES for block in python_blocks(page)]
    with open(os.path.join(ROOT, "docs", "market-data.rst"), encoding="utf-8") as f:
        assert len([b for b in every if b.page == "docs/market-data.rst"]) == f.read().count(
            ".. code-block:: python")
    assert all(block.code.strip() and not block.code.startswith((" ", "\t")) for block in every)
    assert {block.page for block in every} >= {"README.rst", "docs/quickstart.rst", "docs/market-data.rst",
                                               "docs/providers.rst"}


# -- the command lines of the pages ---------------------------------------------------------------------------

COMMAND = re.compile(r"python -m pyTD(?=\s|$)([^;&|#<>\n]*)(.*)")
SHELL = ("sh", "bash", "console", "shell", "text")
# Commands a test cannot run as written, and what runs instead ("" for nothing).
INSTEAD = {
    "sandbox": "",  # serves until Ctrl-C: tests/test_cli.py runs it in a subprocess, and its printed login
    "login --manual": "login --headless",  # waits for a pasted URL: the stand-in browser does the user's part
}


def commands(page: str) -> List[tuple]:
    """``(line, argv, expected error or None, needs no tokens)`` of every ``python -m pyTD`` command in the
    page's shell blocks; in transcripts (``$`` lines) the error is the ``pyTD: error:`` line shown after it."""
    import shlex

    found = []
    for block in blocks(page):
        if block.language not in SHELL:
            continue
        lines = block.code.splitlines()
        transcript = any(line.startswith("$ ") for line in lines)
        if block.language == "text" and not transcript:
            continue  # a list of commands with what they do, not a session
        for index, line in enumerate(lines):
            if transcript and not line.startswith("$ "):
                continue
            match = COMMAND.search(line)
            if match is None:
                continue
            words = " ".join(shlex.split(match.group(1)))
            if "[" in words or "COMMAND" in words:  # a synopsis, not a command
                continue
            words = next((instead for start, instead in INSTEAD.items() if words.startswith(start)), words)
            if not words:
                continue
            shown = None
            for after in lines[index + 1:]:
                if after.startswith("$ "):
                    break
                if after.startswith("pyTD: error: "):
                    shown = after[len("pyTD: error: "):]
            found.append((block.line + index, words.split(" "), shown, "no tokens" in match.group(2)))
    return found


COMMAND_CASES = [pytest.param(page, provider, id=f"{page}-{provider}") for page in PAGES for provider in PROVIDERS
                 if commands(page)]


@pytest.mark.parametrize("page,provider", COMMAND_CASES)
def test_the_command_lines_of_a_page_run(page, provider, sandboxes, monkeypatch, tmp_path, capsys):
    """In order, as a user who configured pyTD for the sandbox types them; an error shown is the error got."""
    from pyTD.cli import main

    config_dir = str(tmp_path / "config")
    configured(monkeypatch, provider, sandboxes(provider), f"https://127.0.0.1:{free_port()}", config_dir)
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # no terminal: nothing may wait for typing
    assert main(["login", "--headless"]) == 0  # the pages show a user who has logged in, unless they log in
    capsys.readouterr()
    for line, argv, shown, no_tokens in commands(page):
        where = f"{page}:{line}: python -m pyTD {' '.join(argv)}"
        if no_tokens:
            monkeypatch.setenv("TD_CONFIG_DIR", str(tmp_path / "empty"))
        status = main(argv)
        monkeypatch.setenv("TD_CONFIG_DIR", config_dir)
        out, err = capsys.readouterr()
        if shown is None:
            assert status == 0 and err == "", f"{where}: exit {status}\n{err}"
        else:
            got = err[len("pyTD: error: "):].strip()
            assert status == 1 and got.split(":")[0] == shown.split(":")[0], f"{where}: shows {shown!r}, got {err!r}"


def test_the_pages_command_lines_are_found():
    every = {page: commands(page) for page in PAGES}
    assert [argv for _, argv, _, _ in every["docs/cli.rst"]][:3] == [["login", "--headless"], ["status"],
                                                                     ["quote", "AAPL", "BRK.B", "APPL"]]
    assert any(shown and "unknown symbol" in shown for _, _, shown, _ in every["docs/cli.rst"])
    assert any(no_tokens for _, _, _, no_tokens in every["docs/cli.rst"])
    assert ["demo", "--provider", "schwab"] in [argv for _, argv, _, _ in every["README.rst"]]
    assert ["quote", "AAPL", "MSFT"] in [argv for _, argv, _, _ in every["docs/sandbox.rst"]]
    assert all("#" not in " ".join(argv) and "[" not in " ".join(argv) for found in every.values()
               for _, argv, _, _ in found)
