"""The bundled offline mirror, over real HTTP on loopback.

Every crawl test of the pipeline trusts the mirror's `expected_*` answers, so these tests check
both that the pages are navigable the way crawlers navigate them and that what the pages show is
exactly what `expected_articles` / `expected_posts` promise.
"""
from __future__ import annotations

import gzip
import html
import json
import re
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import pytest
from parsel import Selector

from kronika.mirror import MirrorServer, MirrorSite, format_views, max_epoch, parse_views

CHANNEL = "zarichna_ova"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


_plain_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """(status, headers, body) without following redirects and without raising on 4xx."""
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _plain_opener.open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def get_ok(url: str) -> Selector:
    status, headers, body = fetch(url)
    assert status == 200, (url, status)
    assert "charset=utf-8" in headers["Content-Type"]
    return Selector(text=body.decode("utf-8"))


def rendered_text(fragment_html: str) -> str:
    """Text as a browser shows it: <br> is a line break, tags vanish, entities decode."""
    inner = re.sub(r"^<div[^>]*>|</div>$", "", fragment_html.strip())
    inner = re.sub(r"<br\s*/?>", "\n", inner)
    return html.unescape(re.sub(r"<[^>]+>", "", inner))


@pytest.fixture(scope="module")
def server():
    with MirrorServer() as srv:
        yield srv


@pytest.fixture()
def fresh_server():
    with MirrorServer(epoch=0) as srv:
        yield srv


# ---------------------------------------------------------------------------- content sanity

def test_content_size_and_revisions():
    s0, s1 = MirrorSite(0), MirrorSite(1)
    assert len(s0.herald) >= 14 and len(s0.vistnyk) >= 17  # 17+ so the listing needs three pages
    assert len(s0.posts) >= 48
    assert s0.vistnyk_pages() == 3
    assert max_epoch() >= 1

    def changed(a, b):
        before = {x.slug: (x.title, x.paragraphs) for x in a}
        return [x.slug for x in b if x.slug in before and before[x.slug] != (x.title, x.paragraphs)]

    base = "http://mirror.test"
    e0, e1 = s0.expected_articles(base), s1.expected_articles(base)
    assert len(changed([a for a in e0 if a.outlet == "herald"], [a for a in e1 if a.outlet == "herald"])) >= 4
    assert len(changed([a for a in e0 if a.outlet == "vistnyk"], [a for a in e1 if a.outlet == "vistnyk"])) >= 3
    # an article that changed must say so
    for a in e1:
        old = next((x for x in e0 if x.slug == a.slug), None)
        if old and (old.title, old.paragraphs) != (a.title, a.paragraphs):
            assert a.modified_at is not None and a.modified_at > a.published_at

    ids = [p.post_id for p in s0.expected_posts()]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert set(range(ids[0], ids[-1] + 1)) - set(ids), "the channel should have gaps in its ids"
    posts = s0.expected_posts()
    assert any(p.is_service for p in posts) and any(p.edited for p in posts)
    assert any(p.forwarded_from_name for p in posts) and any(p.reply_to for p in posts)
    assert any(p.photo for p in posts) and any(p.link_preview_url for p in posts)
    assert any(p.views and p.views >= 1_000_000 for p in posts) and any(p.views and p.views < 1000 for p in posts)
    for p in posts:
        # whitespace a browser would collapse would make "as rendered" ambiguous
        assert "  " not in p.text and all(line == line.strip() for line in p.text.split("\n")), p.post_id
        assert p.posted_at.tzinfo is not None


def test_views_format_and_parse():
    assert [format_views(n) for n in (0, 845, 999, 1000, 4149, 48712, 999_999, 1_234_567)] == [
        "0", "845", "999", "1.0K", "4.1K", "48.7K", "999.9K", "1.2M"]
    assert parse_views("4.1K") == 4100 and parse_views("1.2M") == 1_200_000 and parse_views("845") == 845
    assert parse_views("31.0K") == 31000
    for p in MirrorSite(0).expected_posts():
        if p.views is not None:
            assert p.views_parsed == parse_views(p.views_display) <= p.views
            assert p.views - p.views_parsed < (100 if p.views < 1_000_000 else 100_000)


# ---------------------------------------------------------------------------- robots, feeds

def test_robots_txt(server):
    status, headers, body = fetch(server.url + "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(body.decode().splitlines())
    assert not rp.can_fetch("kronika", server.url + "/herald/private/login")
    assert not rp.can_fetch("kronika", server.url + "/vistnyk/admin/")
    assert rp.can_fetch("kronika", server.url + "/herald/rss.xml")
    assert rp.can_fetch("kronika", server.url + f"/t/s/{CHANNEL}")
    for a in server.site.expected_articles(server.url):
        assert rp.can_fetch("kronika", a.url)
    assert f"Sitemap: {server.url}/herald/sitemap.xml" in body.decode()
    # the disallowed pages exist and page chrome links to them: only robots.txt keeps a crawler out
    article = get_ok(server.site.expected_articles(server.url)[0].url)
    assert article.css('a[href="/herald/private/login"]')
    listing = get_ok(server.url + "/vistnyk/")
    assert listing.css('a[href="/vistnyk/admin/"]')
    assert fetch(server.url + "/herald/private/login")[0] == 200
    assert fetch(server.url + "/vistnyk/admin/")[0] == 200


def test_rss_lists_every_herald_article(server):
    status, headers, body = fetch(server.url + "/herald/rss.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    expected = {a.url: a for a in server.site.expected_articles(server.url) if a.outlet == "herald"}
    links = [i.findtext("link") for i in items]
    assert sorted(links) == sorted(expected)
    dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True), "newest first"
    for item, date in zip(items, dates):
        a = expected[item.findtext("link")]
        assert item.findtext("title") == a.title
        assert date == a.published_at


def test_sitemap_lists_every_herald_article(server):
    status, headers, body = fetch(server.url + "/herald/sitemap.xml")
    assert status == 200 and "xml" in headers["Content-Type"]
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = ET.fromstring(body).findall("sm:url", ns)
    expected = {a.url: a for a in server.site.expected_articles(server.url) if a.outlet == "herald"}
    assert sorted(u.findtext("sm:loc", namespaces=ns) for u in urls) == sorted(expected)
    for u in urls:
        a = expected[u.findtext("sm:loc", namespaces=ns)]
        lastmod = datetime.fromisoformat(u.findtext("sm:lastmod", namespaces=ns))
        assert lastmod == (a.modified_at or a.published_at)


# ---------------------------------------------------------------------------- navigation

def test_vistnyk_pagination_reaches_every_article(server):
    url, seen_pages, found = server.url + "/vistnyk/", [], []
    while url:
        assert url not in seen_pages, "pagination loops"
        seen_pages.append(url)
        page = get_ok(url)
        links = page.css("article.post-item h2 a::attr(href)").getall()
        assert 1 <= len(links) <= 8
        found += [urljoin(url, h) for h in links]
        assert all(page.css("article.post-item .entry-summary p::text").getall())
        nxt = page.css('a[rel="next"]::attr(href)').get()
        if nxt:
            assert "Наступна" in page.css('a[rel="next"]').get()
        url = urljoin(url, nxt) if nxt else None
    expected = [a.url for a in server.site.expected_articles(server.url) if a.outlet == "vistnyk"]
    assert len(seen_pages) == 3
    assert found == expected  # newest first, each exactly once


def test_channel_pagination_reaches_every_post_once(server):
    url, ids, pages = server.url + f"/t/s/{CHANNEL}", [], 0
    while url:
        pages += 1
        assert pages < 20, "pagination loops"
        page = get_ok(url)
        assert page.css(".tgme_channel_info_header_title span::text").get() == server.site.channel.title
        assert page.css(".tgme_channel_info_counter .counter_value::text").get() == "48.2K"
        assert page.css(".tgme_channel_info_description::text").get()
        page_ids = [int(p.split("/")[1]) for p in page.css(".tgme_widget_message::attr(data-post)").getall()]
        assert 0 < len(page_ids) <= 20 and page_ids == sorted(page_ids), "oldest first on a page"
        ids = page_ids + ids
        more = page.css("a.tme_messages_more[data-before]")
        if more:
            before = more.attrib["data-before"]
            assert int(before) == page_ids[0]
            assert more.attrib["href"] == f"/t/s/{CHANNEL}?before={before}"
            url = urljoin(url, more.attrib["href"])
        else:
            url = None
    expected = [p.post_id for p in server.site.expected_posts()]
    assert ids == expected and len(set(ids)) == len(ids)
    assert pages == 3


def test_channel_before_and_after(server):
    posts = [p.post_id for p in server.site.expected_posts()]
    pivot = posts[30]
    page = get_ok(server.url + f"/t/s/{CHANNEL}?before={pivot}")
    got = [int(p.split("/")[1]) for p in page.css(".tgme_widget_message::attr(data-post)").getall()]
    assert got == posts[10:30]
    after = page.css("a.tme_messages_more[data-after]::attr(data-after)").get()
    assert int(after) == posts[29]
    page = get_ok(server.url + f"/t/s/{CHANNEL}?after={posts[5]}")
    got = [int(p.split("/")[1]) for p in page.css(".tgme_widget_message::attr(data-post)").getall()]
    assert got == posts[6:26]
    empty = get_ok(server.url + f"/t/s/{CHANNEL}?before={posts[0]}")
    assert not empty.css(".tgme_widget_message") and not empty.css("a.tme_messages_more")


# ---------------------------------------------------------------------------- pages match expectations

def test_telegram_posts_render_as_expected(server):
    expected = {p.post_id: p for p in server.site.expected_posts()}
    seen = 0
    url = server.url + f"/t/s/{CHANNEL}"
    while url:
        page = get_ok(url)
        for msg in page.css(".tgme_widget_message"):
            channel, post_id = msg.attrib["data-post"].split("/")
            e = expected[int(post_id)]
            seen += 1
            assert channel == e.channel
            assert msg.css("a.tgme_widget_message_date::attr(href)").get() == e.url
            posted = datetime.fromisoformat(msg.css("a.tgme_widget_message_date time::attr(datetime)").get())
            assert posted == e.posted_at
            assert ("service_message" in msg.attrib["class"]) == e.is_service
            text_div = msg.css("div.js-message_text").get()
            assert (rendered_text(text_div) if text_div else "") == e.text
            views = msg.css(".tgme_widget_message_views::text").get()
            assert views == e.views_display
            if views:
                assert parse_views(views) == e.views_parsed
            meta_text = "".join(msg.css(".tgme_widget_message_meta::text").getall())
            assert ("edited" in meta_text) == e.edited
            assert msg.css(".tgme_widget_message_from_author::text").get() == e.author_signature
            assert msg.css(".tgme_widget_message_forwarded_from_name span::text").get() == e.forwarded_from_name
            reply = msg.css("a.tgme_widget_message_reply::attr(href)").get()
            assert (int(reply.rsplit("/", 1)[1]) if reply else None) == e.reply_to
            style = msg.css(".tgme_widget_message_photo_wrap::attr(style)").get()
            assert (re.search(r"url\('([^']+)'\)", style).group(1) if style else None) == e.photo
            assert msg.css("a.tgme_widget_message_link_preview::attr(href)").get() == e.link_preview_url
            tags = msg.css("div.js-message_text a[href^='?q=']::text").getall()
            assert tags == e.hashtags
        more = page.css("a.tme_messages_more[data-before]::attr(href)").get()
        url = urljoin(url, more) if more else None
    assert seen == len(expected)


def test_article_pages_render_as_expected(server):
    for e in server.site.expected_articles(server.url):
        page = get_ok(e.url)
        assert page.css("html::attr(lang)").get() == e.language
        assert page.css("h1::text").get() == e.title
        assert page.css('meta[property="og:title"]::attr(content)').get() == e.title
        assert page.css('meta[property="og:type"]::attr(content)').get() == "article"
        assert page.css('link[rel="canonical"]::attr(href)').get() == e.url
        body_sel = ".article-body p" if e.outlet == "herald" else ".entry-content p"
        paragraphs = [html.unescape(re.sub(r"<[^>]+>", "", p)) for p in page.css(body_sel).getall()]
        assert paragraphs == e.paragraphs
        published = datetime.fromisoformat(page.css("time.published::attr(datetime)").get())
        assert published == e.published_at
        modified = page.css("time.modified::attr(datetime), time.updated::attr(datetime)").get()
        assert (datetime.fromisoformat(modified) if modified else None) == e.modified_at
        ld = page.css('script[type="application/ld+json"]::text').getall()
        if e.outlet == "herald":
            assert len(ld) == 1
            data = json.loads(ld[0])
            assert data["@type"] == "NewsArticle" and data["headline"] == e.title
            assert [p["name"] for p in data["author"]] == e.authors
            assert datetime.fromisoformat(data["datePublished"]) == e.published_at
            assert (datetime.fromisoformat(data["dateModified"]) if "dateModified" in data else None) == e.modified_at
            assert data["inLanguage"] == "en" and data["url"] == e.url and data["publisher"]["name"]
            assert page.css(".byline .author::text").getall() == e.authors
            assert len(page.css("aside.related a")) == 3
        else:
            assert ld == []
            assert page.css(".byline .author::text").getall() == e.authors
            assert page.css(".byline::text").get().startswith("Автор")
            assert "Читайте також" in page.css("aside.related-posts h2::text").get()
            assert len(page.css("aside.related-posts a")) == 3
        # related links point at articles that exist
        for href in page.css("aside a::attr(href)").getall():
            assert fetch(urljoin(e.url, href))[0] == 200


# ---------------------------------------------------------------------------- HTTP behaviour

def test_gzip_when_asked(server):
    url = server.url + "/vistnyk/"
    status, plain_headers, plain = fetch(url)
    assert status == 200 and plain_headers.get("Content-Encoding") is None
    assert plain_headers["Vary"] == "Accept-Encoding"
    status, headers, packed = fetch(url, {"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "gzip" and packed != plain
    assert int(headers["Content-Length"]) == len(packed)
    assert gzip.decompress(packed) == plain
    # unchanged pages compress to identical bytes, so archives can dedupe them
    assert fetch(url, {"Accept-Encoding": "gzip"})[2] == packed
    _, headers, body = fetch(server.url + "/herald/rss.xml", {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and ET.fromstring(gzip.decompress(body)).tag == "rss"
    _, headers, _ = fetch(url, {"Accept-Encoding": "gzip;q=0, identity"})
    assert headers.get("Content-Encoding") is None


def test_head_and_hits(server):
    path = "/herald/news/editors-note-why-our-figures-change.html?from=test"
    before = server.hits[path]
    status, headers, body = fetch(server.url + path, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000
    fetch(server.url + path)
    assert server.hits[path] == before + 2


def test_not_found_and_redirects(server):
    status, headers, body = fetch(server.url + "/nothing/here")
    assert status == 404 and headers["Content-Type"].startswith("text/html") and b"Not Found" in body
    assert fetch(server.url + "/herald/news/no-such-article.html")[0] == 404
    assert fetch(server.url + "/vistnyk/page/9/")[0] == 404
    status, headers, _ = fetch(server.url + "/t/s/some_closed_channel")
    assert status == 302 and headers["Location"] == server.url + "/t/some_closed_channel"
    status, _, body = fetch(server.url + "/t/some_closed_channel")
    assert status == 200 and b"@some_closed_channel" in body
    slug = server.site.vistnyk[0].slug
    status, headers, _ = fetch(server.url + f"/vistnyk/novyny/{slug}")
    assert status == 301 and headers["Location"] == server.url + f"/vistnyk/novyny/{slug}/"
    status, headers, _ = fetch(server.url + "/vistnyk/page/1/")
    assert status == 301 and headers["Location"] == server.url + "/vistnyk/"


def test_absolute_urls_follow_the_host_header(server):
    _, _, body = fetch(server.url + "/herald/rss.xml", {"Host": "mirror.example:8080"})
    links = [i.findtext("link") for i in ET.fromstring(body).findall("./channel/item")]
    assert links and all(link.startswith("http://mirror.example:8080/herald/news/") for link in links)


# ---------------------------------------------------------------------------- epochs

def test_epoch_switch_changes_content(fresh_server):
    srv = fresh_server
    slug = "missile-strike-hits-zarichansk-residential-district"
    url = srv.url + f"/herald/news/{slug}.html"
    first = get_ok(url)
    text0 = first.css(".article-body p::text").getall()
    assert any("At least nine people" in p for p in text0)
    assert not first.css("time.modified")

    srv.set_epoch(1)
    assert srv.epoch == 1
    second = get_ok(url)
    text1 = second.css(".article-body p::text").getall()
    assert text1 != text0 and any("At least 21 people" in p for p in text1)
    e1 = next(a for a in srv.site.expected_articles(srv.url) if a.slug == slug)
    assert text1 == e1.paragraphs and second.css("h1::text").get() == e1.title
    assert second.css("time.modified")

    # the post with 21 injured was edited at epoch 1; 4126 was deleted and 4155 added
    def post_state(site_url):
        states, url = {}, site_url + f"/t/s/{CHANNEL}"
        while url:
            page = get_ok(url)
            for msg in page.css(".tgme_widget_message"):
                meta = "".join(msg.css(".tgme_widget_message_meta::text").getall())
                states[int(msg.attrib["data-post"].split("/")[1])] = "edited" in meta
            more = page.css("a.tme_messages_more[data-before]::attr(href)").get()
            url = urljoin(url, more) if more else None
        return states

    states1 = post_state(srv.url)
    srv.set_epoch(0)
    states0 = post_state(srv.url)
    assert states0[4117] is False and states1[4117] is True
    assert 4126 in states0 and 4126 not in states1
    assert 4155 not in states0 and 4155 in states1
    assert set(states1) == {p.post_id for p in MirrorSite(1).expected_posts()}

    # the article that appears at epoch 1 is in the feed only from then on
    new = srv.url + "/herald/news/man-injured-in-strike-dies-in-hospital.html"
    assert fetch(new)[0] == 404
    srv.set_epoch(1)
    assert fetch(new)[0] == 200
    assert new in fetch(srv.url + "/herald/rss.xml")[2].decode()


def test_epoch_views_grow_and_edits_are_marked():
    e0 = {p.post_id: p for p in MirrorSite(0).expected_posts()}
    e1 = {p.post_id: p for p in MirrorSite(1).expected_posts()}
    for post_id, p in e1.items():
        if post_id in e0 and p.views is not None:
            assert p.views > e0[post_id].views
    edited = [i for i in e1 if i in e0 and e1[i].text != e0[i].text]
    assert edited and all(e1[i].edited for i in edited)
    assert len(set(e0) - set(e1)) == 2 and len(set(e1) - set(e0)) == 3
    # later epochs than the last change keep the last state
    assert MirrorSite(max_epoch() + 5).expected_posts() == MirrorSite(max_epoch()).expected_posts()
