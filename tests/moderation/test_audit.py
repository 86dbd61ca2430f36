"""The audit log and the staff role checks: every staff action leaves a row in its own
transaction; only admins read the log; another instance's ids find nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from maillon.accounts import services as accounts
from maillon.db import db, utcnow
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.introductions import services as introductions
from maillon.members.models import Member
from maillon.moderation import services as moderation
from maillon.moderation.models import AuditEntry
from maillon.tenancy.services import update_instance_setting
from tests.introductions.world import MESSAGE, World

ADDRESS = {"REMOTE_ADDR": "203.0.113.7"}


def _entries(slug: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    rows = list(db.session.scalars(query))
    if slug is not None:
        from maillon.tenancy.models import Instance

        instance = db.session.scalar(select(Instance).where(Instance.slug == slug))
        rows = [r for r in rows if instance and r.instance_id == instance.id]
    return rows


def _pending(ctx, instances, slug="reseau", email="wait@example.org"):
    update_instance_setting(db.session, instances[slug], "registration.policy", "approval")
    outcome = accounts.register_member(db.session, instances[slug], email=email,
                                       password="a long password", name="Waiting Person")
    assert outcome.member is not None
    return outcome.member


# ---------------------------------------------------------------------- roles


def test_access_staff_tells_moderators_admins_and_members_apart(ctx, instances, create_member):
    reseau, acme = instances["reseau"], instances["acme"]
    member = create_member("reseau")
    moderator = create_member("reseau", role="moderator")
    admin = create_member("reseau", role="admin")
    assert moderation.access_staff(reseau, moderator) is moderator
    assert moderation.access_staff(reseau, admin, admin=True) is admin
    with pytest.raises(Forbidden):
        moderation.access_staff(reseau, member)
    with pytest.raises(Forbidden):
        moderation.access_staff(reseau, moderator, admin=True)
    with pytest.raises(ServiceError) as foreign:  # another instance's admin: nothing here
        moderation.access_staff(acme, admin, admin=True)
    assert foreign.value.status == 404
    with pytest.raises(ServiceError):
        moderation.access_staff(reseau, None)
    suspended = create_member("reseau", role="admin", status="suspended")
    with pytest.raises(Forbidden):
        moderation.access_staff(reseau, suspended, admin=True)


# ---------------------------------------------------------------------- writing


def test_approval_writes_an_audit_row_with_who_whom_and_address(ctx, instances, create_member):
    admin = db.session.merge(create_member("reseau", role="admin", name="Ada Admin"))
    waiting = _pending(ctx, instances)
    accounts.approve_member(db.session, instances["reseau"], admin, waiting.id,
                            ip="198.51.100.4")
    [entry] = _entries()
    assert (entry.action, entry.actor_id, entry.actor_name) == ("member_approved", admin.id,
                                                               "Ada Admin")
    assert (entry.subject_member_id, entry.subject_type, entry.subject_id) == (
        waiting.id, "member", waiting.id)
    assert entry.ip == "198.51.100.4"
    assert entry.instance_id == instances["reseau"].id
    assert utcnow() - entry.created_at < timedelta(minutes=1)


def test_a_refused_action_leaves_no_audit_row(ctx, instances, create_member):
    moderator = db.session.merge(create_member("reseau", role="moderator"))
    waiting = _pending(ctx, instances)
    with pytest.raises(Forbidden):
        accounts.approve_member(db.session, instances["reseau"], moderator, waiting.id)
    db.session.rollback()
    assert _entries() == []
    assert db.session.get(Member, waiting.id).status == "pending"


def test_the_audit_row_commits_with_its_action_or_not_at_all(ctx, instances, create_member):
    admin = db.session.merge(create_member("reseau", role="admin"))
    moderation.record_audit(db.session, instances["reseau"], admin, "member_approved",
                            subject=admin)
    db.session.rollback()  # the action failed after writing its row: the row goes with it
    assert _entries() == []
    with pytest.raises(ValueError):
        moderation.record_audit(db.session, instances["reseau"], admin, "no_such_action")


def test_rejection_keeps_the_name_after_the_account_is_gone(ctx, instances, create_member):
    admin = db.session.merge(create_member("reseau", role="admin"))
    waiting = _pending(ctx, instances)
    waiting_id = waiting.id
    accounts.reject_member(db.session, instances["reseau"], admin, waiting_id, ip="::1")
    [entry] = _entries()
    assert entry.action == "member_rejected"
    assert (entry.subject_member_id, entry.subject_id, entry.subject_name) == (
        None, waiting_id, "Waiting Person")
    assert db.session.get(Member, waiting_id) is None


def test_invitations_are_audited_and_only_admins_invite(ctx, instances, create_member):
    admin, moderator = create_member("reseau", role="admin"), create_member(
        "reseau", role="moderator")
    admin, moderator = db.session.merge(admin), db.session.merge(moderator)
    accounts.create_invitation(db.session, instances["reseau"], admin, "New@Example.org",
                               ip="192.0.2.1")
    [entry] = _entries()
    assert (entry.action, entry.subject_type, entry.subject_name, entry.ip) == (
        "invitation_sent", "invitation", "new@example.org", "192.0.2.1")
    with pytest.raises(Forbidden):
        accounts.create_invitation(db.session, instances["reseau"], moderator, "x@example.org")


def test_approvals_page_passes_the_address_and_refuses_moderators(
        app, ctx, instances, create_member, login):
    admin = create_member("reseau", role="admin")
    moderator = create_member("reseau", role="moderator")
    waiting = _pending(ctx, instances)
    db.session.commit()
    assert login(moderator).get("/admin/approvals").status_code == 403
    client = login(admin)
    response = client.post("/admin/approvals", data={"action": "approve",
                                                     "member_id": waiting.id},
                           environ_base=ADDRESS)
    assert response.status_code == 302
    db.session.rollback()
    [entry] = _entries()
    assert (entry.action, entry.ip, entry.actor_id) == ("member_approved", "203.0.113.7",
                                                       admin.id)


def test_a_staff_view_of_an_introduction_is_audited(app, create_member, login):
    world = World(app, create_member)
    ann = world.member("Ann", role="moderator")  # staff, and the requester
    bob, cid = world.members("Bob", "Cid")
    world.chain(ann, bob, cid)
    intro = world.call(introductions.request_introduction, ann, cid, message=MESSAGE,
                       purpose="advice")
    moderator = create_member("reseau", role="moderator")
    assert login(moderator).get(f"/introductions/{intro.id}",
                                environ_base=ADDRESS).status_code == 200
    with app.app_context():
        [entry] = _entries()
        assert (entry.action, entry.subject_type, entry.subject_id, entry.actor_id,
                entry.ip) == ("introduction_viewed", "introduction", intro.id, moderator.id,
                              "203.0.113.7")
        requester = world.get(ann)
    # staff opening a request they take part in is not a staff action
    assert login(requester).get(f"/introductions/{intro.id}").status_code == 200
    with app.app_context():
        assert len(_entries()) == 1


# ---------------------------------------------------------------------- reading


@pytest.fixture
def log(ctx, instances, create_member):
    """Reseau: two admins' actions on three days; acme: one of its own."""
    reseau, acme = instances["reseau"], instances["acme"]
    made = [create_member("reseau", role="admin", name="Ada"),
            create_member("reseau", role="admin", name="Bea"),
            create_member("reseau", name="Sam"),
            create_member("acme", role="admin", name="Acme Admin")]
    ada, bea, sam, acme_admin = (db.session.merge(m) for m in made)
    now = utcnow()
    rows = [
        moderation.record_audit(db.session, reseau, ada, "member_approved", subject=sam,
                                ip="10.0.0.1"),
        moderation.record_audit(db.session, reseau, bea, "invitation_sent",
                                subject_type="invitation", subject_id=1,
                                subject_name="=HYPERLINK(\"x\")"),
        moderation.record_audit(db.session, reseau, ada, "introduction_viewed",
                                subject_type="introduction", subject_id=5),
        moderation.record_audit(db.session, acme, acme_admin, "member_approved",
                                subject=acme_admin),
    ]
    for row, days in zip(rows, (3, 1, 0, 0), strict=True):
        row.created_at = now - timedelta(days=days)
    db.session.commit()
    return {"ada": ada, "bea": bea, "sam": sam, "acme_admin": acme_admin, "reseau": reseau,
            "acme": acme, "now": now}


def _actions(rows):
    return [r.action for r in rows]


def test_the_log_filters_by_actor_action_subject_and_dates(log):
    session, reseau, ada = db.session, log["reseau"], log["ada"]

    def listed(**args):
        total, rows = moderation.list_audit_entries(
            session, reseau, ada, moderation.parse_audit_filter(args))
        assert total == len(rows)
        return _actions(rows)

    assert listed() == ["introduction_viewed", "invitation_sent", "member_approved"]
    assert listed(actor=str(ada.id)) == ["introduction_viewed", "member_approved"]
    assert listed(action="invitation_sent") == ["invitation_sent"]
    assert listed(subject=str(log["sam"].id)) == ["member_approved"]
    today = log["now"].date()
    assert listed(since=str(today - timedelta(days=1))) == ["introduction_viewed",
                                                           "invitation_sent"]
    assert listed(until=str(today - timedelta(days=1))) == ["invitation_sent",
                                                           "member_approved"]
    assert listed(since=str(today), until=str(today)) == ["introduction_viewed"]
    assert [name for _, name in moderation.list_audit_actors(session, reseau, ada)] == [
        "Ada", "Bea"]


@pytest.mark.parametrize("args, field", [
    ({"action": "nonsense"}, "action"), ({"actor": "abc"}, "actor"),
    ({"subject": str(2**64)}, "subject"), ({"since": "2026-13-01"}, "since"),
    ({"since": "2026-02-02", "until": "2026-02-01"}, "until")])
def test_bad_filters_are_named(args, field):
    with pytest.raises(ValidationFailed) as refused:
        moderation.parse_audit_filter(args)
    assert field in refused.value.fields


def test_only_admins_read_the_log(log, create_member):
    reseau, filters = log["reseau"], moderation.AuditFilter()
    db.session.commit()
    moderator, member = create_member("reseau", role="moderator"), create_member("reseau")
    moderator, member = db.session.merge(moderator), db.session.merge(member)
    for who in (moderator, member):
        with pytest.raises(Forbidden):
            moderation.list_audit_entries(db.session, reseau, who, filters)
        with pytest.raises(Forbidden):
            moderation.export_audit_csv(db.session, reseau, who, filters)
        with pytest.raises(Forbidden):
            moderation.list_audit_actors(db.session, reseau, who)


def test_another_instance_sees_none_of_the_log_without_a_request(app, log):
    """As the CLI and the worker call them: no request, so no tenant net."""
    with app.app_context():
        session = db.session
        assert session.info.get("instance_id") is None
        acme = session.merge(log["acme"])
        acme_admin = session.merge(log["acme_admin"])
        reseau_admin = session.merge(log["ada"])
        # acme's admin, asking with reseau's ids, finds nothing of reseau
        for args in ({"actor": str(reseau_admin.id)}, {"subject": str(log["sam"].id)}):
            total, rows = moderation.list_audit_entries(
                session, acme, acme_admin, moderation.parse_audit_filter(args))
            assert (total, rows) == (0, [])
        total, rows = moderation.list_audit_entries(session, acme, acme_admin,
                                                    moderation.AuditFilter())
        assert total == 1 and rows[0].actor_id == acme_admin.id
        assert moderation.list_audit_actors(session, acme, acme_admin) == [
            (acme_admin.id, "Acme Admin")]
        text = moderation.export_audit_csv(session, acme, acme_admin, moderation.AuditFilter())
        assert "Ada" not in text and "Bea" not in text
        # reseau's admin, through acme: not found
        with pytest.raises(ServiceError) as refused:
            moderation.list_audit_entries(session, acme, reseau_admin, moderation.AuditFilter())
        assert refused.value.status == 404


def test_the_csv_export_is_audited_and_defuses_formulas(log):
    text = moderation.export_audit_csv(db.session, log["reseau"], log["ada"],
                                       moderation.parse_audit_filter({"actor": str(
                                           log["bea"].id)}), ip="10.9.8.7")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in rows] == ["invitation_sent"]
    assert rows[0]["subject_name"] == "'=HYPERLINK(\"x\")"
    exported = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "audit_exported"))
    assert exported is not None
    assert (exported.actor_id, exported.ip, exported.data) == (
        log["ada"].id, "10.9.8.7", {"filters": {"actor": str(log["bea"].id)}})


# ---------------------------------------------------------------------- pages


def test_audit_page_and_export_for_admins_only(app, log, create_member, login):
    moderator = create_member("reseau", role="moderator")
    member = create_member("reseau")
    for who in (moderator, member):
        client = login(who)
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit/export").status_code == 403
    admin = login(log["ada"])
    page = admin.get("/admin/audit?action=invitation_sent")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "=HYPERLINK" in html and "10.0.0.1" not in html
    bad = admin.get("/admin/audit?since=yesterday")
    assert bad.status_code == 422
    assert 'id="audit-since-error"' in bad.get_data(as_text=True)  # the field says what
    export = admin.get(f"/admin/audit/export?actor={log['ada'].id}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    # Ada's two rows, and the export she just made (audited before it is read)
    assert [r["action"] for r in rows] == ["audit_exported", "introduction_viewed",
                                           "member_approved"]
    assert admin.get("/admin/audit/export?since=nope").status_code == 422


def test_staff_menu_entries(app, log, create_member, login):
    moderator = create_member("reseau", role="moderator")
    member = create_member("reseau")
    home = login(log["ada"]).get("/moderation").get_data(as_text=True)
    assert "/admin/audit" in home and "/admin/approvals" in home
    mod_page = login(moderator).get("/moderation")
    assert mod_page.status_code == 200
    text = mod_page.get_data(as_text=True)
    assert 'href="/moderation"' in text and "/admin/audit" not in text
    plain = login(member)
    assert plain.get("/moderation").status_code == 403
    assert 'href="/moderation"' not in plain.get("/search").get_data(as_text=True)


def test_another_instances_admin_cannot_use_their_session_here(app, log, login, client_for):
    client = login(log["acme_admin"], "acme")
    assert client.get("/admin/audit").status_code == 200
    # the same browser on reseau: not logged in there
    other = client_for("reseau")
    assert other.get("/admin/audit").status_code in (302, 401)


def test_suspended_admins_page_is_refused(app, ctx, log, login):
    client = login(log["ada"])
    db.session.execute(update(Member).where(Member.id == log["ada"].id).values(
        status="suspended"))
    db.session.commit()
    assert client.get("/admin/audit").status_code in (302, 401)


def test_nothing_found_is_not_a_500(app, log, login):
    client = login(log["ada"])
    assert client.get("/admin/audit?page=999999").status_code == 200
    assert client.get("/admin/audit?subject=-1").status_code == 422

