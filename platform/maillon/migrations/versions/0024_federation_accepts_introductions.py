"""federation: whether a remote actor takes introduction Offers (pn:acceptsIntroductions),
else introductions reach them as a direct message (decision 56b)

Revision ID: 9a4c2d7e15b3
Revises: 6d1f0e93b7a4
Create Date: 2026-12-07 16:45:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '9a4c2d7e15b3'
down_revision = '6d1f0e93b7a4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('remote_actors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepts_introductions', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('remote_actors', schema=None) as batch_op:
        batch_op.alter_column('accepts_introductions', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('remote_actors', schema=None) as batch_op:
        batch_op.drop_column('accepts_introductions')
