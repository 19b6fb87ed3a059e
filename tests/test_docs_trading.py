"""docs/trading.rst: its Python examples run, in order, against the sandbox."""

import contextlib
import io
import os
import re

import pytest

DOC = os.path.join(os.path.dirname(__file__), "..", "docs", "trading.rst")


def python_blocks(text):
    """The ``.. code-block:: python`` blocks of a reStructuredText page, dedented."""
    blocks = []
    for match in re.finditer(r"^\.\. code-block:: python\n\n((?:(?: {4}.*)?\n)+)", text, re.MULTILINE):
        blocks.append("\n".join(line[4:] for line in match.group(1).splitlines()))
    return blocks


# The page sets up TD; on Schwab the same blocks run after this first one, but for TD's watchlists.
SCHWAB = {
    'sb = Sandbox(auto_approve=True).start()': 'sb = Sandbox(provider="schwab", auto_approve=True).start()',
    'a = api("CONSUMERKEY", "http://127.0.0.1:8765/callback", provider="td",':
        'a = api("CONSUMERKEY", "https://127.0.0.1:8765", provider="schwab", client_secret="SECRET",',
    "a.login(open_browser=HeadlessBrowser())": "a.login(open_browser=HeadlessBrowser(verify=False))",
}


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # the self-signed callback
@pytest.mark.parametrize("provider", ["td", "schwab"])
def test_the_trading_page_runs(tmp_path, monkeypatch, provider):
    pytest.importorskip("pandas")
    from pyTD.exceptions import UnsupportedError

    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(open(DOC, encoding="utf-8").read())
    assert len(blocks) >= 8
    if provider == "schwab":
        for old, new in SCHWAB.items():
            assert old in blocks[0]
            blocks[0] = blocks[0].replace(old, new)
    namespace = {}
    sandbox = None
    try:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            for number, block in enumerate(blocks, 1):
                if provider == "schwab" and "watchlist(" in block:
                    with pytest.raises(UnsupportedError, match="Charles Schwab"):
                        exec(compile(block, f"docs/trading.rst, block {number}", "exec"), namespace)  # noqa: S102
                    continue
                exec(compile(block, f"docs/trading.rst, block {number}", "exec"), namespace)  # noqa: S102
                sandbox = namespace.get("sb", sandbox)
    finally:
        if sandbox is not None:
            sandbox.stop()
    printed = out.getvalue()
    assert "may or may not have been placed" in printed and "liquidationValue" in printed
    assert namespace["mine"].broker.accounts[namespace["numbers"][1]].type == "MARGIN"
