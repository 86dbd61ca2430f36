"""worker heartbeats

Revision ID: 5b2d8e61f0a4
Revises: e3f6097c7691
Create Date: 2026-11-23 10:12:04.518230
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '5b2d8e61f0a4'
down_revision = 'e3f6097c7691'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_heartbeats',
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('last_beat_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('worker', name=op.f('pk_worker_heartbeats'))
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeats')
