"""Account deletion: by the member and by an admin; personal data goes, others' chains keep
"a former member", the graph and search forget them, the log records it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.accounts import services as accounts
from maillon.db import db
from maillon.errors import ServiceError
from maillon.finder.services import search_members
from maillon.introductions import services as introductions
from maillon.introductions.models import DirectMessage, IntroductionEvent
from maillon.introductions.routing import find_chains
from maillon.members.models import Member
from maillon.moderation.models import AuditEntry
from maillon.network.models import Connection
from maillon.notifications.models import Notification
from maillon.rights import deletion
from tests.conftest import PASSWORD
from tests.introductions.world import MESSAGE, World

REASON = "Fake profile used to harvest contacts."


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


def row(world, member_id):
    with world.app.app_context():
        member = world.get(member_id)
        db.session.expunge(member)
        return member


def audit(world):
    with world.app.app_context():
        return [(e.action, e.actor_id, e.subject_member_id, e.subject_name, e.actor_name,
                 e.reason) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def delete_self(world, member_id, password=PASSWORD, **kwargs):
    return world.call(deletion.delete_own_account, member_id, password=password, **kwargs)


def test_deletion_end_to_end(world, login, client_for, run_jobs, app):
    r, a, b, t = world.members("Rita", "Zoltan Departing", "Bob", "Tom")
    world.chain(r, a, t, trust=5)
    world.chain(r, b, t, trust=2)
    world.update(a, locale="en")
    world.update(r, locale="en")
    intro = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                       purpose="advice")
    assert intro.path == [r, a, t]
    world.call(introductions.forward_introduction, a, intro.id, note="Private to Tom")
    world.call(introductions.send_direct_message, a, r, "Message Zoltan wrote")
    run_jobs()
    with app.app_context():
        before = search_members(db.session, world.instance(), world.get(r), text="Zoltan")
        assert [h.member.id for h in before.hits] == [a]
    email = row(world, a).email
    client = login(row(world, a))
    page = client.post("/settings/data/delete", data={"password": PASSWORD,
                                                       "confirmation": "delete"})
    assert page.status_code == 302
    assert client.get("/notifications").status_code == 302  # logged out

    gone = row(world, a)
    assert gone.status == "deleted" and gone.stored_name == "" and gone.email != email
    with pytest.raises(ServiceError) as refused:
        world.run(accounts.authenticate, email, PASSWORD)
    assert refused.value.code == "invalid_credentials"
    # The address is free again.
    again = world.run(accounts.register_member, email=email, password=PASSWORD,
                      name="Zoltan Again")
    assert again.member is None or again.member.id != a

    # The request still reads, with "a former member" where Zoltan was.
    world.update(t, locale="en")
    tom = login(row(world, t))
    detail = tom.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "a former member" in detail and "Zoltan Departing" not in detail
    assert "Private to Tom" not in detail
    rita = login(row(world, r))
    assert "Zoltan Departing" not in rita.get(f"/introductions/{intro.id}").get_data(
        as_text=True)
    messages = rita.get("/messages").get_data(as_text=True)
    assert "Message Zoltan wrote" not in messages
    assert "This message was removed when its author deleted their account." in messages
    # The graph forgets them; search no longer finds them.
    chains = world.call(find_chains, r, t)
    assert a not in {m.id for p in chains.paths for m in p.members if m}
    assert chains.paths
    run_jobs()
    with app.app_context():
        found = search_members(db.session, world.instance(), world.get(r), text="Zoltan")
        assert [h.member.id for h in found.hits if h.member.id == a] == []
        assert not db.session.scalars(select(Connection).where(
            (Connection.low_id == a) | (Connection.high_id == a))).all()
        assert db.session.scalar(select(DirectMessage.text).where(
            DirectMessage.sender_id == a)) == ""
        assert not db.session.scalars(select(Notification).where(
            Notification.member_id == a)).all()
        events = [e.data for e in db.session.scalars(select(IntroductionEvent).where(
            IntroductionEvent.actor_id == a))]
        assert all("Private to Tom" not in str(data) for data in events)
    assert ("member_deleted", a, a, "", "", "") in audit(world)


def test_wrong_password_or_confirmation_changes_nothing(world, login):
    a = world.member("Anne")
    client = login(row(world, a))
    wrong = client.post("/settings/data/delete", data={"password": "not it at all",
                                                        "confirmation": "DELETE"})
    assert wrong.status_code == 403
    mismatch = client.post("/settings/data/delete", data={"password": PASSWORD,
                                                           "confirmation": "maybe"})
    assert mismatch.status_code == 422
    assert row(world, a).status == "active"
    assert audit(world) == []


def test_requests_waiting_on_a_deleted_member_move_on(world):
    r, a, b, t = world.members("R", "Alice", "Bob", "T")
    world.chain(r, a, t, trust=5)
    world.chain(r, b, t, trust=2)
    intro = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                       purpose="advice")
    assert intro.holder_id == a
    delete_self(world, a)
    stopped = world.call(introductions.access_introduction, r, intro.id)
    assert (stopped.status, stopped.avoid) == ("expired", [a])
    retried = world.call(introductions.retry_introduction, r, intro.id)
    assert retried.path == [r, b, t]


def test_requests_of_and_to_a_deleted_member_are_withdrawn(world):
    r, t = world.members("R", "T")
    world.connect(r, t)
    mine = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                      purpose="advice")
    assert mine.status == "delivered"
    delete_self(world, t)
    ended = world.call(introductions.access_introduction, r, mine.id)
    assert ended.status == "withdrawn"


def test_an_admin_deletes_a_member_who_is_told_first(world, mail, run_jobs, client_for, app):
    a = world.member("Anne Fake", locale="fr")
    admin = world.member("Ad Min", role="admin")
    mo = world.member("Mo Derator", role="moderator")
    email = row(world, a).email
    with pytest.raises(ServiceError) as refused:
        world.call(deletion.delete_member, mo, a, reason=REASON)
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    world.call(deletion.delete_member, admin, a, reason=REASON, ip="10.1.1.1")
    run_jobs()
    [message] = mail.to(email)
    assert "supprimé" in message["Subject"] and REASON in mail.body(message)
    assert ("member_deleted", admin, a, "", "Ad Min", REASON) in audit(world)
    # A second delete is a 404, not a 500.
    with pytest.raises(Exception) as again:
        world.call(deletion.delete_member, admin, a, reason=REASON)
    assert getattr(again.value, "code", None) in (404, "not_found")


def test_the_last_admin_cannot_delete_their_account(world):
    admin = world.member("Only Admin", role="admin")
    with pytest.raises(ServiceError) as refused:
        delete_self(world, admin)
    assert (refused.value.status, refused.value.code) == (409, "last_admin")
    world.member("Second Admin", role="admin")
    delete_self(world, admin)
    assert row(world, admin).status == "deleted"


def test_api_delete_me_and_admin_delete(world, client_for, app):
    a, b = world.members("Anne", "Bruno")
    admin = world.member("Ad Min", role="admin")
    with app.app_context():
        token = accounts.issue_api_token(db.session, world.get(a))
        admin_token = accounts.issue_api_token(db.session, world.get(admin))
        b_token = accounts.issue_api_token(db.session, world.get(b))
    api = client_for("reseau")
    mine = {"Authorization": f"Bearer {token}"}
    wrong = api.delete("/api/v1/me", json={"password": "nope nope"}, headers=mine)
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (403, "wrong_password")
    done = api.delete("/api/v1/me", json={"password": PASSWORD}, headers=mine)
    assert done.status_code == 202 and done.get_json() == {"id": a, "status": "deleted"}
    assert api.delete("/api/v1/me", json={"password": PASSWORD},
                      headers=mine).status_code == 401
    # Staff deletion: a member is refused, another instance's id and a deleted one are 404.
    member_try = api.post(f"/api/v1/admin/members/{b}/delete", json={"reason": REASON},
                          headers={"Authorization": f"Bearer {b_token}"})
    assert member_try.status_code == 403
    staff = {"Authorization": f"Bearer {admin_token}"}
    assert api.post(f"/api/v1/admin/members/{a}/delete", json={"reason": REASON},
                    headers=staff).status_code == 404
    stranger = world.create_member("academia", name="Elsewhere").id
    assert api.post(f"/api/v1/admin/members/{stranger}/delete", json={"reason": REASON},
                    headers=staff).status_code == 404
    ok = api.post(f"/api/v1/admin/members/{b}/delete", json={"reason": REASON}, headers=staff)
    assert ok.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Member.status).where(Member.id == b)) == "deleted"


def test_the_admin_page_deletes_with_a_reason(world, login):
    a = world.member("Anne")
    admin = world.member("Ad Min", role="admin", locale="en")
    mo = world.member("Mo Derator", role="moderator")
    assert login(row(world, mo)).get(f"/moderation/members/{a}/delete").status_code == 403
    client = login(row(world, admin))
    page = client.get(f"/moderation/members/{a}")
    assert f"/moderation/members/{a}/delete" in page.get_data(as_text=True)
    assert client.get(f"/moderation/members/{a}/delete").status_code == 200
    assert client.post(f"/moderation/members/{a}/delete", data={"reason": ""}).status_code == 422
    assert row(world, a).status == "active"
    done = client.post(f"/moderation/members/{a}/delete", data={"reason": REASON})
    assert done.status_code == 302 and row(world, a).status == "deleted"
    assert client.get(f"/moderation/members/{a}/delete").status_code == 404


def test_reports_keep_the_decision_but_not_the_deleted_members_words_or_name(world, app):
    from maillon.moderation.models import Report
    from maillon.moderation.reports import file_report
    from maillon.rights.export import export_member_data

    a, b = world.members("Anne Reporter", "Bob Reported")
    world.call(file_report, a, "member", b, reason="spam",
               details="Bob sends the same pitch to everyone here.")
    [mine] = world.call(export_member_data, a)["reports"]
    assert mine["details"] == "Bob sends the same pitch to everyone here."
    assert world.call(export_member_data, b)["reports"] == []
    with app.app_context():
        assert db.session.scalar(select(Report.subject_name)) == "Bob Reported"
    delete_self(world, b)
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert (report.subject_name, report.snapshot) == ("", "")
        assert report.details.startswith("Bob sends")
    delete_self(world, a)
    with app.app_context():
        assert db.session.scalar(select(Report.details)) == ""
