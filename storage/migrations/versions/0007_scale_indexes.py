"""Indexes a company's database needs (bench/company.py measure, 700,000 cases in 50 communities)

- `ix_cases_community_status` (community_id, status): a community's open cases — the
  console board, the chat's /team board, and the scheduler's per-community scans (late
  cases, unaccepted emergencies, done work to auto-confirm, dispatch offers).  Without it
  PostgreSQL intersects the status index with the community's whole year of cases
  (14,000 index entries read to find 300 open cases: 112 ms for /team, 2–12 ms per
  scheduler query × 50 communities every tick).
- `ix_callbacks_answered_at` (answered_at): callbacks answered in a period — the statistics
  report's satisfaction figures and the company report's verdicts, which otherwise read
  all 609,000 callbacks for one month.

Revision ID: 0007_scale
Revises: 0007_communities
Create Date: 2026-12-06
"""
from alembic import op


revision = '0007_scale'
# The lead chains the 0007 migrations at merge; this branch has communities' merged in.
down_revision = '0007_communities'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_cases_community_status', 'cases', ['community_id', 'status'])
    op.create_index('ix_callbacks_answered_at', 'callbacks', ['answered_at'])


def downgrade() -> None:
    op.drop_index('ix_callbacks_answered_at', table_name='callbacks')
    op.drop_index('ix_cases_community_status', table_name='cases')
