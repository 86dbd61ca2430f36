"""federation remote connections: remote people an instance met (never members) and their
connections with local members (a lifecycle with its CHECK)

Revision ID: 0b3594bc1d27
Revises: 16e4066e6d51
Create Date: 2026-12-07 10:17:15.762668
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '0b3594bc1d27'
down_revision = '16e4066e6d51'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remote_actors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uri', sa.String(length=500), nullable=False),
    sa.Column('inbox', sa.String(length=500), nullable=False),
    sa.Column('shared_inbox', sa.String(length=500), nullable=True),
    sa.Column('handle', sa.String(length=300), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('fetched_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_remote_actors_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remote_actors')),
    sa.UniqueConstraint('instance_id', 'uri', name=op.f('uq_remote_actors_instance_id_uri'))
    )
    with op.batch_alter_table('remote_actors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remote_actors_instance_id'), ['instance_id'], unique=False)

    op.create_table('remote_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('remote_actor_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('follow_id', sa.String(length=500), nullable=False),
    sa.Column('our_follow_id', sa.String(length=500), nullable=True),
    sa.Column('their_answer', sa.String(length=10), nullable=True),
    sa.Column('requested_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'connected', 'declined', 'withdrawn', 'removed')", name=op.f('ck_remote_connections_status_values')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_remote_connections_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_remote_connections_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['remote_actor_id'], ['remote_actors.id'], name=op.f('fk_remote_connections_remote_actor_id_remote_actors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remote_connections')),
    sa.UniqueConstraint('instance_id', 'member_id', 'remote_actor_id', name=op.f('uq_remote_connections_instance_id_member_id_remote_actor_id'))
    )
    with op.batch_alter_table('remote_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remote_connections_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_remote_connections_member', ['instance_id', 'member_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_remote_connections_remote_actor_id'), ['remote_actor_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('remote_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remote_connections_remote_actor_id'))
        batch_op.drop_index('ix_remote_connections_member')
        batch_op.drop_index(batch_op.f('ix_remote_connections_instance_id'))

    op.drop_table('remote_connections')
    with op.batch_alter_table('remote_actors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remote_actors_instance_id'))

    op.drop_table('remote_actors')
