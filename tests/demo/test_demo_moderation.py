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


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])
def test_demo_has_open_dismissed_and_actioned_reports(instances, slug):
    from maillon.members.models import Member
    from maillon.moderation import reports
    from maillon.moderation.models import Report
    from maillon.notifications.models import Notification

    instance = instances[slug]
    load_demo(db.session, instance, members=40, seed=3)
    rows = list(db.session.scalars(select(Report).where(Report.instance_id == instance.id)))
    assert sorted(r.status for r in rows) == ["actioned", "actioned", "dismissed", "open",
                                              "open", "open"]
    admin = db.session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                   Member.role == "admin").limit(1))
    total, groups = reports.list_report_groups(db.session, instance, admin)
    assert total == 2 and sorted(g.count for g in groups) == [1, 2]
    # the reporters of the actioned and the dismissed reports were told
    told = {(n.member_id, n.data["report_id"]) for n in db.session.scalars(select(
        Notification).where(Notification.instance_id == instance.id,
                            Notification.kind == "report_decided"))}
    assert told == {(r.reporter_id, r.id) for r in rows if r.status != "open"}
    # the warning came from the reports; loading again adds nothing
    warned = {r.subject_member_id for r in rows if r.status == "actioned"}
    assert warned == {db.session.scalar(select(Sanction.member_id).where(
        Sanction.instance_id == instance.id, Sanction.kind == "warn"))}
    load_demo(db.session, instance, members=40, seed=3)
    assert db.session.query(Report).filter(Report.instance_id == instance.id).count() == 6
