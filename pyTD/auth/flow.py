"""TD's OAuth 2.0 authorization-code flow, one step per method.

1. :meth:`AuthFlow.authorization_url` builds the TD login page's URL.
2. The user logs in and allows access; TD redirects the browser to the
   callback URL with a ``code``. :meth:`AuthFlow.run_local_server` catches
   that redirect on loopback; :meth:`AuthFlow.code_from_redirect` reads it
   from a URL the user pastes instead.
3. :meth:`AuthFlow.exchange_code` trades the code for an access token
   (30 minutes) and a refresh token (90 days).
4. :meth:`AuthFlow.refresh` gets a new access token from the refresh token.

The flow returns tokens; storing them is the caller's job.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Callable, Dict, Optional, Tuple, Type, Union
from urllib.parse import quote, urlencode, urlsplit

from pyTD.auth.tokens import Token, parse_token_response
from pyTD.exceptions import AuthorizationError, ClientError, ReauthorizationRequired, ServerError
from pyTD.transport import Transport, parse_response, strip_query

log = logging.getLogger("pyTD")

Browser = Union[bool, Callable[[str], Any]]
TokenPair = Tuple[Token, Optional[Token]]


def new_state() -> str:
    """A fresh, unguessable ``state`` value for one authorization request."""
    return secrets.token_urlsafe(24)


class AuthFlow:
    """The authorization-code flow for one app.

    Parameters
    ----------
    client_id : str
        The consumer key with its ``@AMER.OAUTHAP`` suffix.
    callback_url : str
        The callback URL registered with the app, sent exactly as registered.
    auth_url : str
        TD's authorization page.
    token_url : str
        TD's token endpoint.
    transport : Transport
        Sends the token requests.
    config_dir : str
        Where a self-signed certificate for an ``https`` callback URL lives.
    ssl_cert, ssl_key : str, optional
        The user's own certificate and key for an ``https`` callback URL.
    """

    def __init__(
        self,
        client_id: str,
        callback_url: str,
        auth_url: str,
        token_url: str,
        transport: Transport,
        config_dir: str,
        ssl_cert: Optional[str] = None,
        ssl_key: Optional[str] = None,
    ) -> None:
        self.client_id = client_id
        self.callback_url = callback_url
        self.auth_url = auth_url
        self.token_url = token_url
        self.transport = transport
        self.config_dir = config_dir
        self.ssl_cert = ssl_cert
        self.ssl_key = ssl_key

    def authorization_url(self, state: Optional[str] = None) -> str:
        """The URL of TD's login page, where the user signs in and allows access."""
        params = {"response_type": "code", "redirect_uri": self.callback_url, "client_id": self.client_id}
        if state is not None:
            params["state"] = state
        sep = "&" if urlsplit(self.auth_url).query else "?"
        return self.auth_url + sep + urlencode(params, quote_via=quote)

    def run_local_server(self, open_browser: Browser = True, timeout: Optional[float] = 300) -> str:
        """Let the user log in in a browser and catch the redirect on loopback; return the code.

        The user sees the URL printed, then TD's login page in the browser
        (when ``open_browser`` is true), then a page saying the login is
        complete. ``open_browser`` may also be a callable that is given the URL
        instead of :func:`webbrowser.open`.
        """
        from pyTD.auth.callback import CallbackServer, callback_address

        https = callback_address(self.callback_url)[3]
        context = None
        if https:
            from pyTD.auth.certs import server_context

            context = server_context(self.ssl_cert, self.ssl_key, self.config_dir)
        state = new_state()
        url = self.authorization_url(state)
        with CallbackServer(self.callback_url, state, context) as server:
            print(f"Log in to TD Ameritrade and allow access at:\n\n    {url}\n", flush=True)
            if open_browser:
                import webbrowser  # only here: it is slow to import and most processes never log in

                opener = open_browser if callable(open_browser) else webbrowser.open
                if opener(url) is False:
                    print("Could not open a browser: open the URL above yourself.", flush=True)
            params = server.wait(timeout)
        return self._code(params)

    def code_from_redirect(self, redirect_url: str, state: Optional[str] = None) -> str:
        """Read the code from the URL the browser was redirected to (decoded exactly once).

        Raises
        ------
        AuthorizationError
            If the URL carries an error, another login's ``state``, or no code.
        """
        from pyTD.auth.callback import redirect_params, state_matches

        url = redirect_url.strip()
        query = url.partition("?")[2] if "?" in url else url  # a whole URL, or just its query
        params = redirect_params(query.partition("#")[0])
        if not state_matches(params, state):
            raise AuthorizationError("The pasted URL belongs to another login (its state does not "
                                     "match); log in again and paste the newest URL")
        if "code" not in params and "error" not in params:
            raise AuthorizationError("The pasted URL has no code: paste the whole URL the browser "
                                     "shows after you allow access")
        return self._code(params)

    def exchange_code(self, code: str) -> TokenPair:
        """Trade an authorization code for an access token and a refresh token."""
        return self._token_request(
            {
                "grant_type": "authorization_code",
                "access_type": "offline",
                "code": code,
                "client_id": self.client_id,
                "redirect_uri": self.callback_url,
            },
            AuthorizationError,
        )

    def refresh(self, refresh_token: str, offline: bool = False) -> TokenPair:
        """Get a new access token; with ``offline``, a new refresh token (90 days) as well.

        Raises
        ------
        ReauthorizationRequired
            If TD rejects the refresh token.
        """
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        if offline:
            data["access_type"] = "offline"
        return self._token_request(data, ReauthorizationRequired)

    @staticmethod
    def _code(params: Dict[str, str]) -> str:
        if "error" in params:
            reason = params.get("error_description") or params["error"]
            raise AuthorizationError(f"TD did not authorize the app: {reason}")
        if not params.get("code"):
            raise AuthorizationError("TD's redirect carried an empty code")
        return params["code"]

    def _token_request(self, data: Dict[str, str], rejected: Type[AuthorizationError]) -> TokenPair:
        response = self.transport.send("POST", self.token_url, data=data)
        try:
            payload = parse_response(response)
        except ClientError as exc:
            if exc.status not in (400, 401):
                raise
            raise rejected(_rejection(exc, data["grant_type"])) from None
        try:
            return parse_token_response(payload)
        except ServerError as exc:
            exc.status, exc.url = response.status_code, strip_query(response.url)
            raise


def _rejection(exc: ClientError, grant_type: str) -> str:
    """Explain a 400/401 from the token endpoint in the user's terms."""
    if exc.status == 401 or "invalid_client" in exc.body:
        return "TD rejected the consumer key (invalid_client): check TD_CONSUMER_KEY"
    if grant_type == "refresh_token":
        return ("TD rejected the refresh token (it expired, was revoked or replaced): "
                "log in again with `python -m pyTD login`")
    if "redirect" in exc.body:
        return "TD rejected the callback URL: it must match the app's registration exactly"
    return (f"TD rejected the authorization code ({exc}): codes are single-use and expire "
            "within minutes; log in again")
