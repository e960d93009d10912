"""Daily rollups of the company report: per community and local day, the counts, sums and
duration histograms a period's figures add up (storage/rollup.py), how far they reach, and an
index to find the cases changed since they were last brought up to date

Revision ID: 0008_rollup
Revises: 0007_company
Create Date: 2026-12-06
"""
from typing import Any

from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0008_rollup'
down_revision = '0007_company'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = storage.models.UTCDateTime(timezone=True)


def _community(table: str) -> list[Any]:
    return [
        sa.Column('community_id', Id, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=f'fk_{table}_community_id_communities', ondelete='CASCADE'),
    ]


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        'rollup_counts', *_community('rollup_counts'),
        sa.Column('kind', sa.String(length=16), nullable=False),
        *_counts('opened', 'cancelled', 'finished', 'reopened', 'closed', 'covered', 'by_phone', 'pending'),
        sa.PrimaryKeyConstraint('community_id', 'day', 'kind', name='pk_rollup_counts'),
    )
    op.create_table(
        'rollup_late', *_community('rollup_late'),
        sa.Column('since', sa.Date(), nullable=False),
        *_counts('late_response', 'late_completion', 'overdue'),
        sa.PrimaryKeyConstraint('community_id', 'day', 'since', name='pk_rollup_late'),
    )
    op.create_table(
        'rollup_durations', *_community('rollup_durations'),
        sa.Column('measure', sa.SmallInteger(), nullable=False),
        sa.Column('bucket', sa.SmallInteger(), nullable=False),
        *_counts('n', 'low', 'high'),
        sa.PrimaryKeyConstraint('community_id', 'day', 'measure', 'bucket', name='pk_rollup_durations'),
    )
    op.create_table(
        'rollup_month_durations',
        sa.Column('community_id', Id, nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name='fk_rollup_month_durations_community_id_communities', ondelete='CASCADE'),
        sa.Column('measure', sa.SmallInteger(), nullable=False),
        sa.Column('bucket', sa.SmallInteger(), nullable=False),
        *_counts('n', 'low', 'high'),
        sa.PrimaryKeyConstraint('community_id', 'month', 'measure', 'bucket', name='pk_rollup_month_durations'),
    )
    op.create_table(
        'rollup_answers', *_community('rollup_answers'),
        *_counts('answered', 'by_phone', 'speed_sum', 'speed_n', 'attitude_sum', 'attitude_n', 'solved',
                 'solved_known', 'satisfied'),
        sa.PrimaryKeyConstraint('community_id', 'day', name='pk_rollup_answers'),
    )
    op.create_table(
        'rollup_state',
        sa.Column('community_id', Id, nullable=False),
        sa.Column('through', sa.Date(), nullable=False),
        sa.Column('checked_at', When, nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name='fk_rollup_state_community_id_communities', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('community_id', name='pk_rollup_state'),
    )
    # A plain index: no table is rebuilt on SQLite (a rebuild of cases would cascade away the timeline).
    op.create_index('ix_cases_updated', 'cases', ['updated_at'])


def downgrade() -> None:
    # Tables of their own (nothing refers to them) and one index on cases: no rebuild of cases.
    op.drop_index('ix_cases_updated', table_name='cases')
    for table in ('rollup_state', 'rollup_answers', 'rollup_month_durations', 'rollup_durations', 'rollup_late',
                  'rollup_counts'):
        op.drop_table(table)
