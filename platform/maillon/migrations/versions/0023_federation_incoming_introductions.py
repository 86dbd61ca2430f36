"""federation incoming introductions: an Offer from another server's member to one of ours,
answered on their introductions page (decision 56a)

Revision ID: 6d1f0e93b7a4
Revises: 3b7e51c0a622
Create Date: 2026-12-07 16:40:00.000000
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '6d1f0e93b7a4'
down_revision = '3b7e51c0a622'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incoming_introductions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.String(length=500), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(), nullable=False),
    sa.Column('answered_at', maillon.db.UTCDateTime(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('waiting', 'accepted', 'declined')",
                       name=op.f('ck_incoming_introductions_status_values')),
    sa.ForeignKeyConstraint(['carrier_id'], ['remote_actors.id'],
                            name=op.f('fk_incoming_introductions_carrier_id_remote_actors'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'],
                            name=op.f('fk_incoming_introductions_instance_id_instances'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                            name=op.f('fk_incoming_introductions_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['remote_actors.id'],
                            name=op.f('fk_incoming_introductions_requester_id_remote_actors'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_introductions')),
    sa.UniqueConstraint('instance_id', 'offer_id',
                        name=op.f('uq_incoming_introductions_instance_id_offer_id'))
    )
    with op.batch_alter_table('incoming_introductions', schema=None) as batch_op:
        batch_op.create_index('ix_incoming_introductions_member',
                              ['instance_id', 'member_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_introductions_instance_id'),
                              ['instance_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incoming_introductions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incoming_introductions_instance_id'))
        batch_op.drop_index('ix_incoming_introductions_member')
    op.drop_table('incoming_introductions')
