"""Sightings, so that versions, deletions and reappearances are derived from capture times and not
from the order files are loaded in: article_sightings, telegram_page_ranges and
telegram_post_views.text_hash (docs/design.md, "Order independence").

Existing databases have no sightings for what they loaded, so this migration marks every WARC file
as not extracted: the next `kronika extract` re-reads the archive once and records them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", name="fk_article_sightings_article_id_articles"),
                  nullable=False),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("captures.id", name="fk_article_sightings_capture_id_captures"),
                  nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_sightings")),
        sa.UniqueConstraint("article_id", "capture_id", name=op.f("uq_article_sightings_article_id_capture_id")),
    )
    op.create_index("ix_article_sightings_article_id", "article_sightings", ["article_id"])
    op.create_table(
        "telegram_page_ranges",
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("captures.id", name="fk_telegram_page_ranges_capture_id_captures"),
                  nullable=False, autoincrement=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("low_post_id", sa.BigInteger(), nullable=True),
        sa.Column("high_post_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("capture_id", name=op.f("pk_telegram_page_ranges")),
    )
    op.create_index("ix_telegram_page_ranges_channel_captured_at", "telegram_page_ranges", ["channel", "captured_at"])
    # in place (no batch copy): a copy migration of a filled table fails on SQLite (docs/design.md)
    op.add_column("telegram_post_views", sa.Column("text_hash", sa.String(64), nullable=True))
    # the sightings of what was loaded before are unknown: re-read every file once
    op.execute("UPDATE warc_files SET extracted_at = NULL")


def downgrade() -> None:
    with op.batch_alter_table("telegram_post_views") as batch_op:
        batch_op.drop_column("text_hash")
    op.drop_index("ix_telegram_page_ranges_channel_captured_at", table_name="telegram_page_ranges")
    op.drop_table("telegram_page_ranges")
    op.drop_index("ix_article_sightings_article_id", table_name="article_sightings")
    op.drop_table("article_sightings")
