"""The streaming page's examples run as written, against the sandbox (the Jupyter one inside a running loop)."""

import asyncio
import contextlib
import io
import os
import re
import threading

import pytest

DOCS = os.path.join(os.path.dirname(__file__), "..", "docs", "streaming.rst")


def examples():
    """The page's ``# Example: NAME`` code blocks, in order, dedented."""
    text = open(DOCS).read()
    found = []
    for block in re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text):
        code = "\n".join(line[4:] for line in block.splitlines())
        name = re.match(r"# Example: (\w+)", code)
        if name:
            found.append((name.group(1), code))
    return found


# The page sets up TD; "Schwab works the same": the same examples after a Schwab setup.
SCHWAB_SETUP = """
from pyTD.api import api
from pyTD.sandbox import HeadlessBrowser, Sandbox
from pyTD.sandbox.ports import free_port

sandbox = Sandbox(provider="schwab", auto_approve=True, tick_interval=0.1).start()
a = api("SANDBOXKEY", f"https://127.0.0.1:{free_port()}", provider="schwab", client_secret="SECRET", cache="memory",
        auth_url=sandbox.auth_url, api_url=sandbox.api_url)
a.login(open_browser=HeadlessBrowser(verify=False), timeout=30)  # it trusts pyTD's self-signed callback
"""


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # the self-signed callback
@pytest.mark.parametrize("provider", ["td", "schwab"])
def test_the_streaming_page_examples_run_against_the_sandbox(provider):
    blocks = examples()
    assert [name for name, _ in blocks] == ["setup", "async", "sync", "callback", "jupyter", "teardown"]
    assert 'provider="td"' in blocks[0][1]
    if provider == "schwab":
        blocks[0] = ("setup", SCHWAB_SETUP)
    namespace = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for name, code in blocks:
            if name == "jupyter":  # a notebook cell runs while the notebook's event loop runs
                async def cell(code=code):
                    assert asyncio.get_running_loop().is_running()
                    exec(compile(code, "jupyter", "exec"), namespace)

                asyncio.run(cell())
            else:
                exec(compile(code, name, "exec"), namespace)
    printed = out.getvalue()
    assert "quotes" in printed and "chart_equity" in printed and "AAPL" in printed
    assert len(namespace["received"]) == 5
    assert namespace["feed"].state("quotes")["MSFT"]["lastPrice"] > 0
    assert not [t for t in threading.enumerate() if t.name == "pyTD-stream"]
