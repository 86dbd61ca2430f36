"""federation deliveries: one row per activity and inbox (a lifecycle with its CHECK), and
how each remote server fares (failure days, unavailable since)

Revision ID: 16e4066e6d51
Revises: 8a3d7c03d959
Create Date: 2026-12-07 10:12:40.383675
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '16e4066e6d51'
down_revision = '8a3d7c03d959'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('federation_server_health',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=253), nullable=False),
    sa.Column('failure_days', sa.Integer(), nullable=False),
    sa.Column('last_failure_day', sa.Date(), nullable=True),
    sa.Column('unavailable_since', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_server_health')),
    sa.UniqueConstraint('host', name=op.f('uq_federation_server_health_host'))
    )
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=500), nullable=False),
    sa.Column('inbox', sa.String(length=500), nullable=False),
    sa.Column('host', sa.String(length=253), nullable=False),
    sa.Column('signer', sa.String(length=24), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'delivered', 'rejected', 'expired')", name=op.f('ck_deliveries_status_values')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_deliveries_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_deliveries_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('instance_id', 'activity_id', 'inbox', name=op.f('uq_deliveries_instance_id_activity_id_inbox'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_instance_host', ['instance_id', 'host'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_deliveries_instance_status', ['instance_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_instance_status')
        batch_op.drop_index(batch_op.f('ix_deliveries_instance_id'))
        batch_op.drop_index('ix_deliveries_instance_host')

    op.drop_table('deliveries')
    op.drop_table('federation_server_health')
