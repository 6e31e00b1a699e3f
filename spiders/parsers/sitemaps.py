"""Sitemaps (urlset, sitemapindex, Google News sitemaps) read into entries and child sitemaps.

Read with lxml after lenient_xml's repairs (stray `&`, HTML entities, a lying encoding, junk before
the declaration, the DOCTYPE removed), strictly when the result is well-formed and with lxml's
recovering parser when not (a truncated sitemap gives the entries before the cut). Every repair is
a warning; an entry without a readable <loc> costs that entry only.
"""
from __future__ import annotations

import re

import lxml.etree

from kronika.spiders.parsers import lenient_xml
from kronika.spiders.parsers.dates import to_utc
from kronika.spiders.parsers.linktext import join_url, plain_title
from kronika.spiders.parsers.records import DiscoveryResult, FeedEntry


def _local(tag: object) -> str:
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _text(el: lxml.etree._Element | None, *names: str) -> str | None:
    """The words of the first child named one of `names` (namespace ignored)."""
    if el is None:
        return None
    for child in el:
        if _local(child.tag) in names:
            # XPath text() skips unexpanded entity references, which itertext() would show
            text = " ".join("".join(child.xpath(".//text()")).split())
            if text:
                return text
    return None


def _news(url_el: lxml.etree._Element) -> lxml.etree._Element | None:
    for child in url_el:
        if _local(child.tag) == "news":
            return child
    return None


_CLOSED_LOC_RE = re.compile(rb"</(?:[\w.-]+:)?loc\s*>")


def read_sitemap(body: bytes, url: str, result: DiscoveryResult) -> None:
    """`urlset` entries (with Google News title and publication date) or `sitemapindex` children."""
    body = lenient_xml.prepare(body, result.warnings)
    warned = len(result.warnings)
    root = lenient_xml.parse(body, result.warnings)
    if root is None:
        result.errors.append("unreadable sitemap: no XML could be recovered")
        return
    index = _local(root.tag) == "sitemapindex"
    items = [item for item in root if _local(item.tag) in ("url", "sitemap")]
    if len(result.warnings) > warned:
        # recovered from broken XML: a <loc> cut off mid-URL is recovered as the part before the cut,
        # a wrong address; only entries whose <loc> was closed in the bytes are kept
        closed = len(_CLOSED_LOC_RE.findall(body))
        if closed < len(items):
            result.warnings.append(f"{len(items) - closed} sitemap entries cut off by the end of the document")
            items = items[:closed]
    listed = len(items)
    for item in items:
        raw_loc = _text(item, "loc")
        loc = join_url(url, raw_loc) if raw_loc else None
        if loc is None:
            result.warnings.append(f"sitemap entry with an unreadable <loc> {(raw_loc or '')[:200]!r}"
                                   if raw_loc else "sitemap entry without a <loc>")
            continue
        if index:
            result.follow.append(loc)
            continue
        entry = FeedEntry(url=loc)
        lastmod = _text(item, "lastmod")
        entry.modified_at = to_utc(lastmod)
        news = _news(item)
        if news is not None:
            entry.title = plain_title(_text(news, "title"))
            published = _text(news, "publication_date")
            if published:
                entry.published_at = to_utc(published)
                entry.published_at_raw, entry.date_source = published, "news:publication_date"
        result.entries.append(entry)
    if not listed and result.warnings:
        result.errors.append("unreadable sitemap: no <url> or <sitemap> entry could be recovered")
