"""Connecting to the database and keeping its schema current.

SQLite by default (WAL mode, a busy timeout, foreign keys on), PostgreSQL in production; the
schema is Alembic's, applied automatically to a new or older database on first connection.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# taken by whoever migrates a PostgreSQL database: workers starting together migrate one at a time
# (the others then find the schema current); any constant of our own, "kronika" in ASCII
MIGRATION_LOCK_KEY = 0x6B726F6E696B61


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (status, web view) run while a crawl's extract writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates '%': escape it (URL-encoded passwords and options carry it)
    config.set_main_option("sqlalchemy.url",
                           engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Apply migrations up to `revision` (idempotent); "heads" follows every branch."""
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # held to this transaction's end; a second worker waits here, then alembic finds nothing to do
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (empty for a new database), read from alembic's own table
    without importing alembic (a second of start-up on every command)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        return set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+)$", re.MULTILINE)


@cache
def _head_revisions() -> frozenset[str]:
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        if "revision" not in values:
            continue
        revisions.add(ast.literal_eval(values["revision"]))
        down = ast.literal_eval(values.get("down_revision", "None"))
        parents.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


def head_revisions() -> set[str]:
    """The newest revisions of the migrations shipped (those no other revision builds on), read from
    the migration files' `revision`/`down_revision` lines rather than by loading them all through
    alembic; tests/unit/test_migration_chain.py checks it agrees with alembic."""
    return set(_head_revisions())


def open_database(url: str) -> Engine:
    """An engine whose schema is at head: new databases are created, old ones upgraded."""
    engine = make_engine(url)
    # a cheap check (one query, no alembic import): most commands find the schema current
    if current_revisions(engine) != head_revisions():
        upgrade(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One session, one transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()
