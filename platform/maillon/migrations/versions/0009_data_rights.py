"""data rights: the audit log's member_deleted action; introductions remember when their
private texts were purged (retention policy)

Revision ID: 8d2f4b7a1e93
Revises: 6c3e9a1d5b27
Create Date: 2026-12-07 07:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '8d2f4b7a1e93'
down_revision = '6c3e9a1d5b27'
branch_labels = None
depends_on = None

# As they were when this migration was written: a later change comes with its own migration.
OLD_ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
               'audit_exported', 'member_warned', 'member_limited', 'member_suspended',
               'sanction_lifted', 'sanction_expired', 'appeal_accepted', 'appeal_rejected',
               'report_dismissed', 'report_actioned')
ACTIONS = OLD_ACTIONS + ('member_deleted',)


def _values(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', maillon.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index('ix_introductions_closed', ['instance_id', 'closed_at'],
                              unique=False)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', ACTIONS))


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', OLD_ACTIONS))
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.drop_index('ix_introductions_closed')
        batch_op.drop_column('purged_at')
