"""Loading many rows at once, in each database's own idiom: PostgreSQL's COPY FROM STDIN (psycopg 3),
elsewhere (SQLite) one prepared INSERT run over all the rows (executemany).

For the loaders (index's captures, and whatever a step writes by the thousand): the rows go in on
the caller's connection, so they share its transaction and a crash leaves them all or none.
Rows must be new (COPY has no ON CONFLICT); idempotent writes stay with storage/db/upserts.py.

    with unit_of_work(engine) as session:
        insert_rows(session, Capture, rows)
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def _table(model) -> Table:
    return model.__table__ if hasattr(model, "__table__") else model


def _connection(target: Session | Connection) -> Connection:
    if isinstance(target, Session):
        target.flush()  # rows may refer to objects the session has not written yet
        return target.connection()
    return target


def _complete(table: Table, rows: list[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns to write and every row with all of them: a column a row leaves out gets its
    Python-side default (as SQLAlchemy's INSERT would give it), else NULL."""
    defaults = {c.name: c.default for c in table.columns if c.default is not None and not c.primary_key}
    named = set().union(*(row.keys() for row in rows)) | set(defaults)
    columns = [c.name for c in table.columns if c.name in named]
    filled = []
    for row in rows:
        row = dict(row)
        for name in columns:
            if name not in row:
                default = defaults.get(name)
                row[name] = None if default is None else default.arg(None) if default.is_callable else default.arg
        filled.append(row)
    return columns, filled


def insert_rows(target: Session | Connection, model, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert `rows` (dicts by column name) into `model`'s table; returns how many.

    On PostgreSQL through COPY (one stream, no statement per row: ~5-10x executemany there); on
    SQLite through executemany (in-process, where that is already as fast as it gets)."""
    rows = list(rows)
    if not rows:
        return 0
    table = _table(model)
    columns, rows = _complete(table, rows)
    connection = _connection(target)
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _copy(connection, table, columns, rows)
    else:
        connection.execute(table.insert(), rows)
    return len(rows)


def _copy(connection: Connection, table: Table, columns: list[str], rows: list[dict[str, Any]]) -> None:
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    quoted = connection.dialect.identifier_preparer
    statement = (f"COPY {quoted.format_table(table)} ({', '.join(quoted.quote(name) for name in columns)}) "
                 "FROM STDIN")
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(tuple(json.dumps(row[name]) if name in as_json and row[name] is not None else row[name]
                                     for name in columns))
    finally:
        cursor.close()
