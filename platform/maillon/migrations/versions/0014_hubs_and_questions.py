"""hubs and questions: topic communities with threads, posts and follows; questions to one's
network with their recipients and answers; the audit action post_removed and the report
subject post

Revision ID: 4d1f7b2c9e58
Revises: 3f8d2a6c1b94
Create Date: 2026-12-07 09:36:49.986094
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '4d1f7b2c9e58'
down_revision = '3f8d2a6c1b94'  # 0016_operators, the head on main when this landed
branch_labels = None
depends_on = None

# As they were when this migration was written: a later change comes with its own migration.
OLD_ACTIONS = ('member_approved', 'member_rejected', 'invitation_sent', 'introduction_viewed',
               'audit_exported', 'member_warned', 'member_limited', 'member_suspended',
               'sanction_lifted', 'sanction_expired', 'appeal_accepted', 'appeal_rejected',
               'report_dismissed', 'report_actioned', 'member_deleted', 'policy_changed',
               'introduction_approved', 'introduction_blocked', 'role_changed',
               'federation_changed', 'organisation_managed', 'instance_created',
               'instance_moved', 'instance_disabled', 'instance_enabled')
ACTIONS = OLD_ACTIONS + ('post_removed',)
OLD_SUBJECTS = ('member', 'introduction', 'recommendation', 'message')
SUBJECTS = OLD_SUBJECTS + ('post',)


def _values(column, values):
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def _checks(actions, subjects) -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_entries_action_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_entries_action_values'),
                                         _values('action', actions))
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_reports_subject_type_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_reports_subject_type_values'),
                                         _values('subject_type', subjects))


def upgrade() -> None:
    op.create_table('hubs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_key', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=8), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('thread_count', sa.Integer(), nullable=False),
    sa.Column('last_activity_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("visibility IN ('open', 'request')", name=op.f('ck_hubs_visibility_values')),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_hubs_created_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_hubs_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hubs')),
    sa.UniqueConstraint('instance_id', 'name_key', name=op.f('uq_hubs_instance_id_name_key'))
    )
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hubs_instance_id'), ['instance_id'], unique=False)

    op.create_table('hub_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('member', 'moderator')", name=op.f('ck_hub_memberships_role_values')),
    sa.CheckConstraint("status IN ('pending', 'active')", name=op.f('ck_hub_memberships_status_values')),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_hub_memberships_hub_id_hubs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_hub_memberships_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_hub_memberships_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_memberships')),
    sa.UniqueConstraint('hub_id', 'member_id', name=op.f('uq_hub_memberships_hub_id_member_id'))
    )
    with op.batch_alter_table('hub_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_memberships_hub_id'), ['hub_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hub_memberships_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_hub_memberships_member', ['instance_id', 'member_id'], unique=False)

    op.create_table('hub_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_post_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reply_count', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('published', 'deleted', 'removed')", name=op.f('ck_hub_threads_status_values')),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('fk_hub_threads_author_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_hub_threads_hub_id_hubs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_hub_threads_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_threads'))
    )
    with op.batch_alter_table('hub_threads', schema=None) as batch_op:
        batch_op.create_index('ix_hub_threads_hub_activity', ['hub_id', 'status', 'last_post_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hub_threads_instance_id'), ['instance_id'], unique=False)

    op.create_table('hub_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('opening', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('edited_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('published', 'deleted', 'removed')", name=op.f('ck_hub_posts_status_values')),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('fk_hub_posts_author_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_hub_posts_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['hub_threads.id'], name=op.f('fk_hub_posts_thread_id_hub_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_posts')),
    sa.UniqueConstraint('instance_id', 'author_id', 'client_key', name=op.f('uq_hub_posts_instance_id_author_id_client_key'))
    )
    with op.batch_alter_table('hub_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_posts_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_hub_posts_thread', ['thread_id', 'id'], unique=False)

    op.create_table('hub_thread_follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('following', sa.Boolean(), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_hub_thread_follows_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_hub_thread_follows_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['hub_threads.id'], name=op.f('fk_hub_thread_follows_thread_id_hub_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_thread_follows')),
    sa.UniqueConstraint('thread_id', 'member_id', name=op.f('uq_hub_thread_follows_thread_id_member_id'))
    )
    with op.batch_alter_table('hub_thread_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_thread_follows_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hub_thread_follows_member_id'), ['member_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reach', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("reach IN ('connections', 'extended')", name=op.f('ck_questions_reach_values')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_questions_status_values')),
    sa.ForeignKeyConstraint(['asker_id'], ['members.id'], name=op.f('fk_questions_asker_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_questions_instance_id_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index('ix_questions_asker', ['instance_id', 'asker_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_instance_id'), ['instance_id'], unique=False)

    op.create_table('question_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('thanked_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('fk_question_answers_author_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_question_answers_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_answers_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_answers')),
    sa.UniqueConstraint('question_id', 'author_id', name=op.f('uq_question_answers_question_id_author_id'))
    )
    with op.batch_alter_table('question_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_answers_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_answers_question_id'), ['question_id'], unique=False)

    op.create_table('question_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('degree', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('degree IN (1, 2)', name=op.f('ck_question_recipients_degree_values')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_question_recipients_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_question_recipients_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_recipients_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_recipients')),
    sa.UniqueConstraint('question_id', 'member_id', name=op.f('uq_question_recipients_question_id_member_id'))
    )
    with op.batch_alter_table('question_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_recipients_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_question_recipients_member', ['instance_id', 'member_id'], unique=False)

    _checks(ACTIONS, SUBJECTS)


def downgrade() -> None:
    # With post reports or post_removed rows present the database refuses the old constraints,
    # rather than lose what moderators did.
    _checks(OLD_ACTIONS, OLD_SUBJECTS)
    with op.batch_alter_table('hub_thread_follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_thread_follows_member_id'))
        batch_op.drop_index(batch_op.f('ix_hub_thread_follows_instance_id'))

    op.drop_table('hub_thread_follows')
    with op.batch_alter_table('hub_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_posts_thread')
        batch_op.drop_index(batch_op.f('ix_hub_posts_instance_id'))

    op.drop_table('hub_posts')
    with op.batch_alter_table('hub_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_threads_instance_id'))
        batch_op.drop_index('ix_hub_threads_hub_activity')

    op.drop_table('hub_threads')
    with op.batch_alter_table('hub_memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_memberships_member')
        batch_op.drop_index(batch_op.f('ix_hub_memberships_instance_id'))
        batch_op.drop_index(batch_op.f('ix_hub_memberships_hub_id'))

    op.drop_table('hub_memberships')
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hubs_instance_id'))

    op.drop_table('hubs')
    with op.batch_alter_table('question_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_question_recipients_member')
        batch_op.drop_index(batch_op.f('ix_question_recipients_instance_id'))

    op.drop_table('question_recipients')
    with op.batch_alter_table('question_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_answers_question_id'))
        batch_op.drop_index(batch_op.f('ix_question_answers_instance_id'))

    op.drop_table('question_answers')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_instance_id'))
        batch_op.drop_index('ix_questions_asker')

    op.drop_table('questions')
