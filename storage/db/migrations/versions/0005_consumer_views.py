"""Views for data consumers: latest articles and posts, article changes, post edits, deletions.

Plain SQL that SQLite and PostgreSQL both accept (window functions, CTEs, `"offset"` quoted: it is
a reserved word in PostgreSQL). JSON columns are compared as text: PostgreSQL's `json` type has no
equality operator. Documented in docs/schema.md; their column types for typed reads are in
kronika/storage/db/views.py.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = {
    # every article as it reads now, with the capture (and WARC record) its newest version came from
    "v_articles_latest": """
        SELECT a.id AS article_id, a.source, a.url, a.title, a.authors, a.published_at, a.modified_at,
               a.language, a.text, a.text_hash, a.versions, a.first_seen_at, a.last_seen_at,
               v.id AS version_id, v.captured_at AS version_captured_at, v.capture_id,
               w.path AS warc_path, c."offset" AS warc_offset, c.length AS warc_length
        FROM articles a
        LEFT JOIN article_versions v ON v.id = (
            SELECT v2.id FROM article_versions v2 WHERE v2.article_id = a.id
            ORDER BY v2.captured_at DESC, v2.id DESC LIMIT 1)
        LEFT JOIN captures c ON c.id = v.capture_id
        LEFT JOIN warc_files w ON w.id = c.warc_file_id
    """,
    # every version of every article beside the one before it, with what changed
    "v_article_changes": """
        WITH ordered AS (
            SELECT v.*,
                   ROW_NUMBER() OVER (PARTITION BY v.article_id ORDER BY v.captured_at, v.id) AS version_number,
                   LAG(v.id) OVER (PARTITION BY v.article_id ORDER BY v.captured_at, v.id) AS previous_version_id
            FROM article_versions v)
        SELECT o.id AS version_id, o.article_id, a.source, a.url, o.version_number, o.captured_at,
               o.capture_id, o.previous_version_id, p.captured_at AS previous_captured_at,
               CASE WHEN p.id IS NULL THEN 'first' ELSE 'changed' END AS change,
               CASE WHEN p.id IS NOT NULL AND COALESCE(o.title, '') <> COALESCE(p.title, '')
                    THEN TRUE ELSE FALSE END AS title_changed,
               CASE WHEN p.id IS NOT NULL AND COALESCE(o.text, '') <> COALESCE(p.text, '')
                    THEN TRUE ELSE FALSE END AS text_changed,
               CASE WHEN p.id IS NOT NULL AND CAST(o.authors AS TEXT) <> CAST(p.authors AS TEXT)
                    THEN TRUE ELSE FALSE END AS authors_changed,
               CASE WHEN p.id IS NOT NULL AND (COALESCE(CAST(o.published_at AS TEXT), '') <> COALESCE(CAST(p.published_at AS TEXT), '')
                                            OR COALESCE(CAST(o.modified_at AS TEXT), '') <> COALESCE(CAST(p.modified_at AS TEXT), ''))
                    THEN TRUE ELSE FALSE END AS dates_changed,
               o.title, p.title AS previous_title, o.published_at, o.modified_at,
               LENGTH(o.text) AS text_length, LENGTH(p.text) AS previous_text_length,
               o.text, p.text AS previous_text
        FROM ordered o
        JOIN articles a ON a.id = o.article_id
        LEFT JOIN article_versions p ON p.id = o.previous_version_id
    """,
    # every Telegram post as it reads now
    "v_posts_latest": """
        SELECT p.id AS post_row_id, p.source, p.channel, p.post_id, p.url, p.posted_at, p.text, p.html,
               p.views, p.edited, p.is_service, p.author_signature, p.forwarded_from_name,
               p.forwarded_from_url, p.reply_to_post_id, p.media, p.link_preview, p.versions,
               p.first_seen_at, p.last_seen_at, p.deleted_at,
               CASE WHEN p.deleted_at IS NOT NULL THEN TRUE ELSE FALSE END AS is_deleted,
               v.id AS version_id, v.captured_at AS version_captured_at, v.capture_id
        FROM telegram_posts p
        LEFT JOIN telegram_post_versions v ON v.id = (
            SELECT v2.id FROM telegram_post_versions v2 WHERE v2.post_id = p.id
            ORDER BY v2.captured_at DESC, v2.id DESC LIMIT 1)
    """,
    # every version of a post after its first: the edits, each beside the text it replaced
    "v_post_edits": """
        WITH ordered AS (
            SELECT v.*,
                   ROW_NUMBER() OVER (PARTITION BY v.post_id ORDER BY v.captured_at, v.id) AS version_number,
                   LAG(v.id) OVER (PARTITION BY v.post_id ORDER BY v.captured_at, v.id) AS previous_version_id
            FROM telegram_post_versions v)
        SELECT o.id AS version_id, o.post_id AS post_row_id, t.source, t.channel, t.post_id, t.url,
               t.posted_at, o.version_number, o.captured_at, o.capture_id, o.previous_version_id,
               p.captured_at AS previous_captured_at, o.edited,
               CASE WHEN COALESCE(o.text, '') <> COALESCE(p.text, '') THEN TRUE ELSE FALSE END AS text_changed,
               CASE WHEN CAST(o.media AS TEXT) <> CAST(p.media AS TEXT) THEN TRUE ELSE FALSE END AS media_changed,
               o.text, p.text AS previous_text
        FROM ordered o
        JOIN telegram_posts t ON t.id = o.post_id
        JOIN telegram_post_versions p ON p.id = o.previous_version_id
    """,
    # what disappeared: Telegram posts no longer shown by their channel (articles join when their
    # schema records it)
    "v_deletions": """
        SELECT 'telegram_post' AS kind, p.id AS row_id, p.source, p.url, p.channel, p.post_id,
               CAST(NULL AS TEXT) AS title, p.text, p.first_seen_at, p.last_seen_at, p.deleted_at
        FROM telegram_posts p
        WHERE p.deleted_at IS NOT NULL
    """,
}


def upgrade() -> None:
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql.strip()}")


def downgrade() -> None:
    for name in reversed(list(VIEWS)):
        op.execute(f"DROP VIEW IF EXISTS {name}")
