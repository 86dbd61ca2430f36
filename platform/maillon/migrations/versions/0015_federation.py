"""federation: policies and server rules per instance, the operator's blocklist, actor keys,
members' federation choices, and the audit log's federation_changed action

Revision ID: 371d6edf3bec
Revises: 9c4b2e7a5d31
Create Date: 2026-12-07 09:38:00.885718
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '371d6edf3bec'
down_revision = '9c4b2e7a5d31'
branch_labels = None
depends_on = None

# As they were when this migration was written: a later change comes with its own migration.
OLD_ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
               'audit_exported', 'member_warned', 'member_limited', 'member_suspended',
               'sanction_lifted', 'sanction_expired', 'appeal_accepted', 'appeal_rejected',
               'report_dismissed', 'report_actioned', 'member_deleted', 'policy_changed',
               'introduction_approved', 'introduction_blocked', 'role_changed')
ACTIONS = OLD_ACTIONS + ('federation_changed',)


def _values(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def _audit_actions(values):
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', values))


def upgrade() -> None:
    op.create_table('operator_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_blocks')),
    sa.UniqueConstraint('domain', name=op.f('uq_operator_blocks_domain'))
    )
    op.create_table('federated_servers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('reject_media', sa.Boolean(), nullable=False),
    sa.Column('reject_reports', sa.Boolean(), nullable=False),
    sa.Column('public_comment', sa.String(length=500), nullable=False),
    sa.Column('private_comment', sa.String(length=500), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("severity IN ('none', 'limit', 'suspend')", name=op.f('ck_federated_servers_severity_values')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_federated_servers_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federated_servers')),
    sa.UniqueConstraint('instance_id', 'domain', name=op.f('uq_federated_servers_instance_id_domain'))
    )
    with op.batch_alter_table('federated_servers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federated_servers_instance_id'), ['instance_id'], unique=False)

    op.create_table('federation_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('discoverable', sa.Boolean(), nullable=False),
    sa.Column('updated_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("mode IN ('nobody', 'allowlist', 'blocklist')", name=op.f('ck_federation_policies_mode_values')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_federation_policies_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_policies')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_federation_policies_instance_id'))
    )
    with op.batch_alter_table('federation_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federation_policies_instance_id'), ['instance_id'], unique=False)

    op.create_table('actor_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=24), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('public_pem', sa.Text(), nullable=False),
    sa.Column('private_sealed', sa.Text(), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_actor_keys_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_actor_keys_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actor_keys')),
    sa.UniqueConstraint('instance_id', 'owner', 'generation', name=op.f('uq_actor_keys_instance_id_owner_generation'))
    )
    with op.batch_alter_table('actor_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actor_keys_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_actor_keys_member', ['member_id'], unique=False)

    op.create_table('federated_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('handle', sa.String(length=40), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('discoverable', sa.Boolean(), nullable=False),
    sa.Column('indexable', sa.Boolean(), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_federated_members_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_federated_members_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federated_members')),
    sa.UniqueConstraint('instance_id', 'handle', name=op.f('uq_federated_members_instance_id_handle')),
    sa.UniqueConstraint('instance_id', 'member_id', name=op.f('uq_federated_members_instance_id_member_id'))
    )
    with op.batch_alter_table('federated_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federated_members_instance_id'), ['instance_id'], unique=False)

    _audit_actions(ACTIONS)


def downgrade() -> None:
    _audit_actions(OLD_ACTIONS)
    with op.batch_alter_table('federated_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federated_members_instance_id'))

    op.drop_table('federated_members')
    with op.batch_alter_table('actor_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_actor_keys_member')
        batch_op.drop_index(batch_op.f('ix_actor_keys_instance_id'))

    op.drop_table('actor_keys')
    with op.batch_alter_table('federation_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federation_policies_instance_id'))

    op.drop_table('federation_policies')
    with op.batch_alter_table('federated_servers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federated_servers_instance_id'))

    op.drop_table('federated_servers')
    op.drop_table('operator_blocks')
