"""The demo network: clustered, a few hubs, skewed trust, personas with three degrees, and
introductions in every state, deterministic and loaded once."""

from __future__ import annotations

import random
from collections import Counter
from statistics import median

from sqlalchemy import func, or_, select

from maillon.db import db
from maillon.demo.catalogue import community_for
from maillon.demo.network import _Person, plan_network
from maillon.demo.services import load_demo
from maillon.introductions.models import STATUSES, Introduction, IntroductionEvent
from maillon.members.models import Member
from maillon.network.endorsement_models import Endorsement
from maillon.network.graph import degrees, graph_for
from maillon.network.models import Connection, ConnectionChange
from maillon.network.recommendation_models import Recommendation
from maillon.notifications.models import Notification


def _count(model, instance, *criteria) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(
        model.instance_id == instance.id, *criteria))


def _persona_ids(instance) -> dict[str, int]:
    emails = [p.email for p in community_for(
        instance.slug, instance.setting("registration.email_domains")).personas]
    return dict(db.session.execute(select(Member.email, Member.id).where(
        Member.instance_id == instance.id, Member.email.in_(emails))).all())


def test_demo_network_has_hubs_clusters_and_skewed_trust(instances):
    academia = instances["academia"]
    load_demo(db.session, academia)
    ids = list(db.session.scalars(select(Member.id).where(Member.instance_id == academia.id)))
    graph = graph_for(db.session, academia)
    # The graph service sees every inserted connection.
    connected = _count(Connection, academia, Connection.status == "connected")
    assert graph.connection_count == connected > 1000
    # One request waits for a moderator's review, and the demo's policy stays the file's.
    assert _count(Introduction, academia, Introduction.status == "held") == 1
    assert "introductions.review_first_requests" not in academia.overrides
    assert _count(ConnectionChange, academia) == connected

    sizes = sorted(len(graph.neighbours(m)) for m in ids)
    assert sum(s >= 150 for s in sizes) in (2, 3)  # the hubs
    assert 8 <= median(sizes) <= 25
    assert sum(5 <= s <= 40 for s in sizes) >= 0.85 * len(sizes)
    assert min(sizes) >= 3

    # Colleagues know each other: most connections stay inside an organisation or a city.
    org = dict(db.session.execute(select(Member.id, Member.organisation).where(
        Member.instance_id == academia.id)).all())
    rows = db.session.execute(select(Connection.low_id, Connection.high_id,
                                     Connection.trust_requester, Connection.trust_addressee)
                              .where(Connection.instance_id == academia.id,
                                     Connection.status == "connected")).all()
    same_org = sum(org[a] == org[b] for a, b, _, _ in rows)
    assert same_org > 0.3 * len(rows)
    trust = Counter([t for _, _, t, _ in rows] + [t for _, _, _, t in rows])
    assert trust[3] + trust[4] > 2 * (trust[1] + trust[5])
    assert trust[3] > trust[1] and trust[4] > trust[5]


def test_personas_have_three_degrees_and_something_to_do(instances):
    reseau = instances["reseau"]
    load_demo(db.session, reseau)
    ids = list(db.session.scalars(select(Member.id).where(Member.instance_id == reseau.id)))
    personas = _persona_ids(reseau)
    assert len(personas) == 4
    for email, member_id in personas.items():
        found = Counter(degrees(db.session, reseau, member_id, ids).values())
        assert found[1] >= 5 and found[2] >= 20 and found[3] >= 1, (email, found)

    statuses = set(db.session.scalars(select(Introduction.status).where(
        Introduction.instance_id == reseau.id)))
    assert statuses == set(STATUSES) - {"blocked"}  # one held request waits for review
    hops = {(i.status, i.current_hop) for i in db.session.scalars(select(Introduction).where(
        Introduction.instance_id == reseau.id))}
    assert ("in_progress", 1) in hops and ("in_progress", 2) in hops
    # A persona holds a request to relay; another has one waiting for their answer.
    held = db.session.execute(select(Introduction.status, Introduction.holder_id).where(
        Introduction.instance_id == reseau.id,
        Introduction.holder_id.in_(personas.values()))).all()
    assert {"in_progress", "delivered"} <= {status for status, _ in held}
    # Made through the services: every request has its events, and they are in the past.
    for intro in db.session.scalars(select(Introduction).where(
            Introduction.instance_id == reseau.id)):
        kinds = [e.kind for e in db.session.scalars(select(IntroductionEvent).where(
            IntroductionEvent.introduction_id == intro.id).order_by(IntroductionEvent.id))]
        assert kinds[0] == "requested"
        if intro.status in ("accepted", "rejected", "delivered"):
            assert "delivered" in kinds
        if intro.delivered_at is not None:
            assert intro.created_at < intro.delivered_at
        if intro.status == "in_progress":
            assert intro.hop_deadline is not None


def test_personas_have_invitations_waiting_with_their_notifications(instances):
    reseau = instances["reseau"]
    load_demo(db.session, reseau)
    personas = _persona_ids(reseau)
    pending = db.session.execute(select(Connection.id, Connection.addressee_id,
                                        Connection.message).where(
        Connection.instance_id == reseau.id, Connection.status == "pending")).all()
    assert {addressee for _, addressee, _ in pending} == set(personas.values())
    assert any("Bonjour" in message for _, _, message in pending)  # the instance's language
    notified = set(db.session.execute(select(Notification.subject_id, Notification.member_id)
                                      .where(Notification.instance_id == reseau.id,
                                             Notification.kind == "connection_requested")))
    assert notified == {(cid, addressee) for cid, addressee, _ in pending}


def test_endorsements_and_recommendations_in_both_languages(instances):
    academia = instances["academia"]
    load_demo(db.session, academia)
    assert _count(Endorsement, academia) > 200
    texts = list(db.session.scalars(select(Recommendation.text).where(
        Recommendation.instance_id == academia.id, Recommendation.status == "approved")))
    assert len(texts) >= 20
    assert any("travaillé" in t or "encadré" in t or "étudié" in t or "accompagnés" in t
               for t in texts)
    assert any(" I " in f" {t} " or "I worked" in t or "supported us" in t for t in texts)


def test_demo_network_loads_once_and_stays_in_its_instance(instances):
    acme, reseau = instances["acme"], instances["reseau"]
    load_demo(db.session, acme, members=60)
    before = (_count(Connection, acme), _count(Introduction, acme), _count(Endorsement, acme))
    assert before[0] > 100 and before[1] > 0
    load_demo(db.session, acme, members=60)
    assert (_count(Connection, acme), _count(Introduction, acme),
            _count(Endorsement, acme)) == before
    acme_ids = set(db.session.scalars(select(Member.id).where(Member.instance_id == acme.id)))
    foreign = db.session.scalar(select(func.count()).select_from(Connection).where(
        Connection.instance_id == acme.id,
        or_(Connection.low_id.not_in(acme_ids), Connection.high_id.not_in(acme_ids))))
    assert foreign == 0
    assert _count(Connection, reseau) == 0


def test_network_plan_is_deterministic_for_a_seed():
    people = [_Person(i, f"p{i}@x", f"org{i % 7}", f"city{i % 3}", i % 4, i < 3)
              for i in range(1, 200)]
    first = plan_network(people, random.Random("7:x:network"))
    assert first == plan_network(people, random.Random("7:x:network"))
    assert first != plan_network(people, random.Random("8:x:network"))


def test_each_demo_instance_has_its_own_statistics(instances):
    """The statistics page of each demo community tells its own story (issue 9: the three
    showed identical figures)."""
    from maillon.introductions.services import statistics

    figures = {}
    for slug in ("academia", "acme", "reseau"):
        load_demo(db.session, instances[slug], members=80)
        stats = statistics(db.session, instances[slug])
        figures[slug] = (stats["direct"], stats["relayed"],
                         [(e["hops"], e["requests"], e["accepted"]) for e in stats["by_length"]])
    assert len({repr(f) for f in figures.values()}) == 3, figures
    # Each community's own leaning shows in its figures.
    assert figures["acme"][0]["requests"] > figures["academia"][0]["requests"]
    rate = {slug: f[1]["success_rate"] for slug, f in figures.items()}
    assert rate["academia"] > rate["reseau"], rate
