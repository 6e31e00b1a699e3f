"""The bundled offline mirror: fictional outlets and a Telegram channel rendered in memory.

`MirrorSite(epoch)` turns the YAML files in `content/` into pages. An epoch is one state of the
web: articles get rewritten and posts get edited, deleted or added as the epoch grows, so a
recapture at a later epoch sees new versions. The same module also says what a correct pipeline
should extract (`expected_articles`, `expected_posts`), so tests compare against one source.

Links inside pages are relative to the site root; only the places that must be absolute (RSS
links, sitemap locations, canonical links, JSON-LD, redirects) use the base URL the request came
in on, so one mirror serves any host and port.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import yaml

from kronika.mirror import lab

CONTENT_DIR = Path(__file__).with_name("content")

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

VISTNYK_PER_PAGE = 8
TELEGRAM_PER_PAGE = 20
# Vistnyk shows local (Kyiv) time. Every date in the content falls in January, so winter time.
KYIV = timezone(timedelta(hours=2))

UK_MONTHS = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня",
             "вересня", "жовтня", "листопада", "грудня")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

ROBOTS_DISALLOW = ("/herald/private/", "/vistnyk/admin/", "/lab/private/")


# --------------------------------------------------------------------------- public records

@dataclass(frozen=True)
class Page:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


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


# --------------------------------------------------------------------------- small helpers

def format_views(n: int) -> str:
    """Telegram's short form: 845, 48.7K, 1.2M (rounded down to one decimal)."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n // 1000}.{(n // 100) % 10}K"
    return f"{n // 1_000_000}.{(n // 100_000) % 10}M"


def parse_views(s: str) -> int:
    """The integer a parser reads from a short form: "4.1K" -> 4100, "1.2M" -> 1200000."""
    s = s.strip().upper()
    scale = {"K": 1000, "M": 1_000_000}.get(s[-1:], 1)
    number = s[:-1] if scale != 1 else s
    whole, _, frac = number.partition(".")
    frac = (frac + "000000")[:6]
    return int(whole) * scale + int(frac) * scale // 1_000_000


def _dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"mirror content needs timezone-aware times, got {value!r}")
    return dt.astimezone(timezone.utc)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _esc(s: str) -> str:
    # every attribute here is double-quoted, so apostrophes can stay as they are
    return html.escape(s, quote=False).replace('"', "&quot;")


_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def _inline_html(s: str) -> str:
    """Article paragraph markup: escape, and turn [text](/path) into a link."""
    out, pos = [], 0
    for m in _LINK.finditer(s):
        out.append(_esc(s[pos:m.start()]))
        out.append(f'<a href="{_esc(m.group(2))}">{_esc(m.group(1))}</a>')
        pos = m.end()
    out.append(_esc(s[pos:]))
    return "".join(out)


def _inline_plain(s: str) -> str:
    return _LINK.sub(lambda m: m.group(1), s)


def _json_ld(data: dict[str, Any]) -> str:
    # "</" inside a script element would end it early
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


# Telegram post text: URLs, **bold**, #hashtags and emoji, in the order they occur.
_EMOJI = ("(?:[\U0001F1E6-\U0001F1FF]{2}"
          "|[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2B55](?:\uFE0F)?"
          "(?:\u200D[\U0001F300-\U0001FAFF\u2600-\u27BF]\uFE0F?)*)")
_TG_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)])"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|(?P<tag>(?<![\w#])#\w+)"
    rf"|(?P<emoji>{_EMOJI})"
)
_HASHTAG = re.compile(r"(?<![\w#/])#(\w+)")


def _tg_html(text: str) -> str:
    out, pos = [], 0
    for m in _TG_TOKEN.finditer(text):
        out.append(_esc(text[pos:m.start()]))
        if m.group("url"):
            url = m.group("url")
            out.append(f'<a href="{_esc(url)}" target="_blank" rel="noopener">{_esc(url)}</a>')
        elif m.group("bold") is not None:
            out.append(f"<b>{_tg_html(m.group('bold'))}</b>")
        elif m.group("tag"):
            tag = m.group("tag")
            out.append(f'<a href="?q={quote(tag)}">{_esc(tag)}</a>')
        else:
            emoji = m.group("emoji")
            code = emoji.encode("utf-8").hex().upper()
            out.append(f"<i class=\"emoji\" style=\"background-image:url('//telegram.org/img/emoji/40/"
                       f"{code}.png')\"><b>{emoji}</b></i>")
        pos = m.end()
    out.append(_esc(text[pos:]))
    return "".join(out).replace("\n", "<br/>")


def _tg_plain(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text)


def _hashtags(plain: str) -> list[str]:
    without_urls = re.sub(r"https?://\S+", " ", plain)
    return ["#" + t for t in _HASHTAG.findall(without_urls)]


@cache
def _load(name: str) -> dict[str, Any]:
    with open(CONTENT_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --------------------------------------------------------------------------- content at an epoch

@dataclass
class _Article:
    outlet: str
    slug: str
    title: str
    authors: list[str]
    section: str
    published: datetime
    modified: datetime | None
    lead: str
    tags: list[str]
    body: list[str]  # with [text](/path) link markup
    language: str


def _articles_at(outlet_file: str, epoch: int) -> list[_Article]:
    data = _load(outlet_file)
    outlet = data["outlet"]
    result = []
    for raw in data["articles"]:
        if int(raw.get("appears_at", 0)) > epoch:
            continue
        state = {
            "title": raw["title"], "lead": raw["lead"], "body": list(raw["body"]),
            "modified": raw.get("modified"),
        }
        revisions = raw.get("revisions") or []
        for index, rev in enumerate(revisions, start=1):
            if int(rev.get("epoch", index)) > epoch:
                continue
            for key in ("title", "lead", "modified"):
                if key in rev:
                    state[key] = rev[key]
            if "body" in rev:
                state["body"] = list(rev["body"])
            for idx, text in (rev.get("replace") or {}).items():
                state["body"][int(idx)] = text
            state["body"].extend(rev.get("append") or [])
        result.append(_Article(
            outlet=outlet["key"], slug=raw["slug"], title=state["title"],
            authors=list(raw["authors"]), section=raw["section"],
            published=_dt(raw["published"]),
            modified=_dt(state["modified"]) if state["modified"] else None,
            lead=state["lead"], tags=[str(t) for t in raw.get("tags") or []],
            body=[str(p) for p in state["body"]],
            language=raw.get("language", outlet["language"]),
        ))
    result.sort(key=lambda a: (a.published, a.slug), reverse=True)
    return result


def _posts_at(epoch: int) -> list[dict[str, Any]]:
    data = _load("channel.yaml")
    posts = {p["id"]: dict(p, edited=bool(p.get("edited", False))) for p in data["posts"]}
    removed: dict[int, dict[str, Any]] = {}
    for change in sorted(data.get("changes") or [], key=lambda c: c["epoch"]):
        if change["epoch"] > epoch:
            break
        growth = float(change.get("views_growth", 1.0))
        for post in posts.values():
            if post.get("views") is not None:
                post["views"] = int(post["views"] * growth)
        for edit in change.get("edit") or []:
            post = posts[edit["id"]]
            post["text"] = edit["text"]
            post["edited"] = True
        for post_id in change.get("delete") or []:
            if post_id in posts:
                removed[post_id] = posts.pop(post_id)
        for post_id in change.get("restore") or []:  # a deleted (hidden) post shown again
            if post_id in removed:
                posts[post_id] = removed.pop(post_id)
        for new in change.get("add") or []:
            posts[new["id"]] = dict(new, edited=bool(new.get("edited", False)))
    return [posts[k] for k in sorted(posts)]


def max_epoch() -> int:
    """The last epoch at which any content changes."""
    epochs = [0]
    for name in ("herald.yaml", "vistnyk.yaml"):
        for raw in _load(name)["articles"]:
            epochs.append(int(raw.get("appears_at", 0)))
            epochs.extend(int(r.get("epoch", i)) for i, r in enumerate(raw.get("revisions") or [], 1))
    epochs.extend(int(c["epoch"]) for c in _load("channel.yaml").get("changes") or [])
    return max(epochs)


# --------------------------------------------------------------------------- the site

class MirrorSite:
    """Every page of the mirror at one epoch. Pages depend on the base URL only where they must."""

    def __init__(self, epoch: int = 0):
        if epoch < 0:
            raise ValueError("epoch must be >= 0")
        self.epoch = epoch
        self.herald_outlet = _load("herald.yaml")["outlet"]
        self.vistnyk_outlet = _load("vistnyk.yaml")["outlet"]
        self.herald = _articles_at("herald.yaml", epoch)
        self.vistnyk = _articles_at("vistnyk.yaml", epoch)
        self.channel = dict(_load("channel.yaml")["channel"])
        self.posts = _posts_at(epoch)
        self.other_channels = {c["username"].lower(): dict(c) for c in _load("channel.yaml").get("other_channels") or []}
        self._refused_once: set[str] = set()  # pages of the throttled channel already answered 429
        self._posts_by_id = {p["id"]: p for p in self.posts}
        self._herald_by_slug = {a.slug: a for a in self.herald}
        self._vistnyk_by_slug = {a.slug: a for a in self.vistnyk}
        self._cache: dict[tuple[str, str], Page | None] = {}

    # ---- addresses

    @staticmethod
    def herald_path(slug: str) -> str:
        return f"/herald/news/{slug}.html"

    @staticmethod
    def vistnyk_path(slug: str) -> str:
        return f"/vistnyk/novyny/{slug}/"

    @property
    def channel_name(self) -> str:
        return self.channel["username"]

    def vistnyk_pages(self) -> int:
        return max(1, -(-len(self.vistnyk) // VISTNYK_PER_PAGE))

    def public_paths(self) -> list[str]:
        """Every path a polite crawler may fetch (robots.txt allows them), no queries."""
        paths = ["/", "/robots.txt", "/herald/", "/herald/rss.xml", "/herald/sitemap.xml",
                 "/herald/about.html", "/vistnyk/", f"/t/s/{self.channel_name}", f"/t/{self.channel_name}"]
        paths += [f"/herald/section/{s['slug']}/" for s in self.herald_outlet["sections"]]
        paths += [self.herald_path(a.slug) for a in self.herald]
        paths += [f"/vistnyk/page/{n}/" for n in range(2, self.vistnyk_pages() + 1)]
        paths += [f"/vistnyk/rubryka/{s['slug']}/" for s in self.vistnyk_outlet["sections"]]
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
                paragraphs=[_inline_plain(p) for p in a.body], description=a.lead,
                section=a.section, tags=list(a.tags),
            ))
        return out

    def expected_posts(self) -> list[ExpectedPost]:
        ch = self.channel_name
        out = []
        for p in self.posts:
            plain = _tg_plain(p.get("text") or "")
            views = None if p.get("service") else p.get("views")
            display = format_views(views) if views is not None else None
            fwd = p.get("forwarded_from") or {}
            out.append(ExpectedPost(
                channel=ch, post_id=p["id"], url=f"https://t.me/{ch}/{p['id']}",
                posted_at=_dt(p["posted_at"]), text=plain, views=views, views_display=display,
                views_parsed=parse_views(display) if display else None,
                edited=bool(p.get("edited")), is_service=bool(p.get("service")),
                author_signature=p.get("author_signature"),
                forwarded_from_name=fwd.get("name"), forwarded_from_url=fwd.get("url"),
                reply_to=p.get("reply_to"), photo=p.get("photo"),
                link_preview_url=(p.get("link_preview") or {}).get("url"),
                hashtags=_hashtags(plain),
            ))
        return out

    def expected_channel(self) -> dict[str, Any]:
        return {
            "username": self.channel_name, "title": self.channel["title"],
            "description": self.channel["description"], "subscribers": self.channel["subscribers"],
            "subscribers_display": format_views(self.channel["subscribers"]),
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
            found = lab.route(parts.path, parts.query, base, self.epoch, hit)
            return Page(found.status, found.content_type, found.body, dict(found.headers))
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
            return self._root()
        if path == "/robots.txt":
            return self._robots(base)
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
        return self._not_found()

    # ---- generic pages

    def _root(self) -> Page:
        body = (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kronika mirror</title></head><body>"
            "<h1>Kronika offline mirror</h1><p>Fictional outlets and a fictional Telegram channel, for tests and demos.</p>"
            "<ul>"
            f"<li><a href=\"/herald/\">{_esc(self.herald_outlet['name'])}</a></li>"
            f"<li><a href=\"/vistnyk/\">{_esc(self.vistnyk_outlet['name'])}</a></li>"
            f"<li><a href=\"/t/s/{self.channel_name}\">@{self.channel_name}</a></li>"
            "</ul></body></html>\n")
        return _html(body)

    def _robots(self, base: str) -> Page:
        lines = ["User-agent: *"] + [f"Disallow: {p}" for p in ROBOTS_DISALLOW]
        lines += ["", f"Sitemap: {base}/herald/sitemap.xml", ""]
        return Page(200, TEXT, "\n".join(lines).encode("utf-8"))

    def _not_found(self) -> Page:
        body = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>"
                "<body><h1>Not Found</h1><p>There is no page at this address.</p><p><a href=\"/\">Home</a></p></body></html>\n")
        return _html(body, status=404)

    # ---- The Riverside Herald

    def _herald_route(self, path: str, base: str) -> Page:
        if path == "/herald/":
            return self._herald_listing(self.herald, self.herald_outlet["name"], "Latest news")
        if path == "/herald/rss.xml":
            return self._herald_rss(base)
        if path == "/herald/sitemap.xml":
            return self._herald_sitemap(base)
        if path == "/herald/about.html":
            return self._herald_about()
        if path.startswith("/herald/private/"):
            return self._herald_private()
        m = re.fullmatch(r"/herald/section/([a-z0-9-]+)/", path)
        if m:
            names = {s["slug"]: s["name"] for s in self.herald_outlet["sections"]}
            if m.group(1) in names:
                items = [a for a in self.herald if a.section == m.group(1)]
                return self._herald_listing(items, f"{names[m.group(1)]} | {self.herald_outlet['name']}",
                                            names[m.group(1)])
        m = re.fullmatch(r"/herald/news/([a-z0-9-]+)\.html", path)
        if m and m.group(1) in self._herald_by_slug:
            return self._herald_article(self._herald_by_slug[m.group(1)], base)
        return self._not_found()

    def _herald_head(self, title: str, extra: str = "") -> str:
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_esc(title)}</title>\n"
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"The Riverside Herald\" href=\"/herald/rss.xml\">\n"
            f"{extra}</head>\n"
        )

    def _herald_chrome_top(self) -> str:
        nav = "".join(f"<li><a href=\"/herald/section/{s['slug']}/\">{_esc(s['name'])}</a></li>"
                      for s in self.herald_outlet["sections"])
        return (
            "<body class=\"herald\">\n"
            "<div class=\"cookie-banner\" id=\"cookie-banner\" role=\"dialog\">We use cookies to remember your "
            "preferences. <button type=\"button\">Accept</button> <a href=\"/herald/about.html#cookies\">Learn more</a></div>\n"
            "<header class=\"site-header\">\n"
            f"<a class=\"logo\" href=\"/herald/\">{_esc(self.herald_outlet['name'])}</a>\n"
            f"<nav class=\"site-nav\" aria-label=\"Sections\"><ul><li><a href=\"/herald/\">Home</a></li>{nav}</ul></nav>\n"
            "<a class=\"sign-in\" href=\"/herald/private/login\">Sign in</a>\n"
            "</header>\n"
        )

    def _herald_chrome_bottom(self) -> str:
        return (
            "<footer class=\"site-footer\">\n"
            "<p>&copy; 2026 The Riverside Herald. A fictional outlet: every name and event on this site is invented "
            "for the Kronika offline mirror.</p>\n"
            "<p>Contact the newsroom: newsroom@riverside-herald.example &middot; <a href=\"/herald/about.html\">About us</a>"
            " &middot; <a href=\"/herald/rss.xml\">RSS</a></p>\n"
            "</footer>\n</body>\n</html>\n"
        )

    def _herald_date(self, dt: datetime) -> str:
        return f"{dt.day} {EN_MONTHS[dt.month - 1]} {dt.year}, {dt:%H:%M} GMT"

    def _herald_listing(self, items: list[_Article], title: str, heading: str) -> Page:
        rows = []
        for a in items:
            rows.append(
                "<article class=\"teaser\">"
                f"<h2><a href=\"{self.herald_path(a.slug)}\">{_esc(a.title)}</a></h2>"
                f"<p class=\"standfirst\">{_esc(a.lead)}</p>"
                f"<time datetime=\"{_iso(a.published)}\">{self._herald_date(a.published)}</time>"
                "</article>\n")
        body = (self._herald_head(title) + self._herald_chrome_top()
                + f"<main>\n<h1>{_esc(heading)}</h1>\n<section class=\"latest\">\n{''.join(rows)}</section>\n</main>\n"
                + self._herald_chrome_bottom())
        return _html(body)

    def _related(self, items: list[_Article], current: _Article) -> list[_Article]:
        # the next three articles in listing order, wrapping round: stable and never the article itself
        others = [a for a in items if a.slug != current.slug]
        if not others:
            return []
        start = next((i for i, a in enumerate(items) if a.slug == current.slug), 0)
        ordered = items[start + 1:] + items[:start]
        return ordered[:3]

    def _herald_article(self, a: _Article, base: str) -> Page:
        url = base + self.herald_path(a.slug)
        section_name = {s["slug"]: s["name"] for s in self.herald_outlet["sections"]}[a.section]
        ld: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "description": a.lead,
            "url": url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "inLanguage": a.language,
            "datePublished": _iso(a.published),
            "author": [{"@type": "Person", "name": n} for n in a.authors],
            "articleSection": section_name,
            "keywords": a.tags,
            "publisher": {
                "@type": "Organization", "name": self.herald_outlet["name"],
                "logo": {"@type": "ImageObject", "url": base + "/herald/static/logo.png"},
            },
        }
        meta_mod = ""
        if a.modified:
            ld["dateModified"] = _iso(a.modified)
            meta_mod = f"<meta property=\"article:modified_time\" content=\"{_iso(a.modified)}\">\n"
        head_extra = (
            f"<meta name=\"description\" content=\"{_esc(a.lead)}\">\n"
            f"<meta property=\"og:title\" content=\"{_esc(a.title)}\">\n"
            f"<meta property=\"og:description\" content=\"{_esc(a.lead)}\">\n"
            "<meta property=\"og:type\" content=\"article\">\n"
            f"<meta property=\"og:url\" content=\"{_esc(url)}\">\n"
            f"<meta property=\"og:site_name\" content=\"{_esc(self.herald_outlet['name'])}\">\n"
            f"<meta property=\"article:published_time\" content=\"{_iso(a.published)}\">\n"
            f"{meta_mod}"
            f"<meta property=\"article:section\" content=\"{_esc(section_name)}\">\n"
            + "".join(f"<meta property=\"article:tag\" content=\"{_esc(t)}\">\n" for t in a.tags)
            + f"<link rel=\"canonical\" href=\"{_esc(url)}\">\n"
            f"<script type=\"application/ld+json\">\n{_json_ld(ld)}\n</script>\n"
        )
        byline = " and ".join(f"<span class=\"author\">{_esc(n)}</span>" for n in a.authors)
        updated = ""
        if a.modified:
            updated = (f" <span class=\"updated\">Updated <time class=\"modified\" datetime=\"{_iso(a.modified)}\">"
                       f"{self._herald_date(a.modified)}</time></span>")
        paragraphs = "\n".join(f"<p>{_inline_html(p)}</p>" for p in a.body)
        related = "".join(
            f"<li><a href=\"{self.herald_path(r.slug)}\">{_esc(r.title)}</a></li>"
            for r in self._related(self.herald, a))
        tags = " ".join(f"<li>{_esc(t)}</li>" for t in a.tags)
        body = (
            self._herald_head(f"{a.title} | {self.herald_outlet['name']}", head_extra)
            + self._herald_chrome_top()
            + "<main class=\"article-page\">\n"
            "<nav class=\"breadcrumbs\" aria-label=\"Breadcrumb\"><a href=\"/herald/\">Home</a> &rsaquo; "
            f"<a href=\"/herald/section/{a.section}/\">{_esc(section_name)}</a></nav>\n"
            "<article class=\"story\">\n"
            f"<h1 class=\"headline\">{_esc(a.title)}</h1>\n"
            f"<p class=\"byline\">By {byline} &middot; <time class=\"published\" datetime=\"{_iso(a.published)}\">"
            f"{self._herald_date(a.published)}</time>{updated}</p>\n"
            f"<div class=\"article-body\">\n{paragraphs}\n</div>\n"
            "</article>\n"
            f"<ul class=\"tags\">{tags}</ul>\n"
            f"<aside class=\"related\"><h2>Related</h2><ul>{related}</ul></aside>\n"
            "<aside class=\"newsletter\"><h2>The Morning Brief</h2><p>The day's main stories in your inbox at 7am.</p>"
            "<form action=\"/herald/private/newsletter\" method=\"post\"><input type=\"email\" name=\"email\" "
            "placeholder=\"Your email\"> <button type=\"submit\">Sign up</button></form></aside>\n"
            "</main>\n"
            + self._herald_chrome_bottom()
        )
        return _html(body)

    def _herald_about(self) -> Page:
        body = (self._herald_head(f"About us | {self.herald_outlet['name']}") + self._herald_chrome_top()
                + "<main><h1>About The Riverside Herald</h1>"
                "<p>The Riverside Herald is an invented newspaper. It exists so that the Kronika archive can be "
                "tested without touching real websites.</p>"
                "<h2 id=\"cookies\">Cookies</h2><p>This site remembers only whether you accepted the cookie banner.</p>"
                "</main>\n" + self._herald_chrome_bottom())
        return _html(body)

    def _herald_private(self) -> Page:
        body = (self._herald_head(f"Sign in | {self.herald_outlet['name']}") + self._herald_chrome_top()
                + "<main><h1>Sign in</h1><form method=\"post\"><input name=\"user\"><input name=\"password\" "
                "type=\"password\"><button>Sign in</button></form><p>Subscribers only. Crawlers are asked (robots.txt) "
                "not to come here.</p></main>\n" + self._herald_chrome_bottom())
        return _html(body)

    def _herald_rss(self, base: str) -> Page:
        items = []
        for a in self.herald:
            url = base + self.herald_path(a.slug)
            items.append(
                "<item>\n"
                f"  <title>{_esc(a.title)}</title>\n"
                f"  <link>{_esc(url)}</link>\n"
                f"  <guid isPermaLink=\"true\">{_esc(url)}</guid>\n"
                f"  <pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>\n"
                + "".join(f"  <dc:creator>{_esc(n)}</dc:creator>\n" for n in a.authors)
                + f"  <category>{_esc(a.section)}</category>\n"
                f"  <description>{_esc(a.lead)}</description>\n"
                "</item>\n")
        newest = max((a.modified or a.published for a in self.herald), default=datetime(2026, 1, 1, tzinfo=timezone.utc))
        body = (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
            "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n"
            f"<title>{_esc(self.herald_outlet['name'])}</title>\n"
            f"<link>{_esc(base)}/herald/</link>\n"
            f"<atom:link href=\"{_esc(base)}/herald/rss.xml\" rel=\"self\" type=\"application/rss+xml\"/>\n"
            "<description>News from Zarichansk and the Zarichna region (fictional).</description>\n"
            "<language>en</language>\n"
            f"<lastBuildDate>{format_datetime(newest, usegmt=True)}</lastBuildDate>\n"
            + "".join(items)
            + "</channel>\n</rss>\n")
        return Page(200, RSS, body.encode("utf-8"))

    def _herald_sitemap(self, base: str) -> Page:
        urls = "".join(
            f"<url><loc>{_esc(base + self.herald_path(a.slug))}</loc>"
            f"<lastmod>{_iso(a.modified or a.published)}</lastmod></url>\n"
            for a in self.herald)
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n" + urls + "</urlset>\n")
        return Page(200, XML, body.encode("utf-8"))

    # ---- Вісник Заріччя

    def _vistnyk_route(self, path: str, base: str) -> Page:
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
            return self._vistnyk_admin()
        m = re.fullmatch(r"/vistnyk/rubryka/([a-z0-9-]+)/", path)
        if m:
            names = {s["slug"]: s["name"] for s in self.vistnyk_outlet["sections"]}
            if m.group(1) in names:
                return self._vistnyk_rubric(m.group(1), names[m.group(1)])
        m = re.fullmatch(r"/vistnyk/novyny/([a-z0-9-]+)(/?)", path)
        if m and m.group(1) in self._vistnyk_by_slug:
            if not m.group(2):
                # WordPress-like: the canonical address ends with a slash
                return _redirect(base + self.vistnyk_path(m.group(1)), 301)
            return self._vistnyk_article(self._vistnyk_by_slug[m.group(1)], base)
        return self._not_found()

    def _vistnyk_date(self, dt: datetime) -> str:
        local = dt.astimezone(KYIV)
        return f"{local.day} {UK_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"

    def _vistnyk_head(self, title: str, extra: str = "", lang: str = "uk") -> str:
        return (
            f"<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_esc(title)}</title>\n"
            f"{extra}</head>\n"
        )

    def _vistnyk_chrome_top(self) -> str:
        nav = "".join(f"<li class=\"menu-item\"><a href=\"/vistnyk/rubryka/{s['slug']}/\">{_esc(s['name'])}</a></li>"
                      for s in self.vistnyk_outlet["sections"])
        return (
            "<body class=\"vistnyk\">\n<div id=\"page\" class=\"site\">\n"
            "<header id=\"masthead\" class=\"site-header\">\n"
            f"<p class=\"site-title\"><a href=\"/vistnyk/\" rel=\"home\">{_esc(self.vistnyk_outlet['name'])}</a></p>\n"
            "<p class=\"site-description\">Новини Зарічанська та області</p>\n"
            f"<nav id=\"site-navigation\" class=\"main-navigation\"><ul class=\"menu\"><li class=\"menu-item\">"
            f"<a href=\"/vistnyk/\">Головна</a></li>{nav}</ul></nav>\n"
            "<a class=\"login-link\" href=\"/vistnyk/admin/\">Вхід для редакції</a>\n"
            "</header>\n"
        )

    def _vistnyk_chrome_bottom(self) -> str:
        return (
            "<footer id=\"colophon\" class=\"site-footer\">\n"
            "<p>&copy; 2026 «Вісник Заріччя». Вигадане видання: усі імена та події на цьому сайті придумано для "
            "офлайн-дзеркала Kronika.</p>\n"
            "<p>Пишіть нам: redaktsiia@vistnyk-zarichchia.example</p>\n"
            "</footer>\n</div>\n</body>\n</html>\n"
        )

    def _vistnyk_items(self, items: list[_Article]) -> str:
        return "".join(
            "<article class=\"post-item\">"
            f"<h2 class=\"entry-title\"><a href=\"{self.vistnyk_path(a.slug)}\" rel=\"bookmark\">{_esc(a.title)}</a></h2>"
            f"<div class=\"entry-meta\"><time class=\"entry-date\" datetime=\"{_iso(a.published.astimezone(KYIV))}\">"
            f"{self._vistnyk_date(a.published)}</time></div>"
            f"<div class=\"entry-summary\"><p>{_esc(a.lead)}</p></div>"
            "</article>\n"
            for a in items)

    def _vistnyk_page_path(self, n: int) -> str:
        return "/vistnyk/" if n == 1 else f"/vistnyk/page/{n}/"

    def _vistnyk_listing(self, n: int) -> Page:
        last = self.vistnyk_pages()
        items = self.vistnyk[(n - 1) * VISTNYK_PER_PAGE:n * VISTNYK_PER_PAGE]
        head_links = ""
        links = []
        if n > 1:
            head_links += f"<link rel=\"prev\" href=\"{self._vistnyk_page_path(n - 1)}\">\n"
            links.append(f"<a class=\"prev page-numbers\" rel=\"prev\" href=\"{self._vistnyk_page_path(n - 1)}\">"
                         "&laquo; Попередня</a>")
        for i in range(1, last + 1):
            if i == n:
                links.append(f"<span aria-current=\"page\" class=\"page-numbers current\">{i}</span>")
            else:
                links.append(f"<a class=\"page-numbers\" href=\"{self._vistnyk_page_path(i)}\">{i}</a>")
        if n < last:
            head_links += f"<link rel=\"next\" href=\"{self._vistnyk_page_path(n + 1)}\">\n"
            links.append(f"<a class=\"next page-numbers\" rel=\"next\" href=\"{self._vistnyk_page_path(n + 1)}\">"
                         "Наступна &raquo;</a>")
        title = self.vistnyk_outlet["name"] + (f" — Сторінка {n}" if n > 1 else "")
        body = (
            self._vistnyk_head(title, head_links) + self._vistnyk_chrome_top()
            + "<main id=\"main\" class=\"site-main\">\n<h1 class=\"page-title\">Останні новини</h1>\n"
            + self._vistnyk_items(items)
            + f"<nav class=\"navigation pagination\" aria-label=\"Сторінки\"><div class=\"nav-links\">{' '.join(links)}"
            "</div></nav>\n</main>\n" + self._vistnyk_chrome_bottom())
        return _html(body)

    def _vistnyk_rubric(self, slug: str, name: str) -> Page:
        items = [a for a in self.vistnyk if a.section == slug]
        body = (self._vistnyk_head(f"{name} — {self.vistnyk_outlet['name']}") + self._vistnyk_chrome_top()
                + f"<main id=\"main\" class=\"site-main\">\n<h1 class=\"page-title\">Рубрика: {_esc(name)}</h1>\n"
                + self._vistnyk_items(items) + "</main>\n" + self._vistnyk_chrome_bottom())
        return _html(body)

    def _vistnyk_admin(self) -> Page:
        body = (self._vistnyk_head(f"Вхід — {self.vistnyk_outlet['name']}") + self._vistnyk_chrome_top()
                + "<main><h1>Вхід для редакції</h1><form method=\"post\"><input name=\"log\"><input name=\"pwd\" "
                "type=\"password\"><button>Увійти</button></form></main>\n" + self._vistnyk_chrome_bottom())
        return _html(body)

    def _vistnyk_article(self, a: _Article, base: str) -> Page:
        url = base + self.vistnyk_path(a.slug)
        section_name = {s["slug"]: s["name"] for s in self.vistnyk_outlet["sections"]}[a.section]
        head_extra = (
            f"<meta name=\"description\" content=\"{_esc(a.lead)}\">\n"
            f"<meta property=\"og:locale\" content=\"{'ru_RU' if a.language == 'ru' else 'uk_UA'}\">\n"
            "<meta property=\"og:type\" content=\"article\">\n"
            f"<meta property=\"og:title\" content=\"{_esc(a.title)}\">\n"
            f"<meta property=\"og:description\" content=\"{_esc(a.lead)}\">\n"
            f"<meta property=\"og:site_name\" content=\"{_esc(self.vistnyk_outlet['name'])}\">\n"
            f"<link rel=\"canonical\" href=\"{_esc(url)}\">\n"
        )
        label = "Автори" if len(a.authors) > 1 else "Автор"
        authors = ", ".join(f"<span class=\"author vcard\">{_esc(n)}</span>" for n in a.authors)
        updated = ""
        if a.modified:
            updated = (f" <span class=\"updated-on\">Оновлено: <time class=\"updated\" "
                       f"datetime=\"{_iso(a.modified.astimezone(KYIV))}\">{self._vistnyk_date(a.modified)}</time></span>")
        paragraphs = "\n".join(f"<p>{_inline_html(p)}</p>" for p in a.body)
        related = "".join(
            f"<li><a href=\"{self.vistnyk_path(r.slug)}\">{_esc(r.title)}</a></li>"
            for r in self._related(self.vistnyk, a))
        tags = ", ".join(f"<span class=\"tag\">{_esc(t)}</span>" for t in a.tags)
        # a stable, made-up comment count so pages do not change between requests
        comments = sum(ord(c) for c in a.slug) % 40
        body = (
            self._vistnyk_head(f"{a.title} — {self.vistnyk_outlet['name']}", head_extra, lang=a.language)
            + self._vistnyk_chrome_top()
            + "<main id=\"main\" class=\"site-main\">\n"
            f"<div class=\"breadcrumbs\"><a href=\"/vistnyk/\">Головна</a> / "
            f"<a href=\"/vistnyk/rubryka/{a.section}/\">{_esc(section_name)}</a></div>\n"
            "<article class=\"post type-post status-publish\">\n"
            f"<header class=\"entry-header\"><h1 class=\"entry-title\">{_esc(a.title)}</h1>\n"
            f"<div class=\"entry-meta\"><span class=\"byline\">{label}: {authors}</span> "
            f"<span class=\"posted-on\"><time class=\"entry-date published\" datetime=\"{_iso(a.published.astimezone(KYIV))}\">"
            f"{self._vistnyk_date(a.published)}</time></span>{updated}</div></header>\n"
            f"<div class=\"entry-content\">\n{paragraphs}\n</div>\n"
            f"<footer class=\"entry-footer\"><span class=\"tags-links\">Теги: {tags}</span></footer>\n"
            "</article>\n"
            f"<div class=\"comments-count\"><a href=\"#comments\">Коментарі: <span class=\"count\">{comments}</span></a></div>\n"
            f"<aside class=\"related-posts\"><h2>Читайте також</h2><ul>{related}</ul></aside>\n"
            "</main>\n" + self._vistnyk_chrome_bottom()
        )
        return _html(body)

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
            mode = self.other_channels.get(name.lower(), {}).get("mode")
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
        return self._not_found()

    def _telegram_profile(self, name: str) -> Page:
        other = self.other_channels.get(name.lower())
        if other is not None and other.get("subscribers") is not None:
            # a channel that exists without a public preview: no "Preview channel" link
            extra = f"<div class=\"tgme_page_extra\">{other['subscribers']:,} subscribers</div>"
            title = other.get("title") or f"@{name}"
        elif name.lower() == self.channel_name.lower():
            ch = self.channel
            extra = (f"<div class=\"tgme_page_extra\">{ch['subscribers']:,} subscribers</div>"
                     f"<div class=\"tgme_page_description\" dir=\"auto\">{_esc(ch['description'])}</div>"
                     f"<div class=\"tgme_page_context_link_wrap\"><a class=\"tgme_page_context_link\" "
                     f"href=\"/t/s/{ch['username']}\">Preview channel</a></div>")
            title = ch["title"]
        else:
            extra = (f"<div class=\"tgme_page_description\" dir=\"auto\">If you have <strong>Telegram</strong>, "
                     f"you can contact <a class=\"tgme_username_link\" href=\"https://t.me/{_esc(name)}\">@{_esc(name)}</a> "
                     "right away.</div>")
            title = f"@{name}"
        body = (
            "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>Telegram: Contact @{_esc(name)}</title>\n"
            f"<meta property=\"og:title\" content=\"{_esc(title)}\">\n</head>\n"
            "<body class=\"no_transition\"><div class=\"tgme_page_wrap\"><div class=\"tgme_body_wrap\"><div class=\"tgme_page\">"
            f"<div class=\"tgme_page_title\"><span dir=\"auto\">{_esc(title)}</span></div>"
            f"<div class=\"tgme_page_extra\">@{_esc(name)}</div>{extra}"
            "</div></div></div></body>\n</html>\n")
        return _html(body)

    def _telegram_history(self, query: dict[str, list[str]], name: str | None = None) -> Page:
        """The channel's history page; `name` shows the same posts under another username."""
        posts = self.posts
        q = (query.get("q") or [""])[0].strip()
        if q:
            needle = q.casefold()
            posts = [p for p in posts if needle in _tg_plain(p.get("text") or "").casefold()]
        before = _int_or_none(query.get("before"))
        after = _int_or_none(query.get("after"))
        if before is not None:
            shown = [p for p in posts if p["id"] < before][-TELEGRAM_PER_PAGE:]
        elif after is not None:
            shown = [p for p in posts if p["id"] > after][:TELEGRAM_PER_PAGE]
        else:
            shown = posts[-TELEGRAM_PER_PAGE:]
        ch = name or self.channel_name
        # search results page on like the full history, keeping the query
        qs = f"q={quote(q)}&" if q else ""
        older = bool(shown) and posts and posts[0]["id"] < shown[0]["id"]
        newer = bool(shown) and posts and posts[-1]["id"] > shown[-1]["id"]
        head_links = ""
        more_top = more_bottom = ""
        if shown:
            head_links += f"<link rel=\"canonical\" href=\"/t/s/{ch}?before={shown[-1]['id'] + 1}\">\n"
        if older:
            first = shown[0]["id"]
            head_links += f"<link rel=\"prev\" href=\"/t/s/{ch}?{qs}before={first}\">\n"
            more_top = (f"<div class=\"tgme_widget_message_centered js-messages_more_wrap\"><a href=\"/t/s/{ch}?{qs}before={first}\" "
                        f"class=\"tme_messages_more js-messages_more\" data-before=\"{first}\"></a></div>\n")
        if newer:
            last = shown[-1]["id"]
            head_links += f"<link rel=\"next\" href=\"/t/s/{ch}?{qs}after={last}\">\n"
            more_bottom = (f"<div class=\"tgme_widget_message_centered js-messages_more_wrap\"><a href=\"/t/s/{ch}?{qs}after={last}\" "
                           f"class=\"tme_messages_more js-messages_more\" data-after=\"{last}\"></a></div>\n")
        info = self.channel
        title = _esc(info["title"])
        body = (
            "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title} – Telegram</title>\n"
            f"<meta property=\"og:title\" content=\"{title}\">\n"
            f"<meta property=\"og:description\" content=\"{_esc(info['description'])}\">\n"
            f"{head_links}</head>\n"
            "<body class=\"widget_frame_base tgme_webpreview_body\">\n"
            "<header class=\"tgme_header search_collapsed\"><div class=\"tgme_header_info\"><div class=\"tgme_header_title\">"
            f"<span dir=\"auto\">{title}</span></div></div></header>\n"
            "<main class=\"tgme_main\">\n<section class=\"tgme_right_column\">\n<div class=\"tgme_channel_info\">\n"
            "  <div class=\"tgme_channel_info_header\">\n"
            f"    <i class=\"tgme_page_photo_image bgcolor2\" data-content=\"{_esc(info['title'][:1])}\"><img src=\"{_esc(info['avatar'])}\"></i>\n"
            f"    <div class=\"tgme_channel_info_header_title\"><span dir=\"auto\">{title}</span></div>\n"
            f"    <div class=\"tgme_channel_info_header_username\"><a href=\"https://t.me/{ch}\">@{ch}</a></div>\n"
            "  </div>\n  <div class=\"tgme_channel_info_counters\">\n"
            f"    <div class=\"tgme_channel_info_counter\"><span class=\"counter_value\">{format_views(info['subscribers'])}</span> "
            "<span class=\"counter_type\">subscribers</span></div>\n"
            f"    <div class=\"tgme_channel_info_counter\"><span class=\"counter_value\">{format_views(info['photos'])}</span> "
            "<span class=\"counter_type\">photos</span></div>\n"
            "  </div>\n"
            f"  <div class=\"tgme_channel_info_description\">{_esc(info['description'])}</div>\n"
            "</div>\n</section>\n"
            "<section class=\"tgme_channel_history js-message_history\">\n"
            + more_top
            + "".join(self._telegram_post(p, ch) for p in shown)
            + more_bottom
            + "</section>\n</main>\n</body>\n</html>\n")
        return _html(body)

    def _telegram_post(self, p: dict[str, Any], ch: str | None = None) -> str:
        ch = ch or self.channel_name
        title = _esc(self.channel["title"])
        post_url = f"https://t.me/{ch}/{p['id']}"
        posted = _dt(p["posted_at"])
        view_token = base64.urlsafe_b64encode(
            json.dumps({"c": -1001874200113, "p": p["id"]}, separators=(",", ":")).encode()).decode().rstrip("=")
        date = (f"<a class=\"tgme_widget_message_date\" href=\"{post_url}\"><time datetime=\"{_iso(posted)}\" "
                f"class=\"time\">{posted:%H:%M}</time></a>")
        text = p.get("text") or ""
        if p.get("service"):
            return (
                "<div class=\"tgme_widget_message_wrap js-widget_message_wrap\">\n"
                f"  <div class=\"tgme_widget_message service_message js-widget_message\" data-post=\"{ch}/{p['id']}\" "
                f"data-view=\"{view_token}\">\n"
                "    <div class=\"tgme_widget_message_bubble\">\n"
                f"      <div class=\"tgme_widget_message_text js-message_text\" dir=\"auto\">{_tg_html(text)}</div>\n"
                "      <div class=\"tgme_widget_message_footer js-message_footer\"><div class=\"tgme_widget_message_info "
                f"js-message_info\"><span class=\"tgme_widget_message_meta\">{date}</span></div></div>\n"
                "    </div>\n  </div>\n</div>\n")
        parts = [
            "<div class=\"tgme_widget_message_wrap js-widget_message_wrap\">\n"
            f"  <div class=\"tgme_widget_message text_not_supported_wrap js-widget_message\" data-post=\"{ch}/{p['id']}\" "
            f"data-view=\"{view_token}\">\n"
            f"    <div class=\"tgme_widget_message_user\"><a href=\"https://t.me/{ch}\"><i class=\"tgme_widget_message_user_photo "
            f"bgcolor2\" data-content=\"{_esc(self.channel['title'][:1])}\"><img src=\"{_esc(self.channel['avatar'])}\"></i></a></div>\n"
            "    <div class=\"tgme_widget_message_bubble\">\n"
            "      <i class=\"tgme_widget_message_bubble_tail\"><svg class=\"bubble_icon\" width=\"9px\" height=\"20px\" "
            "viewBox=\"0 0 9 20\"></svg></i>\n"
            "      <div class=\"tgme_widget_message_author accent_color\"><a class=\"tgme_widget_message_owner_name\" "
            f"href=\"https://t.me/{ch}\"><span dir=\"auto\">{title}</span></a></div>\n"
        ]
        fwd = p.get("forwarded_from")
        if fwd:
            parts.append(
                "      <div class=\"tgme_widget_message_forwarded_from accent_color\">Forwarded from "
                f"<a class=\"tgme_widget_message_forwarded_from_name\" href=\"{_esc(fwd['url'])}\"><span dir=\"auto\">"
                f"{_esc(fwd['name'])}</span></a></div>\n")
        reply_to = p.get("reply_to")
        if reply_to is not None:
            target = self._posts_by_id.get(reply_to)
            if target is None:
                quoted = "<div class=\"tgme_widget_message_metatext js-message_reply_text\" dir=\"auto\">Deleted message</div>"
            else:
                quoted = ""
                if target.get("photo"):
                    quoted += "<div class=\"tgme_widget_message_metatext js-message_reply_text\" dir=\"auto\">Photo</div>"
                target_text = " ".join(_tg_plain(target.get("text") or "").split())
                if target_text:
                    quoted += (f"<div class=\"tgme_widget_message_text js-message_reply_text\" dir=\"auto\">"
                               f"{_esc(target_text)}</div>")
            parts.append(
                f"      <a class=\"tgme_widget_message_reply\" href=\"https://t.me/{ch}/{reply_to}\">\n"
                "        <div class=\"tgme_widget_message_author accent_color\"><span class=\"tgme_widget_message_author_name\" "
                f"dir=\"auto\">{title}</span></div>\n        {quoted}\n      </a>\n")
        if p.get("photo"):
            parts.append(
                f"      <a class=\"tgme_widget_message_photo_wrap blured\" href=\"{post_url}\" "
                f"style=\"width:800px;background-image:url('{_esc(p['photo'])}')\"><div class=\"tgme_widget_message_photo\" "
                "style=\"padding-top:75%\"></div></a>\n")
        if text:
            parts.append(f"      <div class=\"tgme_widget_message_text js-message_text\" dir=\"auto\">{_tg_html(text)}</div>\n")
        preview = p.get("link_preview")
        if preview:
            parts.append(
                f"      <a class=\"tgme_widget_message_link_preview\" href=\"{_esc(preview['url'])}\">\n"
                f"        <div class=\"link_preview_site_name accent_color\" dir=\"auto\">{_esc(preview.get('site', ''))}</div>\n"
                f"        <div class=\"link_preview_title\" dir=\"auto\">{_esc(preview.get('title', ''))}</div>\n"
                f"        <div class=\"link_preview_description\" dir=\"auto\">{_esc(preview.get('description', ''))}</div>\n"
                "      </a>\n")
        signature = ""
        if p.get("author_signature"):
            signature = (f"<span class=\"tgme_widget_message_from_author\" dir=\"auto\">{_esc(p['author_signature'])}"
                         "</span>&nbsp;")
        edited = "edited &nbsp;" if p.get("edited") else ""
        parts.append(
            "      <div class=\"tgme_widget_message_footer compact js-message_footer\">\n"
            "        <div class=\"tgme_widget_message_info short js-message_info\">"
            f"<span class=\"tgme_widget_message_views\">{format_views(int(p.get('views') or 0))}</span>"
            f"<span class=\"copyonly\"> views</span>{signature}<span class=\"tgme_widget_message_meta\">{edited}{date}</span></div>\n"
            "      </div>\n"
            "    </div>\n  </div>\n</div>\n")
        return "".join(parts)


# --------------------------------------------------------------------------- module helpers

def _html(body: str, status: int = 200) -> Page:
    return Page(status, HTML, body.encode("utf-8"))


def _redirect(location: str, status: int) -> Page:
    body = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Moved</title></head><body>"
            f"<p>Moved to <a href=\"{_esc(location)}\">{_esc(location)}</a>.</p></body></html>\n")
    return Page(status, HTML, body.encode("utf-8"), {"Location": location})


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
