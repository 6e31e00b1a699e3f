"""Feeds, sitemaps and listing pages: kind detection from content, entries, follow links, errors."""
from __future__ import annotations

import gzip
import resource
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kronika.spiders.parsers.charset import maybe_gunzip
from kronika.spiders.parsers.discovery import detect_kind, parse_discovery

DATA = Path(__file__).resolve().parents[1] / "data" / "parsers"
COURIER = ["courier.example.org"]


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def urls(result) -> list[str]:
    return [e.url for e in result.entries]


@pytest.mark.parametrize(
    ("name", "content_type", "kind"),
    [
        ("feed_rss.xml", "application/rss+xml", "rss"),
        ("feed_rss.xml", "text/html; charset=utf-8", "rss"),  # the server lies
        ("feed_atom.xml", "application/octet-stream", "atom"),
        ("sitemap.xml", "text/html", "sitemap"),
        ("sitemap_index.xml", None, "sitemapindex"),
        ("sitemap_news.xml", "text/plain", "sitemap"),
        ("listing.html", "application/xml", "html"),
        ("listing_uk.html", None, "html"),
    ],
)
def test_detect_kind_reads_content(name, content_type, kind):
    assert detect_kind(read(name), "https://courier.example.org/feed", content_type) == kind


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"", None, "unknown"),
        (b'{"json": true}', "application/json", "unknown"),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- hi --><rdf:RDF xmlns:rdf='x'/>", None, "rss"),
        (b"<!DOCTYPE html>\n<html><body>x</body></html>", "application/rss+xml", "html"),
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a '>'>]><feed/>", None, "atom"),
        (b"just words", "text/html", "unknown"),
        (b"<p>fragment</p>", "text/html", "html"),
    ],
)
def test_detect_kind_edge_cases(body, content_type, kind):
    assert detect_kind(body, "https://x.example/", content_type) == kind


def test_rss():
    result = parse_discovery(read("feed_rss.xml"), "https://courier.example.org/rss.xml", None, COURIER)
    assert result.kind == "rss"
    assert urls(result) == [
        "https://courier.example.org/news/2026/01/05/bridge-reopens-after-repairs",
        "https://www.courier.example.org/news/council-approves-budget",  # guid permalink, subdomain allowed
    ]
    first, second = result.entries
    assert first.title == "Bridge reopens after repairs"
    assert first.published_at == datetime(2026, 1, 5, 7, 30, tzinfo=timezone.utc)
    assert second.title == "Council approves budget"  # markup in CDATA dropped
    assert second.published_at == datetime(2026, 1, 4, 18, 0, tzinfo=timezone.utc)
    assert first.date_source == "rss:pubDate" and first.published_at_raw  # date evidence as written
    # an item without a link costs that item only: a warning, not an error of the feed
    assert any("without a link" in w for w in result.warnings) and result.errors == []


def test_rss_without_domain_filter_keeps_partner_links():
    result = parse_discovery(read("feed_rss.xml"), "https://courier.example.org/rss.xml", None, [])
    assert "https://partner.example.net/story/123456" in urls(result)


def test_atom():
    result = parse_discovery(read("feed_atom.xml"), "https://valley.example.net/atom.xml", None, ["valley.example.net"])
    assert result.kind == "atom"
    assert urls(result) == [
        "https://valley.example.net/town/library-extends-opening-hours",
        "https://valley.example.net/town/relative-link-story-2026",  # resolved against the feed URL
    ]
    assert result.entries[0].title == "Бібліотека подовжує години роботи"
    assert result.entries[0].published_at == datetime(2026, 1, 8, 15, 20, tzinfo=timezone.utc)
    assert result.entries[1].title == "Relative & updated only"
    # Atom's <updated> is a modification date, not a publication date
    assert result.entries[1].published_at is None
    assert result.entries[1].modified_at == datetime(2026, 1, 7, 12, 0, tzinfo=timezone.utc)
    assert result.follow == ["https://valley.example.net/atom.xml?page=2"]
    assert result.errors == []


def test_sitemap():
    result = parse_discovery(read("sitemap.xml"), "https://courier.example.org/sitemap.xml", "text/xml", COURIER)
    assert result.kind == "sitemap"
    assert urls(result) == [
        "https://courier.example.org/news/2026/01/05/bridge-reopens-after-repairs",
        "https://courier.example.org/news/council-approves-budget",
        "https://courier.example.org/news/no-lastmod-story",
    ]
    # <lastmod> says when the page last changed, not when it was published
    assert [e.published_at for e in result.entries] == [None, None, None]
    assert [e.modified_at for e in result.entries] == [
        datetime(2026, 1, 5, 7, 30, tzinfo=timezone.utc),
        datetime(2026, 1, 4, tzinfo=timezone.utc),
        None,
    ]
    assert result.follow == [] and result.errors == []


def test_gzipped_sitemap():
    body = gzip.compress(read("sitemap.xml"))
    result = parse_discovery(body, "https://courier.example.org/sitemap.xml.gz", "application/octet-stream", COURIER)
    assert result.kind == "sitemap"
    assert len(result.entries) == 3
    assert detect_kind(body, "https://courier.example.org/s.gz", None) == "sitemap"


def test_sitemapindex():
    result = parse_discovery(read("sitemap_index.xml"), "https://courier.example.org/sitemap_index.xml", None, COURIER)
    assert result.kind == "sitemapindex"
    assert result.entries == []
    assert result.follow == [
        "https://courier.example.org/sitemaps/2026-01.xml.gz",
        "https://courier.example.org/sitemaps/news.xml",
    ]


def test_google_news_sitemap():
    result = parse_discovery(read("sitemap_news.xml"), "https://courier.example.org/news.xml", None, COURIER)
    news, plain = result.entries
    assert news.title == "Flood warning lifted for the lower valley"
    assert news.published_at == datetime(2026, 1, 6, 8, 15, tzinfo=timezone.utc)  # publication_date beats lastmod
    assert news.date_source == "news:publication_date"
    assert plain.title is None
    assert plain.published_at is None
    assert plain.modified_at == datetime(2026, 1, 6, 21, 0, tzinfo=timezone.utc)


def test_html_listing_gives_only_article_links():
    result = parse_discovery(read("listing.html"), "https://courier.example.org/news/", "text/html", COURIER)
    assert result.kind == "html"
    assert urls(result) == [
        "https://courier.example.org/news/2026/01/05/bridge-reopens-after-repairs",
        "https://courier.example.org/news/council-approves-budget",
        "https://courier.example.org/news/12345",
        "https://courier.example.org/news/school-opens.html",
        "https://www.courier.example.org/news/2026/01/03/www-subdomain-story",
    ]
    assert result.entries[0].title == "Bridge reopens after repairs"
    joined = " ".join(urls(result))
    for junk in ("about-the-courier", "special-coverage", "login", "author", "tag/", "privacy", "ethics",
                 "partner.example.net", ".pdf", ".css", "mailto", "page="):
        assert junk not in joined
    assert result.follow == [
        "https://courier.example.org/news/?page=2",
        "https://courier.example.org/news/archive?p=9",
    ]


def test_html_listing_next_word_in_ukrainian():
    result = parse_discovery(read("listing_uk.html"), "https://uk.example.ua/novyny/", None, ["uk.example.ua"])
    assert urls(result) == ["https://uk.example.ua/novyny/2026/01/vidkryly-novu-shkolu"]
    assert result.follow == ["https://uk.example.ua/novyny/?page=2"]


def test_html_listing_next_word_in_russian_and_english_variants():
    body = (
        "<html><body><a href='/ru/2026/01/novost-dnya-1'>Новость</a>"
        "<a href='/ru/?page=2'>Следующая</a><a href='/ru/?page=5'>Older posts</a></body></html>"
    ).encode()
    result = parse_discovery(body, "https://ru.example.org/ru/", "text/html", ["ru.example.org"])
    assert urls(result) == ["https://ru.example.org/ru/2026/01/novost-dnya-1"]
    assert result.follow == ["https://ru.example.org/ru/?page=2", "https://ru.example.org/ru/?page=5"]


def test_broken_xml_is_read_leniently_with_a_warning():
    body = b"<?xml version='1.0'?><rss><channel><item><title>One</title><link>https://courier.example.org/a/12345</link></item><item><title>Two</ti"
    result = parse_discovery(body, "https://courier.example.org/rss.xml", "application/rss+xml", COURIER)
    assert result.kind == "rss"
    assert result.errors == [] and "invalid XML" in result.warnings[0]
    assert urls(result) == ["https://courier.example.org/a/12345"]  # salvaged


def test_a_feed_of_which_nothing_can_be_read_is_an_error():
    body = b"<?xml version='1.0'?><rss><channel><title>Cut off before the first it"
    result = parse_discovery(body, "https://courier.example.org/rss.xml", "application/rss+xml", COURIER)
    assert result.kind == "rss" and result.entries == []
    assert result.errors and "no feed item could be read" in result.errors[0]


def test_truncated_sitemap_gives_the_entries_before_the_cut():
    body = b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>https://courier.example.org/a-b-c</loc></url><url><loc>"
    result = parse_discovery(body, "https://courier.example.org/sitemap.xml", None, COURIER)
    assert result.kind == "sitemap"
    assert result.errors == [] and any("invalid XML" in w for w in result.warnings)
    assert urls(result) == ["https://courier.example.org/a-b-c"]


def test_billion_laughs_does_not_expand():
    levels = "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    body = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + levels + "]>"
        "<rss><channel><item><title>&lol9;</title><link>https://courier.example.org/a/12345</link>"
        "</item></channel></rss>"
    ).encode()
    # not a deadline (a loaded machine is slow, not wrong): expanded, &lol9; is 10**9 "lol"s, about
    # 3 GB, so the peak memory of this process would jump by gigabytes
    per_mib = 1024 if sys.platform.startswith("linux") else 1024 * 1024  # ru_maxrss: KiB, or bytes (macOS)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = parse_discovery(body, "https://courier.example.org/rss.xml", None, COURIER)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / per_mib
    assert grown_mib < 200, f"parsing grew the peak memory by {grown_mib:.0f} MiB: entities expanded"
    assert result.kind == "rss"
    # libxml2 may refuse the document outright (an error) or keep the reference unexpanded.
    assert result.errors or urls(result) == ["https://courier.example.org/a/12345"]
    assert all("lollol" not in (e.title or "") for e in result.entries)


def test_external_entities_are_not_loaded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<rss><channel><item><title>t &xxe;</title><link>https://courier.example.org/a/12345</link>"
        "</item></channel></rss>"
    ).encode()
    result = parse_discovery(body, "https://courier.example.org/rss.xml", None, COURIER)
    assert urls(result) == ["https://courier.example.org/a/12345"]
    assert "TOP-SECRET" not in (result.entries[0].title or "")


def test_gzip_bomb_is_capped():
    bomb = gzip.compress(b"\0" * 2_000_000)
    with pytest.raises(ValueError, match="limit"):
        maybe_gunzip(bomb, limit=1_000_000)
    assert maybe_gunzip(bomb, limit=3_000_000) == b"\0" * 2_000_000
    result = parse_discovery(gzip.compress(b"<urlset>" + b" " * 60_000_000 + b"</urlset>"), "https://x.example/s.gz", None, [])
    assert result.kind == "unknown" and "limit" in result.errors[0]


def test_maybe_gunzip_passthrough_and_corrupt():
    assert maybe_gunzip(b"<urlset/>") == b"<urlset/>"
    assert maybe_gunzip(gzip.compress(b"a") + gzip.compress(b"b")) == b"ab"  # multi-member
    with pytest.raises(ValueError):
        maybe_gunzip(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError):
        maybe_gunzip(gzip.compress(b"x" * 1000)[:-20])


@pytest.mark.parametrize("body", [b"", b"\x00\x01\x02", b"<rss", b"<?xml version='1.0'?>", b"\x1f\x8b"])
def test_garbage_never_raises(body):
    result = parse_discovery(body, "https://courier.example.org/x", None, COURIER)
    assert result.entries == []
    assert result.errors


def test_homepage_listing_date_paths_and_rel_next():
    body = (
        b'<html><body><nav><a href="/politics/">Politics</a></nav><ul>'
        b'<li><a href="/politics/minister-resigns-after-vote">M</a></li><li><a href="/2026/01/07/story">S</a></li>'
        b'<li><a href="/politics/">P</a></li><li><a href="/contact-us">C</a></li><li><a href="/">Home</a></li></ul>'
        b'<a rel="next" href="/?page=2">2</a></body></html>'
    )
    result = parse_discovery(body, "https://news.example.com/", "text/html", [])
    assert urls(result) == [
        "https://news.example.com/politics/minister-resigns-after-vote",
        "https://news.example.com/2026/01/07/story",
    ]
    assert result.follow == ["https://news.example.com/?page=2"]
