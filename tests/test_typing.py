"""Type checking as a user's mypy sees pyTD: the typed example passes ``mypy --strict``, a misspelt keyword fails.

mypy runs once for the module, on tests/typed_example.py and tests/typed_misspelt.py, in a subprocess from the
repository root (where it finds ``pyTD``, installed editable or not), with the repository's ``.mypy_cache`` so
that a second run takes a second. (The files stay where they are: mypy's cache knows a module by its content and
would report an old path for a copy elsewhere.)
"""

import ast
import os
import subprocess
import sys

import pytest

import pyTD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join("tests", "typed_example.py")
MISSPELT = os.path.join("tests", "typed_misspelt.py")


@pytest.fixture(scope="module")
def mypy():
    """mypy --strict on the typed example and the misspelt one: (exit status, output lines by file)."""
    pytest.importorskip("mypy", reason="the test extra installs mypy")
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--hide-error-context",
                           EXAMPLE, MISSPELT], cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = done.stdout.splitlines()
    return done.returncode, {"example": [line for line in lines if line.startswith(EXAMPLE)],
                             "misspelt": [line for line in lines if line.startswith(MISSPELT)],
                             "other": [line for line in lines if not line.startswith((EXAMPLE, MISSPELT))]}


def test_the_typed_example_passes_mypy_strict(mypy):
    _, output = mypy
    assert output["example"] == []
    assert output["other"] == []  # pyTD itself, as a user's mypy follows it


def test_a_misspelt_keyword_is_an_error_naming_it(mypy):
    status, output = mypy
    assert status == 1
    errors = [line for line in output["misspelt"] if ": error: " in line]
    misspelt = [line for line in errors if 'Unexpected keyword argument "outptu_format"' in line]
    assert [line.split(":")[1] for line in misspelt] == ["10", "11"]  # the method and the module function
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
