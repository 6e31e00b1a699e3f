"""Articles: one row per (source, URL), a new version only when the normalised content changes.

Every capture that showed an article is a sighting (`article_sightings`); its versions are the runs
of equal content in capture-time order and its latest fields the newest sighting's, whatever order
the WARC files are loaded in (docs/design.md, "Order independence")."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from sqlalchemy import or_, select

import kronika.claims.store  # noqa: F401 (registers the listener that gives each new version its claims)
from kronika.normalise import content_hash
from kronika.normalise.versions import Sighting, notify, reconcile, run_starts
from kronika.spiders.parsers.article import parse_article
from kronika.spiders.parsers.records import ArticleRecord
from kronika.spiders.urls import article_identity, canonicalize_url
from kronika.storage.db.models import Article, ArticleSighting, ArticleVersion, Capture
from kronika.storage.db.upserts import insert_ignore
from kronika.storage.warc.cdxj import urlkey as surt_of
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
    """Record the capture as a sighting of its article and derive what it changes: a new version
    when its content differs from the version in force at its time (a capture older than the
    newest one loaded may also split a version in two). Returns the article when its latest
    fields, the newest sighting's, are now this record's (its `text` and `text_hash` changed or
    may have), else None."""
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
    at = capture.captured_at
    article = session.scalars(select(Article).where(Article.source == source,
                                                    Article.url == identity)).first()
    if article is None:
        # a new article is written whole by one INSERT (its latest fields are this version's)
        article = Article(source=source, url=identity, first_seen_at=at, last_seen_at=at, versions=1)
        _set_latest(article, record, text_hash, extra)
        session.add(article)
        session.flush()
        counts["new_articles"] += 1
        _add_sighting(session, article, capture, text_hash)
        version = _version_row(article, capture, record, text_hash, extra)
        session.add(version)
        session.flush()
        notify(session, ArticleVersion, [version], [])
        counts["new_article_versions"] += 1
        derive_gone(session, article, counts)  # a 404 loaded before the article was known
        return article
    if not _add_sighting(session, article, capture, text_hash):
        return None  # this capture was extracted before: the set of sightings is the same
    article.first_seen_at = min(article.first_seen_at, at)
    if at > article.last_seen_at:
        # newer than every sighting stored: versions only grow at their end
        article.last_seen_at = at
        if article.gone_at is not None:
            derive_gone(session, article, counts)
        if article.text_hash == text_hash:
            return None
        version = _version_row(article, capture, record, text_hash, extra)
        session.add(version)
        session.flush()
        notify(session, ArticleVersion, [version], [])
        _set_latest(article, record, text_hash, extra)
        article.versions += 1
        counts["new_article_versions"] += 1
        return article
    # older than the newest sighting (a file that arrived late, or loaded out of order): re-derive
    sightings = _sightings(session, article)

    def make_row(sighting: Sighting, by_hash: dict) -> ArticleVersion:
        if sighting.capture_id == capture.id:
            return _version_row(article, capture, record, text_hash, extra)
        like = by_hash[sighting.text_hash]  # a run split in two: its later part is the same content
        copied = {name: getattr(like, name) for name in VERSION_FIELDS}
        return ArticleVersion(article_id=article.id, capture_id=sighting.capture_id,
                              captured_at=sighting.captured_at, **copied)

    added, removed = reconcile(session, ArticleVersion, ArticleVersion.article_id, article.id,
                               run_starts(sightings), make_row)
    article.versions += added - removed
    counts["new_article_versions"] += added - removed
    if max(sightings, key=lambda s: s.order).capture_id == capture.id:  # the same instant, ordered after
        article.last_seen_at = at
        _set_latest(article, record, text_hash, extra)
        if article.gone_at is not None:
            derive_gone(session, article, counts)
        return article
    return None


def _add_sighting(session, article: Article, capture: Capture, text_hash: str) -> bool:
    return bool(insert_ignore(session, ArticleSighting, [dict(
        article_id=article.id, capture_id=capture.id, captured_at=capture.captured_at, text_hash=text_hash)],
        conflict=["article_id", "capture_id"]))


def _sightings(session, article: Article) -> list[Sighting]:
    return [Sighting(capture_id, at, record_id, text_hash) for capture_id, at, record_id, text_hash in session.execute(
        select(ArticleSighting.capture_id, ArticleSighting.captured_at, Capture.record_id, ArticleSighting.text_hash)
        .join(Capture, Capture.id == ArticleSighting.capture_id)
        .where(ArticleSighting.article_id == article.id))]


def _set_latest(article: Article, record: ArticleRecord, text_hash: str, extra: dict) -> None:
    article.title, article.authors, article.language = record.title, record.authors, record.language
    article.published_at, article.modified_at = record.published_at, record.modified_at
    article.text, article.text_hash = record.text or None, text_hash
    for name, value in extra.items():
        setattr(article, name, value)


# what a version row copies from another with the same hash when a late sighting splits a run
VERSION_FIELDS = ("title", "authors", "published_at", "modified_at", "language", "text", "text_hash",
                  "provenance", *EXTRA_FIELDS)


def _version_row(article: Article, capture: Capture, record: ArticleRecord, text_hash: str,
                 extra: dict) -> ArticleVersion:
    return ArticleVersion(
        article_id=article.id, capture_id=capture.id, title=record.title, authors=record.authors,
        published_at=record.published_at, modified_at=record.modified_at, language=record.language,
        text=record.text or None, text_hash=text_hash, captured_at=capture.captured_at,
        provenance=record.provenance, **extra)


# --- deletions -------------------------------------------------------------------------------

GONE_STATUSES = (404, 410)


def mark_article_gone(session, source: str, capture: Capture, counts: Counter) -> None:
    """A 404 or 410 for a known article marks it gone (from that capture's time); unknown URLs pass
    (the article's first sighting, if it is loaded later, looks for such captures itself)."""
    url = canonicalize_url(capture.url)
    article = session.scalars(select(Article).where(Article.source == source, Article.url == url)).first()
    if article is not None:
        derive_gone(session, article, counts, also=capture)


def derive_gone(session, article: Article, counts: Counter, also: Capture | None = None) -> None:
    """gone_at is the first 404/410 capture of the article's URL after its newest sighting (none:
    it is there): a function of the captures, whatever order they were loaded in."""
    answers = list(session.scalars(select(Capture).where(
        or_(Capture.surt == surt_of(article.url), Capture.url == article.url), Capture.role == "article",
        Capture.status.in_(GONE_STATUSES), Capture.captured_at > article.last_seen_at)))
    if also is not None and also.captured_at > article.last_seen_at:
        answers.append(also)
    answers = [c for c in answers if canonicalize_url(c.url) == article.url]
    first = min(answers, key=lambda c: (c.captured_at, c.record_id), default=None)
    if first is None:
        article.gone_at, article.gone_status = None, None
        return
    if article.gone_at is None:
        counts["articles_gone"] += 1
    article.gone_at, article.gone_status = first.captured_at, first.status
