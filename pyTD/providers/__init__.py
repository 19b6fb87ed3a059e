"""Provider profiles: everything pyTD knows about one API provider, one module each.

A profile knows its provider's URLs, token requests, callback rules, paths,
parameter names and values, and how its answers map to pyTD's columns. The
rest of pyTD (the login flow, caches, transport, market functions) is
provider-neutral and asks the profile. A third provider is one new module
here and one line in :data:`PROVIDERS`.
"""

from __future__ import annotations

import importlib
from typing import Dict, Optional

from pyTD.exceptions import ConfigurationError
from pyTD.providers.base import Provider

__all__ = ["PROVIDERS", "Provider", "get"]

# name -> module defining PROFILE; imported on first use.
PROVIDERS: Dict[str, str] = {"td": "pyTD.providers.td", "schwab": "pyTD.providers.schwab"}


def get(name: Optional[str]) -> Provider:
    """The profile of a provider by name (any case).

    Raises
    ------
    ConfigurationError
        If no provider has that name.
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in PROVIDERS:
        raise ConfigurationError(f"Unknown provider {name!r}: use one of {', '.join(map(repr, PROVIDERS))}")
    profile: Provider = importlib.import_module(PROVIDERS[key]).PROFILE
    return profile
