"""One URL rule (kronika/lookup.py): every spelling of a page gives the same SURT keys, and every
form of a Telegram post's URL names the same post."""
from __future__ import annotations

import pytest

from kronika.lookup import normalise, spellings, surt_keys, telegram_post_id, with_scheme

CANONICAL = "http://example.org/news/strike.html"
SAME_PAGE = [
    "http://example.org/news/strike.html",
    "https://example.org/news/strike.html",
    "https://www.example.org/news/strike.html",
    "http://EXAMPLE.org:80/news/strike.html",
    "http://example.org/news/strike.html/",
    "http://example.org/news/strike.html#comments",
    "http://example.org/news/strike.html?utm_source=tw&utm_medium=social",
    "example.org/news/strike.html",
    "  www.example.org/news/strike.html ",
    "org,example)/news/strike.html",
]


@pytest.mark.parametrize("typed", SAME_PAGE)
def test_every_spelling_of_a_page_shares_its_surt_key(typed):
    assert "org,example)/news/strike.html" in surt_keys(typed)


def test_query_order_does_not_matter_but_real_parameters_do():
    assert surt_keys("http://example.org/a?b=1&a=2") & surt_keys("http://example.org/a?a=2&b=1")
    assert not surt_keys("http://example.org/a?id=1") & surt_keys("http://example.org/a?id=2")


def test_spellings_cover_scheme_www_and_trailing_slash():
    found = spellings("https://www.example.org/news/?utm_campaign=x")
    for url in ("http://example.org/news", "https://example.org/news/", "http://www.example.org/news/"):
        assert url in found
    assert all("utm_" not in url for url in found[1:])


def test_a_url_without_a_scheme_is_http_and_a_surt_key_stays_itself():
    assert with_scheme("example.org/a") == "http://example.org/a"
    assert normalise("org,example)/a") == "org,example)/a"
    assert normalise("https://Example.org/a?utm_source=x#top") == "https://example.org/a"


@pytest.mark.parametrize("typed", [
    "https://t.me/zarichna_ova/4117", "https://t.me/s/zarichna_ova/4117", "t.me/zarichna_ova/4117",
    "http://telegram.me/zarichna_ova/4117/", "https://t.me/s/zarichna_ova/4117?single#x",
    "HTTPS://T.ME/zarichna_ova/4117", "http://mirror.kronika.test/t/s/zarichna_ova/4117",
])
def test_every_form_of_a_telegram_post_url(typed):
    assert telegram_post_id(typed) == ("zarichna_ova", 4117)


def test_other_urls_are_not_telegram_posts():
    assert telegram_post_id("https://t.me/zarichna_ova") is None
    assert telegram_post_id("https://example.org/news/4117") is None
