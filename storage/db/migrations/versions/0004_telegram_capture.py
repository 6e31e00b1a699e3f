"""Telegram capture: view granularity, deletions and reappearances, channel header per capture.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN, never a batch copy: on SQLite a copy drops the old table, which foreign keys
    # from existing versions and views forbid (and it would rewrite every row for nothing)
    op.add_column('telegram_posts', sa.Column('views_granularity', sa.BigInteger(), nullable=True))
    fk = 'fk_telegram_posts_deleted_capture_id_captures'
    if op.get_bind().dialect.name == 'sqlite':  # Alembic cannot add a constraint there; SQLite can inline
        op.execute(f'ALTER TABLE telegram_posts ADD COLUMN deleted_capture_id INTEGER '
                   f'CONSTRAINT {fk} REFERENCES captures (id)')
    else:
        op.add_column('telegram_posts', sa.Column('deleted_capture_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(fk), 'telegram_posts', 'captures', ['deleted_capture_id'], ['id'])
    op.add_column('telegram_post_views', sa.Column('views_granularity', sa.BigInteger(), nullable=True))

    op.create_table('telegram_post_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['captures.id'], name=op.f('fk_telegram_post_events_capture_id_captures')),
    sa.ForeignKeyConstraint(['post_id'], ['telegram_posts.id'], name=op.f('fk_telegram_post_events_post_id_telegram_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_post_events')),
    sa.UniqueConstraint('post_id', 'capture_id', 'event', name=op.f('uq_telegram_post_events_post_id_capture_id_event'))
    )
    with op.batch_alter_table('telegram_post_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_post_events_post_id'), ['post_id'], unique=False)

    op.create_table('telegram_channel_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('subscribers', sa.BigInteger(), nullable=True),
    sa.Column('subscribers_granularity', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['capture_id'], ['captures.id'], name=op.f('fk_telegram_channel_snapshots_capture_id_captures')),
    sa.ForeignKeyConstraint(['source'], ['sources.name'], name=op.f('fk_telegram_channel_snapshots_source_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_channel_snapshots')),
    sa.UniqueConstraint('capture_id', name=op.f('uq_telegram_channel_snapshots_capture_id'))
    )
    with op.batch_alter_table('telegram_channel_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_telegram_channel_snapshots_channel_captured_at', ['channel', 'captured_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('telegram_channel_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_telegram_channel_snapshots_channel_captured_at')
    op.drop_table('telegram_channel_snapshots')
    with op.batch_alter_table('telegram_post_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_post_events_post_id'))
    op.drop_table('telegram_post_events')
    op.drop_column('telegram_post_views', 'views_granularity')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite (3.35+) drops a plain column in place, but not one with a REFERENCES clause: that
        # one needs the batch copy (which works while no version or view row refers to a post)
        with op.batch_alter_table('telegram_posts', schema=None) as batch_op:
            batch_op.drop_column('deleted_capture_id')
    else:
        op.drop_constraint(op.f('fk_telegram_posts_deleted_capture_id_captures'), 'telegram_posts',
                           type_='foreignkey')
        op.drop_column('telegram_posts', 'deleted_capture_id')
    op.drop_column('telegram_posts', 'views_granularity')
