"""federation introductions: a request whose target is a person on another server (the last
hop crosses as an Offer), decision 56

Revision ID: 3b7e51c0a622
Revises: 28dd9bb78d78
Create Date: 2026-12-07 16:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '3b7e51c0a622'
down_revision = '28dd9bb78d78'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_target_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offer_id', sa.String(length=500), nullable=True))
        batch_op.alter_column('target_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_introductions_remote_target_id_remote_actors'), 'remote_actors',
            ['remote_target_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_introductions_remote_target_id'),
                              ['remote_target_id'], unique=False)
        batch_op.create_index('ix_introductions_offer', ['instance_id', 'offer_id'],
                              unique=False)
        batch_op.create_check_constraint(
            batch_op.f('ck_introductions_one_target'),
            '(target_id IS NULL) <> (remote_target_id IS NULL)')


def downgrade() -> None:
    op.execute("DELETE FROM introductions WHERE target_id IS NULL")
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_introductions_one_target'), type_='check')
        batch_op.drop_index('ix_introductions_offer')
        batch_op.drop_index(batch_op.f('ix_introductions_remote_target_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_introductions_remote_target_id_remote_actors'), type_='foreignkey')
        batch_op.alter_column('target_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('offer_id')
        batch_op.drop_column('remote_target_id')
