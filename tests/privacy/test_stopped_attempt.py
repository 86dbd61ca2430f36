"""Attack: in stepwise mode the requester's timeline tells who declined.

Issue 9. Academia shows chains step by step. When a request stops on the way, the requester's
timeline read `requested, forwarded, declined` or `requested, declined`: the number of forwards
gives the decliner's position (and the first link, the requester's own contact, was named).
A stopped attempt must show its requester nothing about positions: the same view whoever
stopped it, on the API and the page.
"""

from __future__ import annotations

import re

import pytest

from maillon.introductions import services
from tests.privacy.common import MESSAGE, World, bearer, members_named

NAMES = ("Rose Requester", "Amir First", "Basile Second", "Chloe Third", "Tomas Target")


def stopped_request(app, create_member, slug, stopper, how):
    """A request along R – A – B – C – T stopped by the ``stopper``-th relay (1 = A)."""
    world = World(app, create_member, slug=slug)
    ids = members_named(world, *NAMES)
    world.chain(*ids, trust=4)
    r, *relays, t = ids
    intro = world.call(services.request_introduction, r, t, message=MESSAGE, purpose="research")
    for holder in relays[:stopper - 1]:
        world.call(services.forward_introduction, holder, intro.id, note="over to you")
    if how == "declined":
        world.call(services.decline_introduction, relays[stopper - 1], intro.id,
                   reason="not now")
    else:
        from datetime import timedelta

        from maillon.db import utcnow

        world.run(lambda session, instance: services.expire_overdue(
            session, utcnow() + timedelta(days=60)))
    return world, ids, intro.id


def api_view(world, client_for, slug, member, intro_id):
    answer = client_for(slug).get(f"/api/v1/introductions/{intro_id}",
                                  headers=bearer(world, member))
    assert answer.status_code == 200, answer.json
    return answer.json


def comparable(view):
    """What a view says, without what differs between any two requests (ids and times)."""
    skip = {"id", "at", "created_at", "closed_at", "delivered_at", "deadline"}

    def strip(value):
        if isinstance(value, dict):
            if "name" in value and "headline" in value:  # a member: by name only
                return value["name"]
            return {k: strip(v) for k, v in value.items() if k not in skip}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(view)


def notifications_of(world, member):
    from sqlalchemy import select

    from maillon.db import db
    from maillon.notifications.models import Notification

    with world.app.app_context():
        rows = list(db.session.scalars(select(Notification).where(
            Notification.member_id == member, Notification.subject_type == "introductions")))
        people = [world.get(n.actor_id).name for n in rows if n.actor_id is not None]
        return " ".join(str(n.data) for n in rows) + " ".join(people)


def timeline(html):
    section = html[html.index('id="timeline-heading"'):]
    return re.sub(r"<time[^>]*>.*?</time>", "", section)


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])
@pytest.mark.parametrize("how", ["declined", "expired"])
def test_requester_sees_the_same_whoever_stopped_it(app, create_member, client_for, login,
                                                    slug, how):
    views, pages = [], []
    for stopper in (1, 2, 3):
        world, (r, a, b, c, t), intro_id = stopped_request(app, create_member, slug, stopper,
                                                           how)
        view = api_view(world, client_for, slug, r, intro_id)
        assert view["status"] == how and view["current_hop"] is None
        listed = client_for(slug).get("/api/v1/introductions", headers=bearer(world, r)).json
        text = str(view) + str(listed) + notifications_of(world, r)
        for name in NAMES[1:4]:
            assert name not in text, (stopper, name, text)
        assert [e["kind"] for e in view["events"]] == ["requested", how], view["events"]
        views.append(comparable(view))
        with app.app_context():
            requester = world.get(r)
        client = login(requester, slug)
        html = client.get(f"/introductions/{intro_id}").get_data(as_text=True)
        listed = client.get("/introductions").get_data(as_text=True)
        for name in NAMES[1:4]:
            assert name not in listed, (stopper, name)
            assert name not in html, (stopper, name)
        pages.append(timeline(html))
    assert views[0] == views[1] == views[2]
    assert pages[0] == pages[1] == pages[2]
