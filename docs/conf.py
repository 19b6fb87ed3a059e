"""Sphinx configuration for pyTD's documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import pyTD  # noqa: E402

project = "pyTD"
author = "pyTD developers"
copyright = "2026, pyTD developers"  # noqa: A001 - Sphinx's name
version = release = pyTD.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
exclude_patterns = ["_build"]
html_theme = "alabaster"
