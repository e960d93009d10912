"""WeCom template cards keep the response codes that may update them

Revision ID: 0006_wecom
Revises: 0006_wechat
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0006_wecom'
down_revision = '0006_wechat'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'wecom_card_codes',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('task_id', sa.String(length=128), nullable=False),
        sa.Column('userid', sa.String(length=64), nullable=False),
        sa.Column('response_code', sa.String(length=512), nullable=False),
        sa.Column('issued_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wecom_card_codes')),
    )
    op.create_index('ix_wecom_card_codes_task', 'wecom_card_codes', ['task_id', 'used_at'])


def downgrade() -> None:
    op.drop_index('ix_wecom_card_codes_task', table_name='wecom_card_codes')
    op.drop_table('wecom_card_codes')
