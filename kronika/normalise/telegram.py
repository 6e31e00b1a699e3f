"""Telegram posts from captured channel pages: versions, views, deletions, the channel header.

- One row per (channel, post id); a new `telegram_post_versions` row when the text, media, link
  preview or poll change, never when only the views do: views go to `telegram_post_views`, one
  point per capture that showed the post.
- Deletions are inferred, never seen: a stored post whose id lies between two ids present on a
  captured page, but is itself absent, was deleted (or hidden) by the time of that capture. Only
  posts seen before the capture count; ids never seen are gaps (never public), not deletions; ids
  outside the page's own range say nothing. A deleted post seen again is cleared, and that is
  recorded too (`telegram_post_events`).
- Every decision compares capture times, not processing order, so re-extracting every WARC file
  (`extract --all`) into a filled database changes nothing.
"""
from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from kronika.claims.store import post_version_claims
from kronika.normalise import content_hash
from kronika.spiders.parsers.records import TelegramPage
from kronika.spiders.parsers.records import TelegramPost as ParsedPost
from kronika.spiders.parsers.telegram import page_is_unreadable, parse_channel_page
from kronika.storage.db.models import (
    Capture,
    TelegramChannelSnapshot,
    TelegramPost,
    TelegramPostEvent,
    TelegramPostVersion,
    TelegramPostView,
)
from kronika.storage.db.upserts import insert_ignore
from kronika.storage.warc.reader import StoredResponse


def media_of(post: ParsedPost) -> list[str]:
    return [*post.photos, *post.videos, *post.documents]


def version_hash(post: ParsedPost) -> str:
    fields = {"text": post.text, "media": media_of(post), "link_preview": post.link_preview}
    # only when present, so the hashes of earlier versions stay the same
    for name in ("poll", "voice", "sticker", "location"):
        if getattr(post, name) is not None:
            fields[name] = getattr(post, name)
    return content_hash(fields)


def load_channel_page(session, source: str, capture: Capture, response: StoredResponse,
                      counts: Counter) -> None:
    page = parse_channel_page(response.body, capture.url)
    counts["telegram_warnings"] += len(page.warnings)
    if response.body.strip() and page_is_unreadable(page):
        counts["telegram_empty_pages"] += 1
    _snapshot_channel(session, source, capture, page)
    for post in page.posts:
        _load_post(session, source, capture, post, counts)
    _infer_deletions(session, capture, page, counts)


def _snapshot_channel(session, source: str, capture: Capture, page: TelegramPage) -> None:
    info = page.channel
    channel = page.posts[0].channel if page.posts else info.username
    if not channel or (info.title is None and info.subscribers is None):
        return
    insert_ignore(session, TelegramChannelSnapshot,
                  [{"source": source, "channel": channel, "capture_id": capture.id,
                    "captured_at": capture.captured_at, "title": info.title, "description": info.description,
                    "subscribers": info.subscribers, "subscribers_granularity": info.subscribers_granularity}],
                  conflict=["capture_id"])


def _event(session, row: TelegramPost, event: str, capture: Capture) -> None:
    insert_ignore(session, TelegramPostEvent,
                  [{"post_id": row.id, "event": event, "capture_id": capture.id, "captured_at": capture.captured_at}],
                  conflict=["post_id", "capture_id", "event"])


def _load_post(session, source: str, capture: Capture, post: ParsedPost, counts: Counter) -> None:
    at = capture.captured_at
    text_hash = version_hash(post)
    row = session.scalars(select(TelegramPost).where(TelegramPost.channel == post.channel,
                                                     TelegramPost.post_id == post.post_id)).first()
    if row is None:
        row = TelegramPost(source=source, channel=post.channel, post_id=post.post_id, url=post.url,
                           posted_at=post.posted_at, first_seen_at=at, last_seen_at=at, versions=0, media=[])
        session.add(row)
        session.flush()
        counts["new_posts"] += 1
    insert_ignore(session, TelegramPostView,
                  [{"post_id": row.id, "capture_id": capture.id, "captured_at": at, "views": post.views,
                    "views_granularity": post.views_granularity}],
                  conflict=["post_id", "capture_id"])

    if row.deleted_at is not None and at > row.deleted_at:
        row.deleted_at = row.deleted_capture_id = None
        _event(session, row, "reappeared", capture)
        counts["telegram_reappeared"] += 1

    # the version in force at this capture's time: a new one only when the content differs from it
    previous = session.scalars(select(TelegramPostVersion)
                               .where(TelegramPostVersion.post_id == row.id, TelegramPostVersion.captured_at <= at)
                               .order_by(TelegramPostVersion.captured_at.desc(), TelegramPostVersion.id.desc())
                               .limit(1)).first()
    if previous is None or (previous.text_hash != text_hash and previous.capture_id != capture.id):
        version = TelegramPostVersion(post_id=row.id, capture_id=capture.id, text=post.text, html=post.html,
                                      text_hash=text_hash, views=post.views, edited=post.edited,
                                      media=media_of(post), captured_at=at)
        session.add(version)
        post_version_claims(session, source, version)  # the figures it states, in the same transaction
        row.versions += 1
        counts["new_post_versions"] += 1

    row.first_seen_at = min(row.first_seen_at, at)
    if at >= row.last_seen_at or row.text_hash is None:  # the newest sighting gives the latest fields
        row.last_seen_at = max(row.last_seen_at, at)
        row.views, row.views_granularity = post.views, post.views_granularity
        row.text, row.html, row.text_hash, row.edited = post.text, post.html, text_hash, post.edited
        row.is_service, row.author_signature = post.is_service, post.author_signature
        row.forwarded_from_name, row.forwarded_from_url = post.forwarded_from_name, post.forwarded_from_url
        row.reply_to_post_id, row.media, row.link_preview = post.reply_to_post_id, media_of(post), post.link_preview
        row.voice, row.sticker, row.location = post.voice, post.sticker, post.location
        if post.posted_at is not None:
            row.posted_at = post.posted_at
    session.flush()


def _infer_deletions(session, capture: Capture, page: TelegramPage, counts: Counter) -> None:
    present = {post.post_id for post in page.posts}
    if len(present) < 2 or "q" in parse_qs(urlsplit(capture.url).query):
        return  # a search result page leaves out every post that does not match: absence proves nothing
    channel = page.posts[0].channel
    low, high = min(present), max(present)
    missing = session.scalars(select(TelegramPost).where(
        TelegramPost.channel == channel, TelegramPost.post_id > low, TelegramPost.post_id < high,
        TelegramPost.post_id.not_in(present)))
    for row in missing:
        # seen before this capture, and not already known to be gone: gone since
        if row.deleted_at is None and row.last_seen_at < capture.captured_at:
            row.deleted_at, row.deleted_capture_id = capture.captured_at, capture.id
            _event(session, row, "deleted", capture)
            counts["telegram_deleted"] += 1
