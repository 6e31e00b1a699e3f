"""Idempotent writes with the dialect's own ON CONFLICT (SQLite and PostgreSQL)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
    """Insert rows, skipping those whose `conflict` columns already exist; return how many went in.

    The values go as parameters, one row per execution, not into the statement: the statement is
    then the same every time and compiled once (compiling it per row was a third of extract's
    CPU), and each execution's rowcount says whether its row went in."""
    statement = _insert(session, model).on_conflict_do_nothing(index_elements=conflict)
    session.flush()  # as the ORM's autoflush would: the rows may refer to objects not yet written
    # on the session's connection (its transaction), as Core: the ORM's bulk path has no rowcount
    connection = session.connection()
    return sum(connection.execute(statement, row).rowcount or 0 for row in rows)


def upsert(session: Session, model, row: dict[str, Any], conflict: list[str], update: list[str]) -> None:
    """Insert a row, or update the `update` columns of the one already there."""
    upsert_many(session, model, [row], conflict, update)


def upsert_many(session: Session, model, rows: list[dict[str, Any]], conflict: list[str], update: list[str]) -> None:
    """Insert rows (with distinct `conflict` values), or update the `update` columns of those already there."""
    if not rows:
        return
    statement = _insert(session, model)
    statement = statement.on_conflict_do_update(
        index_elements=conflict, set_={name: statement.excluded[name] for name in update})
    session.flush()
    # the rows as parameters (executemany): the statement is compiled once, not once per call
    session.connection().execute(statement, rows)
