"""case_fees: every charge on a case kept (fee history); the fees of earlier visits copied
from the timeline so rework rounds before this migration add up too

Revision ID: 0006_dispatch
Revises: 0006_register
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0006_dispatch'
down_revision = '0006_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_fees',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('cents', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_fees_case_id_cases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_case_fees_staff_id_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_fees')),
    )
    op.create_index(op.f('ix_case_fees_case_id'), 'case_fees', ['case_id'], unique=False)
    # Earlier "done" entries carry their fee; the round is not on them, so they count as
    # round 0 (the sums are right; only the split per round of old cases is unknown).
    timeline = sa.table('case_timeline', sa.column('case_id'), sa.column('action'), sa.column('actor_kind'),
                        sa.column('actor_id'), sa.column('note'), sa.column('data', sa.JSON), sa.column('at'))
    bind = op.get_bind()
    rows = bind.execute(sa.select(timeline).where(timeline.c.action == 'done')).mappings().all()
    fees = [
        {'case_id': r['case_id'], 'round': 0, 'cents': int((r['data'] or {}).get('fee_cents') or 0),
         'staff_id': r['actor_id'] if r['actor_kind'] == 'staff' else None, 'reason': r['note'] or '', 'at': r['at']}
        for r in rows if int((r['data'] or {}).get('fee_cents') or 0) > 0
    ]
    if fees:
        op.bulk_insert(sa.table('case_fees', *(sa.column(c) for c in ('case_id', 'round', 'cents', 'staff_id',
                                                                          'reason', 'at'))), fees)


def downgrade() -> None:
    op.drop_index(op.f('ix_case_fees_case_id'), table_name='case_fees')
    op.drop_table('case_fees')
