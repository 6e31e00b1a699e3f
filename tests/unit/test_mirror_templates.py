"""Every page of the mirror, at every epoch, rendered in memory through its templates (no server).

test_mirror.py checks the served site at one epoch; these tests walk every link of every epoch so a
template or content change that breaks a page, a link or a promise of `expected_articles` fails here,
whichever epoch it shows up in.
"""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import pytest
from markupsafe import Markup

from kronika.mirror.render import article_html, render, telegram_html
from kronika.mirror.site import ROBOTS_DISALLOW, MirrorSite, max_epoch

BASE = "http://mirror.example:8080"
EPOCHS = range(max_epoch() + 1)
# Fictional content links only to reserved names (RFC 2606 .example) and to Telegram itself.
EXTERNAL_HOSTS_ALLOWED = ("t.me", "telegram.org")


def _links(page, url: str) -> list[str]:
    """Every address a page points at (href, src, XML <loc>/<link>, Location), absolute."""
    found: list[str] = []
    if page.content_type.startswith("text/html"):
        doc = lxml.html.fromstring(page.body)
        found += [urljoin(url, el.get(attr)) for el in doc.iter() if isinstance(el.tag, str)
                  for attr in ("href", "src", "action") if el.get(attr)]
    elif "xml" in page.content_type:
        doc = lxml.etree.fromstring(page.body)
        found += [el.text for el in doc.iter("{*}loc", "link") if el.text]
    if "Location" in page.headers:
        found.append(urljoin(url, page.headers["Location"]))
    return found


def _walk(site: MirrorSite) -> dict[str, object]:
    """Every page reachable from the public paths by following links on the mirror's host."""
    pages: dict[str, object] = {}
    todo = list(site.public_paths())
    while todo:
        path = todo.pop()
        if path in pages:
            continue
        page = site.page(path, base_url=BASE)
        assert page is not None, path
        pages[path] = page
        for link in _links(page, BASE + path):
            parts = urlsplit(link)
            if f"{parts.scheme}://{parts.netloc}" != BASE:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not parts.path.startswith(ROBOTS_DISALLOW) and target not in pages:
                todo.append(target)
    return pages


@pytest.fixture(scope="module", params=list(EPOCHS), ids=lambda e: f"epoch{e}")
def walked(request):
    site = MirrorSite(request.param)
    return site, _walk(site)


def test_every_link_resolves_or_is_disallowed_or_external(walked):
    site, pages = walked
    for path, page in pages.items():
        # a page reached by a link is a page, or a redirect to one (followed by the walk)
        assert page.status in (200, 301, 302), (path, page.status)
        for link in _links(page, BASE + path):
            parts = urlsplit(link)
            if f"{parts.scheme}://{parts.netloc}" == BASE:
                if not parts.path.startswith(ROBOTS_DISALLOW):
                    target = parts.path + (f"?{parts.query}" if parts.query else "")
                    assert pages[target].status in (200, 301, 302), (path, link)
                continue
            host = parts.hostname or ""
            assert parts.scheme in ("http", "https", ""), (path, link)
            assert host.endswith(".example") or ".example." in host or host in EXTERNAL_HOSTS_ALLOWED, (path, link)


def test_disallowed_pages_are_linked_and_exist(walked):
    site, pages = walked
    linked = {urlsplit(link).path for path, page in pages.items() for link in _links(page, BASE + path)}
    for prefix in ("/herald/private/", "/vistnyk/admin/"):
        disallowed = [p for p in linked if p.startswith(prefix)]
        assert disallowed, prefix
        # robots.txt keeps crawlers out, but the pages are there for those who ignore it
        assert all(site.page(p, base_url=BASE).status == 200 for p in disallowed), disallowed


def test_every_public_path_and_every_post_is_reached(walked):
    site, pages = walked
    assert set(site.public_paths()) <= set(pages)
    shown = set()
    for path, page in pages.items():
        if path.startswith(f"/t/s/{site.channel_name}") and page.status == 200:
            doc = lxml.html.fromstring(page.body)
            shown |= {el.get("data-post") for el in doc.find_class("js-widget_message")}
    assert shown == {f"{site.channel_name}/{p.post_id}" for p in site.expected_posts()}


def test_article_pages_show_what_expected_articles_promise(walked):
    site, pages = walked
    for expected in site.expected_articles(BASE):
        page = pages[urlsplit(expected.url).path]
        assert page.status == 200
        doc = lxml.html.fromstring(page.body)
        body = doc.find_class("article-body" if expected.outlet == "herald" else "entry-content")[0]
        assert [p.text_content() for p in body.iter("p")] == expected.paragraphs
        assert doc.find(".//h1").text_content() == expected.title
        assert doc.find(".//link[@rel='canonical']").get("href") == expected.url
        assert doc.get("lang") == expected.language
        assert doc.find(".//meta[@name='description']").get("content") == expected.description
        scripts = doc.xpath("//script[@type='application/ld+json']")
        if expected.outlet == "vistnyk":
            assert scripts == []
            continue
        ld = json.loads(scripts[0].text)
        assert ld["headline"] == expected.title
        assert ld["description"] == expected.description
        assert ld["url"] == ld["mainEntityOfPage"]["@id"] == expected.url
        assert ld["inLanguage"] == expected.language
        assert [a["name"] for a in ld["author"]] == expected.authors
        assert ld["keywords"] == expected.tags
        assert datetime.fromisoformat(ld["datePublished"]) == expected.published_at
        if expected.modified_at is None:
            assert "dateModified" not in ld
        else:
            assert datetime.fromisoformat(ld["dateModified"]) == expected.modified_at


def test_feed_and_sitemap_list_every_herald_article(walked):
    site, pages = walked
    herald = {a.url for a in site.expected_articles(BASE) if a.outlet == "herald"}
    rss = lxml.etree.fromstring(pages["/herald/rss.xml"].body)
    assert {el.text for el in rss.iter("link") if el.text.endswith(".html")} == herald
    sitemap = lxml.etree.fromstring(pages["/herald/sitemap.xml"].body)
    assert {el.text for el in sitemap.iter("{*}loc")} == herald


def test_one_escaping_rule_for_text_attributes_and_inline_markup():
    hostile = "<script>\"x\" & 'y'</script>"
    page = render("redirect.html", location=hostile)
    assert "<script>" not in page and "&lt;script&gt;&#34;x&#34; &amp; &#39;y&#39;" in page
    assert lxml.html.fromstring(page).find(".//a").get("href") == hostile

    paragraph = article_html("a < b, see [the <i>list</i>](/herald/?a=1&b=\"2\")")
    assert isinstance(paragraph, Markup)
    assert paragraph == ('a &lt; b, see <a href="/herald/?a=1&amp;b=&#34;2&#34;">the &lt;i&gt;list&lt;/i&gt;</a>')

    post = telegram_html("**<b>** #тег https://example.org/?a=1&b=2\n🔴")
    assert post.startswith("<b>&lt;b&gt;</b> <a href=\"?q=%23%D1%82%D0%B5%D0%B3\">#тег</a> "
                           "<a href=\"https://example.org/?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener\">")
    assert "<br/><i class=\"emoji\"" in post
