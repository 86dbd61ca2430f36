"""The retention policy: closed requests lose their private texts after the instance's delay;
statuses, hops and events stay for the statistics; open requests are untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from maillon.db import db, utcnow
from maillon.introductions import services as introductions
from maillon.introductions.models import Introduction, IntroductionEvent, IntroductionHop
from maillon.rights import retention
from tests.introductions.world import MESSAGE, World

NOTE = "A note only Tom should ever read"


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


def closed_long_ago(world, intro_id, days):
    with world.app.app_context():
        db.session.execute(update(Introduction).where(Introduction.id == intro_id).values(
            closed_at=utcnow() - timedelta(days=days)))
        db.session.commit()


def texts(world, intro_id):
    with world.app.app_context():
        intro = db.session.get(Introduction, intro_id)
        hops = db.session.scalars(select(IntroductionHop).where(
            IntroductionHop.introduction_id == intro_id)).all()
        events = db.session.scalars(select(IntroductionEvent).where(
            IntroductionEvent.introduction_id == intro_id)).all()
        return (intro.status, intro.message, intro.outcome_message, intro.purged_at,
                [(h.status, h.note_from_previous, h.vouch) for h in hops],
                [(e.kind, dict(e.data)) for e in events])


def purge(world, **kwargs):
    return world.run(retention.purge_closed_introductions, **kwargs)


def test_closed_requests_lose_their_texts_after_the_retention(world):
    r, a, b, t = world.members("Rita", "Alice", "Bob", "Tom")
    world.chain(r, a, b, t)
    old = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                     purpose="advice")
    world.call(introductions.forward_introduction, a, old.id, note=NOTE, vouch="Good person")
    world.call(introductions.withdraw_introduction, r, old.id)
    recent = world.call(introductions.request_introduction, r, t, message=MESSAGE + " again",
                        purpose="advice")
    world.call(introductions.withdraw_introduction, r, recent.id)
    still_open = world.call(introductions.request_introduction, r, t,
                            message=MESSAGE + " open", purpose="advice")
    closed_long_ago(world, old.id, 400)
    closed_long_ago(world, still_open.id, 400)  # an open request is never purged
    assert purge(world, batch=1) == 1
    status, message, answer, purged_at, hops, events = texts(world, old.id)
    assert (status, message, answer) == ("withdrawn", "", "") and purged_at is not None
    assert [h[0] for h in hops] == ["forwarded", "holding"]  # the statistics' counts
    assert all(note == "" and vouch == "" for _s, note, vouch in hops)
    assert NOTE not in str(events) and "Good person" not in str(events)
    assert [k for k, _d in events][:2] == ["requested", "forwarded"]
    assert texts(world, recent.id)[1] == MESSAGE + " again"
    assert texts(world, still_open.id)[1] == MESSAGE + " open"
    assert purge(world) == 0  # idempotent


def test_zero_keeps_texts_forever_and_each_instance_has_its_own_delay(world):
    r, t = world.members("Rita", "Tom")
    world.connect(r, t)
    intro = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                       purpose="advice")
    world.call(introductions.withdraw_introduction, r, intro.id)
    closed_long_ago(world, intro.id, 40)
    world.set_policy(**{"introductions.retention_days": 0})
    assert purge(world) == 0
    world.set_policy(**{"introductions.retention_days": 30})
    with world.app.app_context():
        assert retention.purge_all_instances(db.session) == 1
    assert texts(world, intro.id)[1] == ""


def test_the_request_page_says_its_texts_were_erased(world, login):
    r, t = world.members("Rita", "Tom")
    world.update(r, locale="en")
    world.connect(r, t)
    intro = world.call(introductions.request_introduction, r, t, message=MESSAGE,
                       purpose="advice")
    world.call(introductions.withdraw_introduction, r, intro.id)
    closed_long_ago(world, intro.id, 400)
    purge(world)
    with world.app.app_context():
        rita = world.get(r)
        db.session.expunge(rita)
    page = login(rita).get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "The texts of this request (message, notes, answers) were erased" in page
    assert MESSAGE not in page
