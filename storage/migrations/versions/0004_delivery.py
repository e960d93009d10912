"""delivery: outbox priority, per-row claims (lease) and the start of a failure streak

Revision ID: 0004_delivery
Revises: 0003_sec
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0004_delivery'
down_revision = '0003_sec'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        # 1 = emergency (alerts and cards of emergency cases): overtakes ordinary messages.
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), nullable=False, server_default='0'))
        # Which delivery worker holds the row, and until when (a crashed worker's claims lapse).
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claim_until', storage.models.UTCDateTime(timezone=True), nullable=True))
        # When the current run of transient failures began: bounds how long the chat waits behind it.
        batch_op.add_column(sa.Column('failing_since', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_claim', ['channel', 'state', 'priority', 'id'], unique=False)
        batch_op.create_index('ix_outbox_chat', ['channel', 'chat_id', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chat')
        batch_op.drop_index('ix_outbox_claim')
        batch_op.drop_column('failing_since')
        batch_op.drop_column('claim_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('priority')
