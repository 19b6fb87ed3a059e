"""The one format of stored tokens: versioned JSON, each token with its value, issue time and lifetime."""

from __future__ import annotations

import json
import time
from typing import Callable, Dict, Optional, Tuple

from pyTD.exceptions import CacheError
from pyTD.tokens import Token

FORMAT_VERSION = 1
KEYS = ("access_token", "refresh_token")
Tokens = Tuple[Optional[Token], Optional[Token]]


class UnsupportedFormat(Exception):
    """The data is intact but in a format this version cannot read."""


class Corrupt(Exception):
    """The data cannot be decoded."""


def encode(tokens: Tokens) -> bytes:
    """Serialise tokens to the versioned JSON format."""
    doc: Dict[str, object] = {"version": FORMAT_VERSION}
    for key, token in zip(KEYS, tokens):
        doc[key] = None if token is None else token.to_dict()
    return json.dumps(doc, indent=2).encode("utf-8")


def decode(raw: bytes) -> Tokens:
    """Parse the file's JSON. Files without ``version`` (pyTD < 0.1) use the same token layout."""
    doc = json.loads(raw.decode("utf-8"))
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    version = doc.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UnsupportedFormat(
            f"the file has format version {version!r}; this pyTD reads version "
            f"{FORMAT_VERSION}. Upgrade pyTD, or use another config_dir."
        )
    access, refresh = (doc.get(key) for key in KEYS)
    return (
        None if access is None else Token.from_dict(access),
        None if refresh is None else Token.from_dict(refresh),
    )


def aside_name(name: str, taken: Callable[[str], bool]) -> str:
    """The name to move an undecodable ``name`` to: ``<name>.corrupt-<UTC time>``, never one already ``taken``."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    aside, n = f"{name}.corrupt-{stamp}", 1
    while taken(aside):
        aside, n = f"{name}.corrupt-{stamp}-{n}", n + 1
    return aside


def parse(raw: Optional[bytes], where: str) -> Tokens:
    """Decode stored data: nothing stored reads as no tokens; undecodable data raises :class:`Corrupt`.

    A newer format raises :class:`~pyTD.exceptions.CacheError` saying ``where`` the data is.
    """
    if raw is None or not raw.strip():
        return (None, None)
    try:
        return decode(raw)
    except UnsupportedFormat as exc:
        raise CacheError(f"{where}: {exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Corrupt from None
