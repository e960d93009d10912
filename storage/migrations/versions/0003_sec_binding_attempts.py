"""binding attempts: durable per-chat and per-room counters for words binding

Revision ID: 0003_sec
Revises: 0002_intake
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0003_sec'
down_revision = '0002_intake'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('binding_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refused_contacts', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_binding_attempts')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_binding_attempts_scope'))
    )


def downgrade() -> None:
    op.drop_table('binding_attempts')
