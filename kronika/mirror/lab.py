"""The crawl lab (`/lab/`): the mirror's awkward cases for the news spider, from content/lab.yaml.

Some lab pages depend on how often they were requested (a server that answers 429 to every odd
request) or on today's date (the Google News sitemap's publication dates), so they are rendered
per request and never cached. See content/lab.yaml for the scenarios.
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from kronika.mirror.model import Page
from kronika.mirror.render import render

CONTENT = Path(__file__).with_name("content") / "lab.yaml"
PREFIX = "/lab/"
PRIVATE_PREFIX = "/lab/private/"  # disallowed by robots.txt, and linked from the listing
RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True)
class LabArticle:
    slug: str
    title: str
    author: str
    published: datetime
    paragraphs: list[str]
    listing_href: str
    in_listing: bool
    canonical: str | None
    charset: str
    busy: int | None
    news_sitemap_age_days: int | None
    gone_status: int | None  # at this epoch

    @property
    def path(self) -> str:
        return article_path(self.slug)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def article_path(slug: str) -> str:
    return f"/lab/news/{slug}.html"


@cache
def _content() -> dict[str, Any]:
    with open(CONTENT, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def lab_articles(epoch: int) -> list[LabArticle]:
    """Every lab article as it stands at `epoch` (gone ones too, with their status)."""
    out = []
    for raw in _content()["articles"]:
        title, body = raw["title"], list(raw["body"])
        for rev in raw.get("revisions") or []:
            if int(rev["epoch"]) <= epoch:
                title = rev.get("title", title)
                body = list(rev.get("body", body)) + list(rev.get("append") or [])
        gone = raw.get("gone") or {}
        published = datetime.fromisoformat(raw["published"]).astimezone(timezone.utc)
        out.append(LabArticle(
            slug=raw["slug"], title=title, author=raw["author"], published=published, paragraphs=body,
            listing_href=raw.get("listing_href") or article_path(raw["slug"]),
            in_listing=bool(raw.get("in_listing", True)), canonical=raw.get("canonical"),
            charset=raw.get("charset", "utf-8"), busy=raw.get("busy"),
            news_sitemap_age_days=raw.get("news_sitemap"),
            gone_status=int(gone["status"]) if gone and int(gone["epoch"]) <= epoch else None,
        ))
    return out


def _html(body: str, status: int = 200) -> Page:
    return Page(status, "text/html; charset=utf-8", body.encode("utf-8"))


def _redirect(location: str, status: int) -> Page:
    return Page(status, "text/html; charset=utf-8", render("lab/redirect.html", location=location).encode(),
                {"Location": location})


def route(path: str, query: str, base: str, epoch: int, hit: int, now: datetime | None = None) -> Page:
    """The lab page at `path`; `hit` is how many times this path (with query) has been requested."""
    articles = {a.slug: a for a in lab_articles(epoch)}
    if path == "/lab/":
        return _listing(articles.values())
    if path == "/lab/news-sitemap.xml.gz":
        return _news_sitemap(articles.values(), base, now or datetime.now(timezone.utc))
    if path == "/lab/broken-feed.xml":
        # truncated mid-item, with an undefined entity: neither strict nor lenient XML
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Broken"
                "</title><item><title>Half an item &nbsp;</title><link>" + base + "/lab/news/")
        return Page(200, "application/rss+xml; charset=utf-8", body.encode())
    if path == "/lab/bomb-sitemap.xml.gz":
        return Page(200, "application/x-gzip", _gzip_bomb())
    if path == "/lab/documents/damage-report-2026":
        return Page(200, "application/pdf", b"%PDF-1.4\n% an invented report\n" + b"0" * 4096 + b"\n%%EOF\n")
    if path.startswith(PRIVATE_PREFIX):
        return _html("<html><body><h1>Staff only</h1><p>robots.txt asks crawlers to stay out.</p></body></html>")
    m = re.fullmatch(r"/lab/go/([a-z0-9-]+)", path)
    if m and m.group(1) in articles:
        return _redirect(f"{base}/lab/moved/{m.group(1)}", 302)
    m = re.fullmatch(r"/lab/moved/([a-z0-9-]+)", path)
    if m and m.group(1) in articles:
        return _redirect(base + article_path(m.group(1)), 301)
    m = re.fullmatch(r"/lab/news/([a-z0-9-]+)\.html", path)
    if m and m.group(1) in articles:
        article = articles[m.group(1)]
        if article.gone_status:
            return _html("<html><body><h1>This article is no longer available</h1></body></html>",
                         status=article.gone_status)
        if article.busy and hit % 2 == 1:
            return _busy(article.busy, now or datetime.now(timezone.utc))
        return _article(article, base)
    return _html("<html><body><h1>Not Found</h1></body></html>", status=404)


@lru_cache(maxsize=1)
def _gzip_bomb() -> bytes:
    """About 80 KB that would expand to 80 MB of sitemap: more than a crawler should ever inflate."""
    head = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><!--'
    return gzip.compress(head + b" " * 80_000_000, compresslevel=9, mtime=0)


def _busy(status: int, now: datetime) -> Page:
    if status == 429:
        retry_after = str(RETRY_AFTER_SECONDS)
    else:  # the HTTP-date form; whole seconds, so one more to be sure it lies in the future
        retry_after = format_datetime(now + timedelta(seconds=RETRY_AFTER_SECONDS + 1), usegmt=True)
    return Page(status, "text/html; charset=utf-8",
                   b"<html><body><h1>Too busy, come back later</h1></body></html>\n",
                   {"Retry-After": retry_after})


def _listing(articles) -> Page:
    listed = [a for a in articles if a.in_listing and not a.gone_status]
    return _html(render("lab/listing.html", articles=listed, private_prefix=PRIVATE_PREFIX))


def _news_sitemap(articles, base: str, now: datetime) -> Page:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    entries = [(a, today - timedelta(days=int(a.news_sitemap_age_days)))
               for a in articles if a.news_sitemap_age_days is not None]
    xml = render("lab/news-sitemap.xml", entries=entries, base=base)
    # served as a .gz file, not with Content-Encoding: the crawler must gunzip it itself
    return Page(200, "application/x-gzip", gzip.compress(xml.encode("utf-8"), mtime=0))


def _article(a: LabArticle, base: str) -> Page:
    canonical = a.canonical or a.path
    if canonical.startswith("/"):
        canonical = base + canonical
    lang = "uk" if a.charset == "windows-1251" else "ru" if a.charset == "koi8-r" else "en"
    page = render("lab/article.html", a=a, lang=lang, canonical=canonical)
    if a.charset == "utf-8":
        return _html(page)
    # the charset is declared in the page only: the header says text/html and nothing more
    return Page(200, "text/html", page.encode(a.charset))
