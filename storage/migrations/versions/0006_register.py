"""households: who a person is to a home (owner, family, tenant) and who added them

Revision ID: 0006_register
Revises: 0006_wecom
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0006_register'
down_revision = '0006_wecom'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every existing link came from a register or community file: an owner of record.
    with op.batch_alter_table('owner_rooms') as batch:
        batch.add_column(sa.Column('role', sa.String(length=8), server_default='owner', nullable=False))
        batch.add_column(sa.Column('added_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch.add_column(sa.Column('added_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key('fk_owner_rooms_added_by_id_owners', 'owners', ['added_by_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('owner_rooms') as batch:
        batch.drop_constraint('fk_owner_rooms_added_by_id_owners', type_='foreignkey')
        batch.drop_column('added_at')
        batch.drop_column('added_by_id')
        batch.drop_column('role')
