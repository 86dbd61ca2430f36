"""Sanctions: warn, limit, suspend; what each stops; the member told why; one appeal each;
expiry; staff-only, per instance, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from maillon.accounts import services as accounts
from maillon.db import db, utcnow
from maillon.errors import ServiceError
from maillon.finder.services import search_members
from maillon.introductions import services as introductions
from maillon.introductions.models import Introduction, IntroductionEvent
from maillon.introductions.routing import find_chains
from maillon.members.models import Member
from maillon.moderation import sanctions
from maillon.moderation.models import Appeal, AuditEntry, Sanction
from maillon.network import services as network
from maillon.notifications.models import Notification
from tests.conftest import PASSWORD
from tests.introductions.world import MESSAGE, World

REASON = "Repeated unsolicited sales pitches to members."


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


@pytest.fixture
def staff(world):
    return {"moderator": world.member("Mo Derator", role="moderator"),
            "admin": world.member("Ad Min", role="admin")}


def impose(world, staff_id, member_id, kind, **kwargs):
    kwargs.setdefault("reason", REASON)
    return world.call(sanctions.impose_sanction, staff_id, member_id, kind, **kwargs)


def member(world, member_id):
    with world.app.app_context():
        row = world.get(member_id)
        db.session.expunge(row)
        return row


def notifications_of(world, member_id):
    with world.app.app_context():
        return [(n.kind, n.data) for n in db.session.scalars(
            select(Notification).where(Notification.member_id == member_id)
            .order_by(Notification.id))]


def audit(world):
    with world.app.app_context():
        return [(e.action, e.actor_id, e.subject_member_id, e.reason) for e in
                db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# ---------------------------------------------------------------------- suspension


def test_suspension_tells_the_member_why_in_their_language(world, staff, mail, run_jobs):
    sam = world.member("Sam", locale="fr")
    impose(world, staff["moderator"], sam, "suspend", ip="10.0.0.9")
    [(kind, data)] = notifications_of(world, sam)
    assert kind == "sanction_imposed" and data["reason"] == REASON
    run_jobs()
    email = member(world, sam).email
    [message] = mail.to(email)
    assert "suspendu" in message["Subject"]
    assert REASON in mail.body(message)
    assert audit(world) == [("member_suspended", staff["moderator"], sam, REASON)]


def test_a_suspended_members_session_and_token_stop_working(world, staff, login, client_for,
                                                             app):
    sam = world.member("Sam")
    client = login(member(world, sam))
    with app.app_context():
        token = accounts.issue_api_token(db.session, world.get(sam))
    api = client_for("reseau")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/notifications").status_code == 200
    impose(world, staff["admin"], sam, "suspend")
    assert client.get("/notifications").status_code == 302  # to the login page
    answer = api.get("/api/v1/me", headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "account_suspended"
    # the password still proves who they are: they see why, and may appeal
    again = client_for("reseau")
    response = again.post("/login", data={"email": member(world, sam).email,
                                          "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/account/suspended")
    page = again.get("/account/suspended")
    assert page.status_code == 200 and REASON in page.get_data(as_text=True)
    assert again.get("/notifications").status_code == 302  # still not logged in
    sent = again.post("/account/suspended", data={"text": "I only answered questions asked."})
    assert sent.status_code == 302
    with app.app_context():
        [appeal] = db.session.scalars(select(Appeal)).all()
        assert (appeal.member_id, appeal.status) == (sam, "open")


def test_search_hides_a_suspended_member_and_shows_them_again(world, staff, run_jobs, app):
    sam = world.member("Zebulon Suspendu")
    viewer = world.member("Viewer")
    run_jobs()

    def found():
        with app.app_context():
            return search_members(db.session, world.instance(), world.get(viewer),
                                  text="Zebulon").total

    assert found() == 1
    sanction = impose(world, staff["moderator"], sam, "suspend")
    run_jobs()
    assert found() == 0
    world.call(sanctions.lift_sanction, staff["moderator"], sanction.id, reason="Mistake, sorry.")
    run_jobs()
    assert found() == 1


def test_chains_route_around_a_suspended_member(world, staff):
    r, a, b, t = world.members("R", "Alice", "Bob", "T")
    world.chain(r, a, t, trust=5)
    world.chain(r, b, t, trust=2)
    before = world.call(find_chains, r, t)
    assert [p.members[0].id for p in before.paths if p.members[0]][0] == a
    impose(world, staff["moderator"], a, "suspend")
    after = world.call(find_chains, r, t)
    assert a not in {m.id for p in after.paths for m in p.members if m}
    assert after.paths, "another chain remains"


def test_requests_waiting_on_a_suspended_member_move_on_without_naming_them(world, staff):
    r, a, b, t = world.members("R", "Alice", "Bob", "T")
    world.chain(r, a, t, trust=5)
    world.chain(r, b, t, trust=2)
    intro = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                       purpose="advice")
    assert intro.holder_id == a
    impose(world, staff["moderator"], a, "suspend")
    stopped = world.call(introductions.access_introduction, r, intro.id)
    assert (stopped.status, stopped.avoid) == ("expired", [a])
    retried = world.call(introductions.retry_introduction, r, intro.id)
    assert retried.path == [r, b, t]
    told = notifications_of(world, r)
    assert ("introduction_expired" in [k for k, _ in told])
    assert all("Alice" not in str(d) for _, d in told)


def test_an_expired_suspension_lifts_itself(world, staff, app):
    sam, ann = world.members("Sam", "Ann")
    until = utcnow() + timedelta(days=2)
    impose(world, staff["moderator"], sam, "suspend", until=until)
    impose(world, staff["moderator"], ann, "suspend", until=until)
    with app.app_context():
        assert sanctions.lift_expired_sanctions(db.session, utcnow()) == 0
        assert sanctions.lift_expired_sanctions(db.session, until + timedelta(minutes=1)) == 2
        assert {m.status for m in db.session.scalars(select(Member).where(
            Member.id.in_([sam, ann])))} == {"active"}
        assert [s.status for s in db.session.scalars(select(Sanction))] == ["expired"] * 2
    assert ("sanction_expired", None, sam, "") in audit(world)


def test_an_expired_suspension_lifts_at_login(world, staff, app, login):
    sam = world.member("Sam")
    impose(world, staff["moderator"], sam, "suspend", until=utcnow() + timedelta(days=1))
    with app.app_context():
        db.session.execute(Sanction.__table__.update().values(
            until=utcnow() - timedelta(minutes=1)))
        db.session.execute(Member.__table__.update().where(Member.id == sam).values(
            suspended_until=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    client = login(member(world, sam))  # asserts the login succeeded
    assert client.get("/notifications").status_code == 200


# ---------------------------------------------------------------------- limit and warning


def test_a_limited_member_cannot_start_introductions_messages_or_connections(world, staff):
    r, a, t, x = world.members("R", "A", "T", "X")
    world.chain(r, a, t)
    sanction = impose(world, staff["moderator"], r, "limit")
    for call in (lambda: world.call(introductions.request_introduction, r, t, message=MESSAGE,
                                    purpose="advice"),
                 lambda: world.call(introductions.send_direct_message, r, a, "Hello there"),
                 lambda: world.call(network.request_connection, r, x)):
        with pytest.raises(ServiceError) as refused:
            call()
        assert (refused.value.code, refused.value.status) == ("account_limited", 403)
    # they still relay and answer: only what they start is limited
    world.call(sanctions.lift_sanction, staff["moderator"], sanction.id, reason="Talked it over.")
    world.call(network.request_connection, r, x)


def test_the_api_answers_account_limited(world, staff, client_for, app):
    r, x = world.members("R", "X")
    impose(world, staff["moderator"], r, "limit")
    with app.app_context():
        token = accounts.issue_api_token(db.session, world.get(r))
    answer = client_for("reseau").post("/api/v1/connections", json={"member_id": x},
                                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "account_limited"


def test_a_warning_is_recorded_and_can_be_appealed_once(world, staff, app):
    sam = world.member("Sam")
    warning = impose(world, staff["moderator"], sam, "warn")
    assert member(world, sam).status == "active"
    appeal = world.call(sanctions.appeal_sanction, sam, warning.id, "This was a misunderstanding.")
    assert appeal.status == "open"
    with pytest.raises(ServiceError) as twice:
        world.call(sanctions.appeal_sanction, sam, warning.id, "Please look again at it.")
    assert twice.value.code == "already_appealed"
    with app.app_context():
        assert len(db.session.scalars(select(Appeal)).all()) == 1


# ---------------------------------------------------------------------- appeals


def test_an_accepted_appeal_lifts_the_suspension_and_the_member_is_told(world, staff, app):
    sam = world.member("Sam")
    sanction = impose(world, staff["moderator"], sam, "suspend")
    with app.app_context():
        appeal = sanctions.appeal_sanction(db.session, world.instance(), world.get(sam),
                                           sanction.id, "I was quoting someone else.")
    decided = world.call(sanctions.decide_appeal, staff["admin"], appeal.id, accept=True,
                         response="You are right, sorry.")
    assert decided.status == "accepted"
    assert member(world, sam).status == "active"
    kinds = [k for k, _ in notifications_of(world, sam)]
    assert kinds == ["sanction_imposed", "appeal_decided"]
    assert notifications_of(world, sam)[-1][1]["accepted"] is True
    with pytest.raises(ServiceError) as again:
        world.call(sanctions.decide_appeal, staff["admin"], appeal.id, accept=False,
                   response="Changed my mind.")
    assert again.value.code == "appeal_decided"
    assert [a for a, *_ in audit(world)] == ["member_suspended", "appeal_accepted"]


def test_a_rejected_appeal_leaves_the_sanction(world, staff):
    sam = world.member("Sam")
    sanction = impose(world, staff["moderator"], sam, "limit")
    appeal = world.call(sanctions.appeal_sanction, sam, sanction.id, "I disagree with this.")
    world.call(sanctions.decide_appeal, staff["moderator"], appeal.id, accept=False,
               response="The messages were clearly spam.")
    with world.app.app_context():
        assert sanctions.is_limited(db.session, world.instance(), world.get(sam))
    assert notifications_of(world, sam)[-1][1]["accepted"] is False


def test_appeal_pages(world, staff, login):
    sam = world.member("Sam")
    sanction = impose(world, staff["moderator"], sam, "warn")
    client = login(member(world, sam))
    page = client.get("/account/sanctions")
    assert REASON in page.get_data(as_text=True)
    assert client.post(f"/account/sanctions/{sanction.id}/appeal",
                       data={"text": "short"}).status_code == 302  # told: too short
    assert client.post(f"/account/sanctions/{sanction.id}/appeal",
                       data={"text": "I was answering a question."}).status_code == 302
    mod = login(member(world, staff["moderator"]))
    queue = mod.get("/moderation/appeals")
    assert "I was answering a question." in queue.get_data(as_text=True)
    assert login(member(world, sam)).get("/moderation/appeals").status_code == 403


# ---------------------------------------------------------------------- who may


def test_who_may_sanction_whom(world, staff):
    sam = world.member("Sam")
    other_mod = world.member("Other Mod", role="moderator")
    for actor, target, code in ((sam, staff["moderator"], "forbidden"),
                                (staff["moderator"], other_mod, "cannot_sanction_staff"),
                                (staff["moderator"], staff["admin"], "cannot_sanction_staff"),
                                (staff["admin"], staff["admin"], "cannot_sanction_self")):
        with pytest.raises(ServiceError) as refused:
            impose(world, actor, target, "warn")
        assert refused.value.code == code
    impose(world, staff["admin"], other_mod, "warn")  # an admin may warn a moderator
    assert [a for a, *_ in audit(world)] == ["member_warned"]


@pytest.mark.parametrize("kwargs, field", [
    ({"reason": "no"}, "reason"), ({"reason": "x" * 2001}, "reason"),
    ({"until": "past"}, "until")])
def test_bad_values_are_named_and_nothing_is_written(world, staff, kwargs, field, app):
    sam = world.member("Sam")
    if kwargs.get("until") == "past":
        kwargs["until"] = utcnow() - timedelta(hours=1)
    with pytest.raises(ServiceError) as refused:
        impose(world, staff["moderator"], sam, "suspend", **kwargs)
    assert field in refused.value.fields
    assert member(world, sam).status == "active"
    with app.app_context():
        assert db.session.scalars(select(Sanction)).all() == []
    assert audit(world) == []


def test_staff_pages_for_staff_only(world, staff, login):
    sam = world.member("Sam")
    plain = login(member(world, sam))
    for path in (f"/moderation/members/{sam}", "/moderation/sanctions", "/moderation/appeals"):
        assert plain.get(path).status_code == 403
    assert plain.post(f"/moderation/members/{staff['moderator']}",
                      data={"kind": "warn", "reason": REASON}).status_code == 403
    mod = login(member(world, staff["moderator"]))
    assert mod.get(f"/moderation/members/{sam}").status_code == 200
    assert mod.get("/moderation/members/999999").status_code == 404
    bad = mod.post(f"/moderation/members/{sam}", data={"kind": "suspend", "reason": "no"})
    assert bad.status_code == 422
    done = mod.post(f"/moderation/members/{sam}", data={"kind": "suspend", "reason": REASON,
                                                        "until": "2099-01-31"})
    assert done.status_code == 302
    assert member(world, sam).status == "suspended"
    assert member(world, sam).suspended_until.date().isoformat() == "2099-02-01"
    assert REASON in mod.get("/moderation/sanctions").get_data(as_text=True)


def test_another_instances_ids_find_nothing_without_a_request(world, staff, create_member,
                                                              app):
    """As the CLI and the worker call them: acme's staff with reseau's ids."""
    sam = world.member("Sam")
    sanction = impose(world, staff["moderator"], sam, "suspend")
    appeal = world.call(sanctions.appeal_sanction, sam, sanction.id, "Please reconsider it.")
    acme_mod = create_member("acme", role="admin").id
    acme = World(app, create_member, "acme")
    with app.app_context():
        session, instance = db.session, acme.instance()
        assert session.info.get("instance_id") is None
        mod = acme.get(acme_mod)
        for call in (lambda: sanctions.access_moderated_member(session, instance, mod, sam),
                     lambda: sanctions.access_sanction(session, instance, mod, sanction.id),
                     lambda: sanctions.access_appeal(session, instance, mod, appeal.id),
                     lambda: sanctions.impose_sanction(session, instance, mod, sam, "warn",
                                                       reason=REASON),
                     lambda: sanctions.lift_sanction(session, instance, mod, sanction.id,
                                                     reason=REASON),
                     lambda: sanctions.decide_appeal(session, instance, mod, appeal.id,
                                                     accept=True, response=REASON)):
            with pytest.raises((NotFound, ServiceError)) as missing:
                call()
            session.rollback()
            assert isinstance(missing.value, NotFound) or missing.value.status == 404
        assert sanctions.list_sanctions(session, instance, mod, member_id=sam) == (0, [])
        assert sanctions.list_appeals(session, instance, mod) == (0, [])
        assert sanctions.list_own_sanctions(session, instance, world.get(sam)) == []
        assert sanctions.suspension_notice(session, instance, sam) is None
        foreign_sanction = session.get(Sanction, sanction.id)
        assert sanctions.find_appeal_of(session, instance, foreign_sanction) is None
        # reseau's moderator acting on acme
        with pytest.raises(ServiceError) as outsider:
            sanctions.list_sanctions(session, instance, world.get(staff["moderator"]))
        assert outsider.value.status == 404


def test_a_suspended_requesters_requests_stop_and_their_holders_are_released(world, staff):
    r, a, t, u = world.members("R", "Alice", "T", "U")
    world.chain(r, a, t, trust=4)
    world.connect(r, u)
    travelling = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                            purpose="advice")
    delivered = world.call(introductions.request_introduction, r, u, message=MESSAGE,
                           purpose="advice")
    assert (travelling.holder_id, delivered.holder_id) == (a, u)
    impose(world, staff["moderator"], r, "suspend")
    for intro, holder in ((travelling, a), (delivered, u)):
        with world.app.app_context():
            row = db.session.get(Introduction, intro.id)
            assert (row.status, row.holder_id) == ("blocked", None)
            events = [(e.kind, e.data.get("reason")) for e in db.session.scalars(select(
                IntroductionEvent).where(IntroductionEvent.introduction_id == intro.id))]
            assert ("blocked", REASON) in events
        assert ("introduction_released" in [k for k, _ in notifications_of(world, holder)])
    with world.app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "member_suspended"))
        assert entry.data["closed_introductions"] == [travelling.id, delivered.id]
    # Another member's request through the same relay is untouched.
    other = world.member("Other")
    world.connect(other, a)
    theirs = world.call(introductions.request_introduction, other, t, message=MESSAGE,
                        purpose="advice")
    assert theirs.status == "in_progress"
