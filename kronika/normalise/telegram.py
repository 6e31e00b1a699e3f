"""Telegram posts from captured channel pages: versions, views, deletions, the channel header.

- One row per (channel, post id); a new `telegram_post_versions` row when the text, media, link
  preview or poll change, never when only the views do: views go to `telegram_post_views`, one
  point per capture that showed the post.
- Deletions are inferred, never seen: a stored post whose id lies between two ids present on a
  captured page, but is itself absent, was deleted (or hidden) by the time of that capture. Only
  posts seen before the capture count; ids never seen are gaps (never public), not deletions; ids
  outside the page's own range say nothing. A deleted post seen again is cleared, and that is
  recorded too (`telegram_post_events`).
- Everything is a function of the set of captures, not of the order files are loaded in
  (docs/design.md, "Order independence"): each view row is also the post's sighting (with its
  version hash) and each page's id range is kept (`telegram_page_ranges`). A page newer than every
  page of its channel loaded before appends, cheaply; an older one (a file arriving late)
  re-derives the versions and events of the posts it shows or lacks from all their sightings.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import delete, func, select

import kronika.claims.store  # noqa: F401 (registers the listener that gives each new version its claims)
from kronika.normalise import content_hash
from kronika.normalise.versions import Sighting, notify, reconcile, run_starts
from kronika.spiders.parsers.records import TelegramPage
from kronika.spiders.parsers.records import TelegramPost as ParsedPost
from kronika.spiders.parsers.telegram import page_is_unreadable, parse_channel_page
from kronika.storage.db.models import (
    Capture,
    TelegramChannelSnapshot,
    TelegramPageRange,
    TelegramPost,
    TelegramPostEvent,
    TelegramPostVersion,
    TelegramPostView,
)
from kronika.storage.db.upserts import insert_ignore, upsert
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
    channel = page.posts[0].channel if page.posts else page.channel.username
    if channel is None:
        return
    in_order = _record_range(session, capture, page, channel)
    rows = [_load_post(session, source, capture, post, counts, in_order) for post in page.posts]
    if in_order:
        _infer_deletions(session, capture, page, counts)
        return
    # an older capture than one already loaded: re-derive what it can change, from every sighting
    affected = {row.id: row for row in rows}
    affected.update((row.id, row) for row in _missing_from(session, capture, page))
    for row in affected.values():
        derive_events(session, row, counts)
    session.flush()


def _coverage(capture: Capture, page: TelegramPage) -> tuple[int | None, int | None]:
    """The id range inside which a post missing from the page is missing from the channel."""
    present = {post.post_id for post in page.posts}
    if len(present) < 2 or "q" in parse_qs(urlsplit(capture.url).query):
        return None, None  # a search result page leaves out every post that does not match: absence proves nothing
    return min(present), max(present)


def _record_range(session, capture: Capture, page: TelegramPage, channel: str) -> bool:
    """Record the page's id range; True when it is newer than every page of the channel loaded
    before, so that appending to what is stored gives what a full re-derivation would."""
    newest = session.scalar(select(func.max(TelegramPageRange.captured_at)).where(
        TelegramPageRange.channel == channel, TelegramPageRange.capture_id != capture.id))
    low, high = _coverage(capture, page)
    insert_ignore(session, TelegramPageRange,
                  [{"capture_id": capture.id, "channel": channel, "captured_at": capture.captured_at,
                    "low_post_id": low, "high_post_id": high}], conflict=["capture_id"])
    return newest is None or capture.captured_at > newest


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


def _load_post(session, source: str, capture: Capture, post: ParsedPost, counts: Counter,
               in_order: bool) -> TelegramPost:
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
    # the view point is also the post's sighting (its hash): versions are derived from these
    upsert(session, TelegramPostView,
           {"post_id": row.id, "capture_id": capture.id, "captured_at": at, "views": post.views,
            "views_granularity": post.views_granularity, "text_hash": text_hash},
           conflict=["post_id", "capture_id"], update=["text_hash"])

    if in_order:
        # newer than every sighting stored: the derived rows only grow at their end
        if row.deleted_at is not None and at > row.deleted_at:
            row.deleted_at = row.deleted_capture_id = None
            _event(session, row, "reappeared", capture)
            counts["telegram_reappeared"] += 1
        if row.versions == 0 or row.text_hash != text_hash:
            version = _version_row(row, capture, post, text_hash)
            session.add(version)
            session.flush()
            notify(session, TelegramPostVersion, [version], [])
            row.versions += 1
            counts["new_post_versions"] += 1
        newest = at >= row.last_seen_at or row.text_hash is None
    else:
        sightings = _sightings(session, row)
        views = {s.capture_id: s_views for s, s_views in sightings}
        plain = [s for s, _ in sightings]

        def make_row(sighting: Sighting, by_hash: dict) -> TelegramPostVersion:
            if sighting.capture_id == capture.id:
                return _version_row(row, capture, post, text_hash)
            like = by_hash[sighting.text_hash]  # a run split in two: its later part is the same content
            return TelegramPostVersion(post_id=row.id, capture_id=sighting.capture_id, text=like.text, html=like.html,
                                       text_hash=like.text_hash, views=views[sighting.capture_id],
                                       edited=like.edited, media=like.media, captured_at=sighting.captured_at)

        added, removed = reconcile(session, TelegramPostVersion, TelegramPostVersion.post_id, row.id,
                                   run_starts(plain), make_row)
        row.versions += added - removed
        counts["new_post_versions"] += added - removed
        newest = max(plain, key=lambda s: s.order).capture_id == capture.id

    row.first_seen_at = min(row.first_seen_at, at)
    if newest:  # the newest sighting gives the latest fields
        row.last_seen_at = max(row.last_seen_at, at)
        row.views, row.views_granularity = post.views, post.views_granularity
        row.text, row.html, row.text_hash, row.edited = post.text, post.html, text_hash, post.edited
        row.is_service, row.author_signature = post.is_service, post.author_signature
        row.forwarded_from_name, row.forwarded_from_url = post.forwarded_from_name, post.forwarded_from_url
        row.reply_to_post_id, row.media, row.link_preview = post.reply_to_post_id, media_of(post), post.link_preview
        row.voice, row.sticker, row.location = post.voice, post.sticker, post.location
    if post.posted_at is not None and (newest or row.posted_at is None):
        row.posted_at = post.posted_at
    session.flush()
    return row


def _version_row(row: TelegramPost, capture: Capture, post: ParsedPost, text_hash: str) -> TelegramPostVersion:
    return TelegramPostVersion(post_id=row.id, capture_id=capture.id, text=post.text, html=post.html,
                               text_hash=text_hash, views=post.views, edited=post.edited,
                               media=media_of(post), captured_at=capture.captured_at)


def _sightings(session, row: TelegramPost) -> list[tuple[Sighting, int | None]]:
    """Every capture that showed the post (with its view count); rows from before migration 0019
    have no hash until their file is read again, and are left out."""
    result = session.execute(
        select(TelegramPostView.capture_id, TelegramPostView.captured_at, Capture.record_id,
               TelegramPostView.text_hash, TelegramPostView.views)
        .join(Capture, Capture.id == TelegramPostView.capture_id)
        .where(TelegramPostView.post_id == row.id, TelegramPostView.text_hash.is_not(None)))
    return [(Sighting(capture_id, at, record_id, text_hash), views)
            for capture_id, at, record_id, text_hash, views in result]


def _missing_from(session, capture: Capture, page: TelegramPage) -> list[TelegramPost]:
    """Stored posts inside the page's range that the page does not show."""
    low, high = _coverage(capture, page)
    if low is None:
        return []
    present = {post.post_id for post in page.posts}
    return [row for row in session.scalars(select(TelegramPost).where(
        TelegramPost.channel == page.posts[0].channel, TelegramPost.post_id > low, TelegramPost.post_id < high))
        if row.post_id not in present]


def derive_events(session, row: TelegramPost, counts: Counter) -> None:
    """A post's deletions and reappearances from all its sightings and every page that covered
    it, walked in capture order: a page that covers the post but lacks it deletes a post that was
    seen (gaps, ids never seen, are not deletions); a sighting after a deletion is a reappearance.
    At the same instant a sighting goes first, as appending does (a deletion needs a capture later
    than the last sighting)."""
    seen = {s.capture_id: s for s, _ in _sightings(session, row)}
    covering = session.execute(
        select(TelegramPageRange.capture_id, TelegramPageRange.captured_at, Capture.record_id)
        .join(Capture, Capture.id == TelegramPageRange.capture_id)
        .where(TelegramPageRange.channel == row.channel, TelegramPageRange.low_post_id < row.post_id,
               TelegramPageRange.high_post_id > row.post_id))
    timeline = [(s.captured_at, 0, s.record_id, s.capture_id) for s in seen.values()]
    timeline += [(at, 1, record_id, capture_id) for capture_id, at, record_id in covering if capture_id not in seen]
    events: list[tuple[str, int, datetime]] = []
    state = "unseen"
    for at, is_miss, _, capture_id in sorted(timeline):
        if not is_miss:
            if state == "deleted":
                events.append(("reappeared", capture_id, at))
            state = "present"
        elif state == "present":
            events.append(("deleted", capture_id, at))
            state = "deleted"
    wanted = {(event, capture_id): at for event, capture_id, at in events}
    existing = {(e.event, e.capture_id): e for e in session.scalars(
        select(TelegramPostEvent).where(TelegramPostEvent.post_id == row.id))}
    stale = [e.id for key, e in existing.items() if key not in wanted]
    if stale:
        session.execute(delete(TelegramPostEvent).where(TelegramPostEvent.id.in_(stale)))
    for (event, capture_id), at in wanted.items():
        if (event, capture_id) not in existing:
            session.add(TelegramPostEvent(post_id=row.id, event=event, capture_id=capture_id, captured_at=at))
            counts["telegram_deleted" if event == "deleted" else "telegram_reappeared"] += 1
    if state == "deleted":
        row.deleted_capture_id, row.deleted_at = events[-1][1], events[-1][2]
    else:
        row.deleted_capture_id = row.deleted_at = None


def _infer_deletions(session, capture: Capture, page: TelegramPage, counts: Counter) -> None:
    """The appending form of `derive_events` for a page newer than everything loaded."""
    for row in _missing_from(session, capture, page):
        # seen before this capture, and not already known to be gone: gone since
        if row.deleted_at is None and row.last_seen_at < capture.captured_at:
            row.deleted_at, row.deleted_capture_id = capture.captured_at, capture.id
            _event(session, row, "deleted", capture)
            counts["telegram_deleted"] += 1
