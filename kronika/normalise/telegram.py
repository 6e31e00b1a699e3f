"""Telegram posts: one row per (channel, post id), versions when text or media change, views as a series."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from kronika.normalise import content_hash
from kronika.spiders.parsers.telegram import parse_channel_page
from kronika.storage.db.models import Capture, TelegramPost, TelegramPostVersion, TelegramPostView
from kronika.storage.db.upserts import insert_ignore
from kronika.storage.warc.reader import StoredResponse


def load_channel_page(session, source: str, capture: Capture, response: StoredResponse,
                       counts: Counter) -> None:
    page = parse_channel_page(response.body, capture.url)
    counts["telegram_warnings"] += len(page.warnings)
    if not page.posts:
        counts["telegram_empty_pages"] += 1
    for post in page.posts:
        media = [*post.photos, *post.videos, *post.documents]
        text_hash = content_hash({"text": post.text, "media": media, "link_preview": post.link_preview})
        row = session.scalars(select(TelegramPost).where(TelegramPost.channel == post.channel,
                                                         TelegramPost.post_id == post.post_id)).first()
        if row is None:
            row = TelegramPost(source=source, channel=post.channel, post_id=post.post_id, url=post.url,
                               posted_at=post.posted_at, first_seen_at=capture.captured_at,
                               last_seen_at=capture.captured_at, versions=0, media=[])
            session.add(row)
            session.flush()
            counts["new_posts"] += 1
        insert_ignore(session, TelegramPostView,
                      [{"post_id": row.id, "capture_id": capture.id,
                        "captured_at": capture.captured_at, "views": post.views}],
                      conflict=["post_id", "capture_id"])
        row.first_seen_at = min(row.first_seen_at, capture.captured_at)
        if capture.captured_at >= row.last_seen_at:
            row.last_seen_at = capture.captured_at
            row.views = post.views
        if row.text_hash == text_hash or session.scalar(
                select(TelegramPostVersion.id).where(TelegramPostVersion.post_id == row.id,
                                                     TelegramPostVersion.capture_id == capture.id)):
            continue
        session.add(TelegramPostVersion(post_id=row.id, capture_id=capture.id, text=post.text,
                                        html=post.html, text_hash=text_hash, views=post.views,
                                        edited=post.edited, media=media, captured_at=capture.captured_at))
        row.text, row.html, row.text_hash, row.edited = post.text, post.html, text_hash, post.edited
        row.is_service, row.author_signature = post.is_service, post.author_signature
        row.forwarded_from_name, row.forwarded_from_url = post.forwarded_from_name, post.forwarded_from_url
        row.reply_to_post_id, row.media, row.link_preview = post.reply_to_post_id, media, post.link_preview
        row.versions += 1
        counts["new_post_versions"] += 1
