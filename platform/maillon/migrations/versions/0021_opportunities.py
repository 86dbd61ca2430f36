"""opportunities: posted by members or for organisations, relayed by ambassadors to their
contacts (one row per opportunity, ambassador and contact) and answered; referral requests

Revision ID: 28dd9bb78d78
Revises: 5c2e7f0a9d14
Create Date: 2026-12-07 13:03:20.224914
"""

from alembic import op
import sqlalchemy as sa
import maillon.db


revision = '28dd9bb78d78'
down_revision = '5c2e7f0a9d14'
branch_labels = None
depends_on = None


OLD_SUBJECTS = ("member", "introduction", "recommendation", "message", "post")
SUBJECTS = OLD_SUBJECTS + ("opportunity", "relay")


def _values(column, values) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def _subjects(subjects) -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_reports_subject_type_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_reports_subject_type_values'),
                                         _values('subject_type', subjects))


def upgrade() -> None:
    op.create_table('opportunities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poster_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('job', 'partnership', 'call', 'purchase')", name=op.f('ck_opportunities_kind_values')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_opportunities_status_values')),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_opportunities_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_opportunities_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['poster_id'], ['members.id'], name=op.f('fk_opportunities_poster_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunities'))
    )
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opportunities_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_opportunities_listing', ['instance_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_opportunities_organisation', ['instance_id', 'organisation_id'], unique=False)
        batch_op.create_index('ix_opportunities_poster', ['instance_id', 'poster_id'], unique=False)

    op.create_table('opportunity_referral_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'referred', 'declined')", name=op.f('ck_opportunity_referral_requests_status_values')),
    sa.ForeignKeyConstraint(['ambassador_id'], ['members.id'], name=op.f('fk_opportunity_referral_requests_ambassador_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['asker_id'], ['members.id'], name=op.f('fk_opportunity_referral_requests_asker_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_opportunity_referral_requests_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_referral_requests_opportunity_id_opportunities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_referral_requests')),
    sa.UniqueConstraint('opportunity_id', 'asker_id', 'ambassador_id', name=op.f('uq_opportunity_referral_requests_opportunity_id_asker_id_ambassador_id'))
    )
    with op.batch_alter_table('opportunity_referral_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opportunity_referral_requests_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_opportunity_referrals_ambassador', ['instance_id', 'ambassador_id', 'status'], unique=False)

    op.create_table('opportunity_relays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('referral', sa.Boolean(), nullable=False),
    sa.Column('answer', sa.String(length=12), nullable=True),
    sa.Column('answer_message', sa.Text(), nullable=False),
    sa.Column('answered_at', maillon.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', maillon.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("answer IS NULL OR answer IN ('interested', 'not_now')", name=op.f('ck_opportunity_relays_answer_values')),
    sa.CheckConstraint('ambassador_id <> contact_id', name=op.f('ck_opportunity_relays_not_to_self')),
    sa.ForeignKeyConstraint(['ambassador_id'], ['members.id'], name=op.f('fk_opportunity_relays_ambassador_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['members.id'], name=op.f('fk_opportunity_relays_contact_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_opportunity_relays_instance_id_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_relays_opportunity_id_opportunities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_relays')),
    sa.UniqueConstraint('opportunity_id', 'ambassador_id', 'contact_id', name=op.f('uq_opportunity_relays_opportunity_id_ambassador_id_contact_id'))
    )
    with op.batch_alter_table('opportunity_relays', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_relays_ambassador', ['instance_id', 'ambassador_id', 'created_at'], unique=False)
        batch_op.create_index('ix_opportunity_relays_contact', ['instance_id', 'contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_relays_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_opportunity_relays_opportunity', ['opportunity_id', 'contact_id'], unique=False)

    _subjects(SUBJECTS)


def downgrade() -> None:
    # With opportunity or relay reports present the database refuses the old constraint,
    # rather than lose what moderators did.
    _subjects(OLD_SUBJECTS)
    with op.batch_alter_table('opportunity_relays', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_relays_opportunity')
        batch_op.drop_index(batch_op.f('ix_opportunity_relays_instance_id'))
        batch_op.drop_index('ix_opportunity_relays_contact')
        batch_op.drop_index('ix_opportunity_relays_ambassador')

    op.drop_table('opportunity_relays')
    with op.batch_alter_table('opportunity_referral_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_referrals_ambassador')
        batch_op.drop_index(batch_op.f('ix_opportunity_referral_requests_instance_id'))

    op.drop_table('opportunity_referral_requests')
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunities_poster')
        batch_op.drop_index('ix_opportunities_organisation')
        batch_op.drop_index('ix_opportunities_listing')
        batch_op.drop_index(batch_op.f('ix_opportunities_instance_id'))

    op.drop_table('opportunities')
