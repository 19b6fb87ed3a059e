"""TD Ameritrade's developer API (shut down in May 2024), as ``td-api.md`` describes it."""

from __future__ import annotations

from typing import Any, Dict, List, Optional
from urllib.parse import quote

from pyTD.auth.tokens import Token, TokenPair, parse_token_response
from pyTD.checks import choice
from pyTD.providers.base import App, Provider, Request, TokenRequest

CLIENT_ID_SUFFIX = "@AMER.OAUTHAP"
MOVER_INDEXES = ("$DJI", "$COMPX", "$SPX.X")


class TD(Provider):
    """TD Ameritrade: a public client (no secret), ``KEY@AMER.OAUTHAP``, 90-day renewable refresh tokens."""

    name = "td"
    title = "TD Ameritrade"
    auth_url = "https://auth.tdameritrade.com/auth"
    api_url = "https://api.tdameritrade.com/v1"
    token_path = "/oauth2/token"  # noqa: S105 - a path, not a secret
    renew_refresh_within = 7 * 24 * 3600.0  # refresh tokens last 90 days; renew them in their last week
    example_callback = "https://127.0.0.1:8080"
    index_aliases = {"$SPX": "$SPX.X"}
    tables = {"contracts": ({"tradeDate": "day", "isIndexOption": "bool"}, {})}

    def client_id(self, key: str) -> str:
        return key if key.upper().endswith(CLIENT_ID_SUFFIX) else key + CLIENT_ID_SUFFIX

    def authorization_params(self, app: App, state: Optional[str]) -> Dict[str, str]:
        params = {"response_type": "code", "redirect_uri": app.callback_url, "client_id": app.client_id}
        if state is not None:
            params["state"] = state
        return params

    def exchange_request(self, app: App, code: str) -> TokenRequest:
        return TokenRequest({"grant_type": "authorization_code", "access_type": "offline", "code": code,
                             "client_id": app.client_id, "redirect_uri": app.callback_url})

    def refresh_request(self, app: App, refresh_token: str, renew: bool) -> TokenRequest:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.client_id}
        if renew:
            data["access_type"] = "offline"  # also returns a new refresh token, valid another 90 days
        return TokenRequest(data)

    def read_tokens(self, payload: Any, now: float, previous: Optional[Token] = None) -> TokenPair:
        return parse_token_response(payload, now)

    # -- market data ----------------------------------------------------------------------------------

    def quotes_request(self, symbols: str, fields: Optional[List[str]], indicative: Optional[bool]) -> Request:
        self.refuse(fields=fields, indicative=indicative)
        return Request("/marketdata/quotes", {"symbol": symbols})

    def history_request(self, symbol: str, query: Dict[str, Any], previous_close: Optional[bool]) -> Request:
        self.refuse(previous_close=previous_close)
        return Request(f"/marketdata/{_path(symbol)}/pricehistory", query)

    def movers_request(self, index: str, direction: Optional[str], change: Optional[str], sort: Optional[str],
                       frequency: Optional[int]) -> Request:
        self.refuse(sort=sort, frequency=frequency)
        name = self.index_name(index, MOVER_INDEXES)
        return Request(f"/marketdata/{_path(name)}/movers",
                       {"direction": choice(direction or "up", "direction", ("up", "down")),
                        "change": choice(change or "percent", "change", ("value", "percent"))})

    def hours_request(self, markets: List[str], day: Optional[str]) -> Request:
        query = {} if day is None else {"date": day}
        if len(markets) == 1:
            return Request(f"/marketdata/{markets[0]}/hours", query)
        return Request("/marketdata/hours", {"markets": ",".join(markets), **query})

    def chains_request(self, query: Dict[str, Any], include_quotes: Optional[bool],
                       entitlement: Optional[str]) -> Request:
        self.refuse(entitlement=entitlement)
        if include_quotes is not None:
            query = {**query, "includeQuotes": "TRUE" if include_quotes else "FALSE"}
        return Request("/marketdata/chains", query)

    def instruments_request(self, symbol: str, projection: str) -> Request:
        if projection == "search":
            raise ValueError(f"projection='search' is not available on {self.title}")
        return Request("/instruments", {"symbol": symbol, "projection": projection})

    def instruments_found(self, answer: Any) -> Dict[str, Dict[str, Any]]:
        return self.quotes_found(answer)  # the same {SYMBOL: {...}} map

    def merge_instruments(self, answers: List[Any]) -> Dict[str, Any]:
        return {symbol: info for answer in answers for symbol, info in (answer or {}).items()}

    def instrument_request(self, cusip: str) -> Request:
        return Request(f"/instruments/{cusip}")


def _path(symbol: str) -> str:
    return quote(symbol, safe="")


PROFILE = TD()
