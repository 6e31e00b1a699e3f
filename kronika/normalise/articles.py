"""Articles: one row per (source, URL), a new version only when the normalised content changes."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from kronika.normalise import content_hash
from kronika.spiders.parsers.article import parse_article
from kronika.storage.db.models import Article, ArticleVersion, Capture
from kronika.storage.warc.reader import StoredResponse


def load_article(session, source: str, capture: Capture, response: StoredResponse,
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
