"""Movers: the biggest movers of an index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union, overload

from pyTD.fetch import JSONFormat, PandasFormat, check_output_format, client, send, to_frame
from pyTD.frames import Table

if TYPE_CHECKING:
    import pandas as pd

    from pyTD.client import Client

MOVERS = Table("movers", {"symbol": "str", "description": "str", "last": "float", "change": "float",
                          "direction": "str", "totalVolume": "int"})


@overload
def get_movers(index: str, direction: Optional[str] = ..., change: Optional[str] = ..., *,
               sort: Optional[str] = ..., frequency: Optional[int] = ..., api: Optional[Client] = ...,
               output_format: JSONFormat = ...) -> Union[List[Dict[str, Any]], Dict[str, Any]]: ...
@overload
def get_movers(index: str, direction: Optional[str] = ..., change: Optional[str] = ..., *,
               sort: Optional[str] = ..., frequency: Optional[int] = ..., api: Optional[Client] = ...,
               output_format: PandasFormat) -> pd.DataFrame: ...
def get_movers(index: str, direction: Optional[str] = None, change: Optional[str] = None, *,
               sort: Optional[str] = None, frequency: Optional[int] = None, api: Optional[Client] = None,
               output_format: str = "json") -> Union[List[Dict[str, Any]], Dict[str, Any], pd.DataFrame]:
    """The biggest movers of an index.

    Parameters
    ----------
    index : str
        ``"$DJI"``, ``"$COMPX"`` or ``"$SPX.X"`` (``"$SPX"`` works too; the
        ``$`` may be left out). Schwab also has ``NYSE``, ``NASDAQ``,
        ``OTCBB``, ``INDEX_ALL``, ``EQUITY_ALL``, ``OPTION_ALL``,
        ``OPTION_PUT`` and ``OPTION_CALL``.
    direction : {"up", "down"}, optional
        TD: the direction (default up). Schwab: sorts by percent change up or down.
    change : {"percent", "value"}, optional
        TD: rank by percent (default) or value. Schwab ranks by percent only.
    sort : {"VOLUME", "TRADES", "PERCENT_CHANGE_UP", "PERCENT_CHANGE_DOWN"}, optional
        Schwab only.
    frequency : {0, 1, 5, 10, 30, 60}, optional
        Schwab only: minutes of change to rank by.
    api : pyTD.api.api, optional
        The client (default: one built from the ``TD_*`` environment variables).
    output_format : {"json", "pandas"}
        JSON as the provider sent it (TD: a list; Schwab: ``{"screeners":
        [...]}``). pandas: one row per mover, with ``symbol``,
        ``description``, ``last`` and ``totalVolume`` on both providers.
    """
    check_output_format(output_format)
    td = client(api)
    request = td.profile.movers_request(index, direction, change, sort, frequency)
    movers = send(td, request)
    if output_format == "json":
        return movers  # type: ignore[no-any-return]
    return to_frame(MOVERS, td.profile.mover_rows(movers), td)
