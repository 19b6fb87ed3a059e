"""The streaming page's examples run as written, against the sandbox (the Jupyter one inside a running loop)."""

import asyncio
import contextlib
import io
import os
import re
import threading

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


def test_the_streaming_page_examples_run_against_the_sandbox():
    blocks = examples()
    assert [name for name, _ in blocks] == ["setup", "async", "sync", "callback", "jupyter", "teardown"]
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
