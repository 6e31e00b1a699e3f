"""Chain of custody: custody_log (hash-chained, append-only) and timestamp_tokens (RFC 3161).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custody_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False,
                  nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("file", sa.String(length=1024), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_sha256", sa.String(length=64), nullable=False),
        sa.Column("entry_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_custody_log")),
        sa.UniqueConstraint("entry_sha256", name=op.f("uq_custody_log_entry_sha256")),
    )
    op.create_index(op.f("ix_custody_log_action"), "custody_log", ["action"])
    op.create_index(op.f("ix_custody_log_file"), "custody_log", ["file"])
    op.create_table(
        "timestamp_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("tsa_url", sa.Text(), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=True),
        sa.Column("gen_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timestamp_tokens")),
        sa.UniqueConstraint("kind", "subject", "tsa_url", name=op.f("uq_timestamp_tokens_kind")),
    )
    op.create_index(op.f("ix_timestamp_tokens_subject"), "timestamp_tokens", ["subject"])


def downgrade() -> None:
    op.drop_index(op.f("ix_timestamp_tokens_subject"), table_name="timestamp_tokens")
    op.drop_table("timestamp_tokens")
    op.drop_index(op.f("ix_custody_log_file"), table_name="custody_log")
    op.drop_index(op.f("ix_custody_log_action"), table_name="custody_log")
    op.drop_table("custody_log")
