"""Account numbers: users always pass the plain number; a provider that addresses accounts otherwise in its paths
(Schwab's hashes) gets them from a map fetched once per client, kept, and fetched again once when an account is
not in it or answers 404."""

from __future__ import annotations

import logging
import re
import threading
import weakref
from typing import Any, Callable, Dict, MutableMapping, TypeVar

from pyTD.client import Client
from pyTD.exceptions import ResourceNotFound

log = logging.getLogger("pyTD")

T = TypeVar("T")
_ACCOUNT = re.compile(r"\w{1,32}", re.ASCII)
_maps: MutableMapping[Client, Dict[str, str]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def account_number(account_id: Any) -> str:
    """A plain account number (a string or an int of letters and digits), as a string; ValueError otherwise."""
    text = str(account_id).strip() if isinstance(account_id, (str, int)) and not isinstance(account_id, bool) else ""
    if not _ACCOUNT.fullmatch(text):
        raise ValueError(f"account_id must be an account number such as '123456789', got {account_id!r}")
    return text


def account_key(td: Client, number: str, *, refresh: bool = False) -> str:
    """How ``td``'s provider addresses account ``number`` in paths (the number itself where it needs no map).

    Raises
    ------
    ResourceNotFound
        If the account is not among this login's accounts, even after fetching the map again.
    """
    request = td.profile.account_numbers_request()
    if request is None:
        return number
    with _lock:
        keys = None if refresh else _maps.get(td)
    if keys is not None and number in keys:
        return keys[number]
    keys = td.profile.account_keys(td.request("GET", request.path, params=request.params))
    with _lock:
        _maps[td] = keys
    if number not in keys:
        raise ResourceNotFound(f"Account {number} is not one of the {len(keys)} accounts this {td.profile.title} "
                               "login can use", status=404)
    return keys[number]


def with_account(td: Client, account_id: Any, call: Callable[[str], T]) -> T:
    """``call(key)`` with the account's path key; once more with a fresh key if the account answered 404 and its
    key had changed (a stale map: the first request reached no account, so even a write cannot have happened)."""
    number = account_number(account_id)
    key = account_key(td, number)
    try:
        return call(key)
    except ResourceNotFound:
        if td.profile.account_numbers_request() is None:
            raise
        fresh = account_key(td, number, refresh=True)
        if fresh == key:
            raise
        log.info("%s's key of account %s had changed; sending again with the new one", td.profile.title, number)
        return call(fresh)
