"""Packaging promises: light import, typed, exceptions that format, a library that stays quiet."""

import ast
import logging
import os
import subprocess
import sys

import pytest

import pyTD
from pyTD import exceptions

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_import_is_light():
    code = ("import sys, pyTD, pyTD.api, pyTD.cache, pyTD.market, pyTD.exceptions;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pandas', 'cryptography') or m == 'http.server'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_py_typed_is_shipped():
    assert os.path.exists(os.path.join(os.path.dirname(pyTD.__file__), "py.typed"))


def test_library_installs_only_a_null_handler():
    handlers = logging.getLogger("pyTD").handlers
    assert handlers and all(isinstance(h, logging.NullHandler) for h in handlers)


def test_exception_hierarchy():
    e = exceptions
    for cls in (e.ConfigurationError, e.AuthorizationError, e.TDQueryError, e.CacheError, e.TDConnectionError):
        assert issubclass(cls, e.TDError)
    assert issubclass(e.AuthorizationTimeout, e.AuthorizationError)
    assert issubclass(e.ReauthorizationRequired, e.AuthorizationError)
    for cls in (e.ClientError, e.ValidationError, e.ForbiddenAccess, e.ResourceNotFound, e.RateLimitError,
                e.ServerError):
        assert issubclass(cls, e.TDQueryError)
    import builtins

    defined = {n for n, v in vars(e).items() if isinstance(v, type) and v.__module__ == e.__name__}
    assert defined and not defined & set(vars(builtins))


@pytest.mark.parametrize("status,cls", [(400, "ValidationError"), (401, "ClientError"), (403, "ForbiddenAccess"),
                                        (404, "ResourceNotFound"), (418, "ClientError"),
                                        (429, "RateLimitError"), (500, "ServerError"), (503, "ServerError")])
def test_query_error_by_status_formats(status, cls):
    error = exceptions.query_error(status, f"{status} from GET /x", body="b", url="http://h/x")
    assert type(error).__name__ == cls
    assert (error.status, error.body, error.url) == (status, "b", "http://h/x")
    assert str(error) == f"{status} from GET /x" and repr(error)


@pytest.mark.parametrize("name", [n for n in dir(exceptions) if n[0].isupper()])
def test_every_exception_formats_with_and_without_arguments(name):
    cls = getattr(exceptions, name)
    if isinstance(cls, type) and issubclass(cls, Exception):
        assert str(cls("message")) == "message"
        str(cls())
        repr(cls())


def test_no_print_sys_exit_or_input_outside_the_cli_and_login():
    allowed = {"cli.py", "__main__.py", os.path.join("auth", "flow.py"), "client.py"}
    for folder, _, files in os.walk(os.path.join(ROOT, "pyTD")):
        for name in files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, os.path.join(ROOT, "pyTD"))
            if not name.endswith(".py") or rel in allowed or rel.startswith("sandbox"):
                continue
            tree = ast.parse(open(path).read())
            calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            attrs = {n.func.attr for n in ast.walk(tree)
                     if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
            assert not calls & {"print", "input", "exit"}, rel
            assert "exit" not in attrs, rel


def test_query_errors_survive_pickling():
    import pickle

    error = exceptions.ResourceNotFound("gone", status=404, body="{}", url="http://h/x")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is exceptions.ResourceNotFound and str(again) == "gone"


def test_the_distribution_name_is_free_of_treasure_datas_pytd():
    """``pip install pyTD`` installs Treasure Data's ``pytd`` (the same normalised name); ours is pytd-client."""
    import re

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with open(os.path.join(os.path.dirname(__file__), "..", "pyproject.toml"), "rb") as f:
        name = tomllib.load(f)["project"]["name"]
    normalised = re.sub(r"[-_.]+", "-", name).lower()
    assert normalised == "pytd-client" and normalised != "pytd"
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.rst")).read()
    assert "pip install pytd-client" in readme and "import pyTD" in readme.replace("from pyTD", "import pyTD")


def test_every_install_hint_names_the_distribution():
    """``pip install 'pyTD[stream]'`` would install Treasure Data's pytd: no message or page may say it."""
    import re

    top = os.path.join(os.path.dirname(__file__), "..")
    wrong = []
    for folder in ("pyTD", "docs"):
        for root, dirs, files in os.walk(os.path.join(top, folder)):
            dirs[:] = [d for d in dirs if not d.startswith(("_build", "__pycache__"))]
            for name in files:
                if name.endswith((".py", ".rst")):
                    lines = open(os.path.join(root, name), encoding="utf-8").read().splitlines()
                    text = "\n".join(line for line in lines if "Do not ``pip install" not in line)  # the warning
                    wrong += [f"{name}: {hit}" for hit in re.findall(r"pip install\s+['\"]?pytd(?!-client)\S*", text,
                                                                      re.IGNORECASE)]
    readme = open(os.path.join(top, "README.rst"), encoding="utf-8").read()
    wrong += re.findall(r"pip install\s+['\"]?pytd(?!-client)\S*", readme, re.IGNORECASE)
    assert wrong == []
