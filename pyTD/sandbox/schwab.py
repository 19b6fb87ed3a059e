"""Charles Schwab's stand-in: its OAuth rules, market data under ``/marketdata/v1`` and its errors (schwab-api.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Dict, Mapping, Optional, Union
from urllib.parse import urlsplit

from pyTD.sandbox.oauth import Authority, Grant
from pyTD.sandbox.provider import Provider
from pyTD.sandbox.replies import Reply, error_reply, html_reply, json_reply

SCOPE = "api"
TOKEN_HOST = base64.b64encode(b"oauth2.cdc.schwab.com").decode()  # the middle part of codes and access tokens
LOOPBACK = ("127.0.0.1", "::1")


# -- OAuth ---------------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def nested_error(error: str, description: str) -> Reply:
    """Schwab's token-endpoint error: a JSON string inside ``error_description``."""
    inner = json.dumps({"error_description": description, "error": error}, separators=(",", ":"))
    return json_reply(400, {"error": "unsupported_token_type", "error_description": f'400 Bad Request: "{inner}"'})


class SchwabAuthority(Authority):
    """A confidential client: the bare app key and its secret in HTTP Basic; https callbacks on 127.0.0.1.

    With ``client_secret`` None, the first secret presented for an app key
    becomes that key's secret (trust on first use).
    """

    title = "Charles Schwab"

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._secrets: Dict[str, str] = {}

    def known_secret(self, key: str) -> Optional[str]:
        with self._lock:
            return self.client_secret if self.client_secret is not None else self._secrets.get(key)

    def check_authorization_request(self, fields: Mapping[str, str]) -> str:
        client_id = fields.get("client_id", "")
        if "@" in client_id:
            return "client_id must be the app key alone, without a suffix such as @AMER.OAUTHAP"
        if self.client_of_id(client_id) is None:
            return "unknown client_id (app key)"
        if fields.get("response_type") not in (None, "", "code"):
            return "response_type must be code"
        uri = fields.get("redirect_uri", "")
        parts = urlsplit(uri)
        if parts.scheme != "https":
            return "the callback URL must use https"
        if parts.hostname not in LOOPBACK:
            return "the callback URL's host must be 127.0.0.1"
        if parts.path.endswith("/"):
            return "the callback URL must not end with a slash"
        if not self.registered_callback(uri):
            return "redirect_uri does not match the app's callback URL"
        return ""

    def error_page(self, problem: str) -> Reply:
        return html_reply(400, "Charles Schwab (pyTD sandbox)",
                          f"Access Denied: {problem}. Check the app key and the callback URL registered "
                          f"for the app (https://127.0.0.1[:port][/path], matched exactly).")

    def client_of_id(self, client_id: str) -> Optional[str]:
        return client_id if "@" not in client_id and self.known_key(client_id) else None

    def callback_base(self, redirect_uri: str) -> str:
        return redirect_uri if urlsplit(redirect_uri).path else redirect_uri + "/"  # Schwab inserts the "/"

    def callback_params(self, code: str) -> Dict[str, str]:
        return {"code": code, "session": str(uuid.uuid4())}

    def authenticate(self, headers: Mapping[str, str], form: Mapping[str, str]) -> Union[str, Reply]:
        scheme, _, value = headers.get("Authorization", "").partition(" ")
        try:
            key, colon, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except ValueError:
            key, colon, secret = "", "", ""
        if scheme.lower() != "basic" or not colon or not secret or self.client_of_id(key) is None:
            return error_reply(401, "invalid_client",
                               error_description="HTTP Basic authentication with the app key and secret is required")
        if form.get("client_id", key) != key:
            return error_reply(401, "invalid_client", error_description="client_id does not match the app key")
        with self._lock:
            expected = self.client_secret if self.client_secret is not None else self._secrets.setdefault(key, secret)
        if not hmac.compare_digest(secret.encode(), expected.encode()):
            return error_reply(401, "invalid_client", error_description="wrong app secret")
        return key

    def new_code(self) -> str:
        return f"C0.{TOKEN_HOST}.{secrets.token_urlsafe(32)}@"

    def new_access(self) -> str:
        return f"I0.{TOKEN_HOST}.{secrets.token_urlsafe(32)}@"

    def new_refresh(self) -> str:
        return f"{secrets.token_urlsafe(48)}@"  # the shape of Schwab's refresh tokens is unconfirmed

    def token_payload(self, client: str, access: str, refresh: Optional[str], login: bool) -> dict:
        return {"expires_in": self.access_expires_in, "token_type": "Bearer", "scope": SCOPE,
                "refresh_token": refresh, "access_token": access, "id_token": id_token(client)}

    def renewed_refresh_token(self, old: str, grant: Grant, form: Mapping[str, str], now: float) -> Optional[str]:
        """The same refresh token, still dying 7 days after the login (a new string if tokens rotate)."""
        return self._replace_refresh_token(old, grant) if self.rotate_refresh_tokens else old

    def bad_code(self, reason: str) -> Reply:
        # Unconfirmed body: modelled on the refresh error's nesting.
        return nested_error("invalid_request", f"Bad authorization code: {reason}")

    def bad_refresh_token(self, token: str) -> Reply:
        digest = b64url(hashlib.sha256(token.encode()).digest())
        return nested_error("refresh_token_authentication_error",
                            f"Exception while authenticating refresh token [tokenDigest={digest}]")


def id_token(client: str) -> str:
    """A JWT-shaped token (unsigned here: the signature part is random)."""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iss": "https://api.schwabapi.com", "aud": client, "sub": "pyTD-sandbox-user", "iat": now,
              "exp": now + 3600}
    parts = [b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)]
    return ".".join(parts + [b64url(secrets.token_bytes(64))])


# -- the provider --------------------------------------------------------------------------------------


def errors_reply(status: int, title: str, detail: Optional[str] = None, *, parameter: Optional[str] = None,
                 int_status: bool = False) -> Reply:
    """Schwab's market-data error body ``{"errors": [{"id", "status", "title", "detail", "source"}]}``."""
    error: Dict[str, object] = {"id": str(uuid.uuid4()), "status": status if int_status else str(status),
                                "title": title}
    if detail is not None:
        error["detail"] = detail
    if parameter is not None:
        error["source"] = {"parameter": parameter}
    return json_reply(status, {"errors": [error]})


class Schwab(Provider):
    name = "schwab"
    title = "Charles Schwab"
    auth_path = "/v1/oauth/authorize"
    api_path = ""
    token_path = "/v1/oauth/token"  # noqa: S105 - a path, not a password
    resource_prefixes = ("/marketdata/v1/", "/trader/v1/")
    refresh_expires_in = 7 * 86400
    code_expires_in = 30
    authority = SchwabAuthority

    def answer(self, path: str, query: Mapping[str, str]) -> Reply:
        return self.not_found(path)

    def unauthorized(self) -> Reply:
        return errors_reply(401, "Unauthorized", "Client not authorized", int_status=True)  # an int, as recorded

    def rate_limited(self) -> Reply:
        return errors_reply(429, "Too Many Requests", "The app made too many requests; slow down")

    def not_allowed(self, method: str) -> Reply:
        return errors_reply(405, "Method Not Allowed",
                            f"The sandbox serves market data only; {method} is not supported")

    def not_found(self, path: str) -> Reply:
        return errors_reply(404, "Not Found", f"No endpoint {path}")

    def headers(self) -> Dict[str, str]:
        return {"Schwab-Client-CorrelId": str(uuid.uuid4())}
