"""Sphinx configuration for pyTD's documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` from the repository root.
"""

import os
import sys

# Document the checkout itself, installed or not.
sys.path.insert(0, os.path.abspath(".."))

import pyTD  # noqa: E402

project = "pyTD"
author = "pyTD developers"
copyright = "2026, pyTD developers"  # noqa: A001 - the name Sphinx reads
version = release = pyTD.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

# The docstrings are numpy style.
napoleon_google_docstring = False
napoleon_numpy_docstring = True

autodoc_member_order = "bysource"
autodoc_typehints = "description"

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
html_theme = "alabaster"
