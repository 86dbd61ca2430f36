"""federation inbox: remote keys (a cache of public documents) and received activities (one
row per activity id and instance, a lifecycle with its CHECK)

Revision ID: 8a3d7c03d959
Revises: 4d1f7b2c9e58
Create Date: 2026-12-07 09:56:11.830975
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '8a3d7c03d959'
down_revision = '4d1f7b2c9e58'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remote_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.String(length=500), nullable=False),
    sa.Column('public_pem', sa.Text(), nullable=False),
    sa.Column('fetched_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remote_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_remote_keys_key_id'))
    )
    op.create_table('inbox_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=500), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=500), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('received_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('received', 'processed', 'ignored', 'failed')", name=op.f('ck_inbox_activities_status_values')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_inbox_activities_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_inbox_activities_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_activities')),
    sa.UniqueConstraint('instance_id', 'activity_id', name=op.f('uq_inbox_activities_instance_id_activity_id'))
    )
    with op.batch_alter_table('inbox_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_activities_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_inbox_activities_received', ['received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inbox_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_activities_received')
        batch_op.drop_index(batch_op.f('ix_inbox_activities_instance_id'))

    op.drop_table('inbox_activities')
    op.drop_table('remote_keys')
