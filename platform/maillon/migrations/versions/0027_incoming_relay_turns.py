"""incoming introductions whose chain continues here: the target, the chain on this side,
and each relay's turn (decision 62)

Revision ID: 7c3a9e2d4b61
Revises: 6c1f0a9e3b27
Create Date: 2026-12-07 19:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '7c3a9e2d4b61'
down_revision = '6c1f0a9e3b27'
branch_labels = None
depends_on = None

OLD = ('waiting', 'accepted', 'declined', 'withdrawn')
NEW = ('relaying', 'waiting', 'accepted', 'declined', 'withdrawn', 'stopped')
TURNS = ('waiting', 'forwarded', 'declined', 'expired', 'withdrawn')


def _check(states: tuple[str, ...]) -> str:
    return 'status IN ({})'.format(', '.join(f"'{s}'" for s in states))


def upgrade() -> None:
    with op.batch_alter_table('incoming_introductions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('path', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('max_links', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', maillon.db.UTCDateTime(),
                                      nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_incoming_introductions_target_id_members'), 'members',
            ['target_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_incoming_introductions_target_id'),
                              ['target_id'], unique=False)
        batch_op.drop_constraint(op.f('ck_incoming_introductions_status_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_incoming_introductions_status_values'),
                                         _check(NEW))
    with op.batch_alter_table('incoming_introductions', schema=None) as batch_op:
        batch_op.alter_column('path', server_default=None)
    op.create_table('incoming_introduction_turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incoming_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('vouch', sa.Text(), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('deadline', maillon.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', maillon.db.UTCDateTime(), nullable=False),
    sa.Column('acted_at', maillon.db.UTCDateTime(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint(_check(TURNS),
                       name=op.f('ck_incoming_introduction_turns_status_values')),
    sa.ForeignKeyConstraint(['incoming_id'], ['incoming_introductions.id'],
                            name=op.f('fk_incoming_introduction_turns_incoming_id_'
                                      'incoming_introductions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'],
                            name=op.f('fk_incoming_introduction_turns_instance_id_instances'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                            name=op.f('fk_incoming_introduction_turns_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_introduction_turns')),
    sa.UniqueConstraint('incoming_id', 'position',
                        name=op.f('uq_incoming_introduction_turns_incoming_id_position'))
    )
    with op.batch_alter_table('incoming_introduction_turns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incoming_introduction_turns_incoming_id'),
                              ['incoming_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incoming_introduction_turns_instance_id'),
                              ['instance_id'], unique=False)
        batch_op.create_index('ix_incoming_introduction_turns_member',
                              ['instance_id', 'member_id', 'status'], unique=False)
        batch_op.create_index('ix_incoming_introduction_turns_deadline',
                              ['status', 'deadline'], unique=False)


def downgrade() -> None:
    op.drop_table('incoming_introduction_turns')
    op.execute("DELETE FROM incoming_introductions WHERE target_id IS NOT NULL "
               "OR status IN ('relaying', 'stopped')")
    with op.batch_alter_table('incoming_introductions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_incoming_introductions_status_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_incoming_introductions_status_values'),
                                         _check(OLD))
        batch_op.drop_index(batch_op.f('ix_incoming_introductions_target_id'))
        batch_op.drop_constraint(batch_op.f('fk_incoming_introductions_target_id_members'),
                                 type_='foreignkey')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('max_links')
        batch_op.drop_column('path')
        batch_op.drop_column('target_id')
