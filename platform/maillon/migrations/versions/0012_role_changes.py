"""roles: the audit log's role_changed action (admins and the operator name moderators and
admins)

Revision ID: 9c4b2e7a5d31
Revises: 6e2a9c4d8f17
Create Date: 2026-12-07 08:20:00.000000
"""

from alembic import op


revision = '9c4b2e7a5d31'
down_revision = '6e2a9c4d8f17'
branch_labels = None
depends_on = None

# As they were when this migration was written: a later change comes with its own migration.
OLD_ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
               'audit_exported', 'member_warned', 'member_limited', 'member_suspended',
               'sanction_lifted', 'sanction_expired', 'appeal_accepted', 'appeal_rejected',
               'report_dismissed', 'report_actioned', 'member_deleted', 'policy_changed',
               'introduction_approved', 'introduction_blocked')
ACTIONS = OLD_ACTIONS + ('role_changed',)


def _values(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', ACTIONS))


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', OLD_ACTIONS))
