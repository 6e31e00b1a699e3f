"""The capture parsers over markup nobody here wrote: the real-world corpus (`make corpus`).

Feeds (feedparser's ill-formed, encoding and RSS test feeds; trafilatura's saved feeds), sitemaps
(trafilatura's, plain and gzipped), news pages (newspaper4k's saved articles) and a t.me/s page
(teleglance's). Each assertion is checked against the file itself, not against our own output.
"""
from __future__ import annotations

import gzip
import json
import re

import pytest

from kronika.spiders.parsers.article import parse_article
from kronika.spiders.parsers.discovery import parse_discovery
from kronika.spiders.parsers.telegram import page_is_unreadable, parse_channel_page
from tests.corpus import DATA, corpus

# a parser that raised: parse_discovery catches it and reports "SomethingError: ..." as an error
BUG_RE = re.compile(r"^[A-Z]\w*(Error|Exception|Warning)\b")
# EBCDIC feeds (feedparser tests the codecs): no news site serves them, detection does not try
EBCDIC_RE = re.compile(r"x80_(cp0?37|cp500|cp875|cs)?(ibm|ebcdic)|x80_cp(037|500|875|1026)")


def _files(pattern: str):
    return sorted(p for p in DATA.glob(pattern) if p.is_file())


@pytest.fixture(scope="module")
def data():
    return corpus()


def _raw(path) -> bytes:
    body = path.read_bytes()
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def test_no_feed_or_sitemap_of_the_corpus_trips_a_parser(data):
    files = _files("feeds/*/*") + _files("sitemaps/*/*")
    assert len(files) > 400
    bugs, unrecognised = [], []
    for path in files:
        result = parse_discovery(path.read_bytes(), f"http://corpus.test/{path.name}", None, [])
        bugs += [(path.name, e) for e in result.errors if BUG_RE.match(e)]
        if result.kind not in ("rss", "atom", "sitemap", "sitemapindex") and not EBCDIC_RE.search(path.name):
            unrecognised.append(path.name)
    assert bugs == []
    # every feed is recognised as one, whatever its encoding (UTF-16/32 with and without BOM included),
    # except rss_empty_document.xml, which holds nothing
    assert unrecognised == ["rss_empty_document.xml"]


def test_well_formed_rss_feeds_read_without_an_error(data):
    for path in _files("feeds/feedparser-rss/*.xml"):
        result = parse_discovery(path.read_bytes(), "http://corpus.test/feed.xml", "application/rss+xml", [])
        if path.name == "entity_in_doctype.xml":
            # entities a DOCTYPE declares are never expanded (they are how XML bombs work): the one
            # item, built from one, cannot be read, and that is said
            assert result.errors and "no feed item could be read" in result.errors[0]
            continue
        assert result.errors == [], (path.name, result.errors)


def test_corrupted_ampersands_in_item_links_keep_the_item(data):
    path = data / "feeds/feedparser-illformed/rss_item_link_corrupted_ampersands.xml"
    result = parse_discovery(path.read_bytes(), "http://corpus.test/feed.xml", None, [])
    assert result.errors == []
    assert [e.url for e in result.entries] and all("&" in e.url for e in result.entries)


@pytest.mark.parametrize("name", ["sitemap.xml", "sitemap.xml.gz", "sitemap2.xml", "sitemap-hreflang.xml"])
def test_every_loc_of_a_real_sitemap_becomes_an_entry_or_a_child(data, name):
    path = data / "sitemaps/trafilatura" / name
    raw = _raw(path)
    result = parse_discovery(path.read_bytes(), f"http://corpus.test/{name}", None, [])
    assert result.errors == [] and result.warnings == []
    locs = re.findall(rb"<loc>\s*(?:<!\[CDATA\[)?([^<\s\]]+)(?:\]\]>)?\s*</loc>", raw)
    got = [e.url for e in result.entries] + result.follow
    assert got == list(dict.fromkeys(loc.decode() for loc in locs))
    if result.kind == "sitemap":
        assert sum(1 for e in result.entries if e.modified_at) == len(re.findall(rb"<lastmod>", raw))


def test_real_feeds_give_their_items_with_dates(data):
    rss = parse_discovery((data / "feeds/trafilatura/feed2.rss").read_bytes(), "http://corpus.test/f.rss", None, [])
    raw = (data / "feeds/trafilatura/feed2.rss").read_bytes()
    assert len(rss.entries) == len(re.findall(rb"<item[\s>]", raw)) and rss.errors == []
    assert all(e.published_at and e.date_source == "rss:pubDate" for e in rss.entries)
    atom = parse_discovery((data / "feeds/trafilatura/feed1.atom").read_bytes(), "http://corpus.test/f.atom", None, [])
    # two entries: one with a web link, one whose only link is rel=self (its id is a urn:uuid)
    assert [e.url for e in atom.entries] == ["http://example.org/2003/12/13/atom03"]
    assert any("without a web link" in w for w in atom.warnings) and atom.offsite == 0


def test_real_news_pages_give_a_title_and_text(data):
    pages = _files("articles/newspaper4k/*.html")
    assert len(pages) >= 20
    same_title = 0
    metadata = _files("articles/newspaper4k-metadata/*.json")
    for meta in metadata:
        expected = json.loads(meta.read_text(encoding="utf-8"))
        page = data / "articles/newspaper4k" / f"{meta.stem}.html"
        record = parse_article(page.read_bytes(), expected.get("url") or f"https://corpus.test/{page.name}")
        assert record.title, page.name
        assert record.text and len(record.text) > 100, page.name
        same_title += (record.title or "").strip() == (expected.get("title") or "").strip()
    # newspaper4k's own expected titles on pages nobody here wrote. A regression guard set below
    # the level reached (measured 2026-12-05: 15 of 20 the same; the others differ by a site-name
    # suffix or an og:title), not an accuracy figure: those are docs/extraction.md's held-out ones
    assert same_title >= len(metadata) * 0.6, f"{same_title} of {len(metadata)} titles as newspaper4k reads them"


def test_a_real_world_tme_channel_page(data):
    """teleglance's fixture: a t.me/s page its author wrote in Telegram's markup (not a saved page)."""
    page = parse_channel_page((data / "telegram/teleglance/feed_page.html").read_bytes(), "https://t.me/s/testchan")
    posts = {p.post_id: p for p in page.posts}
    assert page.channel.username == "testchan" and page.channel.subscribers == 36_600
    assert sorted(posts) == [101, 102, 103, 104, 105, 106, 107, 108, 110]
    # its service message carries no date: counted as a warning, the rest of the page stands
    assert len(page.warnings) == 1 and "testchan/109" in page.warnings[0]
    assert posts[103].videos == ["https://cdn4.telesco.pe/file/video103.mp4"]
    assert posts[104].voice == {"url": "https://cdn4.telesco.pe/file/voice104.ogg", "duration": "1:23"}
    assert posts[104].text == "" and posts[104].author_signature == "Alice"
    assert posts[108].sticker == {"image": "https://cdn4.telesco.pe/file/sticker108.webp", "emoji": "🎉"}
    assert posts[110].location["latitude"] == 48.85 and posts[110].text == "We are here"
    assert posts[110].reply_to_post_id == 101
    assert posts[107].link_preview["title"] == "example/repo"
    assert posts[107].link_preview_image == "https://cdn4.telesco.pe/file/preview107.jpg"
    assert posts[106].poll["question"] == "Best async HTTP client?"
    assert posts[101].forwarded_from_name == "Original Channel"
    # Telegram's landing page (what t.me serves for no channel at all) is no channel page
    landing = parse_channel_page((data / "telegram/teleglance/not_found.html").read_bytes(), "https://t.me/s/x")
    assert landing.posts == [] and page_is_unreadable(landing)
