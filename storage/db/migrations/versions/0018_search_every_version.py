"""Full-text search over every version, not only the latest: text removed in a rewrite stays findable.

SQLite: FTS5 external-content tables `article_versions_fts` (title, description, text) and
`telegram_post_versions_fts` (text) kept in step by triggers, filled from the rows already there.
PostgreSQL: GIN expression indexes over to_tsvector('simple', ...) of the same columns; the search
query repeats the expressions exactly (kronika.search.VERSION_VECTORS), which is what lets the
planner use them. No column is added, so nothing for consumers changes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a migration keeps its own frozen copy of its SQL (kronika.search holds the living one)
SQLITE_FTS = {"article_versions": ("title", "description", "text"), "telegram_post_versions": ("text",)}

POSTGRES_VECTORS = {
    "article_versions": "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
                        "setweight(to_tsvector('simple', coalesce(description, '')), 'B') || "
                        "setweight(to_tsvector('simple', coalesce(text, '')), 'C')",
    "telegram_post_versions": "to_tsvector('simple', coalesce(text, ''))",
}


def _sqlite_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    fts, cols = f"{table}_fts", ", ".join(columns)
    new, old = ", ".join(f"new.{c}" for c in columns), ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, columns in SQLITE_FTS.items():
            for statement in _sqlite_statements(table, columns):
                op.execute(statement)
    elif dialect == "postgresql":
        for table, vector in POSTGRES_VECTORS.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_search ON {table} USING gin (({vector}))")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in SQLITE_FTS:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    elif dialect == "postgresql":
        for table in POSTGRES_VECTORS:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
