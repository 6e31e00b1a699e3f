"""telegram_posts.voice/sticker/location: what a post made only of a voice message, a sticker or
a location shows (such posts were stored as empty posts).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("voice", "sticker", "location")


def upgrade() -> None:
    with op.batch_alter_table("telegram_posts") as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("telegram_posts") as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
