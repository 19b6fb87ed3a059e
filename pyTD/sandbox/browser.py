r"""A stand-in for the user's web browser: opens the login page, fills in the form, follows the redirect.

Pass an instance as ``open_browser`` (``a.login(open_browser=HeadlessBrowser())``),
or run ``python -m pyTD.sandbox.browser URL`` from a script named in ``$BROWSER``
(:mod:`webbrowser` runs ``$BROWSER`` as one program, without splitting arguments)::

    printf '#!/bin/sh\nexec python -m pyTD.sandbox.browser "$1"\n' > td-browser && chmod +x td-browser
    BROWSER=$PWD/td-browser python -m pyTD login

It works against the sandbox of either provider (or any page with the same
form); it is not a general web browser. When the login ends on an error page of
the login server (a wrong callback URL or app key, say) instead of reaching the
callback, it raises :class:`pyTD.exceptions.AuthorizationError` quoting the
page, so a login does not sit waiting for a redirect that never comes.
"""

from __future__ import annotations

import argparse
import sys
from html.parser import HTMLParser
from typing import Dict, List, Optional, Sequence, Tuple, Union
from urllib.parse import urljoin, urlsplit

import requests

from pyTD.exceptions import AuthorizationError, TDConnectionError
from pyTD.transport import strip_query

MAX_STEPS = 10


class HeadlessBrowser:
    """Open a URL, log in on the form it shows, and follow redirects to the callback URL.

    Parameters
    ----------
    approve : bool
        Click "Allow" (True) or "Deny" (False) on the login form.
    verify : bool or str
        Check TLS certificates (as in :mod:`requests`): True, False, or the
        path of a CA bundle or certificate, such as the callback server's
        self-signed ``localhost-cert.pem``.
    username, password : str
        What to type into the login form.
    timeout : float
        Seconds to wait for each page.

    Attributes
    ----------
    history : list of str
        Every URL visited, in order.
    last_response : requests.Response or None
        The last page: normally the callback server's answer.
    """

    def __init__(self, approve: bool = True, *, verify: Union[bool, str] = True, username: str = "user",
                 password: str = "secret", timeout: float = 10.0) -> None:  # noqa: S107 - the sandbox's fake login
        self.approve = approve
        self.verify = verify
        self.username = username
        self.password = password
        self.timeout = timeout
        self.history: List[str] = []
        self.last_response: Optional[requests.Response] = None
        self._start = ""

    def __call__(self, url: str) -> bool:
        """Visit ``url`` like a user who logs in; returns True, as :func:`webbrowser.open` does.

        Raises
        ------
        AuthorizationError
            If the login ends on a page of the login server (an error page, or
            the form again after submitting it) instead of leaving for the
            callback URL; the message quotes the page.
        TDConnectionError
            If a page cannot be reached (no server at the login page's or the callback's URL).
        """
        self._start = urlsplit(url).netloc  # the login server's
        with requests.Session() as session:
            response = self._visit(session, "GET", url)
            submitted = False
            for _ in range(MAX_STEPS):
                if response.is_redirect:
                    response = self._visit(session, "GET", urljoin(response.url, response.headers["Location"]))
                    continue
                form = LoginForm.find(response.text) if "html" in response.headers.get("Content-Type", "") else None
                if form is None or submitted:  # a page without a form, or the form again: login refused
                    break
                data = dict(form.fields, username=self.username, password=self.password,
                            action="allow" if self.approve else "deny")
                response = self._visit(session, form.method, urljoin(response.url, form.action), data)
                submitted = True
        self.last_response = response
        if page(response.url) == page(url):  # still on the login page: the login failed there
            raise AuthorizationError(f"The login page refused the login (HTTP {response.status_code}): "
                                     f"{visible_text(response.text) or 'no message'}")
        return True

    def _visit(self, session: requests.Session, method: str, url: str,
               data: Optional[Dict[str, str]] = None) -> requests.Response:
        self.history.append(url)
        try:
            return session.request(method, url, data=data, allow_redirects=False, verify=self.verify,
                                   timeout=self.timeout)
        except requests.RequestException as exc:
            login_server = urlsplit(url).netloc == self._start
            setting = "auth_url (TD_AUTH_URL)" if login_server else "callback_url (TD_CALLBACK_URL)"
            raise TDConnectionError(f"The browser could not open {strip_query(url)} ({type(exc).__name__}): "
                                    f"check {setting}; for the sandbox, is `python -m pyTD sandbox` still "
                                    "running?") from None

    def __repr__(self) -> str:
        return f"<HeadlessBrowser approve={self.approve} visited={len(self.history)}>"


def page(url: str) -> Tuple[str, Optional[str], Optional[int], str]:
    """A URL without its query: the login page is the same page whatever it was asked."""
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port, parts.path


def visible_text(page: str, limit: int = 500) -> str:
    """What a person reads on an HTML page: its text without the title, scripts or styles, on one line."""
    reader = _Text()
    reader.feed(page)
    return " ".join(" ".join(reader.parts).split())[:limit]


class _Text(HTMLParser):
    HIDDEN = ("title", "script", "style")

    def __init__(self) -> None:
        super().__init__()
        self.parts: List[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self._hidden += tag in self.HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self.HIDDEN and self._hidden > 0

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


class LoginForm(HTMLParser):
    """The first ``<form>`` of a page: its action, method and prefilled (hidden) fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: Optional[str] = None
        self.method = "GET"
        self.fields: Dict[str, str] = {}
        self._inside = False

    @classmethod
    def find(cls, page: str) -> Optional[LoginForm]:
        parser = cls()
        parser.feed(page)
        return parser if parser.action is not None else None

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action, self.method, self._inside = values.get("action", ""), values.get("method", "get").upper(), True
        elif tag == "input" and self._inside and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m pyTD.sandbox.browser URL``: log in at URL and follow the redirect."""
    parser = argparse.ArgumentParser(prog="python -m pyTD.sandbox.browser", description=main.__doc__)
    parser.add_argument("url")
    parser.add_argument("--deny", action="store_true", help='click "Deny" instead of "Allow"')
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument("--insecure", action="store_true", help="do not check TLS certificates")
    trust.add_argument("--cafile", help="trust this certificate or CA bundle")
    args = parser.parse_args(argv)
    browser = HeadlessBrowser(not args.deny, verify=False if args.insecure else args.cafile or True)
    try:
        browser(args.url)
    except (TDConnectionError, AuthorizationError) as exc:
        print(f"browser: {exc}", file=sys.stderr)
        return 1
    status = browser.last_response.status_code if browser.last_response is not None else "-"
    print(f"browser: {browser.history[-1].split('?')[0]} -> {status}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
