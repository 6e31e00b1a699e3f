"""Extract articles and posts from WARC records into the database: one transaction per WARC file.

Rows are derived from the archive only: each capture's bytes are read back from its WARC record
(a revisit from the record it refers to) and run through the same parsers the spiders use. A new
version is stored only when the normalised content changes, so re-running is idempotent and
`extract --all` into an empty database rebuilds the same rows.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from kronika.settings import Environment
from kronika.spiders.parsers.article import parse_article
from kronika.spiders.parsers.telegram import parse_channel_page
from kronika.steps.index import index
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import (Article, ArticleVersion, Capture, TelegramPost,
                                       TelegramPostVersion, TelegramPostView, WarcFile)
from kronika.storage.db.upserts import insert_ignore
from kronika.storage.warc.reader import StoredResponse, read_response

logger = logging.getLogger(__name__)


@dataclass
class ExtractResult:
    files: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def content_hash(fields: dict) -> str:
    """sha256 over the normalised fields that make a version (never over views or fetch times)."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _PayloadReader:
    """Reads a capture's bytes; a revisit's come from the response record it refers to."""

    def __init__(self, session, archive_dir: Path):
        self.session = session
        self.archive_dir = archive_dir
        self._paths: dict[int, Path] = {}

    def _path(self, warc_file_id: int) -> Path:
        if warc_file_id not in self._paths:
            relative = self.session.get(WarcFile, warc_file_id).path
            self._paths[warc_file_id] = self.archive_dir / relative
        return self._paths[warc_file_id]

    def read(self, capture: Capture) -> StoredResponse | None:
        original = capture
        if capture.record_type == "revisit":
            original = self.session.scalars(
                select(Capture).where(Capture.url == (capture.refers_to_url or capture.url),
                                      Capture.payload_digest == capture.payload_digest,
                                      Capture.record_type == "response")
                .order_by(Capture.captured_at).limit(1)).first()
            if original is None:
                return None
        return read_response(self._path(original.warc_file_id), original.offset)


def _load_article(session, source: str, capture: Capture, response: StoredResponse,
                  counts: Counter) -> None:
    record = parse_article(response.body, capture.url, response.header("Content-Type"))
    if not record.text:
        # a paywall or a page without a body: flagged in the counts, not stored as empty text
        counts["articles_without_text"] += 1
        return
    fields = {"title": record.title, "authors": record.authors,
              "published_at": record.published_at.isoformat() if record.published_at else None,
              "modified_at": record.modified_at.isoformat() if record.modified_at else None,
              "language": record.language, "text": record.text}
    text_hash = content_hash(fields)
    article = session.scalars(select(Article).where(Article.source == source,
                                                    Article.url == capture.url)).first()
    if article is None:
        article = Article(source=source, url=capture.url, first_seen_at=capture.captured_at,
                          last_seen_at=capture.captured_at, authors=[], versions=0)
        session.add(article)
        session.flush()
        counts["new_articles"] += 1
    elif session.scalar(select(ArticleVersion.id).where(ArticleVersion.article_id == article.id,
                                                         ArticleVersion.capture_id == capture.id)):
        return  # this capture was extracted before
    article.first_seen_at = min(article.first_seen_at, capture.captured_at)
    article.last_seen_at = max(article.last_seen_at, capture.captured_at)
    if article.text_hash == text_hash:
        return
    session.add(ArticleVersion(article_id=article.id, capture_id=capture.id, title=record.title,
                               authors=record.authors, published_at=record.published_at,
                               modified_at=record.modified_at, language=record.language,
                               text=record.text, text_hash=text_hash, captured_at=capture.captured_at,
                               provenance=record.provenance))
    article.title, article.authors, article.language = record.title, record.authors, record.language
    article.published_at, article.modified_at = record.published_at, record.modified_at
    article.text, article.text_hash = record.text, text_hash
    article.versions += 1
    counts["new_article_versions"] += 1


def _load_channel_page(session, source: str, capture: Capture, response: StoredResponse,
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


LOADERS = {"article": _load_article, "channel": _load_channel_page}


def extract(env: Environment | None = None, all_files: bool = False, source: str | None = None,
            progress: Callable[[str], None] | None = None) -> ExtractResult:
    env = env or Environment.from_env()
    index(env, source)  # every closed file is indexed before it is extracted
    engine = open_database(env.database_url)
    result = ExtractResult()
    with unit_of_work(engine) as session:
        query = select(WarcFile.id).order_by(WarcFile.created_at, WarcFile.path)
        if not all_files:
            query = query.where(WarcFile.extracted_at.is_(None))
        if source:
            query = query.where(WarcFile.source == source)
        file_ids = list(session.scalars(query))
    for file_id in file_ids:
        # one transaction per WARC file: a crash leaves it wholly loaded or not at all
        with unit_of_work(engine) as session:
            warc_file = session.get(WarcFile, file_id)
            reader = _PayloadReader(session, env.archive_dir)
            captures = session.scalars(select(Capture).where(Capture.warc_file_id == file_id,
                                                             Capture.role.in_(LOADERS))
                                       .order_by(Capture.offset))
            for capture in captures:
                if capture.status != 200:
                    result.counts[f"skipped_status_{capture.status}"] += 1
                    continue
                try:
                    response = reader.read(capture)
                except ValueError as exc:
                    result.counts["unreadable_records"] += 1
                    logger.error("%s@%s (%s): %s", warc_file.path, capture.offset, capture.url, exc)
                    continue
                if response is None:
                    result.counts["revisits_without_original"] += 1
                    logger.warning("revisit of %s refers to a capture not in the index", capture.url)
                    continue
                LOADERS[capture.role](session, warc_file.source, capture, response, result.counts)
            warc_file.extracted_at = datetime.now(timezone.utc)
        result.files.append(warc_file.path)
        if progress:
            progress(warc_file.path)
    return result
