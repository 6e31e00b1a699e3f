"""RSS 0.9x/1.0/2.0 and Atom feeds read into article candidates, leniently, by feedparser.

feedparser is made for feeds as they are published: it reads a document an XML parser rejects
(undefined entities, stray `&`, truncation, a wrong or missing encoding declaration, a feed served
as text/html) with its own lenient parser, and says what was wrong (`bozo_exception`). What was
wrong becomes a warning; only a feed of which nothing could be read is an error. One item that
cannot be read (no link, a link that is no URL) costs that item, never the others.

The DOCTYPE is removed before feedparser sees the bytes (lenient_xml.prepare), so its entity
declarations (XML bombs, external entities) never reach any parser.
"""
from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import feedparser

from kronika.spiders.parsers import lenient_xml
from kronika.spiders.parsers.dates import to_utc
from kronika.spiders.parsers.linktext import join_url, plain_title
from kronika.spiders.parsers.records import DiscoveryResult, FeedEntry


def _utc(raw: str | None, parsed) -> datetime | None:
    """Our own reading of the date string first (one rule for every parser), feedparser's second."""
    if not raw:
        return None
    found = to_utc(raw)
    if found is None and parsed is not None:
        found = datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    return found


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    if name == "CharacterEncodingOverride":
        return f"encoding: {exc}"
    if name == "NonXMLContentType":
        return f"served with a content type that is not XML: {exc}"
    return f"invalid XML, read leniently: {exc}"


_ITEM_RE = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")


def _cut_off(body: bytes, link: str) -> bool:
    """True when the link is the last thing in a truncated document (the URL may be cut mid-way)."""
    at = body.rfind(link.encode("utf-8", errors="ignore"))
    return at >= 0 and b"<" not in body[at + len(link):]


def read_feed(body: bytes, url: str, content_type: str | None, result: DiscoveryResult) -> None:
    """Entries (and an Atom paged feed's next page) of an RSS/RDF/Atom document into `result`."""
    body = lenient_xml.prepare(body, result.warnings, repair_entities=False)
    # no content-location: links come back as written (or against the feed's own xml:base), and
    # are resolved here, so that what is no address at all can still be told from one
    headers = {}
    if content_type:
        headers["content-type"] = content_type
    # bytes, never a str: given a string that looks like a URL, feedparser would fetch it
    parsed = feedparser.parse(bytes(body), response_headers=headers, resolve_relative_uris=False,
                              sanitize_html=False)
    atom = (parsed.get("version") or "").startswith("atom")
    found = len(result.entries)
    for item in parsed.entries:
        link = item.get("link")
        if not link:
            result.warnings.append("feed item without a link")
            continue
        if _cut_off(body, link):
            result.warnings.append(f"feed item whose link was cut off by the end of the document {link[:200]!r}")
            continue
        # an unexpanded entity (a DOCTYPE's, removed) is no address, relative or not
        joined = join_url(url, link) if not link.lstrip().startswith("&") else None
        if joined is None:
            result.warnings.append(f"feed item with an unreadable link {link[:200]!r}")
            continue
        if urlsplit(joined).scheme not in ("http", "https"):
            # feedparser falls back to the entry's id (urn:uuid:..., tag:...) when it has no link
            result.warnings.append(f"feed item without a web link (only {link[:200]!r})")
            continue
        entry = FeedEntry(url=joined, title=plain_title(item.get("title")))
        published = item.get("published")
        source = "atom:published" if atom else "rss:pubDate"
        if not published and not atom and item.get("updated"):
            # RSS 1.0 and many RSS 2.0 feeds state only dc:date, which is the publication date
            published, source = item.get("updated"), "dc:date"
        if published:
            entry.published_at = _utc(published, item.get("published_parsed") or item.get("updated_parsed"))
            entry.published_at_raw, entry.date_source = published, source
        if atom and item.get("updated"):
            entry.modified_at = _utc(item.get("updated"), item.get("updated_parsed"))
        result.entries.append(entry)
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        message = _describe(parsed["bozo_exception"])
        only_labels = type(parsed["bozo_exception"]).__name__ in ("CharacterEncodingOverride", "NonXMLContentType")
        if len(result.entries) > found or (only_labels and not (parsed.entries or _ITEM_RE.search(body))):
            # read, or a feed without items whose only fault is its label: empty, not unreadable
            result.warnings.insert(0, message)
        else:
            result.errors.append(f"no feed item could be read ({message})")
    # RFC 5005 paged feeds
    for link in parsed.feed.get("links", []) if atom else []:
        if link.get("rel") == "next" and link.get("href"):
            joined = join_url(url, link["href"])
            if joined:
                result.follow.append(joined)
