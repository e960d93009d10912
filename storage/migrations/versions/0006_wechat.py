"""wechat: the access token shared by processes, followers' windows and QR scans, msgmenu options

Revision ID: 0006_wechat
Revises: 0005_typed
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0006_wechat'
down_revision = '0005_typed'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # One row per (platform, app): the token every process uses, and the refresh lease.
    op.create_table(
        'platform_tokens',
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('app_id', sa.String(length=64), nullable=False),
        sa.Column('token', sa.String(length=1024), nullable=True),
        sa.Column('expires_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('refreshed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('lease_by', sa.String(length=64), nullable=True),
        sa.Column('lease_until', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('platform', 'app_id', name=op.f('pk_platform_tokens')),
    )
    op.create_table(
        'wechat_contacts',
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('last_inbound_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('followed', sa.Boolean(), nullable=False),
        sa.Column('qr_room', sa.String(length=32), nullable=True),
        sa.Column('qr_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('openid', name=op.f('pk_wechat_contacts')),
    )
    op.create_table(
        'wechat_menu_options',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.String(length=128), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_menu_options')),
    )
    op.create_index('ix_wechat_menu_options_openid', 'wechat_menu_options', ['openid'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wechat_menu_options_openid', table_name='wechat_menu_options')
    op.drop_table('wechat_menu_options')
    op.drop_table('wechat_contacts')
    op.drop_table('platform_tokens')
