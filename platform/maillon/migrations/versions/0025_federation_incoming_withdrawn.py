"""federation incoming introductions: withdrawn by the requester's side (their Undo of the
Offer), decision 56a

Revision ID: 2e8b5f4c9d10
Revises: 9a4c2d7e15b3
Create Date: 2026-12-07 17:00:00.000000
"""

from alembic import op


revision = '2e8b5f4c9d10'
down_revision = '9a4c2d7e15b3'
branch_labels = None
depends_on = None

OLD = ('waiting', 'accepted', 'declined')
NEW = OLD + ('withdrawn',)


def _check(states: tuple[str, ...]) -> str:
    return 'status IN ({})'.format(', '.join(f"'{s}'" for s in states))


def upgrade() -> None:
    with op.batch_alter_table('incoming_introductions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_incoming_introductions_status_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_incoming_introductions_status_values'),
                                         _check(NEW))


def downgrade() -> None:
    op.execute("DELETE FROM incoming_introductions WHERE status = 'withdrawn'")
    with op.batch_alter_table('incoming_introductions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_incoming_introductions_status_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_incoming_introductions_status_values'),
                                         _check(OLD))
