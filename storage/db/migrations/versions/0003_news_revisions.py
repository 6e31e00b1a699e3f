"""News revisions: articles.gone_at/gone_status (404/410 of a known article), captures.original_url.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("gone_status", sa.Integer(), nullable=True))
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_column("original_url")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("gone_status")
        batch_op.drop_column("gone_at")
