"""Many communities in one deployment: a chat identity per (channel, user, community), so one
person can be an owner or staff member in several communities; the conversation remembers
which community it is in

Revision ID: 0007_communities
Revises: 0006_dispatch
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_communities'
down_revision = '0006_dispatch'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UNBOUND = sa.text('community_id IS NULL')


def upgrade() -> None:
    # `identities` is rebuilt on SQLite (its unique key changes); nothing references it, so
    # no cascade can take other rows with it.
    with op.batch_alter_table('identities') as batch:
        batch.add_column(sa.Column('community_id', Id, nullable=True))
        batch.drop_constraint('uq_identities_channel', type_='unique')
        batch.create_foreign_key(op.f('fk_identities_community_id_communities'), 'communities',
                                 ['community_id'], ['id'], ondelete='CASCADE')
    # Each bound row belongs to the community of the owner or staff member it links.
    op.execute('UPDATE identities SET community_id = (SELECT owners.community_id FROM owners '
               'WHERE owners.id = identities.owner_id) WHERE owner_id IS NOT NULL')
    op.execute('UPDATE identities SET community_id = (SELECT staff.community_id FROM staff '
               'WHERE staff.id = identities.staff_id) WHERE community_id IS NULL AND staff_id IS NOT NULL')
    op.create_index('uq_identities_channel_user_community', 'identities', ['channel', 'user_id', 'community_id'],
                    unique=True)
    op.create_index('uq_identities_channel_user_unbound', 'identities', ['channel', 'user_id'], unique=True,
                    sqlite_where=UNBOUND, postgresql_where=UNBOUND)
    op.add_column('conversations', sa.Column('community_id', Id, nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE conversations DROP COLUMN community_id')
    else:
        op.drop_column('conversations', 'community_id')
    # One row per chat user again: the first one kept (the links to other communities go).
    op.execute('DELETE FROM identities WHERE id NOT IN '
               '(SELECT min(id) FROM identities GROUP BY channel, user_id)')
    op.drop_index('uq_identities_channel_user_unbound', table_name='identities')
    op.drop_index('uq_identities_channel_user_community', table_name='identities')
    with op.batch_alter_table('identities') as batch:
        batch.drop_constraint(op.f('fk_identities_community_id_communities'), type_='foreignkey')
        batch.drop_column('community_id')
        batch.create_unique_constraint(op.f('uq_identities_channel'), ['channel', 'user_id'])
