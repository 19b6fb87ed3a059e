"""Option symbols in each provider's format: TD's ``GOOG_012122P620``, Schwab's ``GOOG  220121P00620000``."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional, Union

import pyTD.config as config
from pyTD.providers import PROVIDERS, get
from pyTD.providers.base import OptionSymbol, Provider

if TYPE_CHECKING:
    from pyTD.client import Client

__all__ = ["OptionSymbol", "option_symbol", "parse_option_symbol"]

ProviderLike = Union[str, "Client", None]


def option_symbol(underlying: str, expiration: Union[date, datetime, str], contract_type: str,
                  strike: Union[float, int, str], provider: ProviderLike = None) -> str:
    """An option contract's symbol in a provider's format.

    Parameters
    ----------
    underlying : str
        The option root, e.g. ``"GOOG"``.
    expiration : date, datetime or str
        The expiration day (``"2022-01-21"`` works).
    contract_type : {"CALL", "PUT"}
        Also ``"C"`` or ``"P"``, any case.
    strike : float
        The strike price.
    provider : str or api, optional
        ``"td"``, ``"schwab"``, or a client (its provider). Default:
        ``TD_PROVIDER``, else ``"td"``.

    Examples
    --------
    >>> option_symbol("GOOG", "2022-01-21", "PUT", 620, provider="td")
    'GOOG_012122P620'
    >>> option_symbol("GOOG", "2022-01-21", "PUT", 620, provider="schwab")
    'GOOG  220121P00620000'
    """
    if not isinstance(underlying, str) or not underlying.strip():
        raise ValueError(f"underlying must be a non-empty string, got {underlying!r}")
    return _profile(provider).option_symbol(underlying, expiration, contract_type, strike)  # type: ignore[arg-type]


def parse_option_symbol(symbol: str, provider: ProviderLike = None) -> OptionSymbol:
    """The parts of an option symbol: ``OptionSymbol(underlying, expiration, contract_type, strike)``.

    Either provider's format is read unless ``provider`` says which.

    Examples
    --------
    >>> parse_option_symbol("XYZ_011516C42.5")
    OptionSymbol(underlying='XYZ', expiration=datetime.date(2016, 1, 15), contract_type='CALL', strike=42.5)

    Raises
    ------
    ValueError
        If ``symbol`` is not an option symbol (of that provider).
    """
    if not isinstance(symbol, str):
        raise ValueError(f"symbol must be a string, got {symbol!r}")
    profiles = [_profile(provider)] if provider is not None else [get(name) for name in PROVIDERS]
    for profile in profiles:
        parts = profile.parse_option_symbol(symbol)
        if parts is not None:
            return parts
    where = f"a {profiles[0].title}" if provider is not None else "an"
    raise ValueError(f"{symbol!r} is not {where} option symbol (e.g. GOOG_012122P620 or 'GOOG  220121P00620000')")


def _profile(provider: ProviderLike) -> Provider:
    if provider is None or isinstance(provider, str):
        return get(config.setting(provider, "TD_PROVIDER") or "td")
    profile: Optional[Provider] = getattr(provider, "profile", None)
    if profile is None:
        raise ValueError(f"provider must be 'td', 'schwab' or a client, got {provider!r}")
    return profile
