"""Attack: moderators read every private note by opening any `/introductions/<id>`.

Issue 9. Staff (moderators, admins) may open any request of their instance, and saw every
note, vouch, decline reason, piece of advice and answer in it. Staff who are not part of a
request now see none of those texts, nor its message, unless it is under review (decision 36,
tests/introductions/test_review_queue.py), and each time they open such a request, page or
API, an audit row says who opened which, and when.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.db import db, utcnow
from maillon.introductions import services
from maillon.introductions.models import IntroductionStaffView
from tests.privacy.common import MESSAGE, World, bearer, members_named

SECRETS = ("note from Anna to Bert", "Anna vouches warmly", "note from Bert to Tina",
           "Bert vouches too", "Tina says yes, call me", "thanks to both of you")
REFUSAL = ("a private reason to stop",)
ADVICE = ("ask Olga in the lab instead",)


def community(app, create_member, role):
    world = World(app, create_member, slug="reseau")
    r, a, b, t = members_named(world, "Rosa Requester", "Anna Relay", "Bert Relay", "Tina Target")
    world.chain(r, a, b, t, trust=4)
    staff = world.member("Sam Staff", locale="en", role=role)
    return world, (r, a, b, t), staff


def travelled(world, r, a, b, t):
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="advice")
    world.call(services.forward_introduction, a, intro.id, note=SECRETS[0], vouch=SECRETS[1])
    world.call(services.forward_introduction, b, intro.id, note=SECRETS[2], vouch=SECRETS[3])
    world.call(services.accept_introduction, t, intro.id, message=SECRETS[4])
    world.call(services.thank_chain, t, intro.id, message=SECRETS[5])
    return intro.id


def stopped(world, r, a, b, t, how):
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="advice")
    if how == "declined":
        world.call(services.decline_introduction, a, intro.id, reason=REFUSAL[0])
    else:
        world.call(services.advise_introduction, a, intro.id, advice=ADVICE[0])
    return intro.id


def audit_rows(app):
    with app.app_context():
        return [(row.member_id, row.introduction_id, row.created_at)
                for row in db.session.scalars(select(IntroductionStaffView).order_by(
                    IntroductionStaffView.id))]


def read_as(world, app, login, client_for, member, intro_id):
    """The request's page and API answer as ``member`` sees them, together."""
    with app.app_context():
        row = world.get(member)
    page = login(row, "reseau").get(f"/introductions/{intro_id}")
    answer = client_for("reseau").get(f"/api/v1/introductions/{intro_id}",
                                      headers=bearer(world, member))
    assert page.status_code == 200 and answer.status_code == 200, answer.json
    return page.get_data(as_text=True) + str(answer.json)


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_staff_do_not_read_private_texts_and_are_recorded(app, create_member, login,
                                                          client_for, role):
    world, (r, a, b, t), staff = community(app, create_member, role)
    ids = [travelled(world, r, a, b, t), stopped(world, r, a, b, t, "declined"),
           stopped(world, r, a, b, t, "advised")]
    secrets = SECRETS + REFUSAL + ADVICE
    # The participants do read what is meant for them (the attack is not a blanket blank).
    assert SECRETS[4] in read_as(world, app, login, client_for, r, ids[0])
    assert SECRETS[1] in read_as(world, app, login, client_for, t, ids[0])
    assert audit_rows(app) == []

    start = utcnow()
    for intro_id in ids:
        seen = read_as(world, app, login, client_for, staff, intro_id)
        # Not under review (decision 36): not even the request's message.
        assert MESSAGE not in seen
        for secret in secrets:
            assert secret not in seen, (intro_id, secret)
    rows = audit_rows(app)
    assert [(who, which) for who, which, _ in rows] == [
        (staff, intro_id) for intro_id in ids for _ in ("page", "api")]
    assert all(start <= when <= utcnow() for _, _, when in rows)


def test_staff_who_take_part_see_their_part_unrecorded(app, create_member, login, client_for):
    world, (r, a, b, t), staff = community(app, create_member, "moderator")
    world.connect(staff, b, 4, 4)
    world.connect(staff, r, 4, 4)
    # The moderator asks to meet Tina along Sam – Bert – Tina: a requester like any other.
    intro = world.call(services.request_introduction, staff, t, message=MESSAGE,
                       purpose="advice")
    world.call(services.forward_introduction, b, intro.id, note="for Tina", vouch="Sam is ok")
    world.call(services.accept_introduction, t, intro.id, message="welcome Sam")
    assert "welcome Sam" in read_as(world, app, login, client_for, staff, intro.id)
    assert audit_rows(app) == []
