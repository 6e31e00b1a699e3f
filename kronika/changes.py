"""Recent changes across every source, newest first: the web view's /changes page and its Atom feeds.

One finder per kind of event, each `(session, since, until, source, limit) -> list[Change]`:
article edits and post edits (a version with an earlier version of the same article or post),
post deletions (a channel page that should have shown the post and did not), articles gone (a
recapture answered 404 or 410), and figure changes (a casualty figure revised between versions:
the claims of kronika.claims, through the view v_claim_changes). `recent_changes` merges them.

Everything is derived from version rows and their capture times, never from insertion order or row
ids, so a change keeps its time, its place in the list and its stable key however the WARC files
were loaded. The key (kind, source, URL, time) makes the Atom entry id: the same change has the
same id after `kronika extract --all` into a new database.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from kronika import browse
from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    TelegramPost,
    TelegramPostEvent,
    TelegramPostVersion,
)

ARTICLE_EDITED, POST_EDITED = "article edited", "post edited"
POST_DELETED, ARTICLE_GONE, FIGURE_CHANGED = "post deleted", "article gone", "figure changed"
KINDS = (ARTICLE_EDITED, POST_EDITED, POST_DELETED, ARTICLE_GONE, FIGURE_CHANGED)
_ID_NAMESPACE = uuid.UUID("6f1c2b0e-8d3a-5c57-9a0e-6b72cf1e4d10")  # Kronika's own: entry ids are uuid5 in it
CONTEXT_WORDS = 8  # words of unchanged text kept either side of a change in an excerpt


@dataclass
class Change:
    kind: str  # one of KINDS
    source: str
    url: str  # the article's or post's own URL
    at: datetime  # when Kronika saw it: the capture time of the new version, or of the capture that showed it gone
    title: str  # what it is about: the article's (new) title, or @channel/id and the post's first words
    summary: str  # one line of plain text: what changed
    link: str  # the web view's page for it, the diff where there is one (a path: /articles/12?a=1&b=2)
    old_at: datetime | None = None  # the capture time of the version before, for edits
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)  # (name, old, new) of changed fields
    excerpt: list[tuple[str, str]] = field(default_factory=list)  # the text diff around each change: (op, text)

    @property
    def key(self) -> str:
        key = f"{self.kind}|{self.source}|{self.url}|{self.at.isoformat()}"
        # one version may change several figures: each category is a change of its own
        return f"{key}|{self.fields[0][0]}" if self.kind == FIGURE_CHANGED and self.fields else key

    @property
    def entry_id(self) -> str:
        """A stable IRI for the change (the Atom entry id): the same change always gets the same one."""
        return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, self.key)}"


Finder = Callable[[Session, "datetime | None", "datetime | None", "str | None", int], list[Change]]


def recent_changes(session: Session, since: datetime | None = None, until: datetime | None = None,
                   source: str | None = None, limit: int = 100) -> list[Change]:
    """Every kind of change at or after `since` and before `until`, newest first, at most `limit`."""
    changes = [change for finder in FINDERS for change in finder(session, since, until, source, limit)]
    changes.sort(key=lambda c: (c.at, c.key), reverse=True)
    return changes[:limit]


# ------------------------------------------------------------------------------------ text
def excerpt(runs: Iterable[tuple[str, str]], context: int = CONTEXT_WORDS, max_chars: int = 1500) -> list[tuple[str, str]]:
    """A word diff's runs with unchanged text cut to `context` words either side of each change."""
    runs = list(runs)
    if all(op == "=" for op, _ in runs):
        return []
    out: list[tuple[str, str]] = []
    for i, (op, text) in enumerate(runs):
        if op != "=":
            out.append((op, text))
            continue
        after_change, before_change = i > 0, i + 1 < len(runs)
        words = text.split()
        if len(words) <= (after_change + before_change) * context:
            out.append(("=", text))
            continue
        parts = ([" ".join(words[:context])] if after_change else []) + ["…"]
        parts += [" ".join(words[-context:])] if before_change else []
        edge = " " if text[:1].isspace() else "", " " if text[-1:].isspace() else ""
        out.append(("=", edge[0] + " ".join(parts) + edge[1]))
    kept, total = [], 0
    for op, text in out:
        if total + len(text) > max_chars:
            kept.append((op, text[: max(0, max_chars - total)] + " …"))
            break
        kept.append((op, text))
        total += len(text)
    return kept


def _words_summary(version: dict) -> str:
    changed = ", ".join(version["changed"]) or "nothing visible"
    return f"{changed} changed; +{version['words_added']} −{version['words_removed']} words"


def _snippet(text: str | None, length: int = 80) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def _window(column, since: datetime | None, until: datetime | None) -> list:
    return [c for c in (column >= since if since else None, column < until if until else None) if c is not None]


# ------------------------------------------------------------------------------------ finders
def _edits(session: Session, version_model, parent_model, parent_key, since, until, source, limit):
    """(version row, parent row) of versions that have an earlier version of the same parent, newest first."""
    earlier = aliased(version_model)
    has_earlier = (select(func.count()).select_from(earlier)
                   .where(getattr(earlier, parent_key) == getattr(version_model, parent_key),
                          or_(earlier.captured_at < version_model.captured_at,
                              and_(earlier.captured_at == version_model.captured_at, earlier.id < version_model.id)))
                   .correlate(version_model).scalar_subquery())
    stmt = (select(version_model, parent_model).join(parent_model, getattr(version_model, parent_key) == parent_model.id)
            .where(has_earlier > 0, *_window(version_model.captured_at, since, until)))
    if source:
        stmt = stmt.where(parent_model.source == source)
    return session.execute(stmt.order_by(version_model.captured_at.desc(), version_model.id.desc()).limit(limit)).all()


def _field_changes(old: dict, new: dict, names: Iterable[str]) -> list[tuple[str, Any, Any]]:
    return [(name, old.get(name), new.get(name)) for name in names if name != "text" and old.get(name) != new.get(name)]


def article_edits(session: Session, since, until, source, limit) -> list[Change]:
    changes, numbered = [], {}
    for version, article in _edits(session, ArticleVersion, Article, "article_id", since, until, source, limit):
        if article.id not in numbered:  # the web view's own numbering, so the link opens the same pair
            numbered[article.id] = browse.article_versions(session, article.id)
        versions = numbered[article.id]
        new = next(v for v in versions if v["id"] == version.id)
        old = versions[new["version"] - 2]
        changes.append(Change(
            ARTICLE_EDITED, article.source, article.url, new["captured_at"], new["title"] or article.url,
            _words_summary(new), f"/articles/{article.id}?a={old['version']}&b={new['version']}",
            old_at=old["captured_at"], fields=_field_changes(old, new, browse.ARTICLE_FIELDS),
            excerpt=excerpt(browse.word_diff(old["text"], new["text"]))))
    return changes


def post_edits(session: Session, since, until, source, limit) -> list[Change]:
    changes, numbered = [], {}
    for version, post in _edits(session, TelegramPostVersion, TelegramPost, "post_id", since, until, source, limit):
        if post.id not in numbered:
            numbered[post.id] = browse.post_versions(session, post.id)
        versions = numbered[post.id]
        new = next(v for v in versions if v["id"] == version.id)
        old = versions[new["version"] - 2]
        changes.append(Change(
            POST_EDITED, post.source, post.url, new["captured_at"],
            f"@{post.channel}/{post.post_id}: {_snippet(new['text'])}", _words_summary(new),
            f"/posts/{post.id}#v{new['version']}", old_at=old["captured_at"],
            fields=_field_changes(old, new, browse.POST_FIELDS),
            excerpt=excerpt(browse.word_diff(old["text"], new["text"]))))
    return changes


def post_deletions(session: Session, since, until, source, limit) -> list[Change]:
    stmt = (select(TelegramPostEvent, TelegramPost).join(TelegramPost, TelegramPostEvent.post_id == TelegramPost.id)
            .where(TelegramPostEvent.event == "deleted", *_window(TelegramPostEvent.captured_at, since, until)))
    if source:
        stmt = stmt.where(TelegramPost.source == source)
    stmt = stmt.order_by(TelegramPostEvent.captured_at.desc(), TelegramPostEvent.id.desc()).limit(limit)
    return [Change(POST_DELETED, post.source, post.url, event.captured_at,
                   f"@{post.channel}/{post.post_id}: {_snippet(post.text)}",
                   "missing from a channel page that should have shown it; its last text is kept",
                   f"/posts/{post.id}", excerpt=[("-", post.text or "")])
            for event, post in session.execute(stmt)]


def articles_gone(session: Session, since, until, source, limit) -> list[Change]:
    stmt = select(Article).where(Article.gone_at.is_not(None), *_window(Article.gone_at, since, until))
    if source:
        stmt = stmt.where(Article.source == source)
    stmt = stmt.order_by(Article.gone_at.desc(), Article.id.desc()).limit(limit)
    return [Change(ARTICLE_GONE, article.source, article.url, article.gone_at, article.title or article.url,
                   f"a recapture answered HTTP {article.gone_status or '404/410'}; its last version is kept",
                   f"/articles/{article.id}")
            for article in session.scalars(stmt)]


def figure_changes(session: Session, since, until, source, limit) -> list[Change]:
    """Figure changes: a version of an article or post states another figure of a category than the
    version before it (the view v_claim_changes, read by kronika.claims.timeline.claim_changes)."""
    from kronika.claims.timeline import claim_changes, figure_text

    changes = []
    for row in claim_changes(session, since, source, until)[:limit]:
        category = row["category"]
        old = figure_text(row["old_value"], qualifier=row["old_qualifier"])
        new = figure_text(row["new_value"], qualifier=row["new_qualifier"])
        said = f" ({row['speaker']})" if row["speaker"] else ""
        changes.append(Change(
            FIGURE_CHANGED, row["source"], row["url"], row["new_captured_at"], f"{category}: {old} → {new}",
            f"{category} changed from {old} to {new}{said}",
            _version_link(session, row["url"], row["version_id"]), old_at=row["old_captured_at"],
            fields=[(category, row["old_value"], row["new_value"])]))
    return changes


def _version_link(session: Session, url: str, version_id: int | None) -> str:
    """The diff that shows a version beside the one before, found by the item's URL."""
    from kronika import lookup

    article = lookup.find_article(session, url)
    if article is not None:
        numbers = {v["id"]: v["version"] for v in browse.article_versions(session, article.id)}
        number = numbers.get(version_id)
        return f"/articles/{article.id}?a={number - 1}&b={number}" if number and number > 1 else f"/articles/{article.id}"
    post = lookup.find_post(session, url)
    if post is not None:
        numbers = {v["id"]: v["version"] for v in browse.post_versions(session, post.id)}
        return f"/posts/{post.id}#v{numbers[version_id]}" if version_id in numbers else f"/posts/{post.id}"
    return "/changes"


# the place a new kind of change is added: a finder with the signature above
FINDERS: tuple[Finder, ...] = (article_edits, post_edits, post_deletions, articles_gone, figure_changes)
