"""The OAuth 2.0 authorization-code flow, one step per method, for any provider.

1. :meth:`AuthFlow.authorization_url` builds the provider's login page URL.
2. The user logs in and allows access; the provider redirects the browser
   to the callback URL with a ``code``. :meth:`AuthFlow.run_local_server`
   catches that redirect on loopback; :meth:`AuthFlow.code_from_redirect`
   reads it from a URL the user pastes instead.
3. :meth:`AuthFlow.exchange_code` trades the code for an access token
   (30 minutes) and a refresh token (TD: 90 days; Schwab: 7 days).
4. :meth:`AuthFlow.refresh` gets a new access token from the refresh token.

What differs between providers (URLs, client authentication, request
bodies, token lifetimes) comes from the provider profile
(:mod:`pyTD.providers`). The flow returns tokens; storing them is the
caller's job.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Optional, Sequence, Tuple, Union
from urllib.parse import quote, quote_plus, urlencode, urljoin, urlsplit

import requests

from pyTD.exceptions import AuthorizationError, ReauthorizationRequired, ServerError, TDError, query_error
from pyTD.redact import printable
from pyTD.tokens import Token, TokenPair
from pyTD.transport import Transport, strip_query

if TYPE_CHECKING:
    from pyTD.providers.base import App, Provider, TokenRequest

log = logging.getLogger("pyTD")

Browser = Union[bool, Callable[[str], Any]]


def new_state() -> str:
    """A fresh, unguessable ``state`` value for one authorization request."""
    return secrets.token_urlsafe(24)


class AuthFlow:
    """The authorization-code flow for one app of one provider.

    Parameters
    ----------
    provider : Provider
        The provider profile: token requests and lifetimes.
    app : App
        The client id, secret and callback URL (sent exactly as registered).
    auth_url : str
        The provider's authorization page.
    token_url : str
        The provider's token endpoint.
    transport : Transport
        Sends the token requests.
    config_dir : str
        Where a self-signed certificate for an ``https`` callback URL lives.
    ssl_cert, ssl_key : str, optional
        The user's own certificate and key for an ``https`` callback URL.
    """

    def __init__(
        self,
        provider: Provider,
        app: App,
        auth_url: str,
        token_url: str,
        transport: Transport,
        config_dir: str,
        ssl_cert: Optional[str] = None,
        ssl_key: Optional[str] = None,
    ) -> None:
        self.provider = provider
        self.app = app
        self.auth_url = auth_url
        self.token_url = token_url
        self.transport = transport
        self.config_dir = config_dir
        self.ssl_cert = ssl_cert
        self.ssl_key = ssl_key

    @property
    def callback_url(self) -> str:
        return self.app.callback_url

    def authorization_url(self, state: Optional[str] = None) -> str:
        """The URL of the provider's login page, where the user signs in and allows access."""
        params = self.provider.authorization_params(self.app, state)
        sep = "&" if urlsplit(self.auth_url).query else "?"
        return self.auth_url + sep + urlencode(params, quote_via=quote)

    def run_local_server(self, open_browser: Browser = True, timeout: Optional[float] = 300) -> str:
        """Let the user log in in a browser and catch the redirect on loopback; return the code.

        The user sees the URL printed, then the provider's login page in the
        browser (when ``open_browser`` is true), then a page saying the login
        is complete. ``open_browser`` may also be a callable that is given the
        URL instead of :func:`webbrowser.open`.
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
            print(f"Log in to {self.provider.title} and allow access at:\n\n    {url}\n", flush=True)
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
        request = self.provider.exchange_request(self.app, code)
        return self._token_request(request, None)

    def refresh(self, refresh_token: Token, renew: bool = False) -> TokenPair:
        """Get a new access token; with ``renew`` (where the provider can), a new refresh token as well.

        Raises
        ------
        ReauthorizationRequired
            If the provider says the refresh token is dead: only a new login helps.
        AuthorizationError
            If the provider rejects the app (its key or secret).
        """
        request = self.provider.refresh_request(self.app, refresh_token.token, renew)
        return self._token_request(request, refresh_token)

    def _code(self, params: Dict[str, str]) -> str:
        if "error" in params:
            reason = printable(params.get("error_description") or params["error"])
            raise AuthorizationError(f"{self.provider.title} did not authorize the app: {reason}")
        if not params.get("code"):
            raise AuthorizationError(f"{self.provider.title}'s redirect carried an empty code")
        return params["code"]

    def _token_request(self, request: TokenRequest, refreshed: Optional[Token]) -> TokenPair:
        # Never follow a redirect: a 307 would post the code or refresh token to another host.
        response = self.transport.send("POST", self.token_url, data=request.data, headers=request.headers,
                                       allow_redirects=False, throttle=False)
        if not 200 <= response.status_code < 300:
            sent = (request.data.get("code"), request.data.get("refresh_token"))
            raise token_error(self.provider, response, refreshed is not None, sent)
        try:
            return self.provider.read_tokens(response.json(), time.time(), refreshed)
        except (ServerError, ValueError):  # a body that is not JSON, or JSON without usable tokens
            # Never quote the body: it may hold tokens.
            raise ServerError(f"The token endpoint {strip_query(response.url)} answered {response.status_code} "
                              "without usable tokens (its body is not shown: it may hold secrets)",
                              response.status_code, "", strip_query(response.url)) from None


def token_error(provider: Provider, response: requests.Response, refresh: bool,
                sent: Iterable[Optional[str]]) -> TDError:
    """The typed error for a token-endpoint answer other than 2xx.

    Only a refresh token the provider calls dead gives ReauthorizationRequired
    (the caller then deletes the tokens); every other failure keeps them. The
    message and ``body`` hold the OAuth ``error`` and ``error_description``
    only, with the ``sent`` secrets (the code or refresh token) blanked out if
    the server echoed them; never the raw body.
    """
    status, where, title = response.status_code, strip_query(response.url), provider.title
    error, description = oauth_error(response, [secret for secret in sent if secret])
    kept = " The stored tokens are kept." if refresh else ""
    if 300 <= status < 400:
        target = strip_query(urljoin(response.url, response.headers.get("Location", "")))
        return query_error(status, f"The token endpoint {where} answered {status}, a redirect to {target}: "
                                   f"pyTD never sends tokens or codes on. Check api_url.{kept}", "", where)
    if refresh and provider.refresh_token_dead(status, error, description):
        return ReauthorizationRequired(f"{title} rejected the refresh token (it expired, was revoked or "
                                       f"replaced): {provider.relogin_advice()}")
    if status == 401 or error == "invalid_client":
        what = "app key or secret (check TD_CONSUMER_KEY and TD_CLIENT_SECRET)" if provider.needs_secret \
            else "consumer key (check TD_CONSUMER_KEY)"
        return AuthorizationError(f"{title} rejected the {what}: invalid_client.{kept}")
    said = ": ".join(part for part in (error, description) if part)
    if status == 400 and not refresh:
        if "redirect" in said:
            return AuthorizationError(f"{title} rejected the callback URL: it must match the app's registration "
                                      "exactly")
        return AuthorizationError(f"{title} rejected the authorization code ({said or status}): codes are "
                                  "single-use and expire quickly; log in again")
    message = f"{status} {printable(response.reason or '')}".strip() + f" from POST {where}"
    body = json.dumps({"error": error, "error_description": description}) if said else ""
    return query_error(status, message + (f": {said}" if said else "") + ("." if kept and said else "") + kept,
                       body, where)


def oauth_error(response: requests.Response, hidden: Sequence[str]) -> Tuple[str, str]:
    """``(error, error_description)`` of an OAuth error body, printable, without the secrets; else blanks.

    Schwab nests a JSON document in ``error_description``
    (``400 Bad Request: "{...}"``): it stays text here, which the providers' rules read.
    """
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
