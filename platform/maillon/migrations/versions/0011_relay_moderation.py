"""relay moderation: held introduction requests (status held), a relay released by a
moderator's block (hop status released), and the audit actions introduction_approved and
introduction_blocked

Revision ID: 6e2a9c4d8f17
Revises: 3b7e1f9c2a64
Create Date: 2026-12-07 07:50:00.000000
"""

from alembic import op


revision = '6e2a9c4d8f17'
down_revision = '3b7e1f9c2a64'
branch_labels = None
depends_on = None

# As they were when this migration was written: a later change comes with its own migration.
OLD_ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
               'audit_exported', 'member_warned', 'member_limited', 'member_suspended',
               'sanction_lifted', 'sanction_expired', 'appeal_accepted', 'appeal_rejected',
               'report_dismissed', 'report_actioned', 'member_deleted', 'policy_changed')
ACTIONS = OLD_ACTIONS + ('introduction_approved', 'introduction_blocked')
OLD_STATES = {
    'introductions': ('in_progress', 'delivered', 'declined', 'expired', 'accepted', 'rejected',
                      'advised', 'withdrawn', 'blocked'),
    'introduction_hops': ('holding', 'forwarded', 'rerouted', 'declined', 'advised', 'expired'),
}
STATES = {
    'introductions': OLD_STATES['introductions'] + ('held',),
    'introduction_hops': OLD_STATES['introduction_hops'] + ('released',),
}


def _values(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def _checks(actions, states) -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', actions))
    for table, values in states.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status_values'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_status_values'),
                                             _values('status', values))


def upgrade() -> None:
    _checks(ACTIONS, STATES)


def downgrade() -> None:
    # No row is rewritten: with held requests, released hops or the new audit rows present the
    # database refuses the old constraints, rather than lose what moderators did.
    _checks(OLD_ACTIONS, OLD_STATES)
