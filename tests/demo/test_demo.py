"""Demo data: realistic members per instance, kept apart, and a bulk mode for benchmarks."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from maillon.db import db, utcnow
from maillon.demo.catalogue import community_for
from maillon.demo.profiles import ProfileGenerator
from maillon.demo.services import DEMO_PASSWORD, demo_logins, load_demo
from maillon.members.models import Education, Experience, Member
from maillon.members.services import access_member, find_member, get_member
from maillon.members.signals import member_changed
from maillon.tenancy.models import Instance


def members_of(instance) -> list[Member]:
    return list(db.session.scalars(select(Member).where(Member.instance_id == instance.id)))


@pytest.fixture
def changed():
    """Members for whom member_changed was sent."""
    seen: list[Member] = []

    def receiver(sender, member):
        seen.append(member)

    member_changed.connect(receiver)
    yield seen
    member_changed.disconnect(receiver)


def test_small_demo_gives_full_profiles_and_one_admin_each(instances, changed):
    assert load_demo(db.session, instances["academia"], members=25) == 25
    assert load_demo(db.session, instances["acme"], members=25) == 25
    for slug in ("academia", "acme"):
        members = members_of(instances[slug])
        assert len(members) == 25
        assert [m.role for m in members].count("admin") == 1
        assert [m.role for m in members].count("moderator") == 1
        for member in members:
            assert member.headline and member.position and member.organisation
            assert member.location and member.skills and member.summary
            assert member.offers and member.seeks
            assert 1 <= len(member.experiences) <= 4
            assert 1 <= len(member.education) <= 2
            assert member.experiences[0].end_date is None  # the current job
            assert member.status == "active" and member.email_verified_at is not None
    assert all(m.email.endswith("@acme.example") for m in members_of(instances["acme"]))
    assert len(changed) == 50  # one signal per member in the normal mode


def test_demo_members_are_invisible_from_another_instance(instances):
    load_demo(db.session, instances["academia"], members=10)
    load_demo(db.session, instances["acme"], members=10)
    academic = members_of(instances["academia"])[3]
    assert find_member(db.session, instances["acme"], academic.id) is None
    with pytest.raises(NotFound):
        get_member(db.session, instances["acme"], academic.id)
    with pytest.raises(NotFound):
        access_member(db.session, instances["acme"], None, academic.id)
    assert get_member(db.session, instances["academia"], academic.id).id == academic.id
    rows = db.session.scalars(select(Experience).where(Experience.member_id == academic.id))
    assert {e.instance_id for e in rows} == {instances["academia"].id}


def demo_client(client_for, slug: str, email: str):
    client = client_for(slug)
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def test_demo_profile_page_is_404_on_another_instance(app, client_for):
    # Set up in an app context of its own: requests made while a context is pushed would
    # share its `g` (and so Flask-Login's cached user) between the two clients.
    with app.app_context():
        instances = {i.slug: i for i in db.session.scalars(select(Instance))}
        load_demo(db.session, instances["academia"], members=5)
        load_demo(db.session, instances["acme"], members=5)
        member_id = members_of(instances["academia"])[2].id
    acme = demo_client(client_for, "acme", "admin@acme.example")
    assert acme.get(f"/members/{member_id}").status_code == 404
    academia = demo_client(client_for, "academia", "admin@academia.example")
    assert academia.get(f"/members/{member_id}").status_code == 200


def test_normal_demo_is_deterministic_and_idempotent(instances):
    load_demo(db.session, instances["reseau"], members=15, seed=3)
    before = sorted(m.email for m in members_of(instances["reseau"]))
    assert load_demo(db.session, instances["reseau"], members=15, seed=3) == 0
    assert sorted(m.email for m in members_of(instances["reseau"])) == before


def test_same_seed_same_people():
    community = community_for("academia")
    now = utcnow()
    first = [g.member().values for g in [ProfileGenerator(community, random.Random(5), now)]
             for _ in range(20)]
    second = [g.member().values for g in [ProfileGenerator(community, random.Random(5), now)]
              for _ in range(20)]
    assert [v["email"] for v in first] == [v["email"] for v in second]


def test_generated_emails_are_unique_and_policies_vary():
    generator = ProfileGenerator(community_for("reseau"), random.Random(1), utcnow())
    specs = [generator.member() for _ in range(400)]
    assert len({s.email for s in specs}) == 400
    values = [s.values for s in specs]
    assert {v["relaying"] for v in values} == {"open", "busy", "off"}
    assert {v["contact_policy"]["direct"] for v in values} == {"anyone", "network", "nobody"}
    assert {v["visibility"]["in_directory"] for v in values} == {True, False}
    assert {v["open_to_opportunities"] for v in values} == {True, False}
    assert len({v["locale"] for v in values}) > 1


def test_demo_logins_are_staff_then_personas_with_the_demo_password(app, instances,
                                                                     client_for):
    load_demo(db.session, instances["academia"], members=10)
    logins = demo_logins(db.session, "academia")
    assert logins[:2] == [("admin@academia.example", "admin"),
                          ("moderateur@academia.example", "moderator")]
    assert len(logins) >= 3 and all(role == "member" for _, role in logins[2:])
    assert demo_logins(db.session, "acme") == []
    hashes = {m.password_hash for m in members_of(instances["academia"])}
    assert len(hashes) == 1  # hashed once, shared
    db.session.remove()
    demo_client(client_for, "academia", "admin@academia.example")


def test_bulk_mode_inserts_in_batches_without_signals(instances, changed):
    batches: list[int] = []
    created = load_demo(db.session, instances["acme"], members=2_500, bulk=True,
                        progress=batches.append)
    assert created == 2_500
    assert batches == [2_000, 500]
    assert changed == []  # the search reindex command rebuilds after a bulk load
    acme = instances["acme"].id
    assert db.session.scalar(select(func.count(Member.id)).where(
        Member.instance_id == acme)) == 2_500
    assert db.session.scalar(select(func.count(Member.id)).where(
        Member.instance_id == acme, Member.role == "admin")) == 1
    with_experience = db.session.scalar(select(func.count(func.distinct(
        Experience.member_id))).where(Experience.instance_id == acme))
    with_education = db.session.scalar(select(func.count(func.distinct(
        Education.member_id))).where(Education.instance_id == acme))
    assert with_experience == with_education == 2_500
    # A second bulk load adds new people rather than colliding with the first.
    assert load_demo(db.session, instances["acme"], members=100, bulk=True) == 100
    assert db.session.scalar(select(func.count(Member.id)).where(
        Member.instance_id == acme)) == 2_600
    assert members_of(instances["reseau"]) == []
