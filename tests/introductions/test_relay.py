"""Relaying: forward, reroute, decline, advise; the target's answer; withdrawal; idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import ServiceError
from maillon.introductions import services
from maillon.introductions.models import IntroductionEvent
from maillon.introductions.signals import introduction_accepted, introduction_forwarded
from maillon.network.models import Connection
from tests.introductions.world import MESSAGE, World


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


@pytest.fixture
def line(world):
    """R - A - B - T, the only chain."""
    ids = world.members("Requester", "Alice", "Bob", "Target")
    world.chain(*ids, trust=4)
    return ids


def ask(world, r, t):
    return world.call(services.request_introduction, r, t, message=MESSAGE, purpose="research")


def view(world, intro_id, viewer):
    def build(session, instance, member):
        intro = services.access_introduction(session, instance, member, intro_id)
        return services.introduction_view(session, instance, intro, member)

    return world.call(build, viewer)


def events(world, intro_id, kind=None):
    with world.app.app_context():
        query = select(func.count(IntroductionEvent.id)).where(
            IntroductionEvent.introduction_id == intro_id)
        if kind:
            query = query.where(IntroductionEvent.kind == kind)
        return db.session.scalar(query)


def test_forward_to_the_target(world, line):
    r, a, b, t = line
    told = []
    def receiver(s, **kw):
        told.append(kw["recipients"][0].id)

    introduction_forwarded.connect(receiver)
    try:
        intro = ask(world, r, t)
        intro = world.call(services.forward_introduction, a, intro.id, note="Bob, meet them",
                           vouch="Sharp and kind")
        assert (intro.status, intro.current_hop, intro.holder_id) == ("in_progress", 2, b)
        assert told == [b]
        assert view(world, intro.id, b)["note"] == "Bob, meet them"
        assert view(world, intro.id, r)["note"] == ""
        intro = world.call(services.forward_introduction, b, intro.id, note="For you, T")
    finally:
        introduction_forwarded.disconnect(receiver)  # only ours: notifications listen too
    assert (intro.status, intro.current_hop, intro.hops) == ("delivered", 3, 3)
    target_view = view(world, intro.id, t)
    assert target_view["can_answer"] and target_view["note"] == "For you, T"
    assert [v["text"] for v in target_view["vouches"]] == ["Sharp and kind"]
    assert [e["kind"] for e in target_view["events"]] == [
        "requested", "forwarded", "forwarded", "delivered"]
    # The note for Bob stays between Alice and Bob.
    assert "note" not in target_view["events"][1]["data"]


def test_only_the_current_hop_can_act(world, line):
    r, a, b, t = line
    intro = ask(world, r, t)
    for who in (b, r):
        with pytest.raises((ServiceError, NotFound)) as caught:
            world.call(services.forward_introduction, who, intro.id)
        if isinstance(caught.value, ServiceError):
            assert (caught.value.code, caught.value.status) == ("not_current_hop", 403)
    # Bob has not held it yet: for him it does not exist.
    with pytest.raises(NotFound):
        world.call(services.decline_introduction, b, intro.id)
    with pytest.raises(ServiceError) as caught:
        world.call(services.decline_introduction, r, intro.id)
    assert caught.value.code == "not_current_hop"
    with pytest.raises(NotFound):  # the target sees it only once delivered
        world.call(services.accept_introduction, t, intro.id)
    world.call(services.forward_introduction, a, intro.id)
    with pytest.raises(ServiceError) as caught:
        world.call(services.decline_introduction, a, intro.id)
    assert caught.value.code == "not_current_hop"


def test_double_forward_is_one_forward(world, line):
    r, a, b, t = line
    intro = ask(world, r, t)
    first = world.call(services.forward_introduction, a, intro.id, note="x")
    second = world.call(services.forward_introduction, a, intro.id, note="x")
    assert (second.current_hop, second.holder_id) == (first.current_hop, first.holder_id) == (2, b)
    assert events(world, intro.id, "forwarded") == 1


def test_reroute_to_another_contact(world, line):
    r, a, b, t = line
    c = world.member("Carol")
    world.chain(a, c, t, trust=2)
    intro = ask(world, r, t)
    assert intro.path == [r, a, b, t]
    suggestions = world.call(services.suggest_reroutes, a, intro.id)
    assert [m.id for m, _p in suggestions] == [c]  # Bob is where "Forward" sends it
    intro = world.call(services.forward_introduction, a, intro.id, to_member_id=c)
    assert (intro.path, intro.hops, intro.current_hop, intro.holder_id) == ([r, a, c, t], 3, 2, c)
    assert events(world, intro.id, "rerouted") == 1


def test_reroute_options_best_first_without_the_planned_next(world, line):
    r, a, b, t = line
    carol, dan = world.members("Carol", "Dan")
    world.chain(a, carol, t, trust=2)
    world.chain(a, dan, t, trust=3)
    intro = ask(world, r, t)
    assert intro.path == [r, a, b, t]  # through Bob, trusted most
    suggestions = world.call(services.suggest_reroutes, a, intro.id)
    assert [m.id for m, _p in suggestions] == [dan, carol]
    chances = [p for _m, p in suggestions]
    assert chances == sorted(chances, reverse=True)


def test_reroute_options_leave_out_the_target_when_next(world):
    r, a, t, c = world.members("Requester", "Alice", "Target", "Carol")
    world.chain(r, a, t, trust=4)
    world.chain(a, c, t, trust=3)
    intro = ask(world, r, t)
    assert intro.path == [r, a, t]
    suggestions = world.call(services.suggest_reroutes, a, intro.id)
    assert [m.id for m, _p in suggestions] == [c]  # the target is what "Forward" does


def test_reroute_needs_a_contact_with_a_way_on(world, line):
    r, a, b, t = line
    stranger, dead_end = world.members("Stranger", "Dead end")
    world.connect(a, dead_end)
    intro = ask(world, r, t)
    with pytest.raises(ServiceError) as caught:
        world.call(services.forward_introduction, a, intro.id, to_member_id=stranger)
    assert (caught.value.code, caught.value.status) == ("not_a_contact", 422)
    with pytest.raises(ServiceError) as caught:
        world.call(services.forward_introduction, a, intro.id, to_member_id=dead_end)
    assert (caught.value.code, caught.value.status) == ("no_route_from_there", 422)
    with pytest.raises(ServiceError) as caught:
        world.call(services.forward_introduction, a, intro.id, to_member_id=r)
    assert caught.value.code == "cannot_reroute_to"
    assert world.call(services.access_introduction, a, intro.id).current_hop == 1


def test_reroute_respects_the_remaining_hops(world, line):
    r, a, b, t = line
    c, d = world.members("C", "D")
    world.chain(a, c, d, t)  # from Alice through C: 4 links in all
    world.update(t, contact_policy={"max_hops": 3})
    intro = ask(world, r, t)
    with pytest.raises(ServiceError) as caught:
        world.call(services.forward_introduction, a, intro.id, to_member_id=c)
    assert caught.value.code == "no_route_from_there"


def test_decline_tells_the_requester_without_who(world, line):
    r, a, b, t = line
    intro = ask(world, r, t)
    world.call(services.forward_introduction, a, intro.id)
    intro = world.call(services.decline_introduction, b, intro.id, reason="I barely know them")
    assert (intro.status, intro.avoid, intro.holder_id) == ("declined", [b], None)
    mine = view(world, intro.id, r)
    declined = [e for e in mine["events"] if e["kind"] == "declined"][0]
    assert declined["actor"] is None and declined["data"]["reason"] == "I barely know them"
    assert mine["chain"][1] is None  # reseau shows full chains, but never who declined
    assert all(e["data"].get("to") is None or e["data"]["to"].id != b for e in mine["events"])
    alice = view(world, intro.id, a)
    assert [e for e in alice["events"] if e["kind"] == "declined"][0]["data"]["reason"]
    # Declining twice changes nothing.
    world.call(services.decline_introduction, b, intro.id, reason="again")
    assert events(world, intro.id, "declined") == 1


def test_advise_ends_the_request(world, line):
    r, a, b, t = line
    intro = ask(world, r, t)
    with pytest.raises(ServiceError) as caught:
        world.call(services.advise_introduction, a, intro.id, advice=" ")
    assert caught.value.status == 422
    intro = world.call(services.advise_introduction, a, intro.id, advice="Write to her lab.")
    assert (intro.status, intro.advice) == ("advised", "Write to her lab.")
    assert view(world, intro.id, r)["advice"] == "Write to her lab."
    with pytest.raises(ServiceError) as caught:
        world.call(services.forward_introduction, a, intro.id)
    assert (caught.value.code, caught.value.status) == ("already_closed", 409)


def test_accept_shares_contacts_and_may_connect(world, line):
    r, a, b, t = line
    told = []
    def receiver(s, **kw):
        told.extend(m.id for m in kw["recipients"])

    introduction_accepted.connect(receiver)
    try:
        intro = ask(world, r, t)
        world.call(services.forward_introduction, a, intro.id)
        world.call(services.forward_introduction, b, intro.id)
        assert view(world, intro.id, r)["contact"] is None
        intro = world.call(services.accept_introduction, t, intro.id, message="Happy to talk",
                           connect=True)
        again = world.call(services.accept_introduction, t, intro.id, message="Happy to talk")
    finally:
        introduction_accepted.disconnect(receiver)  # only ours: notifications listen too
    assert intro.status == again.status == "accepted"
    assert sorted(told) == sorted([r, a, b])
    assert events(world, intro.id, "accepted") == 1
    requester_view = view(world, intro.id, r)
    target_view = view(world, intro.id, t)
    assert requester_view["contact"]["email"] == target_view["target"].email
    assert target_view["contact"]["email"] == requester_view["requester"].email
    assert requester_view["outcome_message"] == "Happy to talk"
    assert view(world, intro.id, a)["contact"] is None
    with world.app.app_context():
        row = db.session.scalar(select(Connection).where(Connection.requester_id == t,
                                                         Connection.addressee_id == r))
        assert row is not None and row.status == "pending"
    with pytest.raises(ServiceError) as caught:
        world.call(services.reject_introduction, t, intro.id)
    assert caught.value.code == "already_closed"
    with pytest.raises(ServiceError) as caught:
        world.call(services.accept_introduction, r, intro.id)
    assert caught.value.code == "not_target"
    thanked = world.call(services.thank_chain, t, intro.id, message="Thank you all")
    world.call(services.thank_chain, t, intro.id, message="Thank you all")
    assert thanked.status == "accepted" and events(world, intro.id, "thanked") == 1
    assert [e for e in view(world, intro.id, a)["events"]
            if e["kind"] == "thanked"][0]["data"]["message"] == "Thank you all"


def test_reject(world):
    r, t = world.members("R", "T")
    world.connect(r, t)
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="advice")
    with pytest.raises(ServiceError) as caught:
        world.call(services.thank_chain, t, intro.id, message="Thanks")
    assert caught.value.code == "not_accepted"
    intro = world.call(services.reject_introduction, t, intro.id, message="Not now")
    world.call(services.reject_introduction, t, intro.id, message="Not now")
    assert intro.status == "rejected" and events(world, intro.id, "rejected") == 1
    assert view(world, intro.id, r)["outcome_message"] == "Not now"


def test_withdraw(world, line):
    r, a, b, t = line
    intro = ask(world, r, t)
    with pytest.raises(ServiceError) as caught:
        world.call(services.withdraw_introduction, a, intro.id)
    assert caught.value.code == "not_requester"
    intro = world.call(services.withdraw_introduction, r, intro.id)
    world.call(services.withdraw_introduction, r, intro.id)
    assert (intro.status, intro.holder_id) == ("withdrawn", None)
    assert events(world, intro.id, "withdrawn") == 1
    with pytest.raises(ServiceError) as caught:
        world.call(services.forward_introduction, a, intro.id)
    assert caught.value.code == "already_closed"


def test_other_members_and_instances_see_nothing(world, line, create_member):
    r, a, b, t = line
    outsider = world.member("Outsider")
    intro = ask(world, r, t)
    with pytest.raises(NotFound):
        world.call(services.access_introduction, outsider, intro.id)
    moderator = create_member("reseau", role="moderator").id
    assert world.call(services.access_introduction, moderator, intro.id).id == intro.id
    other = World(world.app, create_member, slug="acme")
    stranger = other.member("Stranger")
    for action, kwargs in ((services.access_introduction, {}),
                           (services.forward_introduction, {}),
                           (services.decline_introduction, {}),
                           (services.advise_introduction, {"advice": "x"}),
                           (services.accept_introduction, {}),
                           (services.reject_introduction, {}),
                           (services.withdraw_introduction, {}),
                           (services.retry_introduction, {}),
                           (services.suggest_reroutes, {}),
                           (services.thank_chain, {"message": "x"})):
        with pytest.raises(NotFound):
            other.call(action, stranger, intro.id, **kwargs)


def test_concurrent_clicks_leave_one_outcome(world, line):
    import threading

    r, a, b, t = line
    intro = ask(world, r, t)
    outcomes: list[str] = []

    def click(action, **kwargs):
        try:
            world.call(action, a, intro.id, **kwargs)
            outcomes.append(action.__name__)
        except ServiceError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=click, args=(services.forward_introduction,)),
               threading.Thread(target=click, args=(services.forward_introduction,)),
               threading.Thread(target=click, args=(services.decline_introduction,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    forwarded, declined = events(world, intro.id, "forwarded"), events(world, intro.id,
                                                                       "declined")
    assert forwarded + declined == 1
    final = world.call(services.access_introduction, r, intro.id)
    assert final.status == ("in_progress" if forwarded else "declined")
