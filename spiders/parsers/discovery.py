"""Start pages (feeds, sitemaps, listing pages) read into article candidates and further pages.

The kind of a page is read from its content, because servers lie: sitemaps come as text/html,
feeds as application/octet-stream, gzipped sitemaps with no Content-Encoding. Feeds are read by
feeds.py (feedparser), sitemaps by sitemaps.py (lxml, recovering), listing pages here.

Real servers send malformed documents; what could be read anyway comes with `warnings`, what
could not with `errors` (see DiscoveryResult). Entity declarations are never expanded and
nothing is fetched while parsing (lenient_xml.py), so a "billion laughs" document stays small.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import lxml.etree
import lxml.html
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from kronika.spiders.parsers.charset import decode_html, maybe_gunzip
from kronika.spiders.parsers.feeds import read_feed
from kronika.spiders.parsers.linktext import join_url
from kronika.spiders.parsers.records import DiscoveryResult, FeedEntry
from kronika.spiders.parsers.sitemaps import read_sitemap

KINDS = ("rss", "atom", "sitemap", "sitemapindex", "html", "unknown")

_ROOT_KINDS = {"rss": "rss", "rdf": "rss", "feed": "atom", "urlset": "sitemap", "sitemapindex": "sitemapindex"}
_HTML_TAGS = {"html", "head", "body", "meta", "title", "div", "p", "a", "script", "link", "base", "style"}
_TAG_RE = re.compile(r"<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)")


# byte-order marks, then the first '<' as each wide encoding writes it (XML 1.0 appendix F)
_WIDE = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xfe\xff", "utf-16-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
         (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"))


def _head_text(head: bytes) -> str:
    for mark, encoding in _WIDE:
        if head.startswith(mark):
            return head.decode(encoding, errors="replace").lstrip("\ufeff")
    return head.decode("utf-8", errors="replace")


def _root_tag(body: bytes) -> str | None:
    """Name of the first element, past the XML declaration, comments and any DOCTYPE."""
    text = _head_text(body[:65536])
    i = 0
    n = len(text)
    while i < n:
        j = text.find("<", i)
        if j < 0:
            return None
        if text.startswith("<?", j):
            end = text.find("?>", j)
        elif text.startswith("<!--", j):
            end = text.find("-->", j)
            end = end + 2 if end >= 0 else -1
        elif text.startswith("<!", j):
            # A DOCTYPE may carry an internal subset [ ... ] full of '>' (entity declarations).
            bracket = text.find("[", j)
            close = text.find(">", j)
            if 0 <= bracket < close:
                end = text.find("]", bracket)
                end = text.find(">", end) if end >= 0 else -1
            else:
                end = close
        else:
            m = _TAG_RE.match(text, j)
            if m:
                return m.group(1).lower()
            end = j
        if end < 0:
            return None
        i = end + 1
    return None


def detect_kind(body: bytes, url: str, content_type: str | None) -> str:
    """rss | atom | sitemap | sitemapindex | html | unknown, from the root element first.

    The URL and Content-Type only decide when the content says nothing (no element found).
    """
    try:
        body = maybe_gunzip(body or b"")
    except ValueError:
        return "unknown"
    tag = _root_tag(body)
    if tag is not None:
        local = tag.rpartition(":")[2]
        if local in _ROOT_KINDS:
            return _ROOT_KINDS[local]
        if local in _HTML_TAGS or re.search(rb"<(html|body)[\s>]", body[:65536], re.I):
            return "html"
    ct = (content_type or "").lower()
    if "html" in ct:
        return "html" if tag is not None else "unknown"
    return "unknown"


def _site_ok(url: str, allowed_domains: list[str]) -> bool:
    """True for http(s) URLs on an allowed domain or its subdomains (all hosts when none given)."""
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
    except ValueError:  # one unreadable link in a feed must not cost the others
        return False
    if not allowed_domains:
        return True
    host = parts.hostname.lower().rstrip(".")
    for domain in allowed_domains:
        d = domain.lower().strip().lstrip(".")
        if d and (host == d or host.endswith("." + d)):
            return True
    return False


# --- HTML listing pages ------------------------------------------------------------------------

# Path segments of pages that list or decorate rather than report.
_NON_ARTICLE_SEGMENTS = {
    "tag", "tags", "author", "authors", "page", "login", "logout", "signin", "sign-in", "signup",
    "register", "account", "profile", "search", "category", "categories", "topic", "topics",
    "about", "about-us", "contact", "contacts", "contact-us", "privacy", "privacy-policy", "terms",
    "terms-of-use", "terms-of-service", "cookies", "cookie-policy", "advertising", "advertise",
    "subscribe", "subscription", "newsletter", "newsletters", "careers", "jobs", "impressum",
    "feed", "rss", "static", "assets", "media", "cdn-cgi", "wp-admin", "wp-login.php", "wp-content",
    "share", "print", "amp", "video", "videos", "photo", "photos", "gallery",
}
_ARTICLE_EXT_RE = re.compile(r"\.(s?html?|php|aspx?)$", re.I)
_PAGINATION_QUERY_RE = re.compile(r"(^|&)(page|p|paged|start|offset)=", re.I)
_NEXT_WORDS = {
    "next", "next page", "next »", "next ›", "next →", "older", "older posts", "older entries",
    "older news", "more news", "»", "›", "→", ">", ">>",
    "далі", "наступна", "наступна сторінка", "наступні", "наступна »", "далі »", "більше новин",
    "далее", "следующая", "следующая страница", "вперёд", "вперед", "далее »", "ещё", "еще",
    "ещё новости", "больше новостей",
}
# Page furniture: menus, banners and footers link everywhere but to news.
_FURNITURE_XPATH = (
    "//nav | //footer | //*[@role='navigation' or @role='contentinfo' or @role='banner']"
    " | //header[not(ancestor::article)] | //aside[not(ancestor::article)]"
)


def _path_segments(path: str) -> list[str]:
    return [seg for seg in path.split("/") if seg]


def _looks_like_article(link_url: str, listing_url: str) -> bool:
    """Heuristic: an article URL has a slug or an id below some section.

    Accepted when the link is not the listing page or one of its ancestors, carries no
    pagination query, has no furniture segment (tag/author/page/login/about/...), and its last
    segment looks like a story: ends in .html/.php/..., or holds a run of 3+ digits (an id), or
    the path holds a /yyyy/mm/ date, or the last segment is a hyphenated slug (2+ hyphens, or 1 hyphen below a section).
    """
    link = urlsplit(link_url)
    listing = urlsplit(listing_url)
    segments = _path_segments(link.path)
    if not segments:
        return False
    listing_segments = _path_segments(listing.path)
    if segments == listing_segments[: len(segments)]:
        return False  # the listing itself or a section above it
    if link.query and _PAGINATION_QUERY_RE.search(link.query):
        return False
    lowered = [seg.lower() for seg in segments]
    if any(seg in _NON_ARTICLE_SEGMENTS for seg in lowered):
        return False
    last = lowered[-1]
    stem = _ARTICLE_EXT_RE.sub("", last)
    if _ARTICLE_EXT_RE.search(last) and stem not in ("index", "default", ""):
        return True
    if re.search(r"\d{3,}", stem) or re.search(r"/(19|20)\d\d/\d{1,2}/", link.path):
        return True
    hyphens = stem.count("-")
    return hyphens >= 2 or (hyphens == 1 and len(segments) >= 2)


def _norm_text(text: str | None) -> str:
    return " ".join((text or "").split()).lower()


def _html(body: bytes, url: str, content_type: str | None, allowed: list[str], result: DiscoveryResult) -> None:
    text, _ = decode_html(body, content_type)
    if not text.strip():
        result.errors.append("empty HTML page")
        return
    try:
        doc = lxml.html.document_fromstring(text, base_url=url)
    except (lxml.etree.ParserError, ValueError) as exc:
        result.errors.append(f"unreadable HTML: {exc}")
        return
    listing = _without_fragment(url)
    domains = allowed or ([urlsplit(url).hostname] if urlsplit(url).hostname else [])

    # Pagination first, on the whole page: "next" links often sit in a <nav>.
    follow: list[str] = []
    for el in doc.xpath("//a[@href] | //link[@href]"):
        rel = {r.lower() for r in (el.get("rel") or "").split()}
        label = _norm_text(el.text_content() if el.tag == "a" else "") or _norm_text(el.get("aria-label"))
        classes = (el.get("class") or "").lower()
        if "next" in rel or (el.tag == "a" and (label in _NEXT_WORDS or re.search(r"\bnext\b", classes))):
            joined = join_url(url, el.get("href"))
            href = _without_fragment(joined) if joined else None
            if href and href != listing and _site_ok(href, domains):
                follow.append(href)
    result.follow.extend(dict.fromkeys(follow))

    for el in doc.xpath(_FURNITURE_XPATH):
        if el.getparent() is not None:
            el.drop_tree()
    cleaned = lxml.html.tostring(doc, encoding="unicode")
    response = HtmlResponse(url=url, body=cleaned.encode("utf-8"), encoding="utf-8")
    # Domains are checked by _site_ok: LinkExtractor's allow_domains compares host:port, so a
    # site on a non-default port would never match its own domain.
    extractor = LinkExtractor(unique=True)
    seen = set(result.follow)
    for link in extractor.extract_links(response):
        target = _without_fragment(link.url)
        if target in seen or not _looks_like_article(target, url):
            continue
        seen.add(target)
        if not _site_ok(target, domains):
            result.offsite += 1  # a story on another site (a partner, a syndicated copy)
            continue
        result.entries.append(FeedEntry(url=target, title=" ".join(link.text.split()) or None))


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def parse_discovery(
    body: bytes, url: str, content_type: str | None, allowed_domains: list[str]
) -> DiscoveryResult:
    """Read a feed, sitemap (plain or gzipped) or HTML listing page into entries and follow links.

    Never raises: unreadable input gives kind "unknown" or a partial result with `errors`.
    Entries and follow links outside `allowed_domains` (and their subdomains) are dropped; an
    empty list allows every host for feeds and sitemaps, and the page's own host for HTML.
    """
    try:
        raw = maybe_gunzip(body or b"")
    except ValueError as exc:
        return DiscoveryResult(kind="unknown", errors=[str(exc)])
    kind = detect_kind(raw, url, content_type)
    result = DiscoveryResult(kind=kind)
    try:
        if kind == "html":
            _html(raw, url, content_type, allowed_domains, result)
            return result
        if kind == "unknown":
            result.errors.append("not a feed, sitemap or HTML page")
            return result
        if kind in ("sitemap", "sitemapindex"):
            read_sitemap(raw, url, result)
        else:
            read_feed(raw, url, content_type, result)
    except Exception as exc:  # a parser bug must not stop a crawl; it is reported instead
        result.errors.append(f"{type(exc).__name__}: {exc}")
    entries = _dedupe(result.entries)
    follow = list(dict.fromkeys(result.follow))
    result.entries = [e for e in entries if _site_ok(e.url, allowed_domains)]
    result.follow = [u for u in follow if _site_ok(u, allowed_domains)]
    result.offsite = len(entries) - len(result.entries) + len(follow) - len(result.follow)
    return result


def _dedupe(entries: list[FeedEntry]) -> list[FeedEntry]:
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry.url not in seen:
            seen.add(entry.url)
            out.append(entry)
    return out
