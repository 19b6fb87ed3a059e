"""Type checking as a user's mypy sees pyTD: the typed example passes ``mypy --strict``, a misspelt keyword fails.

mypy runs once for the module, in a subprocess from the repository root (where it finds ``pyTD``, installed
editable or not), with the repository's ``.mypy_cache`` so that a second run takes a second.
"""

import ast
import os
import subprocess
import sys

import pytest

import pyTD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join("tests", "typed_example.py")

MISSPELT = '''
import pyTD.market
from pyTD.api import api

a = api("CONSUMERKEY", "https://127.0.0.1:8182")
a.get_quotes("AAPL", outptu_format="pandas")
pyTD.market.get_quotes("AAPL", api=a, outptu_format="pandas")
'''


@pytest.fixture(scope="module")
def mypy(tmp_path_factory):
    """mypy --strict on the typed example and the misspelt snippet: (exit status, output lines by file)."""
    pytest.importorskip("mypy", reason="the test extra installs mypy")
    misspelt = tmp_path_factory.mktemp("typing") / "misspelt.py"
    misspelt.write_text(MISSPELT)
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--hide-error-context",
                           "--show-column-numbers", EXAMPLE, str(misspelt)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = done.stdout.splitlines()
    return done.returncode, {"example": [line for line in lines if line.startswith(EXAMPLE)],
                             "misspelt": [line for line in lines if line.startswith(str(misspelt))],
                             "other": [line for line in lines if not line.startswith((EXAMPLE, str(misspelt)))]}


def test_the_typed_example_passes_mypy_strict(mypy):
    _, output = mypy
    assert output["example"] == []
    assert output["other"] == []  # pyTD itself, as a user's mypy follows it


def test_a_misspelt_keyword_is_an_error_naming_it(mypy):
    status, output = mypy
    assert status == 1
    errors = [line for line in output["misspelt"] if ": error: " in line]
    misspelt = [line for line in errors if 'Unexpected keyword argument "outptu_format"' in line]
    assert [line.split(":")[1] for line in misspelt] == ["6", "7"]  # the method and the module function
    assert all('did you mean "output_format"' in line for line in misspelt)


def test_type_checkers_see_every_re_exported_function():
    """pyTD imports its functions lazily; its TYPE_CHECKING block must name each one, from the same module."""
    with open(pyTD.__file__) as f:
        tree = ast.parse(f.read())
    block = next(node for node in tree.body if isinstance(node, ast.If) and getattr(node.test, "id", "")
                 == "TYPE_CHECKING")
    seen = {alias.asname: node.module for node in block.body if isinstance(node, ast.ImportFrom)
            for alias in node.names}
    assert seen == pyTD.FUNCTIONS
