"""What pyTD shows people: text without control characters, log lines without query strings or passwords."""

from __future__ import annotations

import logging
import re
import unicodedata

_SHOWN_LIMIT = 300
# A query string (name=value ...) or a URL's fragment, which carry codes and tokens; and the user:password@ of a URL.
_QUERY = re.compile(r"\?[^\s\"'<>]*=[^\s\"'<>]*|(?<=[\w/])#[^\s\"'<>]+")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def printable(text: object, limit: int = _SHOWN_LIMIT) -> str:
    """``text`` as one safe line: control and formatting characters (escape sequences, bidi overrides,
    newlines) removed, and at most ``limit`` characters.

    Anything a server or a redirect says passes through here before it reaches a terminal.
    """
    kept = "".join(ch for ch in str(text) if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    return kept if len(kept) <= limit else kept[: limit - 3] + "..."


def redact(text: str) -> str:
    """``text`` with every query string, fragment and URL password replaced by ``...``."""
    return _QUERY.sub(lambda m: m.group(0)[0] + "...", _USERINFO.sub(r"\1...@", text))


class SecretFilter(logging.Filter):
    """A logging filter that removes query strings and URL passwords from every record it sees.

    pyTD's own messages never contain them; other libraries' may (urllib3 logs each request line,
    query string included, at DEBUG). The command line adds this filter to its handler; add it to
    yours when you log other libraries at DEBUG::

        handler.addFilter(pyTD.redact.SecretFilter())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # a traceback's messages may quote a URL too
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
