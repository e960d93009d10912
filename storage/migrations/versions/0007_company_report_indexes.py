"""Indexes the company and community reports' plans call for: cases closed in a period
(callback coverage) and callbacks answered in a period (satisfaction), which PostgreSQL
otherwise reads by scanning the whole cases and callbacks tables (bench/company_report.py
--explain, 50 communities, 700,000 cases: a month's coverage read all 619,018 callbacks
and 700,000 cases)

Revision ID: 0007_company
Revises: 0007_communities
Create Date: 2026-12-06
"""
from alembic import op


revision = '0007_company'
# The company branch holds the communities branch's migration; chained after it.
down_revision = '0007_roster_changes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain indexes: no table is rebuilt on SQLite (a rebuild of cases would cascade away the timeline).
    op.create_index('ix_cases_closed', 'cases', ['community_id', 'closed_at'])
    op.create_index('ix_callbacks_answered', 'callbacks', ['answered_at'])


def downgrade() -> None:
    op.drop_index('ix_callbacks_answered', table_name='callbacks')
    op.drop_index('ix_cases_closed', table_name='cases')
