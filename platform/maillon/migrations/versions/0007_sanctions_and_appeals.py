"""sanctions and appeals: warn, limit, suspend, one appeal per sanction; the audit log's new
actions

Revision ID: 4f0b2c8e7d19
Revises: 9a41d7c0e2b6
Create Date: 2026-12-07 04:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '4f0b2c8e7d19'
down_revision = '9a41d7c0e2b6'
branch_labels = None
depends_on = None

# As they were when this migration was written: a later change comes with its own migration.
OLD_ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
               'audit_exported')
ACTIONS = OLD_ACTIONS + ('member_warned', 'member_limited', 'member_suspended',
                         'sanction_lifted', 'sanction_expired', 'appeal_accepted',
                         'appeal_rejected')


def _values(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    op.create_table('sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('until', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint(_values('kind', ('warn', 'limit', 'suspend')), name=op.f('ck_sanctions_kind_values')),
    sa.CheckConstraint(_values('status', ('active', 'lifted', 'expired')), name=op.f('ck_sanctions_status_values')),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_sanctions_created_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_sanctions_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_sanctions_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctions'))
    )
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanctions_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_sanctions_member', ['instance_id', 'member_id', 'status'], unique=False)
        batch_op.create_index('ix_sanctions_until', ['status', 'until'], unique=False)

    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint(_values('status', ('open', 'accepted', 'rejected')), name=op.f('ck_appeals_status_values')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['members.id'], name=op.f('fk_appeals_decided_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_appeals_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_appeals_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'], name=op.f('fk_appeals_sanction_id_sanctions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
    sa.UniqueConstraint('instance_id', 'sanction_id', name=op.f('uq_appeals_instance_id_sanction_id'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_appeals_status', ['instance_id', 'status'], unique=False)

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', ACTIONS))


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', OLD_ACTIONS))
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_appeals_status')
        batch_op.drop_index(batch_op.f('ix_appeals_instance_id'))
    op.drop_table('appeals')
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.drop_index('ix_sanctions_until')
        batch_op.drop_index('ix_sanctions_member')
        batch_op.drop_index(batch_op.f('ix_sanctions_instance_id'))
    op.drop_table('sanctions')
