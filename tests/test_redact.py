"""What reaches people: URLs without passwords or queries, text without control characters, filtered logs."""

import logging

import pytest

from pyTD.redact import SecretFilter, printable, redact
from pyTD.transport import strip_query


@pytest.mark.parametrize("url,shown", [
    ("https://user:hunter2@api.example.com:8443/v1/x?code=SECRET#frag", "https://api.example.com:8443/v1/x"),
    ("http://[::1]:9/cb?code=SECRET", "http://[::1]:9/cb"),
    ("http://[::1/x?code=SECRET", "<a malformed URL>"),
])
def test_strip_query_drops_password_query_and_fragment(url, shown):
    assert strip_query(url) == shown


def test_redact_hides_queries_fragments_and_passwords_in_any_text():
    line = 'http://127.0.0.1:80 "GET /callback?code=SECRET&state=S HTTP/1.1" 200 and https://u:hunter2@h/p#tok'
    cleaned = redact(line)
    assert "SECRET" not in cleaned and "hunter2" not in cleaned and "tok" not in cleaned
    assert '"GET /callback?... HTTP/1.1" 200' in cleaned and "https://...@h/p#..." in cleaned


def test_printable_keeps_one_safe_line():
    assert printable("a\x1b[2Jb\r\nc\u202ed\x00e") == "a[2Jbcde"
    assert len(printable("x" * 1000, 50)) == 50


def test_the_filter_cleans_other_libraries_records_and_tracebacks():
    logger = logging.getLogger("some.library")
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(SecretFilter())
    logger.addHandler(handler)
    try:
        logger.warning("%s %s", "GET", "/cb?code=SECRET1")
        try:
            raise ValueError("failed for https://user:SECRET2@host/x?token=SECRET3")
        except ValueError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    assert records[0] == "GET /cb?..."
    assert "ValueError" in records[1] and not any(s in records[1] for s in ("SECRET2", "SECRET3"))


def test_redact_leaves_ordinary_sentences_alone():
    text = "port 8080 on ::1 is already in use (is another login running?) see issue #11."
    assert redact(text) == text
