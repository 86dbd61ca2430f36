"""Requesting an introduction: chain choice, the target's policy, validation, quotas."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from maillon.errors import ServiceError
from maillon.introductions import services
from maillon.introductions.chains import best_chains
from maillon.introductions.models import IntroductionEvent
from maillon.network.graph import graph_for
from tests.introductions.world import MESSAGE, World


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


def ask(world, requester, target, **kwargs):
    kwargs.setdefault("message", MESSAGE)
    kwargs.setdefault("purpose", "research")
    return world.call(services.request_introduction, requester, target, **kwargs)


def test_direct_connection_goes_straight_to_the_target(world):
    r, t = world.members("R", "T")
    world.connect(r, t, 1, 1)
    intro = ask(world, r, t)
    assert (intro.status, intro.hops, intro.current_hop, intro.path) == ("delivered", 1, 1, [r, t])
    assert intro.holder_id == t and intro.delivered_at is not None


def test_the_more_trusted_route_wins(world):
    r, a, b, t = world.members("R", "A", "B", "T")
    world.chain(r, b, t, trust=2)
    world.chain(r, a, t, trust=5)
    intro = ask(world, r, t)
    assert intro.path == [r, a, t]
    assert (intro.status, intro.hops, intro.current_hop, intro.holder_id) == (
        "in_progress", 2, 1, a)
    assert intro.hop_deadline is not None


def test_a_shorter_chain_beats_a_slightly_more_trusted_longer_one(world):
    r, a, c, d, t = world.members("R", "A", "C", "D", "T")
    world.chain(r, a, t, trust=4)  # 0.8375 per link
    world.chain(r, c, d, t, trust=5)  # 0.95 per link, one more relay
    intro = ask(world, r, t)
    assert intro.path == [r, a, t]
    # Without the hop factor the longer chain would have won: the factor decided.
    with world.app.app_context():
        from maillon.db import db

        graph = graph_for(db.session, world.instance())
        assert best_chains(graph, r, t, 6, 1.0, k=1)[0].nodes == (r, c, d, t)


def test_busy_relays_are_routed_around(world):
    r, a, b, t = world.members("R", "A", "B", "T")
    world.chain(r, a, t, trust=5)
    world.chain(r, b, t, trust=2)
    world.update(a, relaying="busy")
    assert ask(world, r, t).path == [r, b, t]


def test_suspended_relays_are_routed_around(world):
    r, a, b, t = world.members("R", "A", "B", "T")
    world.chain(r, a, t, trust=5)
    world.chain(r, b, t, trust=2)
    world.update(a, status="suspended")
    assert ask(world, r, t).path == [r, b, t]


def test_target_policy_is_respected(world):
    r, a, t = world.members("R", "A", "T")
    world.chain(r, a, t)
    world.update(t, contact_policy={"direct": "nobody", "introductions": True,
                                    "purposes": ["advice"], "max_hops": 6})
    with pytest.raises(ServiceError) as caught:
        ask(world, r, t, purpose="recruiting")
    assert (caught.value.code, caught.value.status) == ("purpose_not_accepted", 403)
    world.update(t, contact_policy={"direct": "nobody", "introductions": False,
                                    "purposes": ["advice"], "max_hops": 6})
    with pytest.raises(ServiceError) as caught:
        ask(world, r, t, purpose="advice")
    assert (caught.value.code, caught.value.status) == ("target_not_reachable", 403)


def test_target_max_hops_lowers_the_cap(world):
    r, a, b, t = world.members("R", "A", "B", "T")
    world.chain(r, a, b, t)
    world.update(t, contact_policy={"direct": "network", "introductions": True,
                                    "purposes": ["research"], "max_hops": 2})
    with pytest.raises(ServiceError) as caught:
        ask(world, r, t)
    assert caught.value.code == "target_not_reachable"
    world.update(t, contact_policy={"max_hops": 3})
    assert ask(world, r, t).hops == 3


def test_unreachable_target(world):
    r, t = world.members("R", "T")
    with pytest.raises(ServiceError) as caught:
        ask(world, r, t)
    assert caught.value.code == "target_not_reachable"


def test_message_and_purpose_are_checked(world):
    r, t = world.members("R", "T")
    world.connect(r, t)
    for kwargs, field in (({"message": "Hello"}, "message"), ({"message": "x" * 3001}, "message"),
                          ({"purpose": "gossip"}, "purpose")):
        with pytest.raises(ServiceError) as caught:
            ask(world, r, t, **kwargs)
        assert caught.value.status == 422 and field in caught.value.fields
    with pytest.raises(ServiceError) as caught:
        ask(world, r, r)
    assert caught.value.code == "cannot_introduce_self"


def test_asking_again_returns_the_open_request(world):
    r, a, t = world.members("R", "A", "T")
    world.chain(r, a, t)
    first = ask(world, r, t)
    again = ask(world, r, t)
    assert again.id == first.id
    with world.app.app_context():
        from sqlalchemy import func, select

        from maillon.db import db

        assert db.session.scalar(select(func.count(IntroductionEvent.id)).where(
            IntroductionEvent.kind == "requested")) == 1


def test_two_tabs_sending_at_once_make_one_request(world):
    import threading

    r, a, t = world.members("R", "A", "T")
    world.chain(r, a, t)
    ids: list[int] = []
    threads = [threading.Thread(target=lambda: ids.append(ask(world, r, t).id))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 3 and len(set(ids)) == 1
    with world.app.app_context():
        from sqlalchemy import func, select

        from maillon.db import db

        assert db.session.scalar(select(func.count(IntroductionEvent.id)).where(
            IntroductionEvent.kind == "requested")) == 1


def test_pending_requests_have_a_quota(world):
    r, t1, t2, t3 = world.members("R", "T1", "T2", "T3")
    for t in (t1, t2, t3):
        world.connect(r, t)
    world.set_policy(**{"quotas.pending_introductions": 2})
    ask(world, r, t1)
    second = ask(world, r, t2)
    with pytest.raises(ServiceError) as caught:
        ask(world, r, t3)
    assert (caught.value.code, caught.value.status) == ("quota_exceeded", 403)
    world.call(services.withdraw_introduction, r, second.id)
    assert ask(world, r, t3).status == "delivered"


def test_another_instances_target_is_not_found(world, create_member):
    r = world.member("R")
    stranger = create_member("acme").id
    with pytest.raises(NotFound):
        ask(world, r, stranger)


def test_list_introductions_by_role(world):
    r, a, t = world.members("R", "A", "T")
    world.chain(r, a, t)
    intro = ask(world, r, t)
    assert world.call(services.list_introductions, r, "sent")[0] == 1
    assert world.call(services.list_introductions, a, "relaying")[0] == 1
    assert world.call(services.list_introductions, t, "received")[0] == 0
    world.call(services.forward_introduction, a, intro.id)
    total, rows = world.call(services.list_introductions, t, "received")
    assert total == 1 and rows[0].id == intro.id
    with pytest.raises(ServiceError):
        world.call(services.list_introductions, r, "everything")


def test_direct_messages_follow_the_targets_policy(world, create_member):
    r, friend, t = world.members("R", "F", "T")
    world.connect(r, friend)
    world.update(friend, contact_policy={"direct": "network"})
    world.update(t, contact_policy={"direct": "network"})
    message = world.call(services.send_direct_message, r, friend, "Hello there")
    assert (message.sender_id, message.recipient_id, message.text) == (r, friend, "Hello there")
    with pytest.raises(ServiceError) as caught:
        world.call(services.send_direct_message, r, t, "Hello there")
    assert (caught.value.code, caught.value.status) == ("direct_contact_not_allowed", 403)
    world.update(t, contact_policy={"direct": "anyone"})
    assert world.call(services.send_direct_message, r, t, "Hello").recipient_id == t
    world.update(friend, contact_policy={"direct": "nobody"})
    with pytest.raises(ServiceError):
        world.call(services.send_direct_message, r, friend, "Hello again")
    with pytest.raises(ServiceError) as caught:
        world.call(services.send_direct_message, r, t, "   ")
    assert caught.value.status == 422
    with pytest.raises(NotFound):
        world.call(services.send_direct_message, r, create_member("acme").id, "Hello")
    assert world.call(services.list_direct_messages, t)[0] == 1
