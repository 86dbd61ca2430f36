"""status CHECK constraints: introductions, introduction hops and connections keep to their
lifecycle tables (introductions/lifecycle.py, network/lifecycle.py)

Revision ID: 7c1e4a9d2b35
Revises: 5b2d8e61f0a4
Create Date: 2026-11-24 09:30:00.000000
"""

from alembic import op

revision = '7c1e4a9d2b35'
down_revision = '5b2d8e61f0a4'
branch_labels = None
depends_on = None

# The states as they were when this migration was written: a later change of a lifecycle
# table comes with its own migration.
STATES = {
    'introductions': ('in_progress', 'delivered', 'declined', 'expired', 'accepted', 'rejected',
                      'advised', 'withdrawn', 'blocked'),
    'introduction_hops': ('holding', 'forwarded', 'rerouted', 'declined', 'advised', 'expired'),
    'connections': ('pending', 'connected', 'declined', 'withdrawn', 'removed'),
}


def upgrade() -> None:
    for table, states in STATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(
                op.f(f'ck_{table}_status_values'),
                'status IN ({})'.format(', '.join(f"'{s}'" for s in states)))


def downgrade() -> None:
    for table in STATES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status_values'), type_='check')
