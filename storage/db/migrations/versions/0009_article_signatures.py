"""article_signatures: each article's stored MinHash signature (incremental story clustering).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # empty at first: the next extract computes every article's signature once
    op.create_table(
        "article_signatures",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=True),
        sa.Column("shingle_count", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_article_signatures_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_signatures")),
    )


def downgrade() -> None:
    op.drop_table("article_signatures")
