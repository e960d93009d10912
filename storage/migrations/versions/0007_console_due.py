"""cases.due_at: the deadline each case works against now (`Case.deadline`), stored and
indexed for the board; and the audit log read per staff member (the last community used)
and per address (wrong sign-ins)

Revision ID: 0007_console
Revises: 0007_communities (chained at the merge of branch communities)
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0007_console'
down_revision = '0007_communities'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild of `cases` on SQLite: that would cascade away the timeline).
    op.add_column('cases', sa.Column('due_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    # The same rule as `Case.deadline`: the response until someone accepts, then the
    # completion; none once the work is done or the case ended.
    op.execute(
        "UPDATE cases SET due_at = CASE "
        "WHEN status IN ('open', 'dispatched') THEN response_due_at "
        "WHEN status IN ('accepted', 'in_progress') THEN completion_due_at "
        "ELSE NULL END")
    # The board reads its page's ids, its counts per team and its filtered totals from this
    # index alone (urgency: emergencies first among equals; id: PostgreSQL's index-only scan
    # needs every column it returns); a search by room reads ix_cases_room alone the same way.
    op.create_index('ix_cases_board', 'cases', ['community_id', 'status', 'team_code', 'due_at', 'urgency', 'id'])
    op.create_index('ix_cases_room', 'cases', ['room_id', 'status', 'community_id', 'due_at', 'urgency', 'id'])
    op.create_index('ix_audit_log_staff', 'audit_log', ['staff_id', 'id'])
    op.create_index('ix_audit_log_remote', 'audit_log', ['remote', 'action', 'at'])


def downgrade() -> None:
    op.drop_index('ix_audit_log_remote', table_name='audit_log')
    op.drop_index('ix_audit_log_staff', table_name='audit_log')
    op.drop_index('ix_cases_room', table_name='cases')
    op.drop_index('ix_cases_board', table_name='cases')
    if op.get_bind().dialect.name == 'sqlite':
        # Not a batch rebuild: recreating `cases` would take every timeline row with it.
        op.execute('ALTER TABLE cases DROP COLUMN due_at')
    else:
        op.drop_column('cases', 'due_at')
