"""Movers: ``/marketdata/{index}/movers``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

from pyTD.fetch import check_output_format, choice, client, pandas, params

if TYPE_CHECKING:
    from pyTD.api import api as API

INDEXES = ("$DJI", "$COMPX", "$SPX.X")


def get_movers(index: str, direction: str = "up", change: str = "percent", *, api: Optional[API] = None,
               output_format: str = "json") -> Any:
    """The ten biggest movers of an index.

    Parameters
    ----------
    index : {"$DJI", "$COMPX", "$SPX.X"}
        The ``$`` may be left out (``"DJI"``).
    direction : {"up", "down"}
    change : {"percent", "value"}
    output_format : {"json", "pandas"}
        A list of ``{"symbol", "description", "change", "direction", "last",
        "totalVolume"}``, or a DataFrame with one row per mover.
    """
    check_output_format(output_format)
    name = index.strip().upper() if isinstance(index, str) else index
    name = choice(name if str(name).startswith("$") else f"${name}", "index", INDEXES)
    query = params(direction=choice(direction, "direction", ("up", "down")),
                   change=choice(change, "change", ("value", "percent")))
    movers = client(api).request("GET", f"/marketdata/{quote(name, safe='')}/movers", params=query)
    return pandas().DataFrame(movers) if output_format == "pandas" else movers
