"""URL canonicalisation, article identity and Retry-After parsing (pure functions)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from kronika.spiders.retryafter import parse_retry_after
from kronika.spiders.urls import article_identity, canonicalize_url, is_tracking_param, same_site


@pytest.mark.parametrize("raw, expected", [
    ("HTTP://Example.COM:80/News/Story.html#comments", "http://example.com/News/Story.html"),
    ("https://example.com:443", "https://example.com/"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("https://example.com/a?utm_source=tw&utm_medium=social&id=7&fbclid=IwAR", "https://example.com/a?id=7"),
    ("https://example.com/a?gclid=1&UTM_Campaign=x&yclid=2", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?b=2&a=1"),  # order kept: some CMSs route on it
    ("https://example.com/a?q=war+and+peace&utm_term=x", "https://example.com/a?q=war+and+peace"),
    ("https://example.com/%7euser/%e2%82%ac", "https://example.com/~user/%E2%82%AC"),
    ("https://user:secret@Example.com./a", "https://example.com/a"),
    ("https://приклад.укр/новини", "https://xn--80aikifvh.xn--j1amh/%D0%BD%D0%BE%D0%B2%D0%B8%D0%BD%D0%B8"),
    ("mailto:desk@example.com", "mailto:desk@example.com"),
])
def test_canonicalize_url(raw, expected):
    assert canonicalize_url(raw) == expected
    assert canonicalize_url(expected) == expected  # idempotent


def test_tracking_params():
    assert is_tracking_param("utm_content") and is_tracking_param("fbclid") and is_tracking_param("GCLID")
    assert not is_tracking_param("id") and not is_tracking_param("page")


def test_article_identity_prefers_a_same_site_canonical():
    final = "https://www.example.com/news/story?view=print&utm_source=x"
    assert article_identity(final, "/news/story") == "https://www.example.com/news/story"
    assert article_identity(final, "https://example.com/news/story") == "https://example.com/news/story"
    assert article_identity(final, "https://m.example.com/news/story") == "https://m.example.com/news/story"
    # another site (a syndicated copy), the home page (a CMS mistake), nothing: the final URL
    assert article_identity(final, "https://wire.example.org/s/1") == "https://www.example.com/news/story?view=print"
    assert article_identity(final, "https://www.example.com/") == "https://www.example.com/news/story?view=print"
    assert article_identity(final, None) == "https://www.example.com/news/story?view=print"
    assert same_site("https://www.a.com/x", "http://a.com:8080/y") and not same_site("https://a.com", "https://b.com")


def test_parse_retry_after_seconds_and_dates():
    now = datetime(2026, 1, 14, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(b" 5 ") == 5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert parse_retry_after("Wed, 14 Jan 2026 11:00:00 GMT", now) == 0  # in the past: go now
    for junk in (None, "", "soon", "-5", "1.5e9"):
        assert parse_retry_after(junk, now) is None
