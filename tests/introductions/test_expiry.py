"""Overdue hops expire; the requester retries along a chain that avoids who let it lapse."""

from __future__ import annotations

from datetime import timedelta

import pytest

from maillon.db import db, utcnow
from maillon.errors import ServiceError
from maillon.introductions import services
from maillon.jobs.services import PERIODIC
from tests.introductions.world import MESSAGE, World


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


def expire(world, days):
    with world.app.app_context():
        return services.expire_overdue(db.session, utcnow() + timedelta(days=days))


def view(world, intro_id, viewer):
    def build(session, instance, member):
        intro = services.access_introduction(session, instance, member, intro_id)
        return services.introduction_view(session, instance, intro, member)

    return world.call(build, viewer)


def test_expiry_and_failover(world):
    r, a, b, t = world.members("R", "Slow Alice", "Bob", "T")
    world.chain(r, a, t, trust=5)
    world.chain(r, b, t, trust=2)
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="advice")
    assert intro.holder_id == a
    assert expire(world, 6) == 0  # the policy gives each relay 7 days
    assert expire(world, 8) == 1
    assert expire(world, 8) == 0
    expired = world.call(services.access_introduction, r, intro.id)
    assert (expired.status, expired.avoid, expired.holder_id) == ("expired", [a], None)
    with pytest.raises(ServiceError) as caught:
        world.call(services.forward_introduction, a, intro.id)
    assert caught.value.code == "already_closed"
    retried = world.call(services.retry_introduction, r, intro.id)
    again = world.call(services.retry_introduction, r, intro.id)
    assert (retried.attempt, retried.path, retried.holder_id) == (2, [r, b, t], b)
    assert again.attempt == 2
    mine = view(world, intro.id, r)
    named = {e["actor"].id for e in mine["events"] if e["actor"]}
    named |= {e["data"]["to"].id for e in mine["events"] if e["data"].get("to")}
    named |= {m.id for m in mine["chain"] if m}
    assert a not in named
    assert [e["kind"] for e in mine["events"]] == ["requested", "expired", "retried"]
    # Alice can still open what passed through her, but acts no more.
    assert view(world, intro.id, a)["can_act"] is False
    world.call(services.forward_introduction, b, intro.id)
    assert world.call(services.access_introduction, t, intro.id).status == "delivered"


def test_retry_after_decline_and_when_nothing_is_left(world):
    r, a, t = world.members("R", "A", "T")
    world.chain(r, a, t)
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="advice")
    with pytest.raises(ServiceError) as caught:
        world.call(services.retry_introduction, r, intro.id)
    assert caught.value.code == "not_retryable"
    world.call(services.decline_introduction, a, intro.id)
    with pytest.raises(ServiceError) as caught:
        world.call(services.retry_introduction, r, intro.id)
    assert caught.value.code == "target_not_reachable"
    assert world.call(services.access_introduction, r, intro.id).status == "declined"


def test_the_periodic_task_expires_introductions(world):
    assert PERIODIC["expire_introductions"][0] == 60
    r, a, t = world.members("R", "A", "T")
    world.chain(r, a, t)
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="advice")
    with world.app.app_context():
        row = services.access_introduction(db.session, world.instance(), world.get(r), intro.id)
        row.hop_deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    with world.app.app_context():
        PERIODIC["expire_introductions"][1](db.session)
    assert world.call(services.access_introduction, r, intro.id).status == "expired"
