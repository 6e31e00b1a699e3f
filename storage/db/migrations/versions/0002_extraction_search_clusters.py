"""Extraction fields, full-text search, story clusters.

- articles and article_versions: section, tags, description (lead), canonical_url, image_url,
  paywalled, and the date strings as the page wrote them (published_at_raw, modified_at_raw).
- Full-text search over articles (title, description, text) and Telegram posts (text):
  SQLite: FTS5 external-content tables `articles_fts` and `telegram_posts_fts` kept in step by
  triggers. A batch migration that *recreates* `articles` or `telegram_posts` drops these
  triggers with the old table: kronika.search.ensure_search_index() puts them back and rebuilds.
  PostgreSQL: a generated `search_vector tsvector` column (config `simple`: no stemming, so
  Ukrainian and Russian words index as written, lower-cased) with a GIN index.
- story_clusters and story_cluster_articles: near-duplicate (syndicated) articles grouped.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _extraction_columns() -> list[sa.Column]:
    return [
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("paywalled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("published_at_raw", sa.Text(), nullable=True),
        sa.Column("modified_at_raw", sa.Text(), nullable=True),
    ]


# (table, FTS columns): kept in one place so the search module recreates exactly these
SQLITE_FTS = {"articles": ("title", "description", "text"), "telegram_posts": ("text",)}


def sqlite_fts_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    fts = f"{table}_fts"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    watched = ", ".join(columns)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {watched} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


POSTGRES_VECTORS = {
    "articles": "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
                "setweight(to_tsvector('simple', coalesce(description, '')), 'B') || "
                "setweight(to_tsvector('simple', coalesce(text, '')), 'C')",
    "telegram_posts": "to_tsvector('simple', coalesce(text, ''))",
}


def upgrade() -> None:
    # plain ADD COLUMN on every dialect: a batch "move and copy" of articles would fail on an old
    # SQLite database with data (article_versions' foreign keys point at it)
    for table in ("articles", "article_versions"):
        for column in _extraction_columns():
            op.add_column(table, column)

    op.create_table(
        "story_clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_clusters")),
        sa.UniqueConstraint("key", name=op.f("uq_story_clusters_key")),
    )
    op.create_table(
        "story_cluster_articles",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_story_cluster_articles_article_id_articles")),
        sa.ForeignKeyConstraint(["cluster_id"], ["story_clusters.id"], ondelete="CASCADE",
                                name=op.f("fk_story_cluster_articles_cluster_id_story_clusters")),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_story_cluster_articles")),
    )
    op.create_index(op.f("ix_story_cluster_articles_cluster_id"), "story_cluster_articles", ["cluster_id"])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, columns in SQLITE_FTS.items():
            for statement in sqlite_fts_statements(table, columns):
                op.execute(statement)
    elif dialect == "postgresql":
        for table, vector in POSTGRES_VECTORS.items():
            op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED")
            op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in SQLITE_FTS:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    elif dialect == "postgresql":
        for table in POSTGRES_VECTORS:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    op.drop_index(op.f("ix_story_cluster_articles_cluster_id"), table_name="story_cluster_articles")
    op.drop_table("story_cluster_articles")
    op.drop_table("story_clusters")
    for table in ("article_versions", "articles"):
        for column in reversed(_extraction_columns()):
            if dialect == "sqlite":
                # SQLite 3.35+ drops a column in place (no table copy, foreign keys untouched)
                op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
            else:
                op.drop_column(table, column.name)
