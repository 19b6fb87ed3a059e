"""The sandbox's authorization server: TD's login page, codes and tokens, as td-api.md describes them."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from typing import Dict, Iterable, Mapping, Optional, Tuple
from urllib.parse import quote, urlsplit

from pyTD.sandbox.replies import Reply, error_reply, html_reply, json_reply, login_page, redirect

CLIENT_ID_SUFFIX = "@AMER.OAUTHAP"
SCOPE = "PlaceTrades AccountAccess MoveMoney"
MISMATCH = "A third-party application may be attempting to make unauthorized access"


def opaque(size: int = 32) -> str:
    """A code or token shaped like TD's: base64 that always contains ``+``, ``/`` and ``=``.

    The characters that need URL-encoding are guaranteed, so every test
    exercises decoding them exactly once.
    """
    text = base64.b64encode(secrets.token_bytes(size - size % 3 + 2)).decode()  # ends with "="
    return f"{text[:8]}+{text[8:16]}/{text[16:]}"


class Authority:
    """Issues and checks codes, access tokens and refresh tokens; thread-safe.

    Every value is kept as ``{value: (client_id, expiry, extra)}``; nothing is
    persisted, so a new sandbox knows no tokens.
    """

    def __init__(self, *, auto_approve: bool, access_expires_in: int, refresh_expires_in: int,
                 code_expires_in: int, rotate_refresh_tokens: bool, consumer_keys: Optional[Iterable[str]],
                 callback_urls: Optional[Iterable[str]]) -> None:
        self.auto_approve = auto_approve
        self.access_expires_in = access_expires_in
        self.refresh_expires_in = refresh_expires_in
        self.code_expires_in = code_expires_in
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.consumer_keys = None if consumer_keys is None else {k.upper() for k in consumer_keys}
        self.callback_urls = None if callback_urls is None else set(callback_urls)
        self._lock = threading.Lock()
        self._codes: Dict[str, Tuple[str, float, str]] = {}  # code -> client_id, expiry, redirect_uri
        self._access: Dict[str, Tuple[str, float]] = {}
        self._refresh: Dict[str, Tuple[str, float]] = {}

    # -- the login page -------------------------------------------------------------------------------

    def authorize(self, action: str, fields: Mapping[str, str], submitted: bool) -> Reply:
        """``GET /auth`` shows the login form (or approves at once); ``POST /auth`` is the form's answer."""
        problem = self._check_authorization_request(fields)
        if problem:
            return html_reply(400, "TD Ameritrade (pyTD sandbox)", f"{MISMATCH}: {problem}")
        if not submitted and not self.auto_approve:
            return login_page(action, fields)
        if submitted and fields.get("action") == "deny":
            return self._back(fields, {"error": "access_denied"})
        if submitted and not (fields.get("username") and fields.get("password")):
            return login_page(action, fields, "Enter your user name and password.")
        code = opaque()
        with self._lock:
            self._codes[code] = (fields["client_id"], time.time() + self.code_expires_in, fields["redirect_uri"])
        return self._back(fields, {"code": code})

    def _check_authorization_request(self, fields: Mapping[str, str]) -> str:
        if fields.get("response_type") != "code":
            return "response_type must be code"
        if not self._known_client(fields.get("client_id", "")):
            return "unknown client_id"
        uri = fields.get("redirect_uri", "")
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "redirect_uri must be an http(s) URL"
        if self.callback_urls is not None and uri not in self.callback_urls:
            return "redirect_uri does not match the app's callback URL"
        return ""

    @staticmethod
    def _back(fields: Mapping[str, str], params: Dict[str, str]) -> Reply:
        """Redirect the browser to the callback URL, as TD does: each value URL-encoded once."""
        if fields.get("state"):
            params["state"] = fields["state"]
        uri = fields["redirect_uri"]
        query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())
        return redirect(uri + ("&" if "?" in uri else "?") + query)

    def _known_client(self, client_id: str) -> bool:
        key, suffix = client_id[: -len(CLIENT_ID_SUFFIX)], client_id[-len(CLIENT_ID_SUFFIX):]
        if suffix != CLIENT_ID_SUFFIX or not key:
            return False
        return self.consumer_keys is None or key.upper() in self.consumer_keys

    # -- the token endpoint ---------------------------------------------------------------------------

    def token(self, content_type: str, form: Mapping[str, str]) -> Reply:
        """``POST /v1/oauth2/token``: exchange a code or a refresh token."""
        if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            return error_reply(400, "invalid_request",
                               error_description="the body must be application/x-www-form-urlencoded")
        grant = form.get("grant_type")
        if grant not in ("authorization_code", "refresh_token"):
            return error_reply(400, "unsupported_grant_type")
        client_id = form.get("client_id", "")
        if not self._known_client(client_id):
            return error_reply(401, "invalid_client")
        now = time.time()
        with self._lock:
            if grant == "authorization_code":
                return self._exchange(form, client_id, now)
            return self._renew(form, client_id, now)

    def _exchange(self, form: Mapping[str, str], client_id: str, now: float) -> Reply:
        issued = self._codes.pop(form.get("code", ""), None)  # single-use, even when the rest is wrong
        if issued is None or issued[1] < now or issued[0] != client_id:
            return error_reply(400, "invalid_grant")
        if form.get("redirect_uri") != issued[2]:
            return error_reply(400, "invalid_grant", error_description="redirect_uri does not match")
        return json_reply(200, self._issue(client_id, now, with_refresh=True))

    def _renew(self, form: Mapping[str, str], client_id: str, now: float) -> Reply:
        old = form.get("refresh_token", "")
        known = self._refresh.get(old)
        if known is None or known[1] < now or known[0] != client_id:
            return error_reply(400, "invalid_grant")
        offline = form.get("access_type") == "offline"
        if offline and self.rotate_refresh_tokens:
            del self._refresh[old]
        return json_reply(200, self._issue(client_id, now, with_refresh=offline))

    def _issue(self, client_id: str, now: float, with_refresh: bool) -> dict:
        access = opaque(96)
        self._access[access] = (client_id, now + self.access_expires_in)
        payload = {"access_token": access, "token_type": "Bearer", "expires_in": self.access_expires_in,
                   "scope": SCOPE}
        if with_refresh:
            refresh = opaque(96)
            self._refresh[refresh] = (client_id, now + self.refresh_expires_in)
            payload.update(refresh_token=refresh, refresh_token_expires_in=self.refresh_expires_in)
        return payload

    # -- resource requests ----------------------------------------------------------------------------

    def client_of(self, authorization: str) -> Optional[str]:
        """The client id an ``Authorization: Bearer`` header belongs to, or None if it is not valid now."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            known = self._access.get(token.strip())
        if known is None or known[1] < time.time():
            return None
        return known[0]

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired, as if 30 minutes had passed."""
        with self._lock:
            self._access.clear()

    def revoke_refresh_tokens(self) -> None:
        """Reject every refresh token issued so far (``invalid_grant``), as after a password change."""
        with self._lock:
            self._refresh.clear()
