"""The instance's introduction statistics on a small, known history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.introductions import services
from maillon.introductions.models import Introduction
from tests.introductions.world import MESSAGE, World


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


def test_statistics(world, create_member):
    r, d1, d2, a, b, t1, t2, t3 = world.members("R", "D1", "D2", "A", "B", "T1", "T2", "T3")
    world.connect(r, d1)
    world.connect(r, d2)
    world.chain(r, a, t1)
    world.chain(a, b, t2)
    world.chain(a, t3)

    def ask(t):
        return world.call(services.request_introduction, r, t, message=MESSAGE,
                          purpose="advice")

    # Direct: one accepted, one rejected.
    world.call(services.accept_introduction, d1, ask(d1).id)
    world.call(services.reject_introduction, d2, ask(d2).id)
    # Relayed, 2 links: accepted, one hour after the request.
    one = ask(t1)
    world.call(services.forward_introduction, a, one.id)
    world.call(services.accept_introduction, t1, one.id)
    # Relayed, 3 links: Alice passes it on, Bob declines.
    two = ask(t2)
    world.call(services.forward_introduction, a, two.id)
    world.call(services.decline_introduction, b, two.id)
    # Relayed, 2 links, still travelling: counted, not decided.
    ask(t3)
    with world.app.app_context():
        row = db.session.scalar(select(Introduction).where(Introduction.id == one.id))
        row.delivered_at = row.created_at + timedelta(hours=1)
        db.session.commit()

    stats = world.run(services.statistics)
    assert stats["direct"] == {"requests": 2, "decided": 2, "accepted": 1, "success_rate": 0.5}
    assert stats["relayed"] == {"requests": 3, "decided": 2, "accepted": 1, "success_rate": 0.5}
    assert [(e["hops"], e["requests"], e["decided"], e["accepted"], e["success_rate"])
            for e in stats["by_length"]] == [(1, 2, 2, 1, 0.5), (2, 2, 1, 1, 1.0),
                                             (3, 1, 1, 0, 0.0)]
    assert stats["median_seconds_to_target"] == 3600
    assert stats["drop_off"] == [
        {"position": 1, "reached": 3, "passed": 2, "stopped": 0, "drop_rate": 0.0},
        {"position": 2, "reached": 1, "passed": 0, "stopped": 1, "drop_rate": 1.0}]
    other = World(world.app, create_member, slug="acme")
    assert other.run(services.statistics)["by_length"] == []


def test_relay_factor_learns_from_relays(world):
    prior = world.run(services.relay_factor)
    assert prior == pytest.approx(0.8)
    r, a, t = world.members("R", "A", "T")
    world.chain(r, a, t)
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="advice")
    world.call(services.decline_introduction, a, intro.id)
    assert world.run(services.relay_factor) == pytest.approx(16 / 21)
