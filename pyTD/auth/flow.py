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

import json
import logging
import secrets
from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Tuple, Union
from urllib.parse import quote, quote_plus, urlencode, urljoin, urlsplit

import requests

from pyTD.auth.tokens import Token, parse_token_response
from pyTD.exceptions import AuthorizationError, ReauthorizationRequired, ServerError, TDError, query_error
from pyTD.redact import printable
from pyTD.transport import Transport, strip_query

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
            }
        )

    def refresh(self, refresh_token: str, offline: bool = False) -> TokenPair:
        """Get a new access token; with ``offline``, a new refresh token (90 days) as well.

        Raises
        ------
        ReauthorizationRequired
            If the server says the refresh token is dead (see :func:`refresh_rejected`).
        AuthorizationError
            If the server rejects the consumer key; the refresh token may still be good.
        TDError
            A subclass for any other failure; the refresh token may still be good.
        """
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        if offline:
            data["access_type"] = "offline"
        return self._token_request(data)

    @staticmethod
    def _code(params: Dict[str, str]) -> str:
        if "error" in params:
            reason = printable(params.get("error_description") or params["error"])
            raise AuthorizationError(f"TD did not authorize the app: {reason}")
        if not params.get("code"):
            raise AuthorizationError("TD's redirect carried an empty code")
        return params["code"]

    def _token_request(self, data: Dict[str, str]) -> TokenPair:
        # Never follow a redirect: a 307 would post the code or refresh token to another host.
        response = self.transport.send("POST", self.token_url, data=data, allow_redirects=False, throttle=False)
        if not 200 <= response.status_code < 300:
            raise token_error(response, data["grant_type"], (data.get("code"), data.get("refresh_token")))
        try:
            return parse_token_response(response.json())
        except (ServerError, ValueError):  # a body that is not JSON, or JSON without usable tokens
            # Never quote the body: it may hold tokens.
            raise ServerError(f"The token endpoint {strip_query(response.url)} answered {response.status_code} "
                              "without usable tokens (its body is not shown: it may hold secrets)",
                              response.status_code, "", strip_query(response.url)) from None


def refresh_rejected(status: int, error: str, description: str) -> bool:
    """True if the token endpoint's answer to a refresh says the refresh token is dead.

    Only then may the tokens be deleted. RFC 6749 section 5.2 says so with
    ``invalid_grant``; Schwab with ``unsupported_token_type`` about a
    ``refresh_token_authentication_error``, or (2024) ``invalid_client`` with
    "refresh token invalid". Anything else (a proxy's HTML, ``invalid_request``,
    a plain ``invalid_client``) leaves the token as good as it was.
    """
    if status not in (400, 401):
        return False
    said = description.lower()
    return (error == "invalid_grant"
            or (error == "unsupported_token_type" and "refresh_token_authentication_error" in said)
            or (error == "invalid_client" and "refresh token invalid" in said))


def token_error(response: requests.Response, grant_type: str, sent: Iterable[Optional[str]]) -> TDError:
    """The typed error for a token-endpoint answer other than 2xx.

    Its message and ``body`` hold the OAuth ``error`` and ``error_description``
    only, with the ``sent`` secrets (the code or refresh token) blanked out if
    the server echoed them; never the raw body.
    """
    status, where = response.status_code, strip_query(response.url)
    error, description = _oauth_error(response, [secret for secret in sent if secret])
    refresh = grant_type == "refresh_token"
    if 300 <= status < 400:
        target = strip_query(urljoin(response.url, response.headers.get("Location", "")))
        return query_error(status, f"The token endpoint {where} answered {status}, a redirect to {target}: "
                                   "pyTD never sends tokens or codes on. Check api_url."
                                   + (" The stored tokens are kept." if refresh else ""), "", where)
    if refresh and refresh_rejected(status, error, description):
        return ReauthorizationRequired("TD rejected the refresh token (it expired, was revoked or replaced): "
                                       "log in again with `python -m pyTD login`")
    if status == 401 or error == "invalid_client":
        return AuthorizationError("TD rejected the consumer key (invalid_client): check TD_CONSUMER_KEY"
                                  + (". The stored tokens are kept." if refresh else ""))
    said = ": ".join(part for part in (error, description) if part)
    if status == 400 and not refresh:
        if "redirect" in said:
            return AuthorizationError("TD rejected the callback URL: it must match the app's registration exactly")
        return AuthorizationError(f"TD rejected the authorization code ({said or status}): codes are single-use "
                                  "and expire within minutes; log in again")
    message = f"{status} {printable(response.reason or '')}".strip() + f" from POST {where}"
    body = json.dumps({"error": error, "error_description": description}) if said else ""
    return query_error(status, message + (f": {said}" if said else "")
                       + (". The stored tokens are kept." if refresh else ""), body, where)


def _oauth_error(response: requests.Response, hidden: Sequence[str]) -> Tuple[str, str]:
    """``(error, error_description)`` of an OAuth error body, printable, without the secrets; else blanks."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    fields = []
    for key in ("error", "error_description"):
        text = str(body.get(key) or "")
        for secret in hidden:
            for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
                text = text.replace(form, "[redacted]")
        fields.append(printable(text))
    return fields[0], fields[1]
