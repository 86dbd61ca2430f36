"""introductions: a chain that continues on the other server (its entry there, and the people
after them as that server showed them), decision 61

Revision ID: 6c1f0a9e3b27
Revises: 2e8b5f4c9d10
Create Date: 2026-12-07 19:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '6c1f0a9e3b27'
down_revision = '2e8b5f4c9d10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_entry_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('remote_beyond', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_introductions_remote_entry_id_remote_actors'), 'remote_actors',
            ['remote_entry_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_introductions_remote_entry_id_remote_actors'), type_='foreignkey')
        batch_op.drop_column('remote_beyond')
        batch_op.drop_column('remote_entry_id')
