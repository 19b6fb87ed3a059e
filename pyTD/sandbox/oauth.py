"""The sandbox's authorization server: the login page, codes and tokens, shared by both providers.

:class:`Authority` runs the steps every provider shares (login form, single-use
expiring codes, access and refresh tokens with lifetimes, revocation). Each
provider module subclasses it with its own rules: how clients identify
themselves, which callback URLs are allowed, what codes and tokens look like,
and the bodies of answers and errors.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Mapping, Optional, Union
from urllib.parse import quote

from pyTD.sandbox.replies import Reply, error_reply, json_reply, login_page, redirect


@dataclass
class Grant:
    """What a code or token stands for: the client, when it stops working, and for a code its callback."""

    client: str
    expires: float
    redirect_uri: str = ""


class Authority:
    """Issues and checks codes, access tokens and refresh tokens; thread-safe.

    Nothing is persisted: a new sandbox knows no tokens. Subclasses set
    ``title`` and override the hooks below the line "provider rules".
    """

    title = ""

    def __init__(self, *, auth_path: str, auto_approve: bool, access_expires_in: int, refresh_expires_in: int,
                 code_expires_in: int, rotate_refresh_tokens: bool, consumer_keys: Optional[Iterable[str]],
                 callback_urls: Optional[Iterable[str]], client_secret: Optional[str]) -> None:
        self.auth_path = auth_path
        self.auto_approve = auto_approve
        self.access_expires_in = access_expires_in
        self.refresh_expires_in = refresh_expires_in
        self.code_expires_in = code_expires_in
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.consumer_keys = None if consumer_keys is None else {k.upper() for k in consumer_keys}
        self.callback_urls = None if callback_urls is None else set(callback_urls)
        self.client_secret = client_secret
        self.clock = time.time  # tests may replace it to move time forward
        self._lock = threading.Lock()
        self._codes: Dict[str, Grant] = {}
        self._access: Dict[str, Grant] = {}
        self._refresh: Dict[str, Grant] = {}

    # -- the login page -------------------------------------------------------------------------------

    def authorize(self, fields: Mapping[str, str], submitted: bool) -> Reply:
        """``GET`` shows the login form (or approves at once); ``POST`` is the form's answer."""
        problem = self.check_authorization_request(fields)
        if problem:
            return self.error_page(problem)
        if not submitted and not self.auto_approve:
            return login_page(self.title, self.auth_path, fields)
        if submitted and fields.get("action") == "deny":
            return self.back(fields, {"error": "access_denied"})
        if submitted and not (fields.get("username") and fields.get("password")):
            return login_page(self.title, self.auth_path, fields, "Enter your user name and password.")
        code = self.new_code()
        client = self.client_of_id(fields["client_id"])
        assert client is not None  # checked above
        with self._lock:
            self._codes[code] = Grant(client, self.clock() + self.code_expires_in, fields["redirect_uri"])
        return self.back(fields, self.callback_params(code))

    def back(self, fields: Mapping[str, str], params: Dict[str, str]) -> Reply:
        """Redirect the browser to the callback URL: each value URL-encoded once, ``state`` last."""
        if fields.get("state"):
            params["state"] = fields["state"]
        uri = self.callback_base(fields["redirect_uri"])
        query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())
        return redirect(uri + ("&" if "?" in uri else "?") + query)

    def known_key(self, key: str) -> bool:
        return bool(key) and (self.consumer_keys is None or key.upper() in self.consumer_keys)

    def registered_callback(self, uri: str) -> bool:
        return self.callback_urls is None or uri in self.callback_urls

    # -- the token endpoint ---------------------------------------------------------------------------

    def token(self, headers: Mapping[str, str], form: Mapping[str, str]) -> Reply:
        """``POST`` to the token endpoint: exchange a code or a refresh token."""
        content_type = headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            return error_reply(400, "invalid_request",
                               error_description="the body must be application/x-www-form-urlencoded")
        client = self.authenticate(headers, form)
        if isinstance(client, Reply):
            return client
        grant = form.get("grant_type")
        now = self.clock()
        with self._lock:
            if grant == "authorization_code":
                return self._exchange(form, client, now)
            if grant == "refresh_token":
                return self._renew(form, client, now)
        return error_reply(400, "unsupported_grant_type")

    def _exchange(self, form: Mapping[str, str], client: str, now: float) -> Reply:
        code = form.get("code", "")
        issued = self._codes.pop(code, None)  # single-use, even when the rest is wrong
        if issued is None or issued.client != client:
            return self.bad_code("unknown or already used authorization code")
        if issued.expires < now:
            return self.bad_code("the authorization code has expired")
        if form.get("redirect_uri") != issued.redirect_uri:
            return self.bad_code("redirect_uri does not match")
        refresh = self.new_refresh()
        self._refresh[refresh] = Grant(client, now + self.refresh_expires_in)
        return json_reply(200, self.token_payload(client, self._new_access(client, now), refresh, True))

    def _renew(self, form: Mapping[str, str], client: str, now: float) -> Reply:
        old = form.get("refresh_token", "")
        known = self._refresh.get(old)
        if known is None or known.expires < now or known.client != client:
            return self.bad_refresh_token(old)
        refresh = self.renewed_refresh_token(old, known, form, now)
        return json_reply(200, self.token_payload(client, self._new_access(client, now), refresh, False))

    def _new_access(self, client: str, now: float) -> str:
        access = self.new_access()
        self._access[access] = Grant(client, now + self.access_expires_in)
        return access

    def _replace_refresh_token(self, old: str, grant: Grant) -> str:
        """Issue a new refresh token for ``grant``; retire ``old`` if tokens rotate."""
        new = self.new_refresh()
        self._refresh[new] = grant
        if self.rotate_refresh_tokens:
            del self._refresh[old]
        return new

    # -- resource requests ----------------------------------------------------------------------------

    def client_of(self, authorization: str) -> Optional[str]:
        """The client an ``Authorization: Bearer`` header belongs to, or None if it is not valid now."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            known = self._access.get(token.strip())
        if known is None or known.expires < self.clock():
            return None
        return known.client

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired, as if 30 minutes had passed."""
        with self._lock:
            self._access.clear()

    def revoke_refresh_tokens(self) -> None:
        """Reject every refresh token issued so far, as after a password change or a login elsewhere."""
        with self._lock:
            self._refresh.clear()

    # -- provider rules -------------------------------------------------------------------------------

    def check_authorization_request(self, fields: Mapping[str, str]) -> str:
        """What is wrong with an authorization request, or ``""``."""
        raise NotImplementedError

    def error_page(self, problem: str) -> Reply:
        """The page shown instead of a redirect when the authorization request is wrong."""
        raise NotImplementedError

    def client_of_id(self, client_id: str) -> Optional[str]:
        """The client (app key) a ``client_id`` names, or None if it names none."""
        raise NotImplementedError

    def callback_base(self, redirect_uri: str) -> str:
        """The URL the redirect's query is appended to."""
        return redirect_uri

    def callback_params(self, code: str) -> Dict[str, str]:
        """The redirect's parameters, before ``state``."""
        return {"code": code}

    def authenticate(self, headers: Mapping[str, str], form: Mapping[str, str]) -> Union[str, Reply]:
        """The client making a token request, or the error reply."""
        raise NotImplementedError

    def new_code(self) -> str:
        raise NotImplementedError

    def new_access(self) -> str:
        raise NotImplementedError

    def new_refresh(self) -> str:
        raise NotImplementedError

    def token_payload(self, client: str, access: str, refresh: Optional[str], login: bool) -> Dict[str, Any]:
        """The success body; ``login`` tells a code exchange from a refresh."""
        raise NotImplementedError

    def renewed_refresh_token(self, old: str, grant: Grant, form: Mapping[str, str], now: float) -> Optional[str]:
        """The refresh token a refresh answers with (None: none), retiring ``old`` as the provider does."""
        raise NotImplementedError

    def bad_code(self, reason: str) -> Reply:
        raise NotImplementedError

    def bad_refresh_token(self, token: str) -> Reply:
        raise NotImplementedError
