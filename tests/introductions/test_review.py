"""Staff review of requests: a member's first requests held until a moderator approves them,
a moderator's block with a reason told to the requester; staff only, per instance, audited,
once whatever the clicks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import ServiceError
from maillon.introductions import services
from maillon.introductions.models import Introduction, IntroductionEvent, IntroductionHop
from maillon.introductions.routing import relay_factor
from maillon.moderation.models import AuditEntry
from maillon.notifications.models import Notification
from tests.introductions.world import MESSAGE, World
from tests.privacy.common import bearer

REASON = "Recruiters may not use introductions to reach students, see our rules."


@pytest.fixture
def world(app, create_member):
    world = World(app, create_member)
    world.set_policy(**{"introductions.review_first_requests": 1})
    return world


@pytest.fixture
def line(world):
    """R - A - T (one relay), a moderator M, and another member O who takes no part."""
    r, a, t = (world.member(n, locale="en") for n in ("Rosa", "Anna", "Tom"))
    world.chain(r, a, t, trust=4)
    return r, a, t, world.member("Mona Mod", role="moderator", locale="en"), world.member("Olaf")


def ask(world, r, t):
    return world.call(services.request_introduction, r, t, message=MESSAGE, purpose="research")


def row(world, intro_id):
    with world.app.app_context():
        intro = db.session.get(Introduction, intro_id)
        hops = [(h.position, h.member_id, h.status) for h in db.session.scalars(
            select(IntroductionHop).where(IntroductionHop.introduction_id == intro_id))]
        return intro.status, intro.holder_id, hops


def kinds(world, member_id):
    with world.app.app_context():
        return [(n.kind, n.data.get("reason")) for n in db.session.scalars(
            select(Notification).where(Notification.member_id == member_id,
                                       Notification.kind.like("introduction_%"))
            .order_by(Notification.id))]


def audit(world):
    with world.app.app_context():
        return [(e.action, e.actor_id, e.subject_member_id, e.subject_type, e.subject_id,
                 e.reason) for e in db.session.scalars(select(AuditEntry).where(
                     AuditEntry.action != "introduction_viewed").order_by(AuditEntry.id))]


def count_events(world, intro_id, kind):
    with world.app.app_context():
        return db.session.scalar(select(func.count(IntroductionEvent.id)).where(
            IntroductionEvent.introduction_id == intro_id, IntroductionEvent.kind == kind))


# ---------------------------------------------------------------------- held first requests


def test_a_first_request_is_held_nobody_is_handed_it_and_the_next_one_travels(world, line):
    r, a, t, _m, _o = line
    intro = ask(world, r, t)
    assert row(world, intro.id) == ("held", None, [])
    assert kinds(world, a) == []  # the relay is not asked anything yet
    assert world.call(services.count_waiting_for, a) == 0
    # Asking again for the same person returns the held request, not a second one.
    assert ask(world, r, t).id == intro.id
    other = world.member("Ugo")
    world.connect(r, other)
    assert row(world, ask(world, r, other).id)[0] == "delivered"  # past the first one


def test_nothing_is_held_when_the_policy_says_zero_nor_staffs_own(world, line):
    r, a, t, m, _o = line
    world.connect(m, a)
    assert row(world, ask(world, m, t).id)[0] == "in_progress"  # staff are not held
    world.set_policy(**{"introductions.review_first_requests": 0})
    assert row(world, ask(world, r, t).id)[0] == "in_progress"


def test_a_held_request_counts_in_the_quota(world, line):
    r, _a, t, _m, _o = line
    world.set_policy(**{"quotas.pending_introductions": 1})
    ask(world, r, t)
    other = world.member("Ugo")
    world.connect(r, other)
    with pytest.raises(ServiceError) as refused:
        ask(world, r, other)
    assert refused.value.code == "quota_exceeded"


def test_the_requester_sees_it_waiting_for_review_and_may_withdraw_it(world, line, login):
    r, _a, t, _m, _o = line
    intro = ask(world, r, t)
    with world.app.app_context():
        page = login(world.get(r)).get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "Waiting for review" in page
    assert "Approve the request" not in page
    world.call(services.withdraw_introduction, r, intro.id)
    assert row(world, intro.id)[0] == "withdrawn"


def test_approval_sends_it_along_its_chain_as_any_request(world, line):
    r, a, t, m, _o = line
    intro = ask(world, r, t)
    world.call(services.approve_introduction, m, intro.id, ip="203.0.113.9")
    status, holder, hops = row(world, intro.id)
    assert (status, holder, hops) == ("in_progress", a, [(1, a, "holding")])
    assert kinds(world, a) == [("introduction_requested", None)]
    assert audit(world) == [("introduction_approved", m, r, "introduction", intro.id, "")]
    # The relay carries it on to the target as usual.
    world.call(services.forward_introduction, a, intro.id)
    assert row(world, intro.id)[0] == "delivered"


def test_a_repeated_approval_changes_nothing(world, line):
    r, a, t, m, _o = line
    intro = ask(world, r, t)
    world.call(services.approve_introduction, m, intro.id)
    world.call(services.approve_introduction, m, intro.id)
    assert count_events(world, intro.id, "approved") == 1
    assert len(audit(world)) == 1 and len(kinds(world, a)) == 1
    world.connect(m, t)
    with pytest.raises(ServiceError) as refused:  # never held: nothing to approve
        world.call(services.approve_introduction, m, ask(world, m, t).id)
    assert refused.value.code == "not_held"


def test_approval_goes_around_a_relay_who_stopped_relaying(world, line):
    r, a, t, m, _o = line
    b = world.member("Bea")
    world.chain(r, b, t, trust=2)  # a weaker chain: the planned one goes through Anna
    intro = ask(world, r, t)
    assert row(world, intro.id)[0] == "held"
    world.update(a, relaying="off")
    world.call(services.approve_introduction, m, intro.id)
    assert row(world, intro.id)[1] == b


def test_approval_keeps_to_the_targets_policy_of_now(world, line):
    r, _a, t, m, _o = line
    intro = ask(world, r, t)
    world.update(t, contact_policy={"introductions": False})
    with pytest.raises(ServiceError) as refused:
        world.call(services.approve_introduction, m, intro.id)
    assert refused.value.code == "target_not_reachable"
    assert row(world, intro.id)[0] == "held" and audit(world) == []


@pytest.mark.parametrize("who", ["requester", "relay", "bystander"])
def test_only_staff_approve_or_block(world, line, who):
    r, a, t, _m, o = line
    intro = ask(world, r, t)
    actor = {"requester": r, "relay": a, "bystander": o}[who]
    for action, kwargs in ((services.approve_introduction, {}),
                           (services.block_introduction, {"reason": REASON})):
        with pytest.raises(ServiceError) as refused:
            world.call(action, actor, intro.id, **kwargs)
        assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert row(world, intro.id)[0] == "held" and audit(world) == []


def test_another_instances_staff_find_nothing(world, line, create_member):
    r, _a, t, _m, _o = line
    intro = ask(world, r, t)
    foreign = World(world.app, create_member, slug="acme")
    mod = foreign.member("Acme Mod", role="moderator")
    for action, kwargs in ((services.approve_introduction, {}),
                           (services.block_introduction, {"reason": REASON})):
        with pytest.raises(NotFound):
            foreign.call(action, mod, intro.id, **kwargs)
    assert row(world, intro.id)[0] == "held" and audit(world) == []


# ---------------------------------------------------------------------- blocking


def test_blocking_a_held_request_tells_the_requester_why(world, line, mail, run_jobs):
    r, a, t, m, _o = line
    world.update(r, locale="fr")
    intro = ask(world, r, t)
    world.call(services.block_introduction, m, intro.id, reason=REASON, ip="203.0.113.9")
    assert row(world, intro.id) == ("blocked", None, [])
    assert kinds(world, r) == [("introduction_blocked", REASON)]
    assert kinds(world, a) == [] and kinds(world, t) == []
    assert audit(world) == [("introduction_blocked", m, r, "introduction", intro.id, REASON)]
    run_jobs()
    with world.app.app_context():
        [message] = [m for m in mail.to(world.get(r).email) if REASON in mail.body(m)]
    assert "arrêtée" in message["Subject"]  # in the requester's language


def test_blocking_a_travelling_request_releases_its_relay(world, line):
    r, a, t, m, _o = line
    world.set_policy(**{"introductions.review_first_requests": 0})
    intro = ask(world, r, t)
    before = world.run(relay_factor)
    world.call(services.block_introduction, m, intro.id, reason=REASON)
    assert row(world, intro.id) == ("blocked", None, [(1, a, "released")])
    assert kinds(world, a) == [("introduction_requested", None), ("introduction_released", None)]
    assert world.call(services.count_waiting_for, a) == 0
    assert world.run(relay_factor) == before  # not counted against the relay
    with pytest.raises(ServiceError) as refused:
        world.call(services.forward_introduction, a, intro.id)
    assert refused.value.code == "already_closed"


def test_blocking_a_delivered_request_releases_the_target(world, line):
    r, a, t, m, _o = line
    world.set_policy(**{"introductions.review_first_requests": 0})
    intro = ask(world, r, t)
    world.call(services.forward_introduction, a, intro.id)
    world.call(services.block_introduction, m, intro.id, reason=REASON)
    assert row(world, intro.id)[0] == "blocked"
    assert ("introduction_released", None) in kinds(world, t)
    with pytest.raises(ServiceError) as refused:
        world.call(services.accept_introduction, t, intro.id)
    assert refused.value.code == "already_closed"


def test_a_repeated_block_changes_nothing_and_a_closed_request_cannot_be_blocked(world, line):
    r, _a, t, m, _o = line
    intro = ask(world, r, t)
    world.call(services.block_introduction, m, intro.id, reason=REASON)
    world.call(services.block_introduction, m, intro.id, reason="another reason")
    assert count_events(world, intro.id, "blocked") == 1
    assert len(audit(world)) == 1 and len(kinds(world, r)) == 1
    other = world.member("Ugo")
    world.connect(r, other)
    closed = ask(world, r, other)
    world.call(services.withdraw_introduction, r, closed.id)
    with pytest.raises(ServiceError) as refused:
        world.call(services.block_introduction, m, closed.id, reason=REASON)
    assert refused.value.code == "already_closed"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_a_block_needs_a_reason_and_writes_nothing_without_one(world, line, reason):
    r, _a, t, m, _o = line
    intro = ask(world, r, t)
    with pytest.raises(ServiceError) as refused:
        world.call(services.block_introduction, m, intro.id, reason=reason)
    assert refused.value.code == "validation_failed"
    assert row(world, intro.id)[0] == "held" and audit(world) == []


def test_the_reason_is_the_requesters_not_the_chains(world, line, login):
    r, a, t, m, _o = line
    world.set_policy(**{"introductions.review_first_requests": 0})
    intro = ask(world, r, t)
    world.call(services.block_introduction, m, intro.id, reason=REASON)
    with world.app.app_context():
        mine = login(world.get(r)).get(f"/introductions/{intro.id}").get_data(as_text=True)
        relay = login(world.get(a)).get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "Stopped by the moderators" in mine and REASON in mine
    assert REASON not in relay


# ---------------------------------------------------------------------- pages and API


def test_a_moderator_approves_and_blocks_from_the_request_page(world, line, login):
    r, a, t, m, _o = line
    first = ask(world, r, t)
    with world.app.app_context():
        staff = login(world.get(m))
    page = staff.get(f"/introductions/{first.id}").get_data(as_text=True)
    assert "Approve the request" in page and "Block the request" in page
    assert staff.post(f"/introductions/{first.id}/approve").status_code == 303
    assert row(world, first.id)[0] == "in_progress"
    answer = staff.post(f"/introductions/{first.id}/block", data={"reason": ""})
    assert answer.status_code == 303 and row(world, first.id)[0] == "in_progress"
    staff.post(f"/introductions/{first.id}/block", data={"reason": REASON})
    assert row(world, first.id)[0] == "blocked"


def test_the_api_approves_and_blocks_for_staff_only(world, line, client_for, create_member):
    r, a, t, m, o = line
    intro = ask(world, r, t)
    api = client_for("reseau")
    url = f"/api/v1/admin/introductions/{intro.id}"
    answer = api.post(f"{url}/approve", headers=bearer(world, o))
    assert (answer.status_code, answer.json["error"]["code"]) == (403, "forbidden")
    foreign = World(world.app, create_member, slug="acme")
    acme_mod = foreign.member("Acme Mod", role="moderator")
    assert client_for("acme").post(f"{url}/approve",
                                   headers=bearer(foreign, acme_mod)).status_code == 404
    staff = {**bearer(world, m), "Idempotency-Key": "approve-1"}
    answer = api.post(f"{url}/approve", headers=staff)
    assert answer.status_code == 200 and answer.json["status"] == "in_progress"
    assert api.post(f"{url}/approve", headers=staff).json["status"] == "in_progress"
    answer = api.post(f"{url}/block", json={"reason": ""}, headers=bearer(world, m))
    assert answer.status_code == 422
    answer = api.post(f"{url}/block", json={"reason": REASON}, headers=bearer(world, m))
    assert answer.status_code == 200
    assert (answer.json["status"], answer.json["block_reason"]) == ("blocked", REASON)
    again = api.post(f"{url}/block", json={"reason": REASON}, headers=bearer(world, m))
    assert again.status_code == 200 and count_events(world, intro.id, "blocked") == 1
    assert [a[0] for a in audit(world)] == ["introduction_approved", "introduction_blocked"]
