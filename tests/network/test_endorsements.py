"""Skill endorsements: first degree only, one row per click, revocable, counted per skill."""

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.members.profiles import update_profile
from maillon.network import services as network
from maillon.network.endorsement_models import Endorsement
from maillon.network.endorsements import (
    endorse_skill,
    endorsement_counts,
    endorsement_summary,
    revoke_endorsement,
)
from maillon.network.signals import skill_endorsed
from maillon.tenancy.models import Instance

SKILLS = ["Python", "Machine learning", "Teaching"]


def _get(member):
    return db.session.get(Member, member.id)


def connect(instance, a, b):
    row = network.request_connection(db.session, instance, _get(a), b.id)
    network.accept_connection(db.session, instance, _get(b), row.id)
    return row.id


def _rows():
    return db.session.scalar(select(func.count(Endorsement.id)))


@pytest.fixture
def pair(create_member, instances):
    ana = create_member("reseau", name="Ana", skills=SKILLS)
    bob = create_member("reseau", name="Bob", skills=["Law"])
    connect(instances["reseau"], ana, bob)
    return instances["reseau"], ana, bob


def test_connection_endorses_a_listed_skill_case_insensitively(pair):
    instance, ana, bob = pair
    row, created = endorse_skill(db.session, instance, _get(bob), ana.id, "  python ")
    assert created and row.skill_key == "python"
    summary = endorsement_summary(db.session, instance, _get(bob), _get(ana))
    assert [(s.skill, s.count) for s in summary] == [
        ("Python", 1), ("Machine learning", 0), ("Teaching", 0)]
    assert [m.id for m in summary[0].endorsers] == [bob.id]


def test_double_endorsement_is_one_row(pair):
    instance, ana, bob = pair
    first, created = endorse_skill(db.session, instance, _get(bob), ana.id, "Python")
    again, created_again = endorse_skill(db.session, instance, _get(bob), ana.id, "PYTHON")
    assert created and not created_again
    assert again.id == first.id
    assert _rows() == 1


def test_only_first_degree_connections_endorse(create_member, instances):
    instance = instances["reseau"]
    ana = create_member("reseau", skills=SKILLS)
    bob, carl = create_member("reseau"), create_member("reseau")
    connect(instance, ana, bob)
    connect(instance, bob, carl)  # carl is second degree from ana
    with pytest.raises(Forbidden) as refused:
        endorse_skill(db.session, instance, _get(carl), ana.id, "Python")
    assert refused.value.code == "not_connected"
    pending = network.request_connection(db.session, instance, _get(carl), ana.id)
    assert pending.status == "pending"
    with pytest.raises(Forbidden):
        endorse_skill(db.session, instance, _get(carl), ana.id, "Python")
    assert _rows() == 0


def test_unlisted_skill_and_self_are_refused(pair):
    instance, ana, bob = pair
    with pytest.raises(ValidationFailed) as unlisted:
        endorse_skill(db.session, instance, _get(bob), ana.id, "Cooking")
    assert "skill" in unlisted.value.fields and unlisted.value.status == 422
    with pytest.raises(ServiceError) as selfish:
        endorse_skill(db.session, instance, _get(ana), ana.id, "Python")
    assert selfish.value.code == "cannot_endorse_self"
    assert _rows() == 0


def test_revoke_removes_the_endorsement_and_is_idempotent(pair):
    instance, ana, bob = pair
    endorse_skill(db.session, instance, _get(bob), ana.id, "Teaching")
    assert revoke_endorsement(db.session, instance, _get(bob), ana.id, "teaching") is True
    assert revoke_endorsement(db.session, instance, _get(bob), ana.id, "teaching") is False
    assert _rows() == 0
    assert endorsement_counts(db.session, instance, None, _get(ana)) == {}


def test_counts_per_skill_with_the_viewer_and_contacts_first(create_member, instances):
    instance = instances["reseau"]
    ana = create_member("reseau", skills=SKILLS)
    friends = [create_member("reseau", name=f"Friend {n}") for n in range(7)]
    viewer = friends[3]
    for friend in friends:
        connect(instance, ana, friend)
        endorse_skill(db.session, instance, _get(friend), ana.id, "Python")
    endorse_skill(db.session, instance, _get(friends[0]), ana.id, "Teaching")
    connect(instance, viewer, friends[6])
    summary = endorsement_summary(db.session, instance, _get(viewer), _get(ana))
    python = summary[0]
    assert python.count == 7
    assert python.endorsers[0].id == viewer.id
    assert python.endorsers[1].id == friends[6].id  # a contact of the viewer next
    assert endorsement_counts(db.session, instance, _get(viewer), _get(ana)) == {
        "Python": 7, "Teaching": 1}


def test_inactive_endorsers_are_not_shown_or_counted(pair, create_member):
    instance, ana, bob = pair
    endorse_skill(db.session, instance, _get(bob), ana.id, "Python")
    _get(bob).status = "suspended"
    db.session.commit()
    summary = endorsement_summary(db.session, instance, None, _get(ana))
    assert summary[0].count == 0 and summary[0].endorsers == []
    assert endorsement_counts(db.session, instance, None, _get(ana)) == {}


def test_removed_skill_hides_its_endorsements_until_listed_again(pair):
    instance, ana, bob = pair
    endorse_skill(db.session, instance, _get(bob), ana.id, "Teaching")
    update_profile(db.session, _get(ana), {"skills": ["Python"]})
    assert endorsement_counts(db.session, instance, None, _get(ana)) == {}
    assert _rows() == 1  # kept
    update_profile(db.session, _get(ana), {"skills": ["Python", "teaching"]})
    assert endorsement_counts(db.session, instance, None, _get(ana)) == {"teaching": 1}


def test_removing_the_connection_keeps_past_endorsements(pair):
    instance, ana, bob = pair
    endorse_skill(db.session, instance, _get(bob), ana.id, "Python")
    row = network.find_connection_between(db.session, instance, ana.id, bob.id)
    network.remove_connection(db.session, instance, _get(ana), row.id)
    assert endorsement_counts(db.session, instance, None, _get(ana))["Python"] == 1
    with pytest.raises(Forbidden):  # but no new ones
        endorse_skill(db.session, instance, _get(bob), ana.id, "Teaching")
    assert revoke_endorsement(db.session, instance, _get(bob), ana.id, "Python") is True


def test_endorsing_sends_the_signal_once_before_commit(pair):
    instance, ana, bob = pair
    seen = []

    def receiver(session, **kwargs):
        assert session is db.session
        seen.append(kwargs)

    with skill_endorsed.connected_to(receiver):
        endorse_skill(db.session, instance, _get(bob), ana.id, "Python")
        endorse_skill(db.session, instance, _get(bob), ana.id, "Python")
    assert len(seen) == 1
    kwargs = seen[0]
    assert kwargs["actor"].id == bob.id and kwargs["recipient"].id == ana.id
    assert kwargs["endorsement"].skill_key == "python"


def test_another_instances_member_is_404(pair, create_member):
    instance, ana, bob = pair
    stranger = create_member("acme", skills=SKILLS)
    with pytest.raises(NotFound):
        endorse_skill(db.session, instance, _get(bob), stranger.id, "Python")
    with pytest.raises(NotFound):
        revoke_endorsement(db.session, instance, _get(bob), stranger.id, "Python")


# --- pages ----------------------------------------------------------------------------------

def test_profile_shows_endorse_buttons_to_a_connection_and_toggles(app, create_member, login):
    ana = create_member("acme", name="Ana", skills=SKILLS)
    bob = create_member("acme", name="Bob")
    carl = create_member("acme", name="Carl")
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "acme"))
        connect(instance, ana, bob)
    client = login(bob, "acme")
    page = client.get(f"/members/{ana.id}").get_data(as_text=True)
    assert page.count(f'action="/members/{ana.id}/endorsements"') == 3
    response = client.post(f"/members/{ana.id}/endorsements", data={"skill": "Python"})
    assert response.status_code == 302 and response.location.endswith("#skills")
    page = client.get(f"/members/{ana.id}").get_data(as_text=True)
    assert f'action="/members/{ana.id}/endorsements/remove"' in page
    assert 'aria-pressed="true"' in page and ">you</a>" in page
    # a non-connection sees counts and names, but no buttons
    other = login(carl, "acme").get(f"/members/{ana.id}").get_data(as_text=True)
    assert f'/members/{ana.id}/endorsements' not in other
    assert ">Bob</a>" in other and 'class="badge endorsement-count"' in other
    client.post(f"/members/{ana.id}/endorsements/remove", data={"skill": "Python"})
    with app.app_context():
        assert _rows() == 0


def test_refused_endorsement_is_a_message_not_an_error(app, create_member, login):
    ana = create_member("acme", name="Ana", skills=SKILLS)
    carl = create_member("acme", name="Carl", locale="en")
    client = login(carl, "acme")
    response = client.post(f"/members/{ana.id}/endorsements", data={"skill": "Python"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Only your direct connections can be endorsed." in response.get_data(as_text=True)
    with app.app_context():
        assert _rows() == 0


def test_many_endorsers_are_summarised(app, create_member, login):
    ana = create_member("acme", name="Ana", skills=["Python"])
    friends = [create_member("acme", name=f"Friend {n}") for n in range(7)]
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "acme"))
        for friend in friends:
            connect(instance, ana, friend)
            endorse_skill(db.session, instance, _get(friend), ana.id, "Python")
    page = login(ana, "acme").get(f"/members/{ana.id}").get_data(as_text=True)
    assert "and 2 others" in page
    assert f'action="/members/{ana.id}/endorsements"' not in page  # not oneself
