"""The relay queue for staff: held requests, requests members reported, alerts over the last
24 hours; a request's hop-by-hop trail; private texts read by staff only while a request is under
review, each opening audited (decision 36)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from maillon.db import db, utcnow
from maillon.errors import ServiceError
from maillon.introductions import services
from maillon.introductions.review import DECLINES, FAN_OUT_TARGETS, RELAY_LOAD
from maillon.moderation import reports
from maillon.moderation.models import AuditEntry
from tests.introductions.world import MESSAGE, World
from tests.privacy.common import bearer

NOTE, VOUCH = "Anna's private note to Tom", "Anna vouches for Rosa"


@pytest.fixture
def world(app, create_member):
    world = World(app, create_member)
    world.set_policy(**{"quotas.pending_introductions": 50})
    return world


@pytest.fixture
def people(world):
    """Rosa (requester) – Anna (relay) – Tom (target); Mona moderates; Olaf takes no part."""
    r, a, t = (world.member(n, locale="en") for n in ("Rosa", "Anna", "Tom"))
    world.chain(r, a, t, trust=4)
    return r, a, t, world.member("Mona Mod", role="moderator", locale="en"), world.member("Olaf")


def ask(world, r, t):
    return world.call(services.request_introduction, r, t, message=MESSAGE, purpose="research")


def fan_out(world, r, a, n):
    """Rosa asks to meet ``n`` of Anna's contacts: ``n`` targets for Rosa, ``n`` hops at Anna."""
    targets = [world.member(f"Target {i}") for i in range(n)]
    for target in targets:
        world.connect(a, target)
    return [ask(world, r, target).id for target in targets]


def queue(world, actor, **kwargs):
    return world.call(services.review_queue, actor, **kwargs)


def viewed(world):
    with world.app.app_context():
        return db.session.scalars(select(AuditEntry.subject_id).where(
            AuditEntry.action == "introduction_viewed").order_by(AuditEntry.id)).all()


def as_staff(world, login, client_for, staff, intro_id):
    """The trail page, the request's page and its API answer as a moderator sees them."""
    with world.app.app_context():
        client = login(world.get(staff))
    trail = client.get(f"/moderation/introductions/{intro_id}")
    page = client.get(f"/introductions/{intro_id}")
    answer = client_for("reseau").get(f"/api/v1/introductions/{intro_id}",
                                      headers=bearer(world, staff))
    assert trail.status_code == page.status_code == answer.status_code == 200
    return trail.get_data(as_text=True) + page.get_data(as_text=True) + str(answer.json)


# ---------------------------------------------------------------------- the queue


def test_the_queue_lists_held_and_reported_requests(world, people):
    r, a, t, m, _o = people
    world.set_policy(**{"introductions.review_first_requests": 1})
    held = ask(world, r, t)
    other = world.member("Una")
    world.connect(a, other)
    travelling = ask(world, r, other)
    world.call(reports.file_report, a, "introduction", travelling.id, reason="spam")
    found = queue(world, m)
    assert [i.id for i in found.held] == [held.id]
    assert [(i.id, n) for i, n in found.reported] == [(travelling.id, 1)]
    assert found.alerts == []


def test_alerts_fire_at_their_thresholds_over_the_last_day(world, people):
    r, a, _t, m, _o = people
    assert RELAY_LOAD >= FAN_OUT_TARGETS  # one batch of requests fires both below
    ids = fan_out(world, r, a, RELAY_LOAD)
    for intro_id in ids[:DECLINES]:
        world.call(services.decline_introduction, a, intro_id)
    alerts = {(x.kind, x.member.id, x.count): x.introduction_ids for x in queue(world, m).alerts}
    assert alerts == {("fan_out", r, RELAY_LOAD): tuple(ids),
                      ("relay_load", a, RELAY_LOAD): tuple(ids),
                      ("declines", r, DECLINES): tuple(ids[:DECLINES])}
    # A day later the same rows are out of the window.
    assert queue(world, m, now=utcnow() + timedelta(hours=25)).alerts == []


def test_no_alert_below_the_thresholds(world, people):
    r, a, _t, m, _o = people
    ids = fan_out(world, r, a, FAN_OUT_TARGETS - 1)
    for intro_id in ids[:DECLINES - 1]:
        world.call(services.decline_introduction, a, intro_id)
    assert queue(world, m).alerts == []


def test_the_queue_is_for_staff_of_the_instance(world, people, create_member, login):
    r, a, t, m, o = people
    for member in (r, a, o):
        with pytest.raises(ServiceError) as refused:
            queue(world, member)
        assert refused.value.status == 403
    foreign = World(world.app, create_member, slug="acme")
    acme_mod = foreign.member("Acme Mod", role="moderator")
    with world.app.app_context():
        # An acme moderator asking reseau's queue through reseau's instance: not found.
        with pytest.raises(ServiceError) as refused:
            services.review_queue(db.session, world.instance(), foreign.get(acme_mod))
        assert refused.value.status == 404
        assert login(world.get(o)).get("/moderation/introductions").status_code == 403
        # Those who take part see their request on its own page, not its whole trail.
        intro = ask(world, r, t)
        for member in (r, a):
            trail = login(world.get(member)).get(f"/moderation/introductions/{intro.id}")
            assert trail.status_code == 403
        page = login(world.get(m)).get("/moderation/introductions")
    assert page.status_code == 200 and "Introductions to review" in page.get_data(as_text=True)


def test_another_instances_request_has_no_trail(world, people, create_member, login):
    r, _a, t, _m, _o = people
    intro = ask(world, r, t)
    foreign = World(world.app, create_member, slug="acme")
    acme_mod = foreign.member("Acme Mod", role="moderator")
    with pytest.raises(Exception) as missing:
        foreign.call(services.review_trail, acme_mod, intro.id)
    assert getattr(missing.value, "code", None) == 404
    with world.app.app_context():
        client = login(foreign.get(acme_mod), "acme")
    assert client.get(f"/moderation/introductions/{intro.id}").status_code == 404
    assert viewed(world) == []


# ---------------------------------------------------------------------- trail and privacy


def test_the_trail_shows_each_hop_without_texts_outside_review(world, people, login,
                                                               client_for):
    r, a, t, m, _o = people
    intro = ask(world, r, t)
    world.call(services.forward_introduction, a, intro.id, note=NOTE, vouch=VOUCH)
    seen = as_staff(world, login, client_for, m, intro.id)
    assert "Anna" in seen and "Passed on" in seen  # who held it and what they did
    assert "Not under review" in seen
    for secret in (MESSAGE, NOTE, VOUCH):
        assert secret not in seen
    assert viewed(world) == [intro.id] * 3  # the trail, the page and the API


@pytest.mark.parametrize("why", ["held", "reported", "alert"])
def test_under_review_staff_read_message_notes_and_vouches_each_time_audited(
        world, people, login, client_for, why):
    r, a, t, m, _o = people
    if why == "held":
        world.set_policy(**{"introductions.review_first_requests": 1})
        intro = ask(world, r, t)
        secrets = (MESSAGE,)
    else:
        intro = ask(world, r, t)
        world.call(services.forward_introduction, a, intro.id, note=NOTE, vouch=VOUCH)
        secrets = (MESSAGE, NOTE, VOUCH)
        if why == "reported":
            world.call(reports.file_report, t, "introduction", intro.id, reason="spam")
        else:
            fan_out(world, r, a, FAN_OUT_TARGETS)
    seen = as_staff(world, login, client_for, m, intro.id)
    for secret in secrets:
        assert secret in seen, secret
    assert "Under review" in seen
    assert viewed(world) == [intro.id] * 3


def test_a_decided_report_ends_the_review(world, people, login, client_for):
    r, a, t, m, _o = people
    intro = ask(world, r, t)
    world.call(services.forward_introduction, a, intro.id, note=NOTE)
    report, _new = world.call(reports.file_report, t, "introduction", intro.id, reason="spam")
    world.call(reports.decide_report, m, report.id,
               reports.Decision(dismiss=True, reason="Nothing wrong."))
    seen = as_staff(world, login, client_for, m, intro.id)
    assert MESSAGE not in seen and NOTE not in seen


def test_the_api_lists_the_queue_for_staff_only(world, people, client_for):
    r, a, t, m, o = people
    world.set_policy(**{"introductions.review_first_requests": 1})
    held = ask(world, r, t)
    api = client_for("reseau")
    refused = api.get("/api/v1/admin/introductions/queue", headers=bearer(world, o))
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "forbidden")
    answer = api.get("/api/v1/admin/introductions/queue", headers=bearer(world, m))
    assert answer.status_code == 200
    assert [(q["id"], q["requester"]["name"], q["target"]["name"])
            for q in answer.json["held"]] == [(held.id, "Rosa", "Tom")]
    assert answer.json["reported"] == [] and answer.json["alerts"] == []
