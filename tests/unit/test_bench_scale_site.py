"""bench/scale.py's generated site: deterministic, realistic in size, and read by Kronika's own parsers.

The benchmark's figures mean something only if the crawl finds every page through the sitemaps and
the extract step parses each page as an article; these tests check that without timing anything.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parents[2] / "bench" / "scale_support"
sys.path.insert(0, str(SUPPORT))

import generated_site as site  # noqa: E402

from kronika.spiders.parsers.article import parse_article  # noqa: E402
from kronika.spiders.parsers.discovery import parse_discovery  # noqa: E402
from kronika.spiders.parsers.telegram import parse_channel_page  # noqa: E402


def _body(response: bytes) -> bytes:
    head, _, body = response.partition(b"\r\n\r\n")
    return gzip.decompress(body) if b"Content-Encoding: gzip" in head else body


def test_pages_are_deterministic_and_30_to_60_kb():
    sizes = [len(site.article_html(n, 5000).encode()) for n in range(0, 5000, 250)]
    assert site.article_html(17, 5000) == site.article_html(17, 5000)
    assert site.article_html(17, 5000) != site.article_html(18, 5000)
    assert all(30_000 <= size <= 60_000 for size in sizes), sizes


def test_sitemaps_list_every_page_once():
    generated = site.GeneratedSite(pages=2500, post_count=40)
    index = parse_discovery(_body(generated.response("/news/sitemap.xml", "127.0.0.1:9")),
                            "http://127.0.0.1:9/news/sitemap.xml", "application/xml", ["127.0.0.1"])
    assert index.kind == "sitemapindex" and len(index.follow) == 3
    urls = []
    for sitemap_url in index.follow:
        target = sitemap_url.split("127.0.0.1:9", 1)[1]
        part = parse_discovery(_body(generated.response(target, "127.0.0.1:9")), sitemap_url,
                               "application/xml", ["127.0.0.1"])
        urls += [entry.url for entry in part.entries]
    assert sorted(urls) == sorted(f"http://127.0.0.1:9{site.article_path(n)}" for n in range(2500))
    assert generated.raw_html_bytes > 4 * generated.gzip_bytes > 0


def test_an_article_page_parses_as_an_article():
    number = 123
    url = f"http://127.0.0.1:9{site.article_path(number)}"
    generated = site.GeneratedSite(pages=200, post_count=20)
    record = parse_article(_body(generated.response(site.article_path(number), "127.0.0.1:9")), url,
                           "text/html; charset=utf-8")
    assert record.title == site._title(number)
    assert record.published_at == site.published(number)
    assert record.text and len(record.text) > 2000
    assert "Service page" not in record.text and "window.__k" not in record.text  # chrome is not body


def test_channel_pages_hold_all_posts_twenty_to_a_page():
    generated = site.GeneratedSite(pages=10, post_count=50)
    seen, target = [], f"/t/s/{site.CHANNEL}"
    for _ in range(5):
        page = parse_channel_page(_body(generated.response(target, "127.0.0.1:9")), "http://127.0.0.1:9" + target)
        seen += [post.post_id for post in page.posts]
        if page.before is None:
            break
        target = f"/t/s/{site.CHANNEL}?before={page.before}"
    assert sorted(seen) == [p["id"] for p in site.posts(50)]


def test_unknown_paths_are_404():
    generated = site.GeneratedSite(pages=10, post_count=0)
    assert generated.response("/nowhere", "127.0.0.1:9").startswith(b"HTTP/1.1 404")


def test_a_failing_step_process_raises_with_its_error():
    sys.path.insert(0, str(SUPPORT.parent))
    import scale

    with pytest.raises(RuntimeError, match="boom"):
        scale.run_child([sys.executable, "-c", "raise SystemExit('boom')"])
    done = scale.run_child([sys.executable, "-c", "print(__import__('json').dumps({'ok': 1}))"])
    assert json.loads(done["stdout"]) == {"ok": 1} and done["peak_rss_mb"] > 1
