"""What a sandbox endpoint answers: a status, a body and headers, plus the HTML pages it shows."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from string import Template
from typing import Any, Dict, Mapping


@dataclass
class Reply:
    """One HTTP response of the sandbox."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload).encode())


def error_reply(status: int, message: str, **extra: str) -> Reply:
    """The OAuth (and TD) error body: ``{"error": "..."}``."""
    return json_reply(status, {"error": message, **extra})


def html_reply(status: int, title: str, message: str) -> Reply:
    body = PAGE.substitute(title=html.escape(title), body=f"<p>{html.escape(message)}</p>")
    return Reply(status, body.encode(), "text/html; charset=utf-8")


def redirect(location: str) -> Reply:
    return Reply(302, b"", "text/plain", {"Location": location})


PAGE = Template("""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>$title</title></head>
<body><h1>$title</h1>$body</body></html>
""")

LOGIN_FORM = Template("""<form method="post" action="$action">
<input type="hidden" name="response_type" value="$response_type">
<input type="hidden" name="client_id" value="$client_id">
<input type="hidden" name="redirect_uri" value="$redirect_uri">
<input type="hidden" name="state" value="$state">
<p>$notice</p>
<p><label>User name <input type="text" name="username" autocomplete="username"></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password"></label></p>
<p>pyTD sandbox wants to access your account.</p>
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
""")


def login_page(title: str, action: str, fields: Mapping[str, str], notice: str = "") -> Reply:
    """The sandbox's stand-in for a provider's login and consent page."""
    values = {name: html.escape(fields.get(name, ""), quote=True)
              for name in ("response_type", "client_id", "redirect_uri", "state")}
    form = LOGIN_FORM.substitute(action=html.escape(action, quote=True), notice=html.escape(notice), **values)
    body = PAGE.substitute(title=html.escape(f"{title} (pyTD sandbox) - Log in"), body=form)
    return Reply(200, body.encode(), "text/html; charset=utf-8")


# What an edge server sends instead of JSON in an outage (Schwab's token endpoint has been seen doing
# it): pass it to ``Sandbox.fail_next(status=403, body=ACCESS_DENIED_PAGE, content_type="text/html")``.
ACCESS_DENIED_PAGE = """<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;api&#46;schwabapi&#46;com&#47;v1&#47;oauth&#47;token" on \
this server.<P>
Reference&#32;&#35;18&#46;8f2d3e17&#46;1729295935&#46;5c7a21b
</BODY>
</HTML>
"""
