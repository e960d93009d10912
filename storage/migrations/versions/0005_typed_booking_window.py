"""bookings keep the time window the owner asked for

Revision ID: 0005_typed
Revises: 0004_delivery
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0005_typed'
down_revision = '0004_delivery'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The owner's time as a window (start, end), beside the slot text; NULL for "any time",
    # "as soon as possible", a note about availability, and bookings made before this.
    with op.batch_alter_table('bookings') as batch:
        batch.add_column(sa.Column('window_start', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('window_end', storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bookings') as batch:
        batch.drop_column('window_end')
        batch.drop_column('window_start')
