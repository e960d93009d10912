"""inbox: WeChat and WeCom callbacks recorded before they are answered, handled from there

Revision ID: 0008_wxinbox_inbox
Revises: 0008_rollup
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0008_wxinbox_inbox'
down_revision = '0008_rollup'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A new table: nothing existing is rebuilt.
    op.create_table(
        'inbox',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('account', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('sender', sa.String(length=64), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('received_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('claimed_until', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
        sa.UniqueConstraint('channel', 'account', 'key', name='uq_inbox_key'),
    )
    op.create_index('ix_inbox_state', 'inbox', ['state', 'claimed_until'], unique=False)
    op.create_index('ix_inbox_received', 'inbox', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbox_received', table_name='inbox')
    op.drop_index('ix_inbox_state', table_name='inbox')
    op.drop_table('inbox')
