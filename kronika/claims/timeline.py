"""Reading claims back: a figure's timeline per source and category, and the figure changes.

`timeline` lists every stored claim (one entry per claim of each version) in capture order, each
with the article or post it came from; `changed` marks an entry whose version's figure for the
category differs from the figure of the version before (the rule of the view `v_claim_changes`).
`claim_changes` reads that view (the /changes page, its Atom feed, the demo). Read-only.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    StoredClaim,
    TelegramPost,
    TelegramPostVersion,
)
from kronika.storage.db.views import v_claim_changes

# the keys of one timeline entry, in the order `--json` prints them
ENTRY_KEYS = ("source", "url", "category", "value", "value_high", "qualifier", "speaker", "captured_at",
              "version_id", "item_kind", "item_id", "changed", "subset", "sentence", "claim_id", "capture_id")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def timeline_query(url: str | None = None, query: str | None = None, source: str | None = None,
                   since: datetime | None = None, category: str | None = None,
                   article_id: int | None = None, post_row_id: int | None = None):
    """Claims with their item's URL and id, oldest first; each filter narrows it."""
    item_url = func.coalesce(Article.url, TelegramPost.url)
    stmt = (select(StoredClaim, item_url.label("url"),
                   case((StoredClaim.article_version_id.is_not(None), "article"), else_="post").label("item_kind"),
                   func.coalesce(ArticleVersion.article_id, TelegramPostVersion.post_id).label("item_id"),
                   Article.title.label("title"))
            .outerjoin(ArticleVersion, ArticleVersion.id == StoredClaim.article_version_id)
            .outerjoin(Article, Article.id == ArticleVersion.article_id)
            .outerjoin(TelegramPostVersion, TelegramPostVersion.id == StoredClaim.post_version_id)
            .outerjoin(TelegramPost, TelegramPost.id == TelegramPostVersion.post_id))
    if article_id is not None:
        stmt = stmt.where(ArticleVersion.article_id == article_id)
    if post_row_id is not None:
        stmt = stmt.where(TelegramPostVersion.post_id == post_row_id)
    if url is not None:
        stmt = stmt.where(item_url == url)
    if query:
        pattern = _like(query.lower())
        stmt = stmt.where(or_(func.lower(StoredClaim.sentence).like(pattern, escape="\\"),
                              func.lower(item_url).like(pattern, escape="\\"),
                              func.lower(func.coalesce(Article.title, "")).like(pattern, escape="\\")))
    if source:
        stmt = stmt.where(StoredClaim.source == source)
    if since:
        stmt = stmt.where(StoredClaim.captured_at >= since)
    if category:
        stmt = stmt.where(StoredClaim.category == category)
    return stmt.order_by(StoredClaim.category, StoredClaim.source, item_url, StoredClaim.captured_at,
                         StoredClaim.span_start, StoredClaim.id)


def version_figures(claims: list[StoredClaim]) -> dict[tuple, int]:
    """(version key, category) -> the version's figure: its largest claim that is not a subset."""
    figures: dict[tuple, int] = {}
    for claim in claims:
        if claim.count is None or claim.subset:
            continue
        key = (claim.article_version_id, claim.post_version_id, claim.category)
        figures[key] = max(figures.get(key, claim.count), claim.count)
    return figures


def timeline(session: Session, **filters: Any) -> list[dict[str, Any]]:
    """Timeline entries (dicts with ENTRY_KEYS) by category, source and URL, each in capture order."""
    rows = session.execute(timeline_query(**filters)).all()
    figures = version_figures([row[0] for row in rows])
    # each version's figure against the one of the version before it (of the same item and category)
    versions = {((claim.article_version_id, claim.post_version_id, claim.category), (kind, item_id, claim.category)):
                claim.captured_at for claim, _url, kind, item_id, _title in rows}
    changed_versions: set[tuple] = set()
    figure_before: dict[tuple, int] = {}
    for key, item in sorted(versions, key=lambda k: (versions[k], str(k[0]))):
        if key not in figures:
            continue
        if item in figure_before and figure_before[item] != figures[key]:
            changed_versions.add(key)
        figure_before[item] = figures[key]
    entries = []
    for claim, url, kind, item_id, _title in rows:
        key = (claim.article_version_id, claim.post_version_id, claim.category)
        entries.append({
            "source": claim.source, "url": url, "category": claim.category, "value": claim.count,
            "value_high": claim.count_high, "qualifier": claim.qualifier, "speaker": claim.speaker,
            "captured_at": claim.captured_at,
            "version_id": claim.article_version_id if kind == "article" else claim.post_version_id,
            "item_kind": kind, "changed": key in changed_versions and figures.get(key) == claim.count and not claim.subset,
            "subset": claim.subset, "sentence": claim.sentence, "claim_id": claim.id,
            "capture_id": claim.capture_id, "item_id": item_id})
    return entries


def version_figures_over_time(entries: list[dict]) -> dict[str, dict[tuple[str, str], list[dict]]]:
    """category -> (source, url) -> one point per version that states a figure: its figure (the
    largest non-subset claim), capture time, whether it changed, and a claim entry of it; for plots."""
    by_version: dict[tuple, dict] = {}
    for entry in entries:
        if entry["value"] is None or entry["subset"]:
            continue
        key = (entry["category"], entry["source"], entry["url"], entry["item_kind"], entry["version_id"])
        if key not in by_version or entry["value"] > by_version[key]["value"]:
            by_version[key] = entry
    series: dict[str, dict[tuple[str, str], list[dict]]] = {}
    for (category, source, url, _kind, _version), entry in by_version.items():
        series.setdefault(category, {}).setdefault((source, url), []).append(entry)
    for lines in series.values():
        for points in lines.values():
            points.sort(key=lambda e: e["captured_at"])
    return series


def add_version_numbers(session: Session, entries: list[dict]) -> list[dict]:
    """Each entry's `version_number` (1 for the first version of its article or post), as the web
    view numbers versions, so that a link opens that version."""
    for kind, model, parent in (("article", ArticleVersion, ArticleVersion.article_id),
                                ("post", TelegramPostVersion, TelegramPostVersion.post_id)):
        items = {e["item_id"] for e in entries if e["item_kind"] == kind}
        if not items:
            continue
        number = func.row_number().over(partition_by=parent, order_by=(model.captured_at, model.id))
        numbers = dict(session.execute(select(model.id, number).where(parent.in_(items))).all())
        for entry in entries:
            if entry["item_kind"] == kind:
                entry["version_number"] = numbers.get(entry["version_id"])
    return entries


def claim_changes(session: Session, since: datetime | None = None, source: str | None = None,
                  until: datetime | None = None) -> list[dict[str, Any]]:
    """Rows of v_claim_changes (each a dict of its columns), newest first."""
    view = v_claim_changes
    stmt = select(view)
    if since:
        stmt = stmt.where(view.c.new_captured_at >= since)
    if until:
        stmt = stmt.where(view.c.new_captured_at < until)
    if source:
        stmt = stmt.where(view.c.source == source)
    stmt = stmt.order_by(view.c.new_captured_at.desc(), view.c.claim_id.desc())
    return [dict(row) for row in session.execute(stmt).mappings()]


def figure_text(value: int | None, high: int | None = None, qualifier: str | None = None) -> str:
    """'at least 21' (qualifier at_least), '5–7', '28'; a statement without a figure is its qualifier ('denied') or '—'."""
    if value is None:
        return qualifier or "—"
    figure = f"{value}–{high}" if high is not None else str(value)
    return figure if qualifier in (None, "exact") else f"{qualifier.replace('_', ' ')} {figure}"
