"""Claims as rows: extracted when a version is stored, re-derived by the backfill (docs/claims.md).

The `claims` table is derived data like every other table: a version's claims are written in the
same transaction as the version, from its text alone (by a listener of kronika/normalise/versions.py,
which adds and removes every version row, so claims follow a version a late file moves), so
`kronika extract --all` rebuilds the same rows, and deleting a version deletes its claims (ON DELETE CASCADE on both version columns).

Only new versions are read (a version is stored only when its content changed), and
`extract_claims` rejects most texts with two cheap regex scans, so claims cost extract little
(docs/performance.md). `KRONIKA_CLAIMS=0` turns extraction off (the benchmark's baseline; the
backfill fills the gap later).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import delete, exists, func, insert, null, select
from sqlalchemy.orm import Session

from kronika.claims.denials import extract_denials
from kronika.claims.extract import extract_claims
from kronika.normalise.versions import on_versions_changed
from kronika.storage.db.models import Article, ArticleVersion, StoredClaim, TelegramPost, TelegramPostVersion

LANGUAGES = ("en", "uk", "ru")
DENIED = "denied"  # the qualifier of a denial: a statement without a figure


def claims_enabled() -> bool:
    """False when KRONIKA_CLAIMS is 0/false/no/off: versions are then stored without claims."""
    return os.environ.get("KRONIKA_CLAIMS", "1").strip().lower() not in ("0", "false", "no", "off")


def language_hint(language: str | None) -> str | None:
    """A version's `language` ('en', 'uk-UA', 'ru') as the extractor's lang, or None to let it guess."""
    code = (language or "").strip().lower()[:2]
    return code if code in LANGUAGES else None


def statements(text: str | None, lang: str | None = None) -> list[dict]:
    """The claims (figures) and denials (statements without a figure, qualifier 'denied') in text,
    as column values of `claims` rows, in the order they appear."""
    if not text:
        return []
    found = [{"category": c.category, "count": c.count, "count_high": c.count_high, "qualifier": c.qualifier,
              "speaker": c.speaker, "subset": c.subset, "sentence": c.sentence, "span_start": c.start,
              "span_end": c.end, "lang": c.lang}
             for c in extract_claims(text, lang)]
    found += [{"category": d.category, "count": None, "count_high": None, "qualifier": DENIED,
               "speaker": d.speaker, "subset": False, "sentence": d.sentence, "span_start": d.start,
               "span_end": d.end, "lang": d.lang}
              for d in extract_denials(text, lang)]
    return sorted(found, key=lambda row: (row["span_start"], row["category"]))


def claim_rows(found: Iterable[dict], *, source: str, capture_id: int, captured_at: datetime,
               article_version_id: int | None = None, post_version_id: int | None = None) -> list[dict]:
    """`statements` rows with the version they belong to."""
    return [{"article_version_id": article_version_id, "post_version_id": post_version_id,
             "capture_id": capture_id, "source": source, "captured_at": captured_at, **row}
            for row in found]


def insert_claims(session: Session, rows: list[dict]) -> int:
    """One executemany for a batch of rows (on the session's transaction)."""
    if rows:
        session.flush()  # the versions they point at
        session.connection().execute(insert(StoredClaim), rows)
    return len(rows)


def article_version_claims(session: Session, source: str, article_id: int, capture_id: int,
                           captured_at: datetime, text: str | None, language: str | None) -> int:
    """Store the claims of the article version just written for (article, capture); returns how many."""
    if not text or not claims_enabled():
        return 0
    claims = statements(text, language_hint(language))
    if not claims:  # most texts: no need to look the version's id up
        return 0
    version_id = session.scalar(select(ArticleVersion.id).where(ArticleVersion.article_id == article_id,
                                                                ArticleVersion.capture_id == capture_id))
    return insert_claims(session, claim_rows(claims, source=source, capture_id=capture_id,
                                             captured_at=captured_at, article_version_id=version_id))


def post_version_claims(session: Session, source: str, version: TelegramPostVersion) -> int:
    """Store the claims of a post version (an ORM object, flushed here for its id); returns how many."""
    if not version.text or not claims_enabled():
        return 0
    claims = statements(version.text)
    if not claims:
        return 0
    session.flush()
    return insert_claims(session, claim_rows(claims, source=source, capture_id=version.capture_id,
                                             captured_at=version.captured_at, post_version_id=version.id))


def remove_version_claims(session: Session, *, article_version_id: int | None = None,
                          post_version_id: int | None = None) -> None:
    """Delete one version's claims (the cascade does it too where foreign keys are enforced)."""
    if article_version_id is not None:
        session.execute(delete(StoredClaim).where(StoredClaim.article_version_id == article_version_id))
    if post_version_id is not None:
        session.execute(delete(StoredClaim).where(StoredClaim.post_version_id == post_version_id))


@on_versions_changed
def _claims_follow_versions(session: Session, model: type, added, removed) -> None:
    """Every version added gets its claims, every version removed loses them: a file that arrives
    late may move a version (kronika/normalise/versions.py), and the claims move with it."""
    for version in removed:
        if model is ArticleVersion:
            remove_version_claims(session, article_version_id=version.id)
        elif model is TelegramPostVersion:
            remove_version_claims(session, post_version_id=version.id)
    for version in added:
        if model is ArticleVersion:
            source = session.get(Article, version.article_id).source
            article_version_claims(session, source, version.article_id, version.capture_id, version.captured_at,
                                   version.text, version.language)
        elif model is TelegramPostVersion:
            post_version_claims(session, session.get(TelegramPost, version.post_id).source, version)


# ------------------------------------------------------------------------------ backfill
BACKFILL_BATCH = 500


def versions_without_claims(session: Session, redo: bool = False) -> tuple[int, int]:
    """(article versions, post versions) the backfill will read: those without claims, or all with redo."""
    article_q = select(func.count(ArticleVersion.id))
    post_q = select(func.count(TelegramPostVersion.id))
    if not redo:
        article_q = article_q.where(~exists().where(StoredClaim.article_version_id == ArticleVersion.id))
        post_q = post_q.where(~exists().where(StoredClaim.post_version_id == TelegramPostVersion.id))
    return session.scalar(article_q) or 0, session.scalar(post_q) or 0


def backfill(engine, redo: bool = False, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Extract the claims of every version that has none (with `redo`, of every version, after
    deleting all claims): for databases filled before claims existed, or after the extractor changed.

    A version whose text states no figure has no claims and is read again by the next backfill:
    cheap, because the extractor's pre-filter rejects such texts quickly. Batches of versions are
    committed as they go, so an interrupted backfill keeps what it did."""
    from kronika.storage.db.engine import unit_of_work

    counts = {"article_versions": 0, "post_versions": 0, "claims": 0}
    if redo:
        with unit_of_work(engine) as session:
            session.execute(delete(StoredClaim))
    kinds = (
        ("article_versions", ArticleVersion, Article, ArticleVersion.article_id, StoredClaim.article_version_id,
         "article_version_id"),
        ("post_versions", TelegramPostVersion, TelegramPost, TelegramPostVersion.post_id,
         StoredClaim.post_version_id, "post_version_id"),
    )
    for name, model, parent, parent_key, claim_column, version_column in kinds:
        last_id = 0
        while True:
            with unit_of_work(engine) as session:
                # posts carry no language: the extractor guesses it
                language = model.language if model is ArticleVersion else null()
                columns = [model.id, model.capture_id, model.captured_at, model.text, parent.source, language]
                batch = session.execute(
                    select(*columns).join(parent, parent_key == parent.id)
                    .where(model.id > last_id, ~exists().where(claim_column == model.id))
                    .order_by(model.id).limit(BACKFILL_BATCH)).all()
                if not batch:
                    break
                rows = []
                for version_id, capture_id, captured_at, text, source, language in batch:
                    found = statements(text, language_hint(language))
                    rows += claim_rows(found, source=source, capture_id=capture_id, captured_at=captured_at,
                                       **{version_column: version_id})
                insert_claims(session, rows)
                last_id = batch[-1][0]
                counts[name] += len(batch)
                counts["claims"] += len(rows)
            if progress:
                progress(len(batch))
    return counts
