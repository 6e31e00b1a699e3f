"""Idempotent writes with the dialect's own ON CONFLICT (SQLite and PostgreSQL)."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, model):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"no ON CONFLICT support for {dialect}")


def insert_ignore(session: Session, model, rows: Iterable[dict[str, Any]], conflict: list[str]) -> int:
    """Insert rows, skipping those whose `conflict` columns already exist; return how many went in."""
    rows = list(rows)
    if not rows:
        return 0
    statement = _insert(session, model).values(rows).on_conflict_do_nothing(index_elements=conflict)
    return session.execute(statement).rowcount or 0


def upsert(session: Session, model, row: dict[str, Any], conflict: list[str], update: list[str]) -> None:
    """Insert a row, or update the `update` columns of the one already there."""
    statement = _insert(session, model).values(row)
    statement = statement.on_conflict_do_update(
        index_elements=conflict, set_={name: statement.excluded[name] for name in update})
    session.execute(statement)


def upsert_many(session: Session, model, rows: list[dict[str, Any]], conflict: list[str], update: list[str]) -> None:
    """`upsert` for several rows in one statement (rows with distinct `conflict` values)."""
    if not rows:
        return
    statement = _insert(session, model).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=conflict, set_={name: statement.excluded[name] for name in update})
    session.execute(statement)
