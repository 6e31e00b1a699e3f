"""Initial schema: sources, runs, WARC files, captures, articles, Telegram posts and their versions.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sources',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sources'))
    )
    op.create_table('warc_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warc_files')),
    sa.UniqueConstraint('path', name=op.f('uq_warc_files_path'))
    )
    with op.batch_alter_table('warc_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warc_files_source'), ['source'], unique=False)

    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('text_hash', sa.String(length=64), nullable=True),
    sa.Column('versions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source'], ['sources.name'], name=op.f('fk_articles_source_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('source', 'url', name=op.f('uq_articles_source_url'))
    )
    op.create_table('crawl_runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['source'], ['sources.name'], name=op.f('fk_crawl_runs_source_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_runs'))
    )
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crawl_runs_source'), ['source'], unique=False)

    op.create_table('telegram_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('post_id', sa.BigInteger(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('text_hash', sa.String(length=64), nullable=True),
    sa.Column('views', sa.BigInteger(), nullable=True),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('is_service', sa.Boolean(), nullable=False),
    sa.Column('author_signature', sa.Text(), nullable=True),
    sa.Column('forwarded_from_name', sa.Text(), nullable=True),
    sa.Column('forwarded_from_url', sa.Text(), nullable=True),
    sa.Column('reply_to_post_id', sa.BigInteger(), nullable=True),
    sa.Column('media', sa.JSON(), nullable=False),
    sa.Column('link_preview', sa.JSON(), nullable=True),
    sa.Column('versions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source'], ['sources.name'], name=op.f('fk_telegram_posts_source_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_posts')),
    sa.UniqueConstraint('channel', 'post_id', name=op.f('uq_telegram_posts_channel_post_id'))
    )
    op.create_table('captures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('surt', sa.Text(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('mime', sa.String(length=255), nullable=True),
    sa.Column('payload_digest', sa.String(length=128), nullable=True),
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('warc_file_id', sa.Integer(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('crawl_run_id', sa.String(length=36), nullable=True),
    sa.Column('record_id', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('refers_to_url', sa.Text(), nullable=True),
    sa.Column('refers_to_date', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['crawl_run_id'], ['crawl_runs.id'], name=op.f('fk_captures_crawl_run_id_crawl_runs')),
    sa.ForeignKeyConstraint(['warc_file_id'], ['warc_files.id'], name=op.f('fk_captures_warc_file_id_warc_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_captures')),
    sa.UniqueConstraint('record_id', name=op.f('uq_captures_record_id')),
    sa.UniqueConstraint('warc_file_id', 'offset', name=op.f('uq_captures_warc_file_id_offset'))
    )
    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_captures_crawl_run_id'), ['crawl_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_captures_surt'), ['surt'], unique=False)
        batch_op.create_index('ix_captures_url_captured_at', ['url', 'captured_at'], unique=False)

    op.create_table('article_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provenance', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_versions_article_id_articles')),
    sa.ForeignKeyConstraint(['capture_id'], ['captures.id'], name=op.f('fk_article_versions_capture_id_captures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_versions')),
    sa.UniqueConstraint('article_id', 'capture_id', name=op.f('uq_article_versions_article_id_capture_id'))
    )
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_versions_article_id'), ['article_id'], unique=False)

    op.create_table('telegram_post_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('views', sa.BigInteger(), nullable=True),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('media', sa.JSON(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['captures.id'], name=op.f('fk_telegram_post_versions_capture_id_captures')),
    sa.ForeignKeyConstraint(['post_id'], ['telegram_posts.id'], name=op.f('fk_telegram_post_versions_post_id_telegram_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_post_versions')),
    sa.UniqueConstraint('post_id', 'capture_id', name=op.f('uq_telegram_post_versions_post_id_capture_id'))
    )
    with op.batch_alter_table('telegram_post_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_post_versions_post_id'), ['post_id'], unique=False)

    op.create_table('telegram_post_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('views', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['capture_id'], ['captures.id'], name=op.f('fk_telegram_post_views_capture_id_captures')),
    sa.ForeignKeyConstraint(['post_id'], ['telegram_posts.id'], name=op.f('fk_telegram_post_views_post_id_telegram_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_post_views')),
    sa.UniqueConstraint('post_id', 'capture_id', name=op.f('uq_telegram_post_views_post_id_capture_id'))
    )
    with op.batch_alter_table('telegram_post_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_post_views_post_id'), ['post_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('telegram_post_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_post_views_post_id'))

    op.drop_table('telegram_post_views')
    with op.batch_alter_table('telegram_post_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_post_versions_post_id'))

    op.drop_table('telegram_post_versions')
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_versions_article_id'))

    op.drop_table('article_versions')
    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.drop_index('ix_captures_url_captured_at')
        batch_op.drop_index(batch_op.f('ix_captures_surt'))
        batch_op.drop_index(batch_op.f('ix_captures_crawl_run_id'))

    op.drop_table('captures')
    op.drop_table('telegram_posts')
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_runs_source'))

    op.drop_table('crawl_runs')
    op.drop_table('articles')
    with op.batch_alter_table('warc_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warc_files_source'))

    op.drop_table('warc_files')
    op.drop_table('sources')
