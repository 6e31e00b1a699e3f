"""The bundled offline mirror: fictional outlets and a Telegram channel, routed and rendered in memory.

The mirror is data: the content is `content/*.yaml` (read by `model.py`), the pages are Jinja
templates in `templates/` (rendered by `render.py`). This module routes a request to a template,
and says what a correct pipeline should extract (`expected_articles`, `expected_posts`), so tests
compare against the same source the pages come from.

Links inside pages are relative to the site root; only the places that must be absolute (RSS
links, sitemap locations, canonical links, JSON-LD, redirects) use the base URL the request came
in on, so one mirror serves any host and port.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from kronika.mirror import lab, model
from kronika.mirror.model import Article, Page, Post, max_epoch
from kronika.mirror.render import (
    article_plain,
    format_views,
    hashtags,
    iso,
    parse_views,
    render,
    telegram_plain,
)

__all__ = ["ExpectedArticle", "ExpectedPost", "MirrorSite", "Page", "format_views", "max_epoch", "parse_views"]

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

VISTNYK_PER_PAGE = 8
TELEGRAM_PER_PAGE = 20

ROBOTS_DISALLOW = ("/herald/private/", "/vistnyk/admin/", lab.PRIVATE_PREFIX)


# --------------------------------------------------------------------------- expectations

@dataclass(frozen=True)
class ExpectedArticle:
    """What an extractor should read from one article page at this epoch."""

    outlet: str  # "herald" | "vistnyk"
    slug: str
    url: str  # absolute, final (after any redirect)
    title: str
    authors: list[str]
    published_at: datetime
    modified_at: datetime | None  # None when the page states no modification time
    language: str  # "en" | "uk" | "ru"
    paragraphs: list[str]  # the body as a browser shows it, one string per <p>
    description: str
    section: str
    tags: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class ExpectedPost:
    """What a parser should read from one post of the channel preview at this epoch.

    `views` is the true count; the page shows `views_display` ("48.7K"), from which a parser can
    only recover `views_parsed` (48700). Service messages have no views (all three are None).
    """

    channel: str
    post_id: int
    url: str  # https://t.me/<channel>/<id>
    posted_at: datetime
    text: str  # as a browser renders it, "\n" for <br>; "" for a post without text
    views: int | None
    views_display: str | None
    views_parsed: int | None
    edited: bool
    is_service: bool
    author_signature: str | None
    forwarded_from_name: str | None
    forwarded_from_url: str | None
    reply_to: int | None
    photo: str | None
    link_preview_url: str | None
    hashtags: list[str]


class Paths:
    """Addresses of pages, for the templates (`paths.herald(slug)`) and for the routing."""

    @staticmethod
    def herald(slug: str) -> str:
        return f"/herald/news/{slug}.html"

    @staticmethod
    def vistnyk(slug: str) -> str:
        return f"/vistnyk/novyny/{slug}/"

    @staticmethod
    def vistnyk_page(n: int) -> str:
        return "/vistnyk/" if n == 1 else f"/vistnyk/page/{n}/"



# --------------------------------------------------------------------------- the site

class MirrorSite:
    """Every page of the mirror at one epoch. Pages depend on the base URL only where they must."""

    def __init__(self, epoch: int = 0):
        if epoch < 0:
            raise ValueError("epoch must be >= 0")
        self.epoch = epoch
        self.herald_outlet = model.outlet("herald.yaml")
        self.vistnyk_outlet = model.outlet("vistnyk.yaml")
        self.herald = model.articles_at("herald.yaml", epoch)
        self.vistnyk = model.articles_at("vistnyk.yaml", epoch)
        self.channel = model.channel()
        self.posts = model.posts_at(epoch)
        self.other_channels = model.other_channels()
        self._refused_once: set[str] = set()  # pages of the throttled channel already answered 429
        self._posts_by_id = {p.id: p for p in self.posts}
        self._herald_by_slug = {a.slug: a for a in self.herald}
        self._vistnyk_by_slug = {a.slug: a for a in self.vistnyk}
        self._cache: dict[tuple[str, str], Page | None] = {}

    def use_posts(self, posts: list[Post]) -> None:
        """Show these posts instead of the channel's (the scale benchmark's generated channel)."""
        self.posts = list(posts)
        self._posts_by_id = {p.id: p for p in self.posts}
        self._cache.clear()

    # ---- addresses

    herald_path = staticmethod(Paths.herald)
    vistnyk_path = staticmethod(Paths.vistnyk)

    @property
    def channel_name(self) -> str:
        return self.channel.username

    def vistnyk_pages(self) -> int:
        return max(1, -(-len(self.vistnyk) // VISTNYK_PER_PAGE))

    def public_paths(self) -> list[str]:
        """Every path a polite crawler may fetch (robots.txt allows them), no queries."""
        paths = ["/", "/robots.txt", "/herald/", "/herald/rss.xml", "/herald/sitemap.xml",
                 "/herald/about.html", "/vistnyk/", f"/t/s/{self.channel_name}", f"/t/{self.channel_name}"]
        paths += [f"/herald/section/{s.slug}/" for s in self.herald_outlet.sections]
        paths += [self.herald_path(a.slug) for a in self.herald]
        paths += [f"/vistnyk/page/{n}/" for n in range(2, self.vistnyk_pages() + 1)]
        paths += [f"/vistnyk/rubryka/{s.slug}/" for s in self.vistnyk_outlet.sections]
        paths += [self.vistnyk_path(a.slug) for a in self.vistnyk]
        return paths

    # ---- expectations

    def expected_articles(self, base_url: str) -> list[ExpectedArticle]:
        base = base_url.rstrip("/")
        out = []
        for a in self.herald + self.vistnyk:
            path = self.herald_path(a.slug) if a.outlet == "herald" else self.vistnyk_path(a.slug)
            out.append(ExpectedArticle(
                outlet=a.outlet, slug=a.slug, url=base + path, title=a.title, authors=list(a.authors),
                published_at=a.published, modified_at=a.modified, language=a.language,
                paragraphs=[article_plain(p) for p in a.body], description=a.lead,
                section=a.section, tags=list(a.tags),
            ))
        return out

    def expected_posts(self) -> list[ExpectedPost]:
        ch = self.channel_name
        out = []
        for p in self.posts:
            plain = telegram_plain(p.text)
            display = format_views(p.views) if p.views is not None else None
            out.append(ExpectedPost(
                channel=ch, post_id=p.id, url=f"https://t.me/{ch}/{p.id}",
                posted_at=p.posted_at, text=plain, views=p.views, views_display=display,
                views_parsed=parse_views(display) if display else None,
                edited=p.edited, is_service=p.service, author_signature=p.author_signature,
                forwarded_from_name=p.forwarded_from.name if p.forwarded_from else None,
                forwarded_from_url=p.forwarded_from.url if p.forwarded_from else None,
                reply_to=p.reply_to, photo=p.photo,
                link_preview_url=p.link_preview.url if p.link_preview else None,
                hashtags=hashtags(plain),
            ))
        return out

    def expected_channel(self) -> dict[str, Any]:
        ch = self.channel
        return {
            "username": ch.username, "title": ch.title, "description": ch.description,
            "subscribers": ch.subscribers, "subscribers_display": format_views(ch.subscribers),
        }

    # ---- dispatch

    def page(self, path_with_query: str, base_url: str = "http://127.0.0.1", hit: int = 1) -> Page | None:
        """The page at a path (with query), or None only for a malformed path.

        `hit` is how many times the path has been requested (counting this one): the crawl lab's
        busy pages depend on it.
        """
        base = base_url.rstrip("/")
        if path_with_query.startswith(lab.PREFIX):
            parts = urlsplit(path_with_query)
            return lab.route(parts.path, parts.query, base, self.epoch, hit)
        key = (path_with_query, base)
        page = self._cache.get(key)
        if page is None:
            page = self._route(path_with_query, base)
            # arbitrary query strings must not grow memory without bound
            if len(self._cache) < 5000 and (page is None or page.status != 429):
                self._cache[key] = page
        return page

    def _route(self, path_with_query: str, base: str) -> Page | None:
        if not path_with_query.startswith("/"):
            return None
        parts = urlsplit(path_with_query)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/":
            return _html("root.html", herald=self.herald_outlet, vistnyk=self.vistnyk_outlet, channel=self.channel)
        if path == "/robots.txt":
            return Page(200, TEXT, render("robots.txt", disallow=ROBOTS_DISALLOW, base=base).encode("utf-8"))
        if path == "/herald":
            return _redirect(base + "/herald/", 301)
        if path.startswith("/herald/"):
            return self._herald_route(path, base)
        if path == "/vistnyk":
            return _redirect(base + "/vistnyk/", 301)
        if path.startswith("/vistnyk/"):
            return self._vistnyk_route(path, base)
        if path.startswith("/t/"):
            return self._telegram_route(path, query, base)
        return _not_found()

    # ---- The Riverside Herald

    def _herald_route(self, path: str, base: str) -> Page:
        outlet = self.herald_outlet
        page = {"outlet": outlet, "paths": Paths}
        if path == "/herald/":
            return _html("herald/listing.html", **page, articles=self.herald, title=outlet.name,
                         heading="Latest news")
        if path == "/herald/rss.xml":
            newest = max((a.modified or a.published for a in self.herald),
                         default=datetime(2026, 1, 1, tzinfo=timezone.utc))
            return _xml(RSS, "herald/rss.xml", **page, articles=self.herald, base=base, newest=newest)
        if path == "/herald/sitemap.xml":
            return _xml(XML, "herald/sitemap.xml", **page, articles=self.herald, base=base)
        if path == "/herald/about.html":
            return _html("herald/about.html", **page)
        if path.startswith("/herald/private/"):
            return _html("herald/private.html", **page)
        m = re.fullmatch(r"/herald/section/([a-z0-9-]+)/", path)
        if m and outlet.section_name(m.group(1)):
            name = outlet.section_name(m.group(1))
            return _html("herald/listing.html", **page, articles=[a for a in self.herald if a.section == m.group(1)],
                         title=f"{name} | {outlet.name}", heading=name)
        m = re.fullmatch(r"/herald/news/([a-z0-9-]+)\.html", path)
        if m and m.group(1) in self._herald_by_slug:
            a = self._herald_by_slug[m.group(1)]
            url = base + self.herald_path(a.slug)
            return _html("herald/article.html", **page, a=a, url=url, section_name=outlet.section_name(a.section),
                         ld=self._news_article_ld(a, url, base), related=_related(self.herald, a))
        return _not_found()

    def _news_article_ld(self, a: Article, url: str, base: str) -> dict[str, Any]:
        ld: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "description": a.lead,
            "url": url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "inLanguage": a.language,
            "datePublished": iso(a.published),
            "author": [{"@type": "Person", "name": n} for n in a.authors],
            "articleSection": self.herald_outlet.section_name(a.section),
            "keywords": list(a.tags),
            "publisher": {
                "@type": "Organization", "name": self.herald_outlet.name,
                "logo": {"@type": "ImageObject", "url": base + "/herald/static/logo.png"},
            },
        }
        if a.modified:
            ld["dateModified"] = iso(a.modified)
        return ld

    # ---- Вісник Заріччя

    def _vistnyk_route(self, path: str, base: str) -> Page:
        outlet = self.vistnyk_outlet
        page = {"outlet": outlet, "paths": Paths}
        if path == "/vistnyk/":
            return self._vistnyk_listing(1)
        if path in ("/vistnyk/page/1/", "/vistnyk/page/1"):
            return _redirect(base + "/vistnyk/", 301)
        m = re.fullmatch(r"/vistnyk/page/(\d+)(/?)", path)
        if m and 2 <= int(m.group(1)) <= self.vistnyk_pages():
            if not m.group(2):
                return _redirect(f"{base}/vistnyk/page/{int(m.group(1))}/", 301)
            return self._vistnyk_listing(int(m.group(1)))
        if path.startswith("/vistnyk/admin/"):
            return _html("vistnyk/admin.html", **page)
        m = re.fullmatch(r"/vistnyk/rubryka/([a-z0-9-]+)/", path)
        if m and outlet.section_name(m.group(1)):
            return _html("vistnyk/rubric.html", **page, name=outlet.section_name(m.group(1)),
                         articles=[a for a in self.vistnyk if a.section == m.group(1)])
        m = re.fullmatch(r"/vistnyk/novyny/([a-z0-9-]+)(/?)", path)
        if m and m.group(1) in self._vistnyk_by_slug:
            if not m.group(2):
                # WordPress-like: the canonical address ends with a slash
                return _redirect(base + self.vistnyk_path(m.group(1)), 301)
            a = self._vistnyk_by_slug[m.group(1)]
            # a stable, made-up comment count so pages do not change between requests
            comments = sum(ord(c) for c in a.slug) % 40
            return _html("vistnyk/article.html", **page, a=a, url=base + self.vistnyk_path(a.slug),
                         section_name=outlet.section_name(a.section), related=_related(self.vistnyk, a),
                         comments=comments)
        return _not_found()

    def _vistnyk_listing(self, n: int) -> Page:
        items = self.vistnyk[(n - 1) * VISTNYK_PER_PAGE:n * VISTNYK_PER_PAGE]
        return _html("vistnyk/listing.html", outlet=self.vistnyk_outlet, paths=Paths, articles=items,
                     page=n, last_page=self.vistnyk_pages())

    # ---- Telegram web preview

    def _telegram_route(self, path: str, query: dict[str, list[str]], base: str) -> Page:
        m = re.fullmatch(r"/t/media/([a-z0-9-]+)\.png", path)
        if m:
            return Page(200, "image/png", _png(m.group(1)))
        m = re.fullmatch(r"/t/s/([A-Za-z0-9_]+)/?", path)
        if m:
            name = m.group(1)
            if name.lower() == self.channel_name.lower():
                return self._telegram_history(query)
            other = self.other_channels.get(name.lower())
            mode = other.mode if other else None
            if mode == "markup_changed":
                return _redesigned(self._telegram_history(query, name))
            if mode == "throttled":
                key = path + "?" + "&".join(f"{k}={v[0]}" for k, v in sorted(query.items()))
                if key not in self._refused_once:
                    self._refused_once.add(key)
                    return Page(429, TEXT, b"Too Many Requests: retry after 1 second\n", {"Retry-After": "1"})
                return self._telegram_history(query, name)
            # no public preview (disabled, or no such channel): Telegram sends the visitor to the profile
            return _redirect(f"{base}/t/{name}", 302)
        m = re.fullmatch(r"/t/([A-Za-z0-9_]+)/?", path)
        if m:
            return self._telegram_profile(m.group(1))
        return _not_found()

    def _telegram_profile(self, name: str) -> Page:
        other = self.other_channels.get(name.lower())
        if other is not None and other.subscribers is not None:
            # a channel that exists without a public preview: no "Preview channel" link
            return _html("telegram/profile.html", name=name, title=other.title or f"@{name}",
                         subscribers=other.subscribers, preview=False)
        if name.lower() == self.channel_name.lower():
            ch = self.channel
            # the name as the channel spells it: the "Preview channel" link goes there
            return _html("telegram/profile.html", name=name, title=ch.title, subscribers=ch.subscribers,
                         preview=True, description=ch.description, preview_name=ch.username)
        return _html("telegram/profile.html", name=name, title=f"@{name}", subscribers=None, preview=False)

    def _telegram_history(self, query: dict[str, list[str]], name: str | None = None) -> Page:
        """The channel's history page; `name` shows the same posts under another username."""
        posts: list[Post] = self.posts
        q = (query.get("q") or [""])[0].strip()
        if q:
            needle = q.casefold()
            posts = [p for p in posts if needle in telegram_plain(p.text).casefold()]
        before = _int_or_none(query.get("before"))
        after = _int_or_none(query.get("after"))
        if before is not None:
            shown = [p for p in posts if p.id < before][-TELEGRAM_PER_PAGE:]
        elif after is not None:
            shown = [p for p in posts if p.id > after][:TELEGRAM_PER_PAGE]
        else:
            shown = posts[-TELEGRAM_PER_PAGE:]
        return _html(
            "telegram/history.html", channel=self.channel, ch=name or self.channel_name, posts=shown,
            posts_by_id=self._posts_by_id,
            # search results page on like the full history, keeping the query
            qs=f"q={quote(q)}&" if q else "",
            older=bool(shown) and posts[0].id < shown[0].id,
            newer=bool(shown) and posts[-1].id > shown[-1].id,
        )


# --------------------------------------------------------------------------- module helpers

def _html(template: str, status: int = 200, **context: Any) -> Page:
    return Page(status, HTML, render(template, **context).encode("utf-8"))


def _xml(content_type: str, template: str, **context: Any) -> Page:
    return Page(200, content_type, render(template, **context).encode("utf-8"))


def _not_found() -> Page:
    return _html("not_found.html", status=404)


def _redirect(location: str, status: int) -> Page:
    return Page(status, HTML, render("redirect.html", location=location).encode("utf-8"), {"Location": location})


def _related(items: list[Article], current: Article) -> list[Article]:
    # the next three articles in listing order, wrapping round: stable and never the article itself
    others = [a for a in items if a.slug != current.slug]
    if not others:
        return []
    start = next((i for i, a in enumerate(items) if a.slug == current.slug), 0)
    ordered = items[start + 1:] + items[:start]
    return ordered[:3]


def _redesigned(page: Page) -> Page:
    """The page in markup no parser knows: what a scraper meets the day Telegram redesigns."""
    body = page.body.decode("utf-8").replace("tgme_widget_message", "tgme_post").replace("data-post=", "data-entry=")
    return Page(page.status, page.content_type, body.encode("utf-8"), page.headers)


def _png(name: str) -> bytes:
    """A small valid PNG, one flat colour derived from the name: same name, same bytes."""
    import struct
    import zlib

    colour = hashlib.sha256(name.encode()).digest()[:3]
    width = height = 8
    raw = b"".join(b"\x00" + colour * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _int_or_none(values: list[str] | None) -> int | None:
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None
