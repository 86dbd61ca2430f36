"""audit log: one row per staff action (who, what, on whom, when, why, from which address)

Revision ID: 9a41d7c0e2b6
Revises: 33e30b6c4a44
Create Date: 2026-12-07 04:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '9a41d7c0e2b6'
down_revision = '33e30b6c4a44'
branch_labels = None
depends_on = None

# The actions as they were when this migration was written: a later one changes the CHECK.
ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
           'audit_exported')


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject_member_id', sa.Integer(), nullable=True),
    sa.Column('subject_name', sa.String(length=120), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("action IN ({})".format(", ".join(f"'{a}'" for a in ACTIONS)),
                       name=op.f('ck_audit_entries_action_values')),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_audit_entries_actor_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_audit_entries_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_member_id'], ['members.id'], name=op.f('fk_audit_entries_subject_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_audit_entries_instance_created', ['instance_id', 'created_at'], unique=False)
        batch_op.create_index('ix_audit_entries_actor', ['instance_id', 'actor_id'], unique=False)
        batch_op.create_index('ix_audit_entries_subject_member', ['instance_id', 'subject_member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_subject_member')
        batch_op.drop_index('ix_audit_entries_actor')
        batch_op.drop_index('ix_audit_entries_instance_created')
        batch_op.drop_index(batch_op.f('ix_audit_entries_instance_id'))

    op.drop_table('audit_entries')
