"""roster_changes: who a supervisor put on duty or took off in chat or the console, layered
over the community file's roster

Revision ID: 0007_roster_changes
Revises: 0006_dispatch
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0007_roster_changes'
down_revision = '0007_console'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'roster_changes',
        sa.Column('id', Id, nullable=False, autoincrement=True),
        sa.Column('community_id', Id, nullable=False),
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('on_duty', sa.Boolean(), nullable=False),
        sa.Column('starts_at', When, nullable=False),
        sa.Column('ends_at', When, nullable=False),
        sa.Column('made_at', When, nullable=False),
        sa.Column('made_by_id', Id, nullable=True),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name='fk_roster_changes_community_id_communities', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name='fk_roster_changes_staff_id_staff',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['made_by_id'], ['staff.id'], name='fk_roster_changes_made_by_id_staff',
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_roster_changes'),
    )
    op.create_index('ix_roster_changes_community_ends', 'roster_changes', ['community_id', 'ends_at'])


def downgrade() -> None:
    # A table of its own: dropping it touches no other table (nothing cascades from it).
    op.drop_index('ix_roster_changes_community_ends', table_name='roster_changes')
    op.drop_table('roster_changes')
