"""federation: connections a member starts with a remote person (status ``pending``), and what
is shown of a remote person (summary, profile page)

Revision ID: 5c2e7f0a9d14
Revises: 0b3594bc1d27
Create Date: 2026-12-07 13:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '5c2e7f0a9d14'
down_revision = '0b3594bc1d27'
branch_labels = None
depends_on = None

OLD = ('requested', 'connected', 'declined', 'withdrawn', 'removed')
NEW = ('requested', 'pending', 'connected', 'declined', 'withdrawn', 'removed')


def _check(states: tuple[str, ...]) -> str:
    return 'status IN ({})'.format(', '.join(f"'{s}'" for s in states))


def upgrade() -> None:
    with op.batch_alter_table('remote_actors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('url', sa.String(length=500), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('remote_actors', schema=None) as batch_op:
        batch_op.alter_column('summary', server_default=None)
        batch_op.alter_column('url', server_default=None)
    with op.batch_alter_table('remote_connections', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_remote_connections_status_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_remote_connections_status_values'), _check(NEW))


def downgrade() -> None:
    op.execute("DELETE FROM remote_connections WHERE status = 'pending'")
    with op.batch_alter_table('remote_connections', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_remote_connections_status_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_remote_connections_status_values'), _check(OLD))
    with op.batch_alter_table('remote_actors', schema=None) as batch_op:
        batch_op.drop_column('url')
        batch_op.drop_column('summary')
