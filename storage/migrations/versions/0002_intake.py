"""intake: conversation versions, indexes for the hot lookups, prunable update keys

Revision ID: 0002_intake
Revises: 0001
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_intake'
down_revision = '0001'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_identities_owner_id", "identities", ["owner_id"]),
    ("ix_identities_staff_id", "identities", ["staff_id"]),
    ("ix_identities_chat", "identities", ["channel", "chat_id"]),
    ("ix_cases_reporter", "cases", ["reporter_channel", "reporter_chat_id"]),
    ("ix_cases_status_completion_due", "cases", ["status", "completion_due_at"]),
    ("ix_cases_status_done", "cases", ["status", "done_at"]),
    ("ix_cases_urgency_status", "cases", ["urgency", "status"]),
    ("ix_cases_team_status", "cases", ["team_code", "status"]),
    ("ix_cases_first_responder", "cases", ["first_responder_id"]),
    ("ix_owner_rooms_room_id", "owner_rooms", ["room_id"]),
    ("ix_processed_updates_at", "processed_updates", ["at"]),
]


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('version')
