"""The consumer views (migrations 0005 and 0017) as typed tables, for reading and exporting them.

The SQL lives in the migration; this says what each column holds, so that a view's timestamps
come back timezone-aware and its booleans as booleans on SQLite as on PostgreSQL. Kept in its own
MetaData: Alembic's autogenerate must not try to create these as tables.
"""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Integer, MetaData, String, Table, Text

from kronika.storage.db.models import UTCDateTime

views = MetaData()


def _view(name: str, *columns: Column) -> Table:
    return Table(name, views, *columns, info={"view": True})


v_articles_latest = _view(
    "v_articles_latest",
    Column("article_id", Integer, primary_key=True), Column("source", String), Column("url", Text),
    Column("title", Text), Column("authors", JSON), Column("published_at", UTCDateTime),
    Column("modified_at", UTCDateTime), Column("language", String), Column("text", Text),
    Column("text_hash", String), Column("versions", Integer), Column("first_seen_at", UTCDateTime),
    Column("last_seen_at", UTCDateTime), Column("version_id", Integer),
    Column("version_captured_at", UTCDateTime), Column("capture_id", Integer), Column("warc_path", String),
    Column("warc_offset", BigInteger), Column("warc_length", BigInteger),
)

v_article_changes = _view(
    "v_article_changes",
    Column("version_id", Integer, primary_key=True), Column("article_id", Integer), Column("source", String),
    Column("url", Text), Column("version_number", Integer), Column("captured_at", UTCDateTime),
    Column("capture_id", Integer), Column("previous_version_id", Integer),
    Column("previous_captured_at", UTCDateTime), Column("change", String), Column("title_changed", Boolean),
    Column("text_changed", Boolean), Column("authors_changed", Boolean), Column("dates_changed", Boolean),
    Column("title", Text), Column("previous_title", Text), Column("published_at", UTCDateTime),
    Column("modified_at", UTCDateTime), Column("text_length", Integer), Column("previous_text_length", Integer),
    Column("text", Text), Column("previous_text", Text),
)

v_posts_latest = _view(
    "v_posts_latest",
    Column("post_row_id", Integer, primary_key=True), Column("source", String), Column("channel", String),
    Column("post_id", BigInteger), Column("url", Text), Column("posted_at", UTCDateTime), Column("text", Text),
    Column("html", Text), Column("views", BigInteger), Column("edited", Boolean), Column("is_service", Boolean),
    Column("author_signature", Text), Column("forwarded_from_name", Text), Column("forwarded_from_url", Text),
    Column("reply_to_post_id", BigInteger), Column("media", JSON), Column("link_preview", JSON),
    Column("versions", Integer), Column("first_seen_at", UTCDateTime), Column("last_seen_at", UTCDateTime),
    Column("deleted_at", UTCDateTime), Column("is_deleted", Boolean), Column("version_id", Integer),
    Column("version_captured_at", UTCDateTime), Column("capture_id", Integer),
)

v_post_edits = _view(
    "v_post_edits",
    Column("version_id", Integer, primary_key=True), Column("post_row_id", Integer), Column("source", String),
    Column("channel", String), Column("post_id", BigInteger), Column("url", Text),
    Column("posted_at", UTCDateTime), Column("version_number", Integer), Column("captured_at", UTCDateTime),
    Column("capture_id", Integer), Column("previous_version_id", Integer),
    Column("previous_captured_at", UTCDateTime), Column("edited", Boolean), Column("text_changed", Boolean),
    Column("media_changed", Boolean), Column("text", Text), Column("previous_text", Text),
)

v_deletions = _view(
    "v_deletions",
    Column("kind", String, primary_key=True), Column("row_id", Integer, primary_key=True),
    Column("source", String), Column("url", Text), Column("channel", String), Column("post_id", BigInteger),
    Column("title", Text), Column("text", Text), Column("first_seen_at", UTCDateTime),
    Column("last_seen_at", UTCDateTime), Column("deleted_at", UTCDateTime),
)

# migration 0017: each time a figure of one category changed between versions of one article or post
v_claim_changes = _view(
    "v_claim_changes",
    Column("claim_id", Integer, primary_key=True), Column("old_claim_id", Integer), Column("source", String),
    Column("item_kind", String), Column("item_id", Integer), Column("url", Text), Column("category", String),
    Column("old_value", BigInteger), Column("new_value", BigInteger), Column("old_qualifier", String),
    Column("new_qualifier", String), Column("speaker", Text), Column("old_captured_at", UTCDateTime),
    Column("new_captured_at", UTCDateTime), Column("old_version_id", Integer), Column("version_id", Integer),
)
