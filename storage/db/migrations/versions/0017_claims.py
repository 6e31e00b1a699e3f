"""claims: the figures each article version and post version stated (issue 21), and the view
v_claim_changes: each time a figure of one category changed between versions of one article or post.

The view's SQL is plain enough for SQLite and PostgreSQL alike (window functions, CTEs). A
version's figure for a category is its largest non-subset claim of that category (the total, not
"including seven children"); consecutive versions that state a figure are compared, and a row is a
change when the figure differs. Documented in docs/schema.md and docs/claims.md.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

V_CLAIM_CHANGES = """
    WITH located AS (
        SELECT c.id, c.source, c.category, c.count, c.qualifier, c.speaker, c.captured_at, c.span_start,
               CASE WHEN c.article_version_id IS NOT NULL THEN 'article' ELSE 'post' END AS item_kind,
               COALESCE(av.article_id, pv.post_id) AS item_id,
               COALESCE(c.article_version_id, c.post_version_id) AS version_id
        FROM claims c
        LEFT JOIN article_versions av ON av.id = c.article_version_id
        LEFT JOIN telegram_post_versions pv ON pv.id = c.post_version_id
        WHERE c.count IS NOT NULL AND NOT c.subset),
    ranked AS (
        SELECT l.*, ROW_NUMBER() OVER (PARTITION BY l.item_kind, l.version_id, l.category
                                       ORDER BY l.count DESC, l.span_start) AS rank_in_version
        FROM located l),
    figures AS (
        SELECT r.*,
               LAG(r.id) OVER (PARTITION BY r.item_kind, r.item_id, r.category
                               ORDER BY r.captured_at, r.version_id) AS old_claim_id
        FROM ranked r WHERE r.rank_in_version = 1)
    SELECT f.id AS claim_id, o.id AS old_claim_id, f.source, f.item_kind, f.item_id,
           COALESCE(a.url, p.url) AS url, f.category,
           o.count AS old_value, f.count AS new_value, o.qualifier AS old_qualifier, f.qualifier AS new_qualifier,
           f.speaker, o.captured_at AS old_captured_at, f.captured_at AS new_captured_at,
           COALESCE(o.article_version_id, o.post_version_id) AS old_version_id, f.version_id
    FROM figures f
    JOIN claims o ON o.id = f.old_claim_id
    LEFT JOIN articles a ON f.item_kind = 'article' AND a.id = f.item_id
    LEFT JOIN telegram_posts p ON f.item_kind = 'post' AND p.id = f.item_id
    WHERE o.count <> f.count
"""


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_version_id", sa.Integer(),
                  sa.ForeignKey("article_versions.id", ondelete="CASCADE",
                                name="fk_claims_article_version_id_article_versions"), nullable=True),
        sa.Column("post_version_id", sa.Integer(),
                  sa.ForeignKey("telegram_post_versions.id", ondelete="CASCADE",
                                name="fk_claims_post_version_id_telegram_post_versions"), nullable=True),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("captures.id", name="fk_claims_capture_id_captures"),
                  nullable=False),
        sa.Column("source", sa.String(64), sa.ForeignKey("sources.name", name="fk_claims_source_sources"),
                  nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=True),
        sa.Column("count_high", sa.BigInteger(), nullable=True),
        sa.Column("qualifier", sa.String(16), nullable=False),
        sa.Column("speaker", sa.Text(), nullable=True),
        sa.Column("subset", sa.Boolean(), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.CheckConstraint("(article_version_id IS NULL) <> (post_version_id IS NULL)", name="ck_claims_one_version"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    op.create_index("ix_claims_article_version_id", "claims", ["article_version_id"])
    op.create_index("ix_claims_post_version_id", "claims", ["post_version_id"])
    op.create_index("ix_claims_source_category_captured_at", "claims", ["source", "category", "captured_at"])
    op.create_index("ix_claims_category_captured_at", "claims", ["category", "captured_at"])
    op.execute(f"CREATE VIEW v_claim_changes AS {V_CLAIM_CHANGES}")


def downgrade() -> None:
    op.execute("DROP VIEW v_claim_changes")
    op.drop_table("claims")
