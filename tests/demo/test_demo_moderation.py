"""Each demo community has a sanction and an open appeal for its staff to look at."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.demo.services import load_demo
from maillon.moderation import sanctions
from maillon.moderation.models import Appeal, AuditEntry, Sanction


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])
def test_demo_has_a_sanction_and_an_open_appeal(instances, slug):
    instance = instances[slug]
    load_demo(db.session, instance, members=40, seed=3)
    rows = list(db.session.scalars(select(Sanction).where(Sanction.instance_id == instance.id)
                                   .order_by(Sanction.id)))
    assert [(s.kind, s.status) for s in rows] == [("warn", "active"), ("limit", "active")]
    admin = db.session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.instance_id == instance.id, AuditEntry.action == "member_warned"))
    assert admin is not None
    from maillon.members.models import Member

    staff = db.session.scalar(select(Member).where(Member.id == admin))
    total, appeals = sanctions.list_appeals(db.session, instance, staff)
    assert total == 1 and appeals[0].sanction_id == rows[0].id
    # the sanctioned are ordinary members, still active (a warning and a limit)
    assert {s.member.status for s in rows} == {"active"}
    assert {s.member.role for s in rows} == {"member"}
    # loading again adds nothing
    load_demo(db.session, instance, members=40, seed=3)
    assert len(db.session.scalars(select(Sanction).where(
        Sanction.instance_id == instance.id)).all()) == 2
    assert len(db.session.scalars(select(Appeal).where(
        Appeal.instance_id == instance.id)).all()) == 1
