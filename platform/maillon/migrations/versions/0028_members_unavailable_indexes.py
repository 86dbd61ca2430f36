"""members: indexes that find who cannot relay (busy, off, or not active) without reading
every member of the instance (the chains' ``unavailable_ids``)

Revision ID: 8d2b6f1a0c93
Revises: 7c3a9e2d4b61
Create Date: 2026-12-07 19:50:00.000000
"""

from alembic import op


revision = '8d2b6f1a0c93'
down_revision = '7c3a9e2d4b61'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_instance_relaying', ['instance_id', 'relaying'],
                              unique=False)
        batch_op.create_index('ix_members_instance_status', ['instance_id', 'status'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_instance_status')
        batch_op.drop_index('ix_members_instance_relaying')
