"""Articles: one row per (source, URL), a new version only when the normalised content changes."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from sqlalchemy import select

from kronika.claims.store import article_version_claims
from kronika.normalise import content_hash
from kronika.spiders.parsers.article import parse_article
from kronika.spiders.parsers.records import ArticleRecord
from kronika.spiders.urls import article_identity, canonicalize_url
from kronika.storage.db.models import Article, ArticleVersion, Capture
from kronika.storage.db.upserts import insert_ignore
from kronika.storage.warc.reader import StoredResponse


def parse_capture(response: StoredResponse, url: str, rules: Mapping[str, str] | None = None) -> ArticleRecord:
    """The extraction chain on a capture's bytes (also run in `extract --workers` processes)."""
    return parse_article(response.body, url, response.header("Content-Type"), rules)


def load_article(session, source: str, capture: Capture, response: StoredResponse,
                  counts: Counter, rules: Mapping[str, str] | None = None) -> Article | None:
    return store_article(session, source, capture, parse_capture(response, capture.url, rules), counts)


# the extraction fields a version carries besides title/authors/dates/language/text
EXTRA_FIELDS = ("section", "tags", "description", "canonical_url", "image_url", "paywalled",
                "published_at_raw", "modified_at_raw")


def store_article(session, source: str, capture: Capture, record: ArticleRecord, counts: Counter) -> Article | None:
    """Store the record as the article's new version when its content changed; returns the
    article when it did (its `text` and `text_hash` are then the record's), else None."""
    if not record.text and not record.paywalled:
        # a page without a body (not an article, or extraction failed): counted, not stored as empty text
        counts["articles_without_text"] += 1
        return None
    if record.paywalled:
        counts["articles_paywalled"] += 1  # stored, flagged: `text` is the free teaser (or NULL)
    extra = {name: getattr(record, name) for name in EXTRA_FIELDS}
    fields = {"title": record.title, "authors": record.authors,
              "published_at": record.published_at.isoformat() if record.published_at else None,
              "modified_at": record.modified_at.isoformat() if record.modified_at else None,
              "language": record.language, "text": record.text or None}
    # the raw date strings are how the dates were written, not content: no new version for them
    fields.update({k: v for k, v in extra.items() if not k.endswith("_raw")})
    text_hash = content_hash(fields)
    identity = article_identity(capture.url, record.canonical_url)
    article = session.scalars(select(Article).where(Article.source == source,
                                                    Article.url == identity)).first()
    if article is None:
        # a new article is written whole by one INSERT (its latest fields are this version's)
        article = Article(source=source, url=identity, first_seen_at=capture.captured_at,
                          last_seen_at=capture.captured_at, versions=1)
        _set_latest(article, record, text_hash, extra)
        session.add(article)
        session.flush()
        counts["new_articles"] += 1
        _insert_version(session, article, capture, record, text_hash, extra)
        counts["new_article_versions"] += 1
        return article
    if session.scalar(select(ArticleVersion.id).where(ArticleVersion.article_id == article.id,
                                                      ArticleVersion.capture_id == capture.id)):
        return None  # this capture was extracted before
    article.first_seen_at = min(article.first_seen_at, capture.captured_at)
    article.last_seen_at = max(article.last_seen_at, capture.captured_at)
    if article.gone_at is not None and capture.captured_at > article.gone_at:
        article.gone_at, article.gone_status = None, None  # it came back
    if article.text_hash == text_hash:
        return None
    if not _insert_version(session, article, capture, record, text_hash, extra):
        return None
    _set_latest(article, record, text_hash, extra)
    article.versions += 1
    counts["new_article_versions"] += 1
    return article


def _set_latest(article: Article, record: ArticleRecord, text_hash: str, extra: dict) -> None:
    article.title, article.authors, article.language = record.title, record.authors, record.language
    article.published_at, article.modified_at = record.published_at, record.modified_at
    article.text, article.text_hash = record.text or None, text_hash
    for name, value in extra.items():
        setattr(article, name, value)


def _insert_version(session, article: Article, capture: Capture, record: ArticleRecord, text_hash: str,
                    extra: dict) -> bool:
    # ON CONFLICT DO NOTHING: a second extract of the same file running at the same time (a task
    # retried while the first attempt still runs) skips the version instead of failing the file
    inserted = bool(insert_ignore(session, ArticleVersion, [dict(
        article_id=article.id, capture_id=capture.id, title=record.title, authors=record.authors,
        published_at=record.published_at, modified_at=record.modified_at, language=record.language,
        text=record.text or None, text_hash=text_hash, captured_at=capture.captured_at,
        provenance=record.provenance, **extra)], conflict=["article_id", "capture_id"]))
    if inserted:  # the figures the new version states (derived data, in the version's transaction)
        article_version_claims(session, article.source, article.id, capture.id, capture.captured_at,
                               record.text, record.language)
    return inserted


# --- deletions -------------------------------------------------------------------------------

GONE_STATUSES = (404, 410)


def mark_article_gone(session, source: str, capture: Capture, counts: Counter) -> None:
    """A 404 or 410 for a known article marks it gone (from that capture's time); unknown URLs pass."""
    url = canonicalize_url(capture.url)
    article = session.scalars(select(Article).where(Article.source == source, Article.url == url)).first()
    if article is None:
        return
    if article.last_seen_at > capture.captured_at:
        return  # an older 404, seen again later: the article is there
    if article.gone_at is None or capture.captured_at < article.gone_at:
        if article.gone_at is None:
            counts["articles_gone"] += 1
        article.gone_at, article.gone_status = capture.captured_at, capture.status
