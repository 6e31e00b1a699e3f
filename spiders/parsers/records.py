"""Typed records that parsers return.

Parsers are pure functions from bytes (plus URL and headers) to these records. The live spider
and the offline `extract` step use the same parsers, so a record never knows where its bytes came
from; the caller attaches provenance (the WARC capture).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class FeedEntry:
    """One link found in a feed, sitemap or listing page, with the dates the list states for it.

    `published_at` is a publication date only (RSS pubDate / dc:date, Atom published, Google News
    publication_date); a last-modified date (sitemap lastmod, Atom updated) goes to `modified_at`.
    `published_at_raw` is the publication date string as the list wrote it, and `date_source`
    names the element it came from ("rss:pubDate", "news:publication_date", ...): date evidence
    for the article, independent of the page itself.
    """

    url: str
    title: str | None = None
    published_at: datetime | None = None  # timezone-aware UTC when known
    modified_at: datetime | None = None  # timezone-aware UTC when known
    published_at_raw: str | None = None
    date_source: str | None = None


@dataclass(slots=True)
class DiscoveryResult:
    """What a start URL (feed, sitemap, listing page) points to."""

    kind: str  # rss | atom | sitemap | sitemapindex | html | unknown
    entries: list[FeedEntry] = field(default_factory=list)  # article candidates
    follow: list[str] = field(default_factory=list)  # further discovery pages (sub-sitemaps, next listing pages)
    # the page could not be read (nothing, or not all that it holds, came out of it)
    errors: list[str] = field(default_factory=list)
    # the page was read leniently: malformed XML, a lying encoding, an item without a link
    warnings: list[str] = field(default_factory=list)
    offsite: int = 0  # entries and follow links dropped because they lead off the allowed domains


@dataclass(slots=True)
class ArticleRecord:
    """An article as extracted from one page."""

    url: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    text: str | None = None
    description: str | None = None  # the lead / standfirst as the page states it
    canonical_url: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    # the date strings as the page wrote them, before conversion to UTC
    published_at_raw: str | None = None
    modified_at_raw: str | None = None
    # the page shows a teaser behind a paywall: `text` is only what a visitor without access sees
    paywalled: bool = False
    # which strategy gave each field, e.g. {"title": "jsonld", "text": "trafilatura"}
    provenance: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class TelegramPost:
    """One message of a channel's web preview page."""

    channel: str
    post_id: int
    url: str
    posted_at: datetime | None = None
    text: str = ""
    html: str = ""
    views: int | None = None
    views_granularity: int | None = None  # 100 for "4.1K": the true value lies within ±granularity/2
    edited: bool = False
    author_signature: str | None = None
    forwarded_from_name: str | None = None
    forwarded_from_url: str | None = None
    reply_to_post_id: int | None = None
    photos: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    link_preview: dict[str, str] | None = None  # url, site, title, description
    hashtags: list[str] = field(default_factory=list)
    is_service: bool = False
    video_thumbnails: list[str] = field(default_factory=list)  # still images of the videos
    link_preview_image: str | None = None
    poll: dict[str, Any] | None = None  # question, type, options [{text, percent}]
    # a video inside a link preview belongs to the preview (its still goes to link_preview_image)
    link_preview_video: str | None = None
    voice: dict[str, Any] | None = None  # url, duration ("0:37")
    sticker: dict[str, Any] | None = None  # image, emoji
    location: dict[str, Any] | None = None  # url (the map link), latitude, longitude, image

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class TelegramChannelInfo:
    username: str | None = None
    title: str | None = None
    description: str | None = None
    subscribers: int | None = None
    subscribers_granularity: int | None = None


@dataclass(slots=True)
class TelegramPage:
    """A parsed `t.me/s/<channel>` page: posts oldest first, as on the page."""

    channel: TelegramChannelInfo
    posts: list[TelegramPost] = field(default_factory=list)
    before: int | None = None  # the `?before=` id of the next older page, if any
    warnings: list[str] = field(default_factory=list)
    # element children of the message history container (None: no container found). A page with
    # no posts is a truly empty channel only when this is 0; otherwise its markup was not understood.
    history_blocks: int | None = None
    # Telegram's "No posts found" placeholder: past a channel's first post, and what t.me/s serves a
    # client it throttles. Not a markup change.
    no_posts_found: bool = False
