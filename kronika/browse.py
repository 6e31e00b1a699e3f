"""Read-only questions about the archive, shared by `kronika timeline`, `kronika plot` and the web view.

Everything here takes a session on a read-only engine (kronika.storage.db.readonly) and returns
plain dicts, so the terminal, JSON and HTML renderings all show the same facts.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from kronika import runs
from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    Capture,
    CrawlRun,
    TelegramPost,
    TelegramPostVersion,
    WarcFile,
)
from kronika.storage.warc.retrieve import first_response_like

ARTICLE_FIELDS = ("title", "authors", "published_at", "modified_at", "language", "text")
POST_FIELDS = ("text", "media")
_TOKENS = re.compile(r"\s+|[^\s]+")


# ------------------------------------------------------------------------------------ diffs
def word_opcodes(old: str | None, new: str | None) -> list[tuple[str, str, str]]:
    """difflib's opcodes over words, as (tag, old text, new text): the one word diff of Kronika.

    Words are compared with the whitespace between them, so the old texts joined give `old` back
    exactly and the new texts give `new`. `word_diff` (web view, timeline) and `kronika diff
    --json` are two renderings of these opcodes."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    return [(tag, "".join(a[i1:i2]), "".join(b[j1:j2]))
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()]


def word_diff(old: str | None, new: str | None) -> list[tuple[str, str]]:
    """The change from `old` to `new` as (op, text) runs: "=" kept, "-" removed, "+" added."""
    runs: list[tuple[str, str]] = []
    for tag, removed, added in word_opcodes(old, new):
        if tag == "equal":
            runs.append(("=", removed))
            continue
        if removed:
            runs.append(("-", removed))
        if added:
            runs.append(("+", added))
    return runs


def _words(text: str) -> int:
    return len(text.split())


def change_summary(previous: dict | None, current: dict, fields: Iterable[str]) -> dict[str, Any]:
    """Which fields changed since `previous`, and how many words of text came and went."""
    if previous is None:
        return {"changed": [], "words_added": _words(current.get("text") or ""), "words_removed": 0}
    runs = word_diff(previous.get("text"), current.get("text"))
    return {"changed": [f for f in fields if previous.get(f) != current.get(f)],
            "words_added": sum(_words(t) for op, t in runs if op == "+"),
            "words_removed": sum(_words(t) for op, t in runs if op == "-")}


# ------------------------------------------------------------------------------------ articles
def _article_version(version: ArticleVersion) -> dict[str, Any]:
    return {"id": version.id, "captured_at": version.captured_at, "capture_id": version.capture_id,
            "title": version.title, "authors": list(version.authors or []), "published_at": version.published_at,
            "modified_at": version.modified_at, "language": version.language, "text": version.text,
            "text_hash": version.text_hash}


def article_versions(session: Session, article_id: int) -> list[dict[str, Any]]:
    """Every version of an article, oldest first, numbered, each with what changed since the one before."""
    versions = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                               .order_by(ArticleVersion.captured_at, ArticleVersion.id))
    return _numbered([_article_version(v) for v in versions], ARTICLE_FIELDS)


def _numbered(rows: list[dict], fields: Iterable[str]) -> list[dict]:
    previous = None
    for number, row in enumerate(rows, 1):
        row["version"] = number
        row.update(change_summary(previous, row, fields))
        previous = row
    return rows


def article_dict(article: Article) -> dict[str, Any]:
    return {"id": article.id, "source": article.source, "url": article.url, "title": article.title,
            "authors": list(article.authors or []), "published_at": article.published_at,
            "first_seen_at": article.first_seen_at, "last_seen_at": article.last_seen_at,
            "versions": article.versions, "language": article.language,
            "gone_at": getattr(article, "gone_at", None)}


# ------------------------------------------------------------------------------------ posts
def post_dict(post: TelegramPost) -> dict[str, Any]:
    return {"id": post.id, "source": post.source, "channel": post.channel, "post_id": post.post_id,
            "url": post.url, "posted_at": post.posted_at, "text": post.text, "views": post.views,
            "edited": post.edited, "is_service": post.is_service, "versions": post.versions,
            "first_seen_at": post.first_seen_at, "last_seen_at": post.last_seen_at,
            "deleted_at": post.deleted_at, "media": list(post.media or [])}


def post_versions(session: Session, post_row_id: int) -> list[dict[str, Any]]:
    versions = session.scalars(select(TelegramPostVersion).where(TelegramPostVersion.post_id == post_row_id)
                               .order_by(TelegramPostVersion.captured_at, TelegramPostVersion.id))
    return _numbered([{"id": v.id, "captured_at": v.captured_at, "capture_id": v.capture_id, "text": v.text,
                       "views": v.views, "edited": v.edited, "media": list(v.media or []),
                       "text_hash": v.text_hash} for v in versions], POST_FIELDS)


# ------------------------------------------------------------------------------------ timelines
def _snippet(text: str | None, length: int = 100) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def article_events(session: Session, article: Article) -> list[dict[str, Any]]:
    events = []
    for version in article_versions(session, article.id):
        first = version["version"] == 1
        # like a post's, an article's first event is dated by its publication when it states one
        at = (version["published_at"] or version["captured_at"]) if first else version["captured_at"]
        event = ("published" if version["published_at"] else "first seen") if first else "changed"
        events.append({"at": at, "captured_at": version["captured_at"], "kind": "article", "event": event,
                       "source": article.source, "url": article.url, "title": version["title"],
                       "version": version["version"], "changed": version["changed"],
                       "words_added": version["words_added"], "words_removed": version["words_removed"],
                       "capture_id": version["capture_id"], "published_at": version["published_at"]})
    gone_at = getattr(article, "gone_at", None)
    if gone_at:
        events.append({"at": gone_at, "kind": "article", "event": "gone", "source": article.source,
                       "url": article.url, "title": article.title})
    return events


def post_events(session: Session, post: TelegramPost) -> list[dict[str, Any]]:
    events = []
    for version in post_versions(session, post.id):
        first = version["version"] == 1
        events.append({"at": (post.posted_at or version["captured_at"]) if first else version["captured_at"],
                       "captured_at": version["captured_at"], "kind": "post", "event": "posted" if first else "edited", "source": post.source,
                       "url": post.url, "title": _snippet(version["text"]), "version": version["version"],
                       "changed": version["changed"], "words_added": version["words_added"],
                       "words_removed": version["words_removed"], "capture_id": version["capture_id"]})
    if post.deleted_at:
        events.append({"at": post.deleted_at, "kind": "post", "event": "deleted", "source": post.source,
                       "url": post.url, "title": _snippet(post.text)})
    return events


def _by_time(events: list[dict]) -> list[dict]:
    return sorted(events, key=lambda e: (e["at"], e["url"], e.get("version") or 0))


def channel_timeline(session: Session, channel: str, since: datetime | None = None,
                     until: datetime | None = None) -> list[dict[str, Any]]:
    posts = session.scalars(select(TelegramPost).where(func.lower(TelegramPost.channel) == channel.lower())
                            .order_by(TelegramPost.post_id))
    events = [event for post in posts for event in post_events(session, post)]
    return _by_time([e for e in events if (since is None or e["at"] >= since) and (until is None or e["at"] < until)])


def query_timeline(session: Session, q: str, limit: int = 200) -> list[dict[str, Any]]:
    articles = session.scalars(search_articles_query(q).limit(limit))
    posts = session.scalars(search_posts_query(q).limit(limit))
    events = [e for a in articles for e in article_events(session, a)]
    events += [e for p in posts for e in post_events(session, p)]
    return _by_time(events)


# ------------------------------------------------------------------------------------ search
def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


WEB_SEARCH_LIMIT = 1000  # full-text hits one web search pages through (best first)


def search_items(session: Session, q: str, kind: str, source: str | None = None,
                 channel: str | None = None) -> list[tuple[Any, Any]]:
    """The web view's search: (Article or TelegramPost, its kronika.search.Hit or None), best first.

    The full-text search the CLI runs (every version: text a rewrite removed is found, and the hit
    says so), then the items whose URL contains `q` that the text did not find (a pasted link)."""
    from kronika.search import query_words, search

    hits = []
    if query_words(q):
        hits = search(session.get_bind(), q, source=source, channel=channel, kinds=(kind,), limit=WEB_SEARCH_LIMIT)
    model = Article if kind == "article" else TelegramPost
    found = [(session.get(model, hit.id), hit) for hit in hits]
    seen = {item.id for item, _ in found}
    by_url = select(model).where(model.url.ilike(_like(q), escape="\\"))
    if source:
        by_url = by_url.where(model.source == source)
    if channel and kind == "post":
        by_url = by_url.where(TelegramPost.channel == channel)
    found += [(item, None) for item in session.scalars(by_url.order_by(model.id.desc()).limit(WEB_SEARCH_LIMIT))
              if item.id not in seen]
    return found


def search_articles_query(q: str | None = None, source: str | None = None) -> Select:
    stmt = select(Article)
    if q:
        pattern = _like(q)
        stmt = stmt.where(or_(Article.title.ilike(pattern, escape="\\"), Article.url.ilike(pattern, escape="\\"),
                              Article.text.ilike(pattern, escape="\\")))
    if source:
        stmt = stmt.where(Article.source == source)
    return stmt.order_by(Article.published_at.desc().nulls_last(), Article.id.desc())


def search_posts_query(q: str | None = None, channel: str | None = None) -> Select:
    stmt = select(TelegramPost)
    if q:
        pattern = _like(q)
        stmt = stmt.where(or_(TelegramPost.text.ilike(pattern, escape="\\"),
                              TelegramPost.url.ilike(pattern, escape="\\")))
    if channel:
        stmt = stmt.where(TelegramPost.channel == channel)
    return stmt.order_by(TelegramPost.posted_at.desc().nulls_last(), TelegramPost.post_id.desc())


def page_of(session: Session, stmt: Select, page: int, per_page: int) -> tuple[list, int]:
    """One page of a query's rows, and how many rows the query has in all."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list(session.scalars(stmt.limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return rows, total


# ------------------------------------------------------------------------------------ runs and captures
def run_dict(run: CrawlRun, session: Session | None = None) -> dict[str, Any]:
    """A run as kronika.runs summarises it (with a session: new rows counted from the database)."""
    return runs.summarise(run, session).as_dict()


def runs_query(source: str | None = None) -> Select:
    stmt = select(CrawlRun).order_by(CrawlRun.started_at.desc())
    return stmt.where(CrawlRun.source == source) if source else stmt


def capture_location(session: Session, capture_id: int) -> tuple[Capture, str] | None:
    """A capture and its WARC file's path (relative to the archive directory)."""
    row = session.execute(select(Capture, WarcFile.path).join(WarcFile, Capture.warc_file_id == WarcFile.id)
                          .where(Capture.id == capture_id)).first()
    return (row[0], row[1]) if row else None


def payload_capture(session: Session, capture: Capture) -> Capture:
    """The capture whose record holds the bytes: a revisit's original response, else itself."""
    if capture.record_type != "revisit":
        return capture
    return first_response_like(session, capture) or capture
