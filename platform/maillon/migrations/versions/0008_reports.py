"""reports: members report members, introductions, recommendations and messages; staff ignore
a reporter about a subject; the audit log's report actions

Revision ID: 6c3e9a1d5b27
Revises: 4f0b2c8e7d19
Create Date: 2026-12-07 07:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '6c3e9a1d5b27'
down_revision = '4f0b2c8e7d19'
branch_labels = None
depends_on = None

# As they were when this migration was written: a later change comes with its own migration.
OLD_ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
               'audit_exported', 'member_warned', 'member_limited', 'member_suspended',
               'sanction_lifted', 'sanction_expired', 'appeal_accepted', 'appeal_rejected')
ACTIONS = OLD_ACTIONS + ('report_dismissed', 'report_actioned')
SUBJECTS = ('member', 'introduction', 'recommendation', 'message')
REASONS = ('spam', 'harassment', 'impersonation', 'inappropriate', 'other')
STATUSES = ('open', 'actioned', 'dismissed')


def _values(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('subject_member_id', sa.Integer(), nullable=True),
    sa.Column('subject_name', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('ignored', sa.Boolean(), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint(_values('subject_type', SUBJECTS), name=op.f('ck_reports_subject_type_values')),
    sa.CheckConstraint(_values('reason', REASONS), name=op.f('ck_reports_reason_values')),
    sa.CheckConstraint(_values('status', STATUSES), name=op.f('ck_reports_status_values')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['members.id'], name=op.f('fk_reports_decided_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_reports_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['members.id'], name=op.f('fk_reports_reporter_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_member_id'], ['members.id'], name=op.f('fk_reports_subject_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_reports_queue', ['instance_id', 'status', 'subject_type', 'subject_id'], unique=False)
        batch_op.create_index('ix_reports_reporter', ['instance_id', 'reporter_id', 'created_at'], unique=False)
        batch_op.create_index('uq_reports_open_per_reporter', ['instance_id', 'reporter_id', 'subject_type', 'subject_id'], unique=True,
                              sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('report_ignores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_report_ignores_created_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_report_ignores_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['members.id'], name=op.f('fk_report_ignores_reporter_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_ignores')),
    sa.UniqueConstraint('instance_id', 'reporter_id', 'subject_type', 'subject_id', name=op.f('uq_report_ignores_instance_id_reporter_id_subject_type_subject_id'))
    )
    with op.batch_alter_table('report_ignores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_ignores_instance_id'), ['instance_id'], unique=False)

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', ACTIONS))


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', OLD_ACTIONS))
    with op.batch_alter_table('report_ignores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_ignores_instance_id'))
    op.drop_table('report_ignores')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('uq_reports_open_per_reporter')
        batch_op.drop_index('ix_reports_reporter')
        batch_op.drop_index('ix_reports_queue')
        batch_op.drop_index(batch_op.f('ix_reports_instance_id'))
    op.drop_table('reports')
