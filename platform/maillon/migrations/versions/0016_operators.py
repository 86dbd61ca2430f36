"""operators: the deployment's operators and their sessions; instances created, moved and
disabled by them (source, placement, status); the audit log's instance actions

Revision ID: 3f8d2a6c1b94
Revises: c5605b53cf75
Create Date: 2026-12-07 10:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import maillon.db

revision = '3f8d2a6c1b94'
down_revision = 'c5605b53cf75'
branch_labels = None
depends_on = None

# As they were when this migration was written: a later change comes with its own migration.
OLD_ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
               'audit_exported', 'member_warned', 'member_limited', 'member_suspended',
               'sanction_lifted', 'sanction_expired', 'appeal_accepted', 'appeal_rejected',
               'report_dismissed', 'report_actioned', 'member_deleted', 'policy_changed',
               'introduction_approved', 'introduction_blocked', 'role_changed',
               'federation_changed', 'organisation_managed')
ACTIONS = OLD_ACTIONS + ('instance_created', 'instance_moved', 'instance_disabled',
                         'instance_enabled')


def _values(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    op.create_table(
        'operators',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operators')),
        sa.UniqueConstraint('email', name=op.f('uq_operators_email')),
    )
    op.create_table(
        'operator_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], ondelete='CASCADE',
                                name=op.f('fk_operator_sessions_operator_id_operators')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_operator_sessions_token_hash')),
    )
    op.create_index(op.f('ix_operator_sessions_operator_id'), 'operator_sessions',
                    ['operator_id'], unique=False)
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('placement', sa.JSON(), nullable=False,
                                      server_default='{}'))
        batch_op.add_column(sa.Column('source', sa.String(length=10), nullable=False,
                                      server_default='file'))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False,
                                      server_default='active'))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('updated_at', maillon.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f('ck_instances_status_values'),
                                         "status IN ('active', 'disabled')")
        batch_op.create_check_constraint(op.f('ck_instances_source_values'),
                                         "source IN ('file', 'operator')")
    op.execute("UPDATE instances SET updated_at = created_at")
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.alter_column('updated_at', nullable=False)
        batch_op.alter_column('placement', server_default=None)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', ACTIONS))


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', OLD_ACTIONS))
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_instances_source_values'), type_='check')
        batch_op.drop_constraint(op.f('ck_instances_status_values'), type_='check')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status')
        batch_op.drop_column('source')
        batch_op.drop_column('placement')
    op.drop_index(op.f('ix_operator_sessions_operator_id'), table_name='operator_sessions')
    op.drop_table('operator_sessions')
    op.drop_table('operators')
