"""The user: TD's user principals, and each provider's preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union

from pyTD.accounts.numbers import with_account
from pyTD.checks import symbol_list
from pyTD.fetch import client, send

if TYPE_CHECKING:
    from pyTD.client import Client

PRINCIPAL_FIELDS = ["streamerSubscriptionKeys", "streamerConnectionInfo", "preferences", "surrogateIds"]


def get_user_principals(fields: Union[str, Iterable[str], None] = None, *,
                        api: Optional[Client] = None) -> Dict[str, Any]:
    """TD: the user, the linked accounts and, with ``fields``, the streamer's keys and connection.

    Parameters
    ----------
    fields : str or iterable of str, optional
        Any of ``streamerSubscriptionKeys``, ``streamerConnectionInfo``,
        ``preferences``, ``surrogateIds`` (any case). Default: all four
        (TD returns none of them unless asked).
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).

    Returns
    -------
    dict
        TD's answer as sent: ``userId``, ``primaryAccountId``, ``accounts``,
        ``streamerInfo``, ``streamerSubscriptionKeys``, ...

    Raises
    ------
    UnsupportedError
        On Schwab, which has no user principals: see :func:`get_user_preferences`.
    """
    wanted: List[str] = PRINCIPAL_FIELDS if fields is None else symbol_list(fields)
    td = client(api)
    principals: Dict[str, Any] = send(td, td.profile.user_principals_request(wanted))
    return principals


def get_user_preferences(account_id: Union[str, int, None] = None, *, api: Optional[Client] = None) -> Any:
    """The user's preferences.

    Parameters
    ----------
    account_id : str or int, optional
        TD keeps preferences per account: with an account, its preferences
        (``GET /accounts/{id}/preferences``); without, the user principals with
        each account's preferences. Schwab keeps one set per user: leave it out.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).

    Returns
    -------
    dict
        As the provider sent it. Schwab's ``userPreference``: ``accounts``,
        ``streamerInfo`` (the streamer's URL and ids) and ``offers``.

    Raises
    ------
    ValueError
        On Schwab, if ``account_id`` is given.
    """
    td = client(api)
    if account_id is None:
        return send(td, td.profile.user_preferences_request(None))
    if not td.profile.preferences_per_account:
        raise ValueError(f"account_id= is not available on {td.profile.title}, which keeps one set of "
                         "preferences per user")
    return with_account(td, account_id, lambda key: send(td, td.profile.user_preferences_request(key)))
