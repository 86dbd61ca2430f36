"""introduction staff views: who among staff opened a request they are not part of, and when

Revision ID: 33e30b6c4a44
Revises: 7c1e4a9d2b35
Create Date: 2026-12-07 02:27:43.585816
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '33e30b6c4a44'
down_revision = '7c1e4a9d2b35'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('introduction_staff_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('introduction_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_introduction_staff_views_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['introduction_id'], ['introductions.id'], name=op.f('fk_introduction_staff_views_introduction_id_introductions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_introduction_staff_views_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_introduction_staff_views'))
    )
    with op.batch_alter_table('introduction_staff_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_introduction_staff_views_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_introduction_staff_views_introduction', ['instance_id', 'introduction_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('introduction_staff_views', schema=None) as batch_op:
        batch_op.drop_index('ix_introduction_staff_views_introduction')
        batch_op.drop_index(batch_op.f('ix_introduction_staff_views_instance_id'))

    op.drop_table('introduction_staff_views')
