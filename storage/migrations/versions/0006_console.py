"""the office console: case source, console sessions, sign-in codes and guard, staff passwords, audit log

Revision ID: 0006_console
Revises: 0005_typed
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0006_console'
down_revision = '0006_register'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Where the case came from; every case before this one came through a chat.
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='chat'))
    op.create_table(
        'console_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('created_at', When, nullable=False),
        sa.Column('expires_at', When, nullable=False),
        sa.Column('last_seen_at', When, nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name='fk_console_sessions_staff_id_staff', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name='pk_console_sessions'),
    )
    op.create_index('ix_console_sessions_staff', 'console_sessions', ['staff_id'])
    op.create_table(
        'console_codes',
        sa.Column('id', Id, nullable=False, autoincrement=True),
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', When, nullable=False),
        sa.Column('expires_at', When, nullable=False),
        sa.Column('used_at', When, nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name='fk_console_codes_staff_id_staff', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_console_codes'),
    )
    op.create_index('ix_console_codes_staff', 'console_codes', ['staff_id', 'expires_at'])
    op.create_table(
        'console_guard',
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', When, nullable=True),
        sa.Column('updated_at', When, nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name='fk_console_guard_staff_id_staff', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('staff_id', name='pk_console_guard'),
    )
    op.create_table(
        'staff_passwords',
        sa.Column('staff_id', Id, nullable=False),
        sa.Column('hash', sa.String(length=300), nullable=False),
        sa.Column('set_at', When, nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name='fk_staff_passwords_staff_id_staff', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('staff_id', name='pk_staff_passwords'),
    )
    op.create_table(
        'audit_log',
        sa.Column('id', Id, nullable=False, autoincrement=True),
        sa.Column('at', When, nullable=False),
        sa.Column('staff_id', Id, nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('case_id', Id, nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('remote', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name='fk_audit_log_staff_id_staff', ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_audit_log'),
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at'])
    op.create_index('ix_audit_log_case', 'audit_log', ['case_id'])


def downgrade() -> None:
    op.drop_table('audit_log')
    op.drop_table('staff_passwords')
    op.drop_table('console_guard')
    op.drop_table('console_codes')
    op.drop_table('console_sessions')
    if op.get_bind().dialect.name == 'sqlite':
        # Not a batch rebuild: dropping and recreating `cases` would take every timeline
        # row with it (ON DELETE CASCADE).  SQLite has dropped columns in place since 3.35.
        op.execute('ALTER TABLE cases DROP COLUMN source')
    else:
        op.drop_column('cases', 'source')
